/**
 * When to ask CodeBuild and CloudWatch Logs again. With Live Tail the log comes pushed, so the status is
 * asked rarely (the log says when the end is near); when polling, quick while log lines flow, backing off
 * while the build is quiet. Quick again near the end so the step finishes within about a second of the
 * build. Pure: the follower feeds it what happened and gets delays back.
 */
export interface PollSchedule {
  /** Delay after a log poll that returned lines. */
  logsActiveMs: number;
  /** Longest delay between log polls while the build is quiet. */
  logsIdleMaxMs: number;
  /** Build status poll while logs are polled (the log already shows progress). */
  statusQuietMs: number;
  /**
   * Build status poll while Live Tail pushes the log: only a safety net for a build that ends without
   * saying so in its log (stopped from the console, timed out).
   */
  statusLiveTailMs: number;
  /** Build status poll before the log stream exists: a build can fail while provisioning, without a log. */
  statusProvisioningMs: number;
  /** Build status poll once the log says the end is near (after POST_BUILD, or a failed phase). */
  statusEagerMs: number;
  /**
   * After the build is complete and its last agent line has not arrived: the log is read to the end once it
   * has been quiet this long (lines become readable about a second after they are written)...
   */
  drainQuietMs: number;
  /** ...or this long after completion, whichever comes first. */
  drainMaxMs: number;
  /**
   * How long a new Live Tail session's catch-up read (what was written before the session began) waits for
   * the session's first lines. Read once those have arrived, one GetLogEvents page reaches them and so
   * proves it missed nothing; read earlier, a second page is needed to confirm the stream's end. The wait
   * bounds how late those earlier lines can be printed when the build is quiet: as late as the polling
   * follower's longest idle wait (logsIdleMaxMs), no later.
   */
  catchUpWaitMs: number;
  /** Longest wait between attempts while a call keeps being throttled or failing (after the SDK's retries). */
  backoffMaxMs: number;
  /**
   * How long after following began a call that keeps failing is given up on. Unset (the default): once the
   * build's own timeouts (queue and build) have passed, plus five minutes, since the build cannot still run.
   */
  giveUpAfterMs?: number;
}

/** Tuned with `npm run bench` (codebuild-follow). */
export const DEFAULT_SCHEDULE: PollSchedule = {
  logsActiveMs: 1_000,
  logsIdleMaxMs: 5_000,
  statusQuietMs: 15_000,
  statusLiveTailMs: 30_000,
  statusProvisioningMs: 3_000,
  statusEagerMs: 1_000,
  drainQuietMs: 3_000,
  drainMaxMs: 10_000,
  catchUpWaitMs: 5_000,
  backoffMaxMs: 30_000,
};

/** Doubles the idle delay up to the cap; any new line resets it. */
export function nextLogDelay(schedule: PollSchedule, previousMs: number, gotLines: boolean): number {
  if (gotLines) return schedule.logsActiveMs;
  return Math.min(schedule.logsIdleMaxMs, Math.max(schedule.logsActiveMs, previousMs * 2));
}

export function statusDelay(schedule: PollSchedule, state: { streamFound: boolean; nearEnd: boolean; liveTail?: boolean }): number {
  if (state.nearEnd) return schedule.statusEagerMs;
  if (!state.streamFound) return schedule.statusProvisioningMs;
  return state.liveTail === true ? schedule.statusLiveTailMs : schedule.statusQuietMs;
}

/** The wait before the next attempt of a call that failed `failures` times in a row: doubling, capped. */
export function backoffDelay(schedule: PollSchedule, failures: number): number {
  return Math.min(schedule.backoffMaxMs, schedule.logsActiveMs * 2 ** Math.max(0, failures - 1));
}
