/**
 * What a prune run reports: the JSON report (the `report` output, and the CLI's stdout), the plan as log
 * lines, and the job summary. Pure.
 */

import type { CallStats } from '../aws/rate-limiter.js';
import type { ExecutionResult, FailedVersion, SkippedVersion } from './execute.js';
import type { CapacityProviderCount, Inventory, UnlistedFunction } from './inventory.js';
import type { KeptVersion, PrunePlan } from './plan.js';
import type { PruneSettings } from './settings.js';
import type { StopKind } from './stop.js';

/** Lambda's hard limit of function versions per capacity provider. */
export const VERSIONS_PER_CAPACITY_PROVIDER = 100;

export interface FunctionReport {
  function: string;
  shortName?: string;
  kept: KeptVersion[];
  /** Deleted versions; in a dry run, the versions that would be deleted. */
  deleted: string[];
  skipped: SkippedVersion[];
  /** Planned, never sent: the run stopped (time budget, cancellation, an error). Left for a later run. */
  notAttempted?: string[];
  /** Planned, and the call failed: out of the SDK's retries (left for a later run), or the error that stopped the run. */
  failed?: FailedVersion[];
  replanned?: boolean;
}

export interface CapacityProviderReport {
  name: string;
  arn: string;
  versionsBefore: number;
  /** After this run's deletions (in a dry run: after the planned ones). */
  versionsAfter: number;
  limit: number;
}

export interface PruneReport {
  dryRun: boolean;
  environment?: string;
  scope: { kind: PruneSettings['scope']['kind']; functions?: string[]; capacityProvider?: string };
  keep: number;
  rate: number;
  timeBudgetSeconds: number;
  functions: FunctionReport[];
  /** Functions in scope that do not exist. */
  missing: string[];
  /** Functions whose listing could not be completed (out of retries, or the run stopped): nothing of theirs was planned. */
  unlisted: { function: string; reason: string }[];
  totals: {
    functions: number;
    versions: number;
    kept: number;
    deleted: number;
    skipped: number;
    notAttempted: number;
    failed: number;
    /** Planned deletions left for a later run: not attempted plus failed. */
    left: number;
  };
  capacityProviders: CapacityProviderReport[];
  /** Every attempt the run sent; `lowestRate`: the rate (requests/s) the limiter slowed down to under throttling. */
  calls: { attempts: number; throttled: number; errors: number; lowestRate: number };
  durationMs: number;
  /** Set when the run stopped before finishing: why. */
  stopped?: string;
  /** What stopped it: the time budget, a cancelled workflow, or an error no retry fixes. */
  stoppedBy?: StopKind;
}

export function buildReport(input: {
  settings: PruneSettings;
  inventory: Inventory;
  plan: PrunePlan;
  execution?: ExecutionResult;
  stopped?: { reason: string; kind: StopKind };
  stats: CallStats & { lowestRate: number };
  durationMs: number;
}): PruneReport {
  const { settings, inventory, plan, execution, stats, stopped } = input;
  const outcomes = new Map(execution?.outcomes.map((outcome) => [outcome.functionName, outcome]));
  const functions: FunctionReport[] = plan.functions.map((fnPlan) => {
    const outcome = outcomes.get(fnPlan.functionName);
    const base = { function: fnPlan.functionName, ...(fnPlan.shortName === undefined ? {} : { shortName: fnPlan.shortName }), kept: fnPlan.kept };
    if (settings.dryRun || outcome === undefined) return { ...base, deleted: fnPlan.delete, skipped: [] };
    return {
      ...base,
      deleted: outcome.deleted,
      skipped: outcome.skipped,
      ...(outcome.notAttempted.length === 0 ? {} : { notAttempted: outcome.notAttempted }),
      ...(outcome.failed.length === 0 ? {} : { failed: outcome.failed }),
      ...(outcome.replanned ? { replanned: true } : {}),
    };
  });
  const sum = (pick: (fn: FunctionReport) => number) => functions.reduce((total, fn) => total + pick(fn), 0);
  const totals = {
    functions: functions.length,
    versions: sum((fn) => fn.kept.length + fn.deleted.length + fn.skipped.length + (fn.notAttempted?.length ?? 0) + (fn.failed?.length ?? 0)),
    kept: sum((fn) => fn.kept.length),
    deleted: sum((fn) => fn.deleted.length),
    skipped: sum((fn) => fn.skipped.length),
    notAttempted: sum((fn) => fn.notAttempted?.length ?? 0),
    failed: sum((fn) => fn.failed?.length ?? 0),
    left: sum((fn) => (fn.notAttempted?.length ?? 0) + (fn.failed?.length ?? 0)),
  };
  const { scope } = settings;
  return {
    dryRun: settings.dryRun,
    ...(settings.environment === undefined ? {} : { environment: settings.environment }),
    scope:
      scope.kind === 'capacity-provider'
        ? { kind: scope.kind, capacityProvider: scope.capacityProvider }
        : { kind: scope.kind, functions: scope.functions.map((fn) => fn.functionName) },
    keep: settings.keep,
    rate: settings.rate,
    timeBudgetSeconds: settings.timeBudgetSeconds,
    functions,
    missing: inventory.missing,
    unlisted: inventory.unlisted.map((fn) => ({ function: fn.functionName, reason: fn.reason })),
    totals,
    capacityProviders: inventory.capacityProviders.map((provider) => providerReport(provider, functions, inventory)),
    calls: { attempts: stats.attempts, throttled: stats.throttled, errors: stats.errors, lowestRate: round(stats.lowestRate) },
    durationMs: Math.round(input.durationMs),
    ...(stopped === undefined ? {} : { stopped: stopped.reason, stoppedBy: stopped.kind }),
  };
}

const round = (rate: number) => Math.round(rate * 100) / 100;

function providerReport(provider: CapacityProviderCount, functions: FunctionReport[], inventory: Inventory): CapacityProviderReport {
  let deleted = 0;
  for (const fn of functions) {
    const on = inventory.providerOf[fn.function] ?? {};
    deleted += fn.deleted.filter((version) => on[version] === provider.arn).length;
  }
  return {
    name: provider.name,
    arn: provider.arn,
    versionsBefore: provider.versions,
    versionsAfter: provider.versions - deleted,
    limit: VERSIONS_PER_CAPACITY_PROVIDER,
  };
}

/** `1, 2, 3, 5, 7, 8` → `1–3, 5, 7–8`: long deletion lists stay readable. */
export function versionRanges(versions: readonly string[]): string {
  const parts: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  const flush = () => {
    if (start === undefined || previous === undefined) return;
    parts.push(start === previous ? String(start) : previous === start + 1 ? `${start}, ${previous}` : `${start}–${previous}`);
  };
  for (const version of versions) {
    const number = /^\d+$/.test(version) ? Number(version) : undefined;
    if (number !== undefined && previous !== undefined && number === previous + 1) {
      previous = number;
      continue;
    }
    flush();
    start = previous = undefined;
    if (number === undefined) parts.push(version);
    else start = previous = number;
  }
  flush();
  return parts.join(', ');
}

function keptText(kept: readonly KeptVersion[]): string {
  return kept.map((k) => `${k.version} (${k.reasons.join(', ')})`).join('; ');
}

/** The plan as log lines: exactly what will be (or, in a dry run, would be) deleted, and why the rest stays. */
export function planLines(plan: PrunePlan, missing: readonly string[], unlisted: readonly UnlistedFunction[] = []): string[] {
  const lines = plan.functions.map((fn) => {
    const deletions = fn.delete.length === 0 ? 'delete nothing' : `delete ${fn.delete.length}: ${fn.delete.join(', ')}`;
    return `${fn.functionName}: ${deletions}; keep ${fn.kept.length}: ${keptText(fn.kept) || 'nothing'}`;
  });
  for (const name of missing) lines.push(`${name}: function not found; nothing to prune`);
  for (const fn of unlisted) lines.push(`${fn.functionName}: not listed (${fn.reason}); nothing deleted, left for a later run`);
  const total = plan.functions.reduce((n, fn) => n + fn.delete.length, 0);
  lines.push(
    `plan: delete ${total} version${total === 1 ? '' : 's'} of ${plan.functions.length} function${plan.functions.length === 1 ? '' : 's'}, keeping the newest ${plan.keep} and every protected version`,
  );
  return lines;
}

/** One line for the log and the summary's headline. */
export function headline(report: PruneReport): string {
  const { totals, calls } = report;
  const seconds = (report.durationMs / 1000).toFixed(1);
  const verb = report.dryRun ? `Would delete ${totals.deleted}` : `Deleted ${totals.deleted}`;
  const extra = [
    totals.notAttempted > 0 ? `, not attempted ${totals.notAttempted}` : '',
    totals.failed > 0 ? `, failed ${totals.failed}` : '',
    report.unlisted.length > 0 ? `, ${report.unlisted.length} function${report.unlisted.length === 1 ? '' : 's'} not listed` : '',
  ].join('');
  return `${verb}, kept ${totals.kept}, skipped ${totals.skipped}${extra} across ${totals.functions} function${totals.functions === 1 ? '' : 's'} in ${seconds} s (${calls.attempts} Lambda calls, ${calls.throttled} throttled).`;
}

const SUMMARY_MAX_CHARS = 60_000;

/** The job summary: headline, a row per function (kept and why, deleted, skipped), capacity providers. */
export function summaryMarkdown(report: PruneReport): string {
  const target = report.environment ?? (report.scope.capacityProvider !== undefined ? `capacity provider ${report.scope.capacityProvider}` : 'functions');
  const lines = [`### Version prune: ${target}${report.dryRun ? ' (dry run: nothing deleted)' : ''}`, '', headline(report)];
  if (report.stopped !== undefined) {
    const mark = report.stoppedBy === 'time-budget' ? ':hourglass: Stopped' : ':x: Stopped early';
    lines.push('', `${mark}: ${escapeCell(report.stopped)}; left for a later run: ${report.totals.left}. Deleting is idempotent: run it again to continue.`);
  } else if (report.totals.left + report.unlisted.length > 0) {
    lines.push('', `:warning: Left for a later run: ${report.totals.left} planned deletion(s) and ${report.unlisted.length} function(s) not listed.`);
  }
  lines.push('', `| Function | Kept (why) | ${report.dryRun ? 'Would delete' : 'Deleted'} | Skipped |`, '| --- | --- | --- | --- |');
  const rows = report.functions.map((fn) => {
    const skipped = [
      ...fn.skipped.map((s) => `${s.version}: ${s.reason}`),
      ...(fn.notAttempted ?? []).map((v) => `${v}: not attempted`),
      ...(fn.failed ?? []).map((f) => `${f.version}: failed: ${f.error}`),
    ];
    return `| \`${fn.function}\` | ${escapeCell(keptText(fn.kept)) || '–'} | ${versionRanges(fn.deleted) || '–'} | ${escapeCell(skipped.join('; ')) || '–'} |`;
  });
  for (const name of report.missing) rows.push(`| \`${name}\` | function not found | – | – |`);
  for (const fn of report.unlisted) rows.push(`| \`${fn.function}\` | not listed: ${escapeCell(fn.reason)} | – | – |`);
  let used = lines.join('\n').length;
  let shown = 0;
  for (const row of rows) {
    if (used + row.length + 200 > SUMMARY_MAX_CHARS) break;
    lines.push(row);
    used += row.length + 1;
    shown++;
  }
  if (shown < rows.length) lines.push('', `…and ${rows.length - shown} more functions: see the \`report\` output.`);
  if (report.capacityProviders.length > 0) {
    lines.push('', '| Capacity provider | Versions before | After | Limit |', '| --- | ---: | ---: | ---: |');
    for (const p of report.capacityProviders) lines.push(`| \`${p.name}\` | ${p.versionsBefore} | ${p.versionsAfter} | ${p.limit} |`);
  }
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
