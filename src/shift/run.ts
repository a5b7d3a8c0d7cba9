/**
 * The traffic shift's run: reads Lambda and CloudWatch through a {@link ShiftPort}, asks plan.ts what to do, and
 * does it. For every target function, in this order:
 *   1. reads the alias (the stable version and its RevisionId) and the newest published version (the new one),
 *      and where a previous run left the alias; reads the guarding alarms. Nothing is written until every
 *      function and alarm has passed: an unknown function, an alias routed by someone else, a missing alarm or
 *      one that watches another version, an alarm already in ALARM stop the run with nothing changed;
 *   2. at each step boundary smoke-invokes the new version (the warmup's invocations, by version number: a 10%
 *      canary behind the alias might never reach it), then writes the step's weight with the RevisionId it last
 *      saw, and holds the step: every poll interval it reads the alarms; an ALARM rolls back at once, an OK
 *      counts once the step's time and each alarm's window (period × evaluation periods) have passed;
 *   3. after the step to 100% and its bake, smoke-invokes once more: complete.
 * The functions of a run are one release: when one rolls back, every function this run moved goes back to its
 * stable version, at once and with its RevisionId. An alias someone else changed is left as it is (the run stops
 * and says what it routes now). A cancelled workflow rolls back the same way before the step ends.
 *
 * Time comes from a clock (the warmup's {@link WarmupClock}): a test or a benchmark passes the sandbox's.
 */
import type { Rollout } from '../config/rollout.js';
import { describeStrategy } from '../config/rollout.js';
import { describeError, InputError, OperationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MissingResource } from '../warmup/adapter.js';
import { limiter, PARALLEL_INVOCATIONS, REAL_CLOCK, smokeInvoke, type WarmupClock } from '../warmup/warmup.js';
import { AliasChanged, type ShiftPort } from './adapter.js';
import {
  type AlarmSnapshot,
  type AlarmStatus,
  type AliasRouting,
  alarmProblems,
  alarmsInAlarm,
  describeRouting,
  holdUntil,
  judge,
  missingAlarms,
  type ResumeMode,
  routingFor,
  type Start,
  type Step,
  startingPoint,
} from './plan.js';
import type { FunctionOutcome, FunctionShiftReport, ShiftOutcome, ShiftReport, StepDecision } from './report.js';

export interface ShiftTarget {
  functionName: string;
  /** The short name in the config. */
  configName: string;
  alias: string;
  rollout: Rollout;
  steps: Step[];
  /** The guarding alarms' names (none for a function deployed all at once). */
  alarms: string[];
  /** The smoke invocations between steps: the function's warmup settings. */
  smoke: { payload: string; invocations: number; concurrency: number };
}

export interface ShiftRun {
  environment: string;
  targets: ShiftTarget[];
  resume: ResumeMode;
  pollMs: number;
  /** How the targets were chosen, for the error when one does not exist: `input "functions"`. */
  selectedBy: string;
  /** Functions whose rollout is all-at-once: terraform moves their alias on apply; the shift leaves them alone. */
  allAtOnce: string[];
}

export interface ShiftDeps {
  port: ShiftPort;
  clock?: WarmupClock;
  logger: Logger;
  /** Aborted when the workflow is cancelled: the run rolls back, then reports. */
  signal?: AbortSignal;
}

type Phase = 'pending' | 'holding' | FunctionOutcome;

interface FunctionState {
  target: ShiftTarget;
  version: string;
  start: Start;
  stable?: string;
  /** The alias as gantry last read or wrote it: its RevisionId goes with the next write. */
  alias: AliasRouting;
  /** The next step to write (an index into the steps), or the step being held. */
  next: number;
  /** The step this run wrote last (an index into the steps), and when. */
  written?: number;
  writtenAt?: number;
  holdUntil?: number;
  /** The new version's share as the alias now routes it. */
  percent: number;
  /** gantry moved the alias off its stable version (this run, or a run it resumes): a rollback writes it back. */
  moved: boolean;
  phase: Phase;
  decisions: StepDecision[];
  timeline: FunctionShiftReport['timeline'];
  smoke: FunctionShiftReport['smoke'];
  /** Alarms in ALARM at the last read, for the timeline. */
  firing: number;
}

/** Why a run stopped shifting: the reason of the rollback (and of the failed step). */
interface Halt {
  reason: string;
}

export async function runShift(run: ShiftRun, deps: ShiftDeps): Promise<ShiftReport> {
  const clock = deps.clock ?? REAL_CLOCK;
  const { port, logger } = deps;
  const startedAt = clock.now();
  const since = () => Math.round(clock.now() - startedAt);

  // 1. Read only: the aliases, the new versions, where each run starts.
  const read = await Promise.all(run.targets.map((target) => prepare(target, run, port)));
  const missing = read.flatMap((entry) => ('missing' in entry ? [entry.missing] : []));
  if (missing.length > 0) throw new InputError(run.selectedBy, missing.join('; '));
  const refused = read.flatMap((entry) => ('refused' in entry ? [entry.refused] : []));
  if (refused.length > 0) throw new OperationError(`nothing was changed: ${refused.join('; ')}`);
  const states = read.map((entry) => (entry as { state: FunctionState }).state);

  const watching = states.filter((state) => state.start.kind !== 'done');
  const initial = await readAlarms(
    watching.flatMap((state) => state.target.alarms),
    port,
    clock,
  );
  const alarmIssues = watching.flatMap((state) =>
    alarmProblems(state.target.alarms, initial.alarms, state.version, state.start.kind !== 'shift' || state.start.resumedAt !== undefined).map(
      (problem) => `${state.target.functionName}: ${problem}`,
    ),
  );
  if (alarmIssues.length > 0) throw new OperationError(`nothing was changed: ${alarmIssues.join('; ')}`);

  for (const state of states) logStart(state, logger);
  const windows = new Map(initial.alarms.map((alarm) => [alarm.name, alarm]));
  const alarmsOf = (state: FunctionState): AlarmStatus[] => state.target.alarms.flatMap((name) => windows.get(name) ?? []);

  // A run that resumes a shift whose alarm fired meanwhile, or was told to roll back, rolls back before anything else.
  let halt: Halt | undefined;
  for (const state of states) {
    if (state.start.kind === 'roll-back') {
      halt ??= { reason: `resume is rollback: ${state.target.functionName} was left at ${state.start.percent}% on version ${state.version} by an earlier run` };
    } else if (state.start.kind === 'shift' && state.start.resumedAt !== undefined) {
      const [firing] = alarmsInAlarm(state.target.alarms, initial.alarms);
      if (firing !== undefined) {
        halt ??= {
          reason: `alarm ${firing.name} is ALARM while ${state.target.functionName} is at ${state.percent}% on version ${state.version}, where an earlier run left it: ${firing.reason}`,
        };
      }
    }
  }

  const smokeSlots = limiter(PARALLEL_INVOCATIONS);
  const active = states.filter((state) => state.phase === 'pending');

  /** A step boundary of one function: smoke-invoke the new version, then write the next step or complete. */
  const advance = async (state: FunctionState): Promise<Halt | undefined> => {
    const { target } = state;
    // The step at `next` was written and held: only the final one stays put when it passes.
    const finished = state.written === state.next;
    const step = target.steps[state.next];
    if (step === undefined) throw new Error(`no step ${state.next} for ${target.functionName}`);
    // After a final step with no bake there is nothing new to learn from another smoke invocation.
    if (!finished || step.holdMs > 0) {
      const smoke = await smokeInvoke(
        { functionName: target.functionName, alias: state.version, ...target.smoke },
        { port, clock, invocations: smokeSlots, ...(deps.signal === undefined ? {} : { signal: deps.signal }) },
      );
      state.smoke.invocations += smoke.figures.requested;
      state.smoke.failed += smoke.figures.failed;
      if (smoke.errors.length > 0) {
        state.timeline.push({ atMs: since(), percent: state.percent, errors: smoke.figures.failed + state.firing });
        const when = finished
          ? `at the end of the bake (${describeAt(state)})`
          : state.written === undefined
            ? `before ${describeStep(state, step)}`
            : `after ${describeAt(state)}`;
        return { reason: `smoke invocations of ${target.functionName} version ${state.version} failed ${when}: ${smoke.errors.join('; ')}` };
      }
      logger.info(`${target.functionName}: ${smoke.figures.succeeded}/${smoke.figures.requested} smoke invocations of version ${state.version} answered`);
    }
    if (finished) {
      state.phase = 'complete';
      decide(state, 'complete', `100% on version ${state.version}, no weights left`);
      logger.info(`${target.functionName}: ${target.alias} → ${state.version}, shift complete`);
      return undefined;
    }
    const routing = routingFor(requireStable(state), state.version, step.percent);
    try {
      state.alias = await port.updateAlias(target.functionName, target.alias, routing, state.alias.revisionId);
    } catch (error) {
      if (!(error instanceof AliasChanged)) throw error;
      return changedUnderneath(state, step);
    }
    state.moved = true;
    state.percent = step.percent;
    state.written = state.next;
    state.writtenAt = clock.now();
    state.holdUntil = holdUntil(step, state.writtenAt, alarmsOf(state));
    state.phase = 'holding';
    state.timeline.push({ atMs: since(), percent: step.percent, errors: state.firing });
    const held = state.holdUntil - state.writtenAt;
    // The alarms' window counts from their first whole period after the write (holdUntil): `held` may exceed it.
    const window = Math.max(0, ...alarmsOf(state).map((alarm) => alarm.windowMs));
    const longer =
      window > step.holdMs ? ` (the alarms' window: ${minutes(window)})` : held > step.holdMs ? " (to the end of the alarms' first whole period after it)" : '';
    decide(state, 'shift', `${step.percent}% to version ${state.version}; hold ${minutes(step.holdMs)}${longer}`);
    logger.info(`${target.functionName}: ${describeStep(state, step)}: ${target.alias} → ${describeRouting(routing)}; holding ${minutes(held)}`);
    return undefined;
  };

  const changedUnderneath = async (state: FunctionState, step: Step): Promise<Halt> => {
    state.phase = 'stopped';
    const now = await port.getAlias(state.target.functionName, state.target.alias).then(
      (alias) => `it now routes ${describeRouting(alias)}`,
      (error: unknown) => `reading it again failed: ${describeError(error)}`,
    );
    const where = state.written === undefined ? `before ${describeStep(state, step)}` : `at ${describeAt(state)}`;
    const reason = `${state.target.functionName}:${state.target.alias} was changed by someone else ${where} (its RevisionId is not the one gantry last saw); ${now}; gantry left it as it is`;
    decide(state, 'stop', reason);
    return { reason };
  };

  /** Boundaries of several functions at once; every one settles before the run goes on (or rolls back). */
  const advanceAll = async (batch: FunctionState[]): Promise<Halt | undefined> => {
    const results = await Promise.allSettled(batch.map(advance));
    for (const result of results) {
      if (result.status === 'rejected') return haltFor(result.reason, states, deps.signal);
    }
    return results.flatMap((result) => (result.status === 'fulfilled' && result.value !== undefined ? [result.value] : []))[0];
  };

  if (halt === undefined) {
    try {
      halt = await advanceAll(active);
      while (halt === undefined) {
        const holding = active.filter((state) => state.phase === 'holding');
        if (holding.length === 0) break;
        const now = clock.now();
        const wakeAt = Math.min(now + run.pollMs, ...holding.map((state) => state.holdUntil ?? now));
        await clock.sleep(Math.max(0, wakeAt - now), deps.signal);
        const snapshot = await readAlarms(
          holding.flatMap((state) => state.target.alarms),
          port,
          clock,
          deps.signal,
        );
        const passed: FunctionState[] = [];
        for (const state of holding) {
          const step = state.target.steps[state.next] as Step;
          const verdict = judge(step, state.writtenAt ?? snapshot.at, state.target.alarms, snapshot);
          const firing = alarmsInAlarm(state.target.alarms, snapshot.alarms).length;
          if (firing !== state.firing) {
            state.firing = firing;
            state.timeline.push({ atMs: since(), percent: state.percent, errors: firing });
          }
          if (verdict.kind === 'roll-back') {
            halt = { reason: `alarm ${verdict.alarm.name} is ALARM at ${describeAt(state)}: ${verdict.alarm.reason}` };
            break;
          }
          const [gone] = missingAlarms(state.target.alarms, snapshot.alarms);
          if (gone !== undefined) {
            halt = { reason: `alarm ${gone} no longer exists at ${describeAt(state)}: the shift cannot be watched` };
            break;
          }
          if (verdict.kind === 'hold') {
            state.holdUntil = verdict.until;
            continue;
          }
          const quiet = verdict.noData.length === 0 ? '' : `; no data yet from ${verdict.noData.join(', ')}`;
          const alarms = state.target.alarms.length === 0 ? 'no alarms guard it' : 'alarms OK';
          decide(state, 'pass', `held ${minutes(snapshot.at - (state.writtenAt ?? snapshot.at))}: ${alarms}${quiet}`);
          if (!step.final) state.next++;
          passed.push(state);
        }
        if (halt !== undefined) break;
        halt = await advanceAll(passed);
      }
    } catch (error) {
      halt = haltFor(error, states, deps.signal);
    }
  }

  if (halt !== undefined) await rollBack(states, halt, { port, logger, decide, since });
  const outcome: ShiftOutcome = halt === undefined ? 'complete' : states.some((state) => state.phase === 'stopped') ? 'stopped' : 'rolled-back';
  return {
    environment: run.environment,
    outcome,
    ...(halt === undefined ? {} : { reason: halt.reason }),
    totalMs: since(),
    functions: states.map(functionReport),
  };

  function decide(state: FunctionState, decision: StepDecision['decision'], detail: string): void {
    state.decisions.push({ atMs: since(), step: stepReached(state), percent: state.percent, decision, detail });
  }
}

// ---- step 1 ---------------------------------------------------------------------------------------------------

type Prepared = { state: FunctionState } | { missing: string } | { refused: string };

async function prepare(target: ShiftTarget, run: ShiftRun, port: ShiftPort): Promise<Prepared> {
  const where = `${target.functionName}:${target.alias}`;
  let alias: AliasRouting;
  let version: string | undefined;
  try {
    [alias, version] = await Promise.all([port.getAlias(target.functionName, target.alias), port.latestVersion(target.functionName)]);
  } catch (error) {
    if (error instanceof MissingResource) return { missing: `${where}: ${error.message}` };
    throw error;
  }
  if (version === undefined) return { refused: `${target.functionName} has no published version: apply the environment's stack first` };
  const start = startingPoint(alias, version, target.steps, run.resume);
  if (start.kind === 'refuse') return { refused: `${where} ${start.problem}` };
  const stable = start.kind === 'shift' || start.kind === 'roll-back' ? start.stable : undefined;
  const percent = start.kind === 'done' ? 100 : start.kind === 'roll-back' ? start.percent : (start.resumedAt ?? 0);
  return {
    state: {
      target,
      version,
      start,
      ...(stable === undefined ? {} : { stable }),
      alias,
      next: start.kind === 'shift' ? start.from : 0,
      percent,
      moved: start.kind === 'roll-back' || (start.kind === 'shift' && start.resumedAt !== undefined),
      phase: start.kind === 'done' ? 'already-complete' : 'pending',
      decisions: [],
      timeline: [{ atMs: 0, percent, errors: 0 }],
      smoke: { invocations: 0, failed: 0 },
      firing: 0,
    },
  };
}

async function readAlarms(names: string[], port: ShiftPort, clock: WarmupClock, signal?: AbortSignal): Promise<AlarmSnapshot> {
  const at = clock.now();
  if (names.length === 0) return { at, alarms: [] };
  return { at, alarms: await port.describeAlarms([...new Set(names)], signal) };
}

function logStart(state: FunctionState, logger: Logger): void {
  const { target, start } = state;
  const name = target.functionName;
  if (start.kind === 'done') {
    logger.info(`${name}: ${target.alias} already routes everything to version ${state.version}; nothing to shift`);
    state.decisions.push({ atMs: 0, step: 0, percent: 100, decision: 'unchanged', detail: `already on version ${state.version}` });
    return;
  }
  const steps = target.steps.map((step) => `${step.percent}%`).join(' → ');
  const resumed = start.kind === 'shift' && start.resumedAt !== undefined ? `, resuming at ${start.resumedAt}% (left by an earlier run)` : '';
  logger.info(
    `${name}: ${target.alias} from version ${state.stable} to ${state.version}, ${describeStrategy(target.rollout.strategy)} (${steps})${resumed}; guarded by ${target.alarms.length === 0 ? 'no alarms' : target.alarms.join(', ')}`,
  );
  if (start.kind === 'shift' && start.resumedAt !== undefined) {
    state.decisions.push({
      atMs: 0,
      step: 0,
      percent: start.resumedAt,
      decision: 'resume',
      detail: `found at ${start.resumedAt}% on version ${state.version}`,
    });
  }
}

// ---- rollback -------------------------------------------------------------------------------------------------

function haltFor(error: unknown, states: FunctionState[], signal: AbortSignal | undefined): Halt {
  const where = states
    .filter((state) => state.phase === 'holding' || state.phase === 'pending' || state.phase === 'complete')
    .map(describeAt)
    .join(', ');
  const cause = signal?.aborted === true ? describeError(signal.reason) : describeError(error);
  return { reason: where === '' ? cause : `${cause} at ${where}` };
}

/**
 * Every function this run (or the run it resumed) moved goes back to its stable version, each with the RevisionId
 * gantry last saw, all at once and without the cancellation signal: a write already sent is never abandoned. An
 * alias someone else changed is left as it is.
 */
async function rollBack(
  states: FunctionState[],
  halt: Halt,
  {
    port,
    logger,
    decide,
    since,
  }: {
    port: ShiftPort;
    logger: Logger;
    decide: (state: FunctionState, decision: StepDecision['decision'], detail: string) => void;
    since: () => number;
  },
): Promise<void> {
  await Promise.all(
    states.map(async (state) => {
      if (state.phase === 'stopped' || state.phase === 'already-complete') return;
      if (!state.moved) {
        state.phase = 'not-started';
        return;
      }
      const stable = requireStable(state);
      try {
        state.alias = await port.updateAlias(state.target.functionName, state.target.alias, { primary: stable, weights: {} }, state.alias.revisionId);
        state.phase = 'rolled-back';
        const from = state.percent;
        state.percent = 0;
        state.timeline.push({ atMs: since(), percent: 0, errors: state.firing });
        decide(state, 'roll back', `from ${from}% back to version ${stable}: ${halt.reason}`);
        logger.warning(`${state.target.functionName}: ${state.target.alias} rolled back to version ${stable} (was ${from}% on ${state.version})`);
      } catch (error) {
        state.phase = 'stopped';
        const why =
          error instanceof AliasChanged
            ? 'not rolled back: someone else changed the alias (its RevisionId moved); gantry left it as it is'
            : `rollback failed: ${describeError(error)}`;
        halt.reason = `${halt.reason}; ${state.target.functionName}: ${why}`;
        decide(state, 'stop', why);
        logger.error(`${state.target.functionName}: ${why}`);
      }
    }),
  );
}

// ---- helpers --------------------------------------------------------------------------------------------------

function requireStable(state: FunctionState): string {
  if (state.stable === undefined) throw new Error(`${state.target.functionName} has no stable version to route to`);
  return state.stable;
}

/** `step 1 of 2 of orders-prod-router (10% on version 7)`: the step written last, or the one about to be. */
function describeAt(state: FunctionState): string {
  const written = state.written === undefined ? undefined : state.target.steps[state.written];
  const where = written === undefined ? `before ${describeStep(state, state.target.steps[state.next])}` : describeStep(state, written);
  return `${where} of ${state.target.functionName} (${state.percent}% on version ${state.version})`;
}

/** The number of the step written last; 0 before the first. */
function stepReached(state: FunctionState): number {
  return state.written === undefined ? 0 : (state.target.steps[state.written]?.number ?? 0);
}

function describeStep(state: FunctionState, step: Step | undefined): string {
  return `step ${step?.number ?? 0} of ${state.target.steps.length}`;
}

function minutes(ms: number): string {
  const value = ms / 60_000;
  if (value >= 1) return `${Math.round(value * 10) / 10} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

function functionReport(state: FunctionState): FunctionShiftReport {
  const { target } = state;
  const reached = stepReached(state);
  const outcome: FunctionOutcome = state.phase === 'pending' || state.phase === 'holding' ? 'not-started' : state.phase;
  return {
    function: target.functionName,
    name: target.configName,
    alias: target.alias,
    ...(state.stable === undefined ? {} : { stable: state.stable }),
    version: state.version,
    strategy: describeStrategy(target.rollout.strategy),
    steps: target.steps.map((step) => step.percent),
    stepReached: reached,
    percent: state.percent,
    outcome,
    alarms: target.alarms,
    smoke: state.smoke,
    decisions: state.decisions,
    timeline: state.timeline,
  };
}
