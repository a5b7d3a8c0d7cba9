/**
 * Benchmark: a prune dry run over a large account, 1,000 functions × 100 versions (issue 20), measuring what
 * gantry costs and what the sandbox costs, each in a process of its own:
 * - the sandbox process (sandbox-process.ts) is seeded with the fleet, 100 versions on each capacity provider
 *   (so 1,000 of them), and counts its own CPU time (process.cpuUsage: its HTTP server, routing, validation and
 *   the model) from the moment the prune starts to the moment it ends;
 * - the gantry process (this file, run as a child) runs `runPrune` as `gantry prune` does, a dry run with the
 *   functions scope (every function of the fleet, keep 5), and reports its own CPU time around the run (the SDK
 *   client and gantry), its calls, its resident memory before the run and at the peak (getrusage's maxrss, which
 *   includes the modules loaded before the run and garbage not yet collected), and its heap after a full
 *   collection once the run is over, with the run's report still held (what the run keeps).
 * Both processes run on the same machine (2 cores), so neither waits for the other's CPU. The sandbox clock runs
 * ×100 and gantry is told 1,500 requests/s, so the run is bound by CPU, not by the quota; what the run would take
 * against Lambda is its calls at 15/s (the capacity-provider listings have their own 15/s, in parallel).
 *
 * The sandbox's share is its CPU over both; the target (issue 20) is that the sandbox costs less CPU than
 * gantry, so that a large run measures gantry, not the sandbox.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PruneSettings } from '../../src/prune/settings.js';
import { startSandboxProcess } from './sandbox-process.js';

export const SCALE_RUN = { functions: 1_000, versions: 100, clockSpeed: 100 } as const;

export interface PruneScaleFigures {
  functions: number;
  versions: number;
  capacityProviders: number;
  clockSpeed: number;
  /** Real milliseconds the sandbox process took to seed the fleet. */
  seedMs: number;
  /** What the dry run planned, and whether it listed every function. */
  planned: { functions: number; versions: number; deleted: number; unlisted: number; missing: number; failed: boolean };
  calls: number;
  /** Calls by operation, as the sandbox answered them. */
  byOperation: Record<string, number>;
  throttled: number;
  /** Real milliseconds of the run. */
  wallMs: number;
  gantryCpuMs: number;
  sandboxCpuMs: number;
  /** Resident set size of the gantry process, KiB: before the run, and the peak. */
  rssBeforeKiB: number;
  peakRssKiB: number;
  /** The gantry process's heap after a full collection once the run is over, its report still held, KiB. */
  heapAfterKiB: number;
}

interface GantryAnswer {
  functions: number;
  versions: number;
  deleted: number;
  unlisted: number;
  missing: number;
  failed: boolean;
  calls: number;
  throttled: number;
  wallMs: number;
  cpuMicros: number;
  rssBeforeKiB: number;
  peakRssKiB: number;
  heapAfterKiB: number;
}

const SELF = fileURLToPath(import.meta.url);

export async function benchPruneScale(run: { functions: number; versions: number; clockSpeed: number } = SCALE_RUN): Promise<PruneScaleFigures> {
  const sandbox = await startSandboxProcess({ clockSpeed: run.clockSpeed, functions: run.functions, versions: run.versions });
  try {
    const settings: PruneSettings = {
      region: 'eu-west-1',
      scope: { kind: 'functions', functions: sandbox.ready.functionNames.map((functionName) => ({ functionName })) },
      keep: 5,
      force: false,
      protect: [],
      shortNames: {},
      dryRun: true,
      rate: 15 * run.clockSpeed,
      timeBudgetSeconds: 3_600,
    };
    sandbox.cpuReset();
    const answer = await runGantryProcess(settings, sandbox.ready.env);
    const cpu = await sandbox.cpu();
    return {
      functions: run.functions,
      versions: run.versions,
      capacityProviders: sandbox.ready.capacityProviders,
      clockSpeed: run.clockSpeed,
      seedMs: sandbox.ready.seedMs,
      planned: {
        functions: answer.functions,
        versions: answer.versions,
        deleted: answer.deleted,
        unlisted: answer.unlisted,
        missing: answer.missing,
        failed: answer.failed,
      },
      calls: answer.calls,
      byOperation: cpu.calls,
      throttled: answer.throttled,
      wallMs: answer.wallMs,
      gantryCpuMs: answer.cpuMicros / 1000,
      sandboxCpuMs: cpu.cpuMicros / 1000,
      rssBeforeKiB: answer.rssBeforeKiB,
      peakRssKiB: answer.peakRssKiB,
      heapAfterKiB: answer.heapAfterKiB,
    };
  } finally {
    await sandbox.stop();
  }
}

function runGantryProcess(settings: PruneSettings, env: Record<string, string>): Promise<GantryAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SELF, JSON.stringify(settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    });
    let answer: GantryAnswer | undefined;
    child.on('message', (message: GantryAnswer) => {
      answer = message;
    });
    child.once('error', reject);
    child.once('exit', (code) => (answer === undefined ? reject(new Error(`the gantry process exited (${code}) without its figures`)) : resolve(answer)));
  });
}

/** The gantry process: one dry run, its own CPU time and memory. */
async function gantryMain(settings: PruneSettings): Promise<void> {
  const { runPrune } = await import('../../src/prune/run.js');
  const { MemoryLogger } = await import('../../src/logger.js');
  const rssBeforeKiB = Math.round(process.memoryUsage().rss / 1024);
  const [started, cpuStarted] = [performance.now(), process.cpuUsage()];
  let failed = false;
  let report: Awaited<ReturnType<typeof runPrune>> | undefined;
  try {
    report = await runPrune(settings, { logger: new MemoryLogger() });
  } catch (error) {
    failed = true;
    process.stderr.write(`prune-scale: the dry run failed: ${String(error)}\n`);
  }
  const cpu = process.cpuUsage(cpuStarted);
  const wallMs = performance.now() - started;
  const peakRssKiB = process.resourceUsage().maxRSS;
  // What the run keeps: its report (every function's kept and deleted versions) and the modules.
  (globalThis as { gc?: () => void }).gc?.();
  const heapAfterKiB = Math.round(process.memoryUsage().heapUsed / 1024);
  process.send?.({
    functions: report?.totals.functions ?? 0,
    versions: report?.totals.versions ?? 0,
    deleted: report?.totals.deleted ?? 0,
    unlisted: report?.unlisted.length ?? 0,
    missing: report?.missing.length ?? 0,
    failed: failed || report?.stopped !== undefined,
    calls: report?.calls.attempts ?? 0,
    throttled: report?.calls.throttled ?? 0,
    wallMs,
    cpuMicros: cpu.user + cpu.system,
    rssBeforeKiB,
    peakRssKiB,
    heapAfterKiB,
  } satisfies GantryAnswer);
  if (report === undefined) process.exitCode = 1;
  process.disconnect?.();
}

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

export function formatScaleFigures(f: PruneScaleFigures): string {
  const controlPlane = Object.entries(f.byOperation)
    .filter(([operation]) => operation !== 'ListFunctionVersionsByCapacityProvider')
    .reduce((sum, [, count]) => sum + count, 0);
  const providerReads = f.byOperation.ListFunctionVersionsByCapacityProvider ?? 0;
  const share = f.sandboxCpuMs / (f.sandboxCpuMs + f.gantryCpuMs);
  const ops = Object.entries(f.byOperation)
    .sort(([, a], [, b]) => b - a)
    .map(([operation, count]) => `${operation} ${count}`)
    .join(', ');
  return [
    `### version-prune at scale: a dry run over ${f.functions.toLocaleString('en')} functions × ${f.versions} versions (${f.capacityProviders} capacity providers of ${f.versions} versions)`,
    '',
    'Sandbox and gantry each in a process of its own, CPU time by process.cpuUsage in each; clock ×' +
      `${f.clockSpeed}, gantry told ${15 * f.clockSpeed} requests/s, so the run is bound by CPU, not by the quota.`,
    '',
    '| Seeding | Planned (functions / versions / to delete) | Listed in full | Calls (429s) | Real time | gantry CPU | per call | Sandbox CPU | per call | Sandbox share | gantry RSS before → peak | gantry heap kept after | At the quota |',
    '| ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${(f.seedMs / 1000).toFixed(1)} s | ${f.planned.functions} / ${f.planned.versions} / ${f.planned.deleted} | ${f.planned.unlisted === 0 && f.planned.missing === 0 && !f.planned.failed ? 'yes' : `**NO** (${f.planned.unlisted} unlisted, ${f.planned.missing} missing${f.planned.failed ? ', failed' : ''})`} | ` +
      `${f.calls} (${f.throttled}) | ${(f.wallMs / 1000).toFixed(1)} s | ${(f.gantryCpuMs / 1000).toFixed(1)} s | ${(f.gantryCpuMs / f.calls).toFixed(2)} ms | ` +
      `${(f.sandboxCpuMs / 1000).toFixed(1)} s | ${(f.sandboxCpuMs / f.calls).toFixed(2)} ms | **${(share * 100).toFixed(0)}%** | ${mib(f.rssBeforeKiB)} → ${mib(f.peakRssKiB)} | ${mib(f.heapAfterKiB)} | ` +
      `${(Math.max(controlPlane, providerReads) / 15 / 60).toFixed(1)} min |`,
    '',
    `Calls by operation: ${ops}. At the quota: the control-plane calls (${controlPlane}) and the capacity-provider listings (${providerReads}) ` +
      'each at 15/s, in parallel.',
  ].join('\n');
}

if (process.argv[1] === SELF) await gantryMain(JSON.parse(process.argv[2] ?? '{}') as PruneSettings);
