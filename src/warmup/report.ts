/**
 * The warmup report: its JSON shape (the action's `report` output and the CLI's stdout), the latency figures,
 * and the job summary (a table and a Mermaid chart of latency per function). Pure.
 */
import { lambdaNameOf } from '../aws/lambda-arn.js';
import { percentile } from '../stats.js';
import type { ScalingTarget } from './targets.js';

export interface VersionReport {
  version: string;
  /** Share of the alias's traffic (1 for an alias without weighted routing). */
  weight: number;
  state: string;
  stateReasonCode?: string;
  stateReason?: string;
  /** The version's scaling config as last read (undefined when it was never read). */
  scaling?: { requested?: ScalingTarget; applied?: ScalingTarget };
}

export interface LatencyFigures {
  p50: number;
  p95: number;
  max: number;
}

export interface InvocationFigures {
  /** How many smoke invocations were planned. */
  requested: number;
  succeeded: number;
  /** Invocations that returned a FunctionError or failed after the SDK's retries. */
  failed: number;
  /** Extra SDK attempts (throttled or failed calls retried). */
  retries: number;
  /** Executed version → invocations (two versions behind a weighted alias). */
  executedVersions: Record<string, number>;
}

export interface FunctionReport {
  function: string;
  /** The short name in the config, when the config declares the function. */
  name?: string;
  alias: string;
  /** The alias's primary version. */
  version?: string;
  versions: VersionReport[];
  /** The least ready state among the versions: Failed, then Pending, then Active. */
  state: string;
  ready: boolean;
  /** From when the warmup started waiting on this function until its versions were Active and scaled. */
  timeToReadyMs?: number;
  /** The scaling config applied to every version; undefined when none is configured (left as it was). */
  scaling?: ScalingTarget;
  /** True when every version's applied scaling config equals the configured one; undefined when none is configured. */
  scalingApplied?: boolean;
  invocations: InvocationFigures;
  latencyMs?: LatencyFigures;
  capacityProvider?: { arn: string; state: string };
  errors: string[];
}

export interface WarmupReport {
  environment: string;
  ready: boolean;
  totalMs: number;
  /** The worst p95 latency across functions, in ms; undefined when nothing was invoked. */
  p95Ms?: number;
  functions: FunctionReport[];
}

export function latencyFigures(latencies: readonly number[]): LatencyFigures | undefined {
  if (latencies.length === 0) return undefined;
  return { p50: round(percentile(latencies, 0.5)), p95: round(percentile(latencies, 0.95)), max: round(Math.max(...latencies)) };
}

export function assembleReport(environment: string, functions: FunctionReport[], totalMs: number): WarmupReport {
  const p95s = functions.flatMap((fn) => (fn.latencyMs === undefined ? [] : [fn.latencyMs.p95]));
  return {
    environment,
    ready: functions.length > 0 && functions.every((fn) => fn.ready),
    totalMs: round(totalMs),
    ...(p95s.length === 0 ? {} : { p95Ms: Math.max(...p95s) }),
    functions,
  };
}

/** `warmup failed for 1 of 2 functions: orders-dev-worker: version 4 is Failed: InsufficientCapacity: …` */
export function failureMessage(report: WarmupReport): string {
  const failed = report.functions.filter((fn) => !fn.ready);
  const details = failed.map((fn) => `${fn.function}: ${fn.errors.join('; ') || 'not ready'}`).join(' | ');
  return `warmup failed for ${failed.length} of ${report.functions.length} function${report.functions.length === 1 ? '' : 's'} in ${report.environment}: ${details}`;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

// ---- job summary ---------------------------------------------------------------------------------------------

const MAX_CELL = 300;

export function renderWarmupMarkdown(report: WarmupReport): string {
  const readyCount = report.functions.filter((fn) => fn.ready).length;
  const headline = report.ready
    ? `:white_check_mark: ${readyCount} of ${report.functions.length} functions ready, scaled and answering in ${seconds(report.totalMs)}.`
    : `:x: ${report.functions.length - readyCount} of ${report.functions.length} functions not ready (${seconds(report.totalMs)}).`;
  const rows = report.functions.map((fn) =>
    [
      `\`${fn.function}\``,
      routing(fn),
      fn.state,
      fn.timeToReadyMs === undefined ? '—' : seconds(fn.timeToReadyMs),
      scalingCell(fn),
      `${fn.invocations.succeeded}/${fn.invocations.requested}`,
      ms(fn.latencyMs?.p50),
      ms(fn.latencyMs?.p95),
      ms(fn.latencyMs?.max),
      fn.capacityProvider === undefined ? '—' : `${lambdaNameOf(fn.capacityProvider.arn)}: ${fn.capacityProvider.state}`,
      fn.errors.length === 0 ? '' : cell(fn.errors.join('; ')),
    ].join(' | '),
  );
  return [
    `### Capacity warmup: ${report.environment}`,
    '',
    headline,
    '',
    '| Function | Alias → versions | State | Ready after | Scaling (min–max) | Invocations | p50 | p95 | max | Capacity provider | Errors |',
    '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
    ...latencyChart(report),
  ].join('\n');
}

/** A Mermaid bar chart of p95 (bars) and p50 (line) latency per function that was invoked. */
export function latencyChart(report: WarmupReport): string[] {
  const measured = report.functions.flatMap((fn) =>
    fn.latencyMs === undefined ? [] : [{ label: JSON.stringify(fn.name ?? fn.function), latency: fn.latencyMs }],
  );
  if (measured.length === 0) return [];
  const top = Math.max(1, Math.ceil(Math.max(...measured.map(({ latency }) => latency.max)) * 1.1));
  return [
    '',
    '```mermaid',
    'xychart-beta',
    '  title "Smoke-invoke latency per function (ms): bars p95, line p50"',
    `  x-axis [${measured.map(({ label }) => label).join(', ')}]`,
    `  y-axis "ms" 0 --> ${top}`,
    `  bar [${measured.map(({ latency }) => latency.p95).join(', ')}]`,
    `  line [${measured.map(({ latency }) => latency.p50).join(', ')}]`,
    '```',
  ];
}

function routing(fn: FunctionReport): string {
  if (fn.versions.length === 0) return `${fn.alias} → ?`;
  const versions = fn.versions.map((v) => (fn.versions.length === 1 ? v.version : `${v.version} (${Math.round(v.weight * 100)}%)`));
  return `${fn.alias} → ${versions.join(', ')}`;
}

function scalingCell(fn: FunctionReport): string {
  if (fn.scaling === undefined) return 'not configured';
  const range = `${fn.scaling.minExecutionEnvironments}–${fn.scaling.maxExecutionEnvironments}`;
  return fn.scalingApplied === true ? `${range} applied` : `${range} not applied`;
}

function seconds(msValue: number): string {
  return `${(msValue / 1000).toFixed(1)} s`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '—' : `${Math.round(value)} ms`;
}

/** One table cell: no line breaks, no column separators, bounded length. */
function cell(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}
