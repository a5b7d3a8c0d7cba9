/**
 * One sandbox CodeBuild build: its phases as BatchGetBuilds reports them, and the log lines the CodeBuild
 * agent writes. A build either follows a scripted timeline (evaluated lazily against the sandbox clock, so
 * a 10-minute build costs nothing) or executes its buildspec with the local runner.
 *
 * Real builds report every phase from SUBMITTED to COMPLETED; the phase in progress has no status and no
 * end time, and COMPLETED only a start time. The agent's log lines have the form
 * `[Container] 2026/11/25 14:52:24.123456 Entering phase BUILD`.
 */
export type BuildPhaseType =
  | 'SUBMITTED'
  | 'QUEUED'
  | 'PROVISIONING'
  | 'DOWNLOAD_SOURCE'
  | 'INSTALL'
  | 'PRE_BUILD'
  | 'BUILD'
  | 'POST_BUILD'
  | 'UPLOAD_ARTIFACTS'
  | 'FINALIZING'
  | 'COMPLETED';

export type BuildStatus = 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'IN_PROGRESS' | 'STOPPED';
export type PhaseStatus = 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'IN_PROGRESS' | 'STOPPED' | 'QUEUED';

export interface PhaseContext {
  statusCode: string;
  message: string;
}

export interface PhaseRecord {
  phaseType: BuildPhaseType;
  phaseStatus?: PhaseStatus;
  startTime: number;
  endTime?: number;
  contexts?: PhaseContext[];
}

/** One step of a scripted build. */
export interface ScriptedPhase {
  phase: Exclude<BuildPhaseType, 'COMPLETED'>;
  /** Sandbox milliseconds the phase lasts. */
  durationMs: number;
  /** How the phase ends (SUCCEEDED by default). A failed INSTALL or PRE_BUILD skips to FINALIZING. */
  status?: Exclude<PhaseStatus, 'IN_PROGRESS' | 'QUEUED'>;
  /** Log lines written evenly over the phase. */
  lines?: string[];
  /** The phase context message of a failed phase. */
  message?: string;
}

export interface BuildScript {
  phases: ScriptedPhase[];
  exportedVariables?: Record<string, string>;
}

export const PRE_PHASES: BuildPhaseType[] = ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE'];
export const BUILDSPEC_PHASES: BuildPhaseType[] = ['INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD'];

/** A plain successful build of about 20 seconds, for tests that only need a build to exist. */
export function defaultScript(): BuildScript {
  return {
    phases: [
      { phase: 'SUBMITTED', durationMs: 0 },
      { phase: 'QUEUED', durationMs: 1_000 },
      { phase: 'PROVISIONING', durationMs: 5_000 },
      { phase: 'DOWNLOAD_SOURCE', durationMs: 1_000 },
      { phase: 'INSTALL', durationMs: 2_000 },
      { phase: 'PRE_BUILD', durationMs: 1_000 },
      { phase: 'BUILD', durationMs: 5_000, lines: ['building'] },
      { phase: 'POST_BUILD', durationMs: 1_000 },
      { phase: 'UPLOAD_ARTIFACTS', durationMs: 1_000 },
      { phase: 'FINALIZING', durationMs: 1_000 },
    ],
  };
}

export interface BuildRecord {
  id: string;
  arn: string;
  buildNumber: number;
  projectName: string;
  startTime: number;
  endTime?: number;
  buildStatus: BuildStatus;
  phases: PhaseRecord[];
  sourceVersion?: string;
  resolvedSourceVersion?: string;
  /** What the build runs: the request's buildspecOverride if it sent one, else the project's own buildspec. */
  buildspec: string;
  /** Whether StartBuild sent a buildspecOverride (CodeBuild runs the project's buildspec otherwise). */
  buildspecOverridden: boolean;
  environmentVariables: { name: string; value: string; type: string }[];
  exportedEnvironmentVariables: { name: string; value: string }[];
  /** Where the agent writes the log: the project's group (default `/aws/codebuild/<project>`) and stream. */
  logGroupName: string;
  /** `<project logsConfig streamName prefix>/<build UUID>`, or the UUID alone when the project sets no prefix. */
  logStreamName: string;
  /** The project's CloudWatch Logs settings as StartBuild found them (echoed in `logs.cloudWatchLogs`). */
  logsConfig: { groupName?: string; streamName?: string };
  /**
   * Sandbox time at which the agent created the log stream; unset until then. Until the stream exists
   * BatchGetBuilds has no usable log names (service.ts, `logsLocation`).
   */
  logStreamCreatedAt?: number;
  timeoutInMinutes: number;
  initiator: string;
  /** The request parameters, for idempotency checks. */
  requestKey: string;
  /** Scripted builds: where the timeline stands. */
  script?: ScriptState;
  /** Executed builds: aborts the runner. */
  abort?: AbortController;
  /** Resolves when the build is complete (executed builds). */
  done?: Promise<void>;
}

export interface ScriptState {
  /** Steps not yet entered. */
  pending: ScriptedPhase[];
  current?: ScriptedPhase;
  /** When the current step ends (or, between steps, when the next one starts). */
  currentEnds: number;
  /** Lines of the current step not yet written, with their times. */
  lines: { at: number; text: string }[];
}

export function agentLine(now: number, text: string): string {
  const date = new Date(now);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const stamp =
    `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}000`;
  return `[Container] ${stamp} ${text}`;
}

export type LogWriter = (text: string, at: number) => void;

/** Starts a phase: closes the one in progress (as SUCCEEDED unless given) and writes the agent's line. */
export function enterPhase(build: BuildRecord, phaseType: BuildPhaseType, at: number, log: LogWriter): void {
  const current = build.phases.at(-1);
  if (current !== undefined && current.phaseStatus === undefined) endPhase(build, 'SUCCEEDED', at, log);
  build.phases.push({ phaseType, startTime: at });
  if (phaseType === 'COMPLETED') {
    build.endTime = at;
    return;
  }
  if (BUILDSPEC_PHASES.includes(phaseType) || phaseType === 'UPLOAD_ARTIFACTS' || phaseType === 'DOWNLOAD_SOURCE') {
    log(agentLine(at, `Entering phase ${phaseType}`), at);
  }
}

/** Ends the phase in progress with a status and context. */
export function endPhase(build: BuildRecord, status: PhaseStatus, at: number, log: LogWriter, context?: PhaseContext): void {
  const current = build.phases.at(-1);
  if (current === undefined || current.phaseStatus !== undefined || current.phaseType === 'COMPLETED') return;
  current.phaseStatus = status;
  current.endTime = at;
  current.contexts = [context ?? { statusCode: '', message: '' }];
  // The agent closes every phase it logged, DOWNLOAD_SOURCE and UPLOAD_ARTIFACTS included: real build logs end
  // with "Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED" and "Phase context status code:  Message: ".
  if (BUILDSPEC_PHASES.includes(current.phaseType) || current.phaseType === 'UPLOAD_ARTIFACTS' || current.phaseType === 'DOWNLOAD_SOURCE') {
    log(agentLine(at, `Phase complete: ${current.phaseType} State: ${status}`), at);
    log(agentLine(at, `Phase context status code: ${context?.statusCode ?? ''} Message: ${context?.message ?? ''}`), at);
  }
}

/** The build's status once a phase ended badly: the first bad phase decides, as in CodeBuild. */
export function statusAfter(build: BuildRecord): BuildStatus {
  const bad = build.phases.find((phase) => phase.phaseStatus !== undefined && phase.phaseStatus !== 'SUCCEEDED');
  if (bad === undefined) return 'SUCCEEDED';
  return bad.phaseStatus === 'IN_PROGRESS' || bad.phaseStatus === 'QUEUED' ? 'FAULT' : (bad.phaseStatus as BuildStatus);
}

/**
 * Moves a scripted build forward to `now`: ends the step in progress when its time is up, enters the next
 * steps, writes lines whose time has come, and completes the build after the last step.
 */
export function advanceScripted(build: BuildRecord, now: number, log: LogWriter): void {
  const script = build.script;
  if (script === undefined) return;
  while (build.buildStatus === 'IN_PROGRESS') {
    flushLines(script, now, log);
    if (script.current !== undefined) {
      if (script.currentEnds > now) return;
      finishStep(build, script, script.current, script.currentEnds, log);
      script.current = undefined;
      continue;
    }
    const next = script.pending.shift();
    const at = script.currentEnds;
    if (next === undefined) {
      enterPhase(build, 'COMPLETED', at, log);
      build.buildStatus = statusAfter(build);
      return;
    }
    enterPhase(build, next.phase, at, log);
    script.current = next;
    script.currentEnds = at + next.durationMs;
    const lines = next.lines ?? [];
    for (const [index, text] of lines.entries()) script.lines.push({ at: at + (next.durationMs * (index + 1)) / (lines.length + 1), text });
  }
}

function finishStep(build: BuildRecord, script: ScriptState, step: ScriptedPhase, at: number, log: LogWriter): void {
  flushLines(script, Number.POSITIVE_INFINITY, log);
  const status = step.status ?? 'SUCCEEDED';
  const context =
    status === 'SUCCEEDED'
      ? undefined
      : { statusCode: status === 'FAILED' ? 'COMMAND_EXECUTION_ERROR' : status, message: step.message ?? `phase ${step.phase} ended ${status}` };
  endPhase(build, status, at, log, context);
  // CodeBuild skips the later buildspec phases after a failed INSTALL or PRE_BUILD (a failed BUILD still
  // runs POST_BUILD), and goes straight to FINALIZING when provisioning or the source download fails.
  if (status !== 'SUCCEEDED' && step.phase !== 'BUILD' && step.phase !== 'POST_BUILD') {
    const finalizing = script.pending.findIndex((pending) => pending.phase === 'FINALIZING');
    script.pending = finalizing === -1 ? [] : script.pending.slice(finalizing);
  }
}

function flushLines(script: ScriptState, now: number, log: LogWriter): void {
  for (let line = script.lines[0]; line !== undefined && line.at <= now; line = script.lines[0]) {
    script.lines.shift();
    log(line.text, line.at);
  }
}

/** Stops a build now: the phase in progress ends STOPPED, then FINALIZING and COMPLETED, as StopBuild does. */
export function stopBuild(build: BuildRecord, now: number, log: LogWriter): void {
  if (build.buildStatus !== 'IN_PROGRESS') return;
  build.script = undefined;
  build.abort?.abort();
  endPhase(build, 'STOPPED', now, log, { statusCode: 'BUILD_STOPPED', message: 'Build was stopped' });
  enterPhase(build, 'FINALIZING', now, log);
  endPhase(build, 'SUCCEEDED', now, log);
  enterPhase(build, 'COMPLETED', now, log);
  build.buildStatus = 'STOPPED';
}

/** Records a runner phase event on an executed build. */
export function recordRunnerPhase(
  build: BuildRecord,
  phase: { phaseType: BuildPhaseType; phaseStatus: PhaseStatus; startTime: number; endTime?: number; contexts: PhaseContext[] },
  log: LogWriter,
): void {
  if (phase.phaseStatus === 'IN_PROGRESS') {
    enterPhase(build, phase.phaseType, phase.startTime, log);
    return;
  }
  const current = build.phases.at(-1);
  if (current?.phaseType !== phase.phaseType) enterPhase(build, phase.phaseType, phase.startTime, log);
  endPhase(build, phase.phaseStatus, phase.endTime ?? phase.startTime, log, phase.contexts[0]);
}
