/**
 * What a traffic shift reports: the JSON report (the CLI's stdout; the `steps` output is its per-function part),
 * the one-line failure, and the job summary: a table per function of the decision at each step, and a timeline
 * (the new version's share of the traffic and the errors seen, a Mermaid chart). Pure.
 */

/** complete: every alias on its new version; rolled-back: every alias gantry moved back on its stable version; stopped: one left as it was. */
export type ShiftOutcome = 'complete' | 'rolled-back' | 'stopped';

/**
 * complete: shifted by this run; already-complete: found on the new version; rolled-back: moved, then back on
 * stable; not-started: never moved (another function rolled back first); stopped: someone else changed the alias,
 * or its rollback failed: left as it was.
 */
export type FunctionOutcome = 'complete' | 'already-complete' | 'rolled-back' | 'not-started' | 'stopped';

export interface StepDecision {
  /** Since the run started. */
  atMs: number;
  /** The step written last (0 before the first). */
  step: number;
  /** The new version's share of the traffic when the decision was taken (after a shift: the share written). */
  percent: number;
  decision: 'unchanged' | 'resume' | 'shift' | 'pass' | 'complete' | 'roll back' | 'stop';
  detail: string;
}

export interface TimelinePoint {
  atMs: number;
  /** The new version's share of the traffic from here on. */
  percent: number;
  /** Errors seen here: failed smoke invocations, or guarding alarms in ALARM. */
  errors: number;
}

export interface FunctionShiftReport {
  function: string;
  name?: string;
  alias: string;
  /** The version the alias served before the shift; undefined when it already served the new one. */
  stable?: string;
  version: string;
  strategy: string;
  /** The shares of the steps, in percent. */
  steps: number[];
  stepReached: number;
  /** The new version's share now. */
  percent: number;
  outcome: FunctionOutcome;
  alarms: string[];
  smoke: { invocations: number; failed: number };
  decisions: StepDecision[];
  timeline: TimelinePoint[];
}

export interface ShiftReport {
  environment: string;
  outcome: ShiftOutcome;
  /** Why the shift rolled back or stopped. */
  reason?: string;
  totalMs: number;
  functions: FunctionShiftReport[];
}

/** The `steps` output: per function what the shift did, without the timeline. */
export function stepsOutput(report: ShiftReport): string {
  return JSON.stringify(report.functions.map(({ timeline: _timeline, ...fn }) => fn));
}

/**
 * `traffic shift rolled back in prod: alarm orders-prod-router-shift-errors is ALARM at step 1 of 2 of
 * orders-prod-router (10% on version 7): …; on the stable versions again: orders-prod-router 6`
 */
export function failureMessage(report: ShiftReport): string {
  const back = report.functions.filter((fn) => fn.outcome === 'rolled-back').map((fn) => `${fn.function} ${fn.stable}`);
  const left = report.functions.filter((fn) => fn.outcome === 'stopped').map((fn) => fn.function);
  const parts = [
    `traffic shift ${report.outcome === 'stopped' ? 'stopped' : 'rolled back'} in ${report.environment}: ${report.reason ?? 'no reason recorded'}`,
    ...(back.length === 0 ? [] : [`on the stable versions again: ${back.join(', ')}`]),
    ...(left.length === 0 ? [] : [`left as they are: ${left.join(', ')}`]),
  ];
  return parts.join('; ');
}

// ---- job summary ---------------------------------------------------------------------------------------------

const MAX_CELL = 300;
const MAX_POINTS = 40;

export function renderShiftMarkdown(report: ShiftReport): string {
  const moved = report.functions.filter((fn) => fn.outcome === 'complete').length;
  const headline =
    report.outcome === 'complete'
      ? `:white_check_mark: complete in ${duration(report.totalMs)}: ${report.functions.length} of ${report.functions.length} functions on their new version (${moved} shifted now).`
      : `:x: ${report.outcome === 'stopped' ? 'stopped' : 'rolled back'} after ${duration(report.totalMs)}: ${cell(report.reason ?? '')}`;
  const rows = report.functions.map((fn) =>
    [
      `\`${fn.function}\``,
      fn.alias,
      fn.stable === undefined ? fn.version : `${fn.stable} → ${fn.version}`,
      fn.strategy,
      `${fn.stepReached} of ${fn.steps.length}`,
      `${fn.percent}%`,
      fn.outcome,
      fn.smoke.invocations === 0 ? '—' : `${fn.smoke.invocations - fn.smoke.failed}/${fn.smoke.invocations}`,
    ].join(' | '),
  );
  const sections = report.functions.flatMap((fn) => (fn.decisions.length <= 1 && fn.outcome === 'already-complete' ? [] : functionSection(fn)));
  return [
    `### Traffic shift: ${report.environment}`,
    '',
    headline,
    '',
    '| Function | Alias | Versions | Strategy | Step reached | Traffic to new | Outcome | Smoke invocations |',
    '| --- | --- | --- | --- | ---: | ---: | --- | ---: |',
    ...rows.map((row) => `| ${row} |`),
    ...sections,
  ].join('\n');
}

function functionSection(fn: FunctionShiftReport): string[] {
  return [
    '',
    `#### ${fn.name ?? fn.function}: ${fn.stable ?? '?'} → ${fn.version}`,
    '',
    '| Time | Step | Traffic to new | Decision | Why |',
    '| ---: | ---: | ---: | --- | --- |',
    ...fn.decisions.map(
      (decision) => `| ${clock(decision.atMs)} | ${decision.step} | ${decision.percent}% | ${decision.decision} | ${cell(decision.detail)} |`,
    ),
    ...timelineChart(fn),
  ];
}

/** A Mermaid chart of the new version's share (line) and the errors seen (bars) over the run's time. */
export function timelineChart(fn: FunctionShiftReport): string[] {
  const points = sample(fn.timeline);
  if (points.length < 2) return [];
  return [
    '',
    '```mermaid',
    'xychart-beta',
    `  title ${JSON.stringify(`${fn.name ?? fn.function}: traffic to version ${fn.version} (line, %) and errors (bars: failed smoke invocations, alarms in ALARM)`)}`,
    `  x-axis "time (m:ss)" [${points.map((point) => JSON.stringify(clock(point.atMs))).join(', ')}]`,
    `  y-axis "% / errors" 0 --> ${Math.max(100, ...points.map((point) => point.errors))}`,
    `  bar [${points.map((point) => point.errors).join(', ')}]`,
    `  line [${points.map((point) => point.percent).join(', ')}]`,
    '```',
  ];
}

/** At most {@link MAX_POINTS}, the first and the last kept, the ones between evenly picked. */
function sample(points: TimelinePoint[]): TimelinePoint[] {
  if (points.length <= MAX_POINTS) return points;
  const stride = (points.length - 1) / (MAX_POINTS - 1);
  return Array.from({ length: MAX_POINTS }, (_, index) => points[Math.round(index * stride)] as TimelinePoint);
}

/** `m:ss` since the start. */
function clock(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function duration(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}

/** One table cell: no line breaks, no column separators, bounded length. */
function cell(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}
