/**
 * When to ask CodeBuild and CloudWatch Logs again. Quick while log lines flow, backing off while the build
 * is quiet, quick again near the end so the step finishes within about a second of the build. Pure: the
 * follower feeds it what happened and gets delays back.
 */
export interface PollSchedule {
  /** Delay after a log poll that returned lines. */
  logsActiveMs: number;
  /** Longest delay between log polls while the build is quiet. */
  logsIdleMaxMs: number;
  /** Build status poll while logs stream (the log already shows progress). */
  statusQuietMs: number;
  /** Build status poll before the log stream exists: a build can fail while provisioning, without a log. */
  statusProvisioningMs: number;
  /** Build status poll once the log says the end is near (after POST_BUILD, or a failed phase). */
  statusEagerMs: number;
}

/** Tuned with `npm run bench` (codebuild-follow): about 1 s median log latency at a third of the calls of 300 ms. */
export const DEFAULT_SCHEDULE: PollSchedule = {
  logsActiveMs: 1_000,
  logsIdleMaxMs: 5_000,
  statusQuietMs: 15_000,
  statusProvisioningMs: 3_000,
  statusEagerMs: 1_000,
};

/** Doubles the idle delay up to the cap; any new line resets it. */
export function nextLogDelay(schedule: PollSchedule, previousMs: number, gotLines: boolean): number {
  if (gotLines) return schedule.logsActiveMs;
  return Math.min(schedule.logsIdleMaxMs, Math.max(schedule.logsActiveMs, previousMs * 2));
}

export function statusDelay(schedule: PollSchedule, state: { streamFound: boolean; nearEnd: boolean }): number {
  if (state.nearEnd) return schedule.statusEagerMs;
  return state.streamFound ? schedule.statusQuietMs : schedule.statusProvisioningMs;
}
