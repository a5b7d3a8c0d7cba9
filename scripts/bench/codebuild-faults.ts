/**
 * Benchmark: what a CodeBuild step does when things go wrong (issue 15, section 3). gantry's committed
 * codebuild-run bundle and, side by side, the official aws-actions/aws-codebuild-run-build bundle, each run as
 * GitHub's runner runs it (`node dist/index.js`, inputs as INPUT_* variables, a GITHUB_OUTPUT file) against a
 * sandbox of its own, under one fault at a time:
 * (a) a 60 s throttling storm on BatchGetBuilds, GetLogEvents and StartLiveTail, from the moment StartBuild
 *     has answered (the build runs inside it);
 * (b) log names that appear only once the stream exists (as every sandbox build does), the log read at once;
 * (c) the workflow cancelled while StartBuild is in flight (held 3 s by a latency fault);
 * (d) cancelled while following, and StopBuild failing (500);
 * (e) a project that does not exist;
 * (f) no AWS credentials.
 * A cancel is sent as the runner sends it: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that. For each run:
 * the exit, whether the build was left running, the `status` output, the log (each line of the build once,
 * in order), and the first error line.
 *
 * The runs are other processes, so the sandbox clock runs at ×1 (a fast clock cannot drive them). The
 * official action runs with its defaults (update-interval 30 s, update-back-off 15 s; stop-on-signals SIGINT,
 * its action.yml default that the runner fills in). A run still going after RUN_CAP_MS is ended by the
 * benchmark (SIGKILL) and shown as such.
 *
 * The official bundle is third-party code the project does not copy: its path comes from
 * GANTRY_BENCH_OFFICIAL_BUNDLE (default: /work/shared/anchors/aws-codebuild-run-build.js when that exists) and
 * it must be the recorded build (cold-start.ts, OFFICIAL_BUNDLE); otherwise its column says why it did not run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { cleanEnv, collect, inputVariables, parseOutputFile, REPO_ROOT, startAction } from '../local-runner.js';
import type { BuildScript, ScriptedPhase } from '../sandbox/codebuild/build.js';
import { type GantrySandbox, startSandbox } from '../sandbox/sandbox.js';
import { seedCodeBuildFromConfig } from '../sandbox/seed-config.js';
import { OFFICIAL_BUNDLE, officialBundle } from './cold-start.js';

export type Actor = 'gantry' | 'official';

export interface FaultOutcome {
  /** `0`, `1`, or the signal that ended the process (and who sent it). */
  exit: string;
  /** Spawn to exit, real time. */
  wallMs: number;
  /** Whether a build was still IN_PROGRESS once the step had ended. */
  leftRunning: string;
  /** The step's `status` output. */
  status: string;
  /** The build's own lines in the step's output: each once, in order? Empty where the fault has no log. */
  log: string;
  /** The first `::error::` line (else the first error on stderr, else the first warning), cut to ~100 characters. */
  firstError: string;
  /** API calls the step sent, and how many of them the fault throttled. */
  calls: number;
  throttled: number;
}

export interface FaultRow {
  fault: string;
  gantry: FaultOutcome;
  official: FaultOutcome | undefined;
}

export interface FaultFigures {
  rows: FaultRow[];
  /** Why the official action did not run, when it did not. */
  officialSkipped: string | undefined;
  wallMs: number;
}

export const CONFIG = join(REPO_ROOT, '.github', 'gantry.yml');
export const PROJECT = 'orders-dev-plan';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const STORM_MS = 60_000;
const START_HOLD_MS = 3_000;
/** The runner's cancel: SIGINT, then SIGTERM after 7.5 s, then SIGKILL after 2.5 s more. */
const RUNNER_TERM_AFTER_MS = 7_500;
const RUNNER_KILL_AFTER_MS = 10_000;
/** A run still going after this is ended by the benchmark (SIGKILL). */
export const RUN_CAP_MS = 100_000;

export const PLAN_EXPORTS = {
  GANTRY_PLAN_SHA256: 'ab'.repeat(32),
  GANTRY_PLAN_ADD: '1',
  GANTRY_PLAN_CHANGE: '0',
  GANTRY_PLAN_DESTROY: '0',
  GANTRY_PLAN_REPLACE: '0',
  GANTRY_PLAN_RESOURCES: JSON.stringify([['create', 'terraform_data.a']]),
};

const numbered = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}`);

/** A 17-second plan build with 22 lines of its own. */
function shortBuild(): BuildScript {
  const phases: ScriptedPhase[] = [
    { phase: 'SUBMITTED', durationMs: 0 },
    { phase: 'QUEUED', durationMs: 1_000 },
    { phase: 'PROVISIONING', durationMs: 3_000 },
    { phase: 'DOWNLOAD_SOURCE', durationMs: 1_000 },
    { phase: 'INSTALL', durationMs: 2_000, lines: numbered('bench install', 5) },
    { phase: 'PRE_BUILD', durationMs: 1_000 },
    { phase: 'BUILD', durationMs: 6_000, lines: numbered('bench plan', 15) },
    { phase: 'POST_BUILD', durationMs: 1_000, lines: numbered('bench upload', 2) },
    { phase: 'UPLOAD_ARTIFACTS', durationMs: 1_000 },
    { phase: 'FINALIZING', durationMs: 1_000 },
  ];
  return { phases, exportedVariables: PLAN_EXPORTS };
}

/** A build that stays in BUILD for an hour: only a stop ends it within the benchmark. */
function longBuild(): BuildScript {
  const phases: ScriptedPhase[] = [
    { phase: 'SUBMITTED', durationMs: 0 },
    { phase: 'QUEUED', durationMs: 500 },
    { phase: 'PROVISIONING', durationMs: 1_000 },
    { phase: 'DOWNLOAD_SOURCE', durationMs: 500 },
    { phase: 'INSTALL', durationMs: 500 },
    { phase: 'BUILD', durationMs: 3_600_000, lines: ['bench still building'] },
    { phase: 'POST_BUILD', durationMs: 500 },
    { phase: 'UPLOAD_ARTIFACTS', durationMs: 200 },
    { phase: 'FINALIZING', durationMs: 200 },
  ];
  return { phases };
}

const scriptLines = (script: BuildScript) => script.phases.flatMap((phase) => phase.lines ?? []);

interface Scenario {
  fault: string;
  /** Creates the config's CodeBuild projects (default true). */
  seed?: boolean;
  script?: BuildScript;
  /** Check the build's lines in the output. */
  checkLog?: boolean;
  env?: Record<string, string | undefined>;
  /** Set up the sandbox before the action starts. */
  prepare?: (sandbox: GantrySandbox) => void;
  /** Act on the running action (e.g. cancel it). */
  during?: (sandbox: GantrySandbox, child: ChildProcess, cancel: (child: ChildProcess) => void) => Promise<void>;
}

/** Calls `then` just after the sandbox has answered StartBuild. */
function afterStartBuild(sandbox: GantrySandbox, then: () => void): void {
  const service = sandbox.services.codebuild;
  const answer = service.handle.bind(service);
  service.handle = async (operation, request) => {
    const response = await answer(operation, request);
    if (operation === 'StartBuild') then();
    return response;
  };
}

/** Resolves once `condition()` holds (checked every 5 ms), or false after `giveUpMs`. */
async function until(condition: () => boolean, giveUpMs = 30_000): Promise<boolean> {
  const giveUpAt = performance.now() + giveUpMs;
  while (!condition()) {
    if (performance.now() > giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

const startBuildArrived = (sandbox: GantrySandbox) => sandbox.server.requests.some((request) => request.operation === 'StartBuild');
const startBuildAnswered = (sandbox: GantrySandbox) => sandbox.server.requests.some((request) => request.operation === 'StartBuild' && request.status !== 0);

function scenarios(): Scenario[] {
  const noCredentials = join(tmpdir(), 'gantry-bench-no-aws', 'absent');
  return [
    {
      fault: `(a) ${STORM_MS / 1000} s throttling storm on BatchGetBuilds, GetLogEvents, StartLiveTail, from StartBuild's answer (a 17 s build)`,
      script: shortBuild(),
      checkLog: true,
      prepare: (sandbox) =>
        afterStartBuild(sandbox, () => {
          const removes = ['codebuild:BatchGetBuilds', 'logs:GetLogEvents', 'logs:StartLiveTail'].map((call) => {
            const [service = '', operation = ''] = call.split(':');
            return sandbox.faults.add({ service, operation, kind: 'throttle' });
          });
          setTimeout(() => {
            for (const remove of removes) remove();
          }, sandbox.clock.toReal(STORM_MS)).unref();
        }),
    },
    {
      fault: '(b) log names only once the stream exists (a 17 s build, the log read at once)',
      script: shortBuild(),
      checkLog: true,
    },
    {
      fault: `(c) cancel (SIGINT) while StartBuild is in flight (held ${START_HOLD_MS / 1000} s)`,
      script: longBuild(),
      prepare: (sandbox) => {
        sandbox.faults.add({ service: 'codebuild', operation: 'StartBuild', kind: 'latency', latencyMs: START_HOLD_MS, times: 1 });
      },
      during: async (sandbox, child, cancel) => {
        if (await until(() => startBuildArrived(sandbox))) cancel(child);
      },
    },
    {
      fault: '(d) cancel (SIGINT) while following; StopBuild fails (500)',
      script: longBuild(),
      prepare: (sandbox) => {
        sandbox.faults.add({ service: 'codebuild', operation: 'StopBuild', kind: 'server-error' });
      },
      during: async (sandbox, child, cancel) => {
        if (!(await until(() => startBuildAnswered(sandbox)))) return;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        cancel(child);
      },
    },
    { fault: '(e) the project does not exist', seed: false },
    {
      fault: '(f) no AWS credentials',
      env: {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SHARED_CREDENTIALS_FILE: join(noCredentials, 'credentials'),
        AWS_CONFIG_FILE: join(noCredentials, 'config'),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    },
  ];
}

export interface Spawned {
  child: ChildProcess;
  result: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; outputs: Record<string, string> }>;
}

/** The official bundle, started as the runner starts an action (the minimal part of scripts/local-runner.ts it needs). */
export async function startOfficial(bundle: string, inputs: Record<string, string>, env: Record<string, string | undefined>): Promise<Spawned> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-official-'));
  const outputFile = join(dir, 'output');
  await writeFile(outputFile, '');
  const child = spawn(process.execPath, [bundle], {
    cwd: dir,
    env: cleanEnv({ GITHUB_OUTPUT: outputFile, ...inputVariables(inputs), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result = (async () => {
    try {
      const processResult = await collect(child);
      return { ...processResult, outputs: parseOutputFile(await readFile(outputFile, 'utf8')) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return { child, result };
}

/** What the runner gives a plan step of a push to main, pointed at this sandbox (both actions get the same). */
export function runnerEnv(sandbox: GantrySandbox): Record<string, string | undefined> {
  return {
    ...sandbox.env,
    GITHUB_REPOSITORY: 'acme/orders',
    GITHUB_SHA: SHA,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_RUN_ID: '4001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'plan-dev',
  };
}

async function runOne(scenario: Scenario, actor: Actor, officialPath: string | undefined): Promise<FaultOutcome> {
  const sandbox = await startSandbox();
  try {
    if (scenario.seed !== false) seedCodeBuildFromConfig(sandbox.services.codebuild, parseConfig(readFileSync(CONFIG, 'utf8'), CONFIG));
    if (scenario.script !== undefined && scenario.seed !== false) sandbox.services.codebuild.scriptNextBuild(PROJECT, scenario.script);
    scenario.prepare?.(sandbox);
    const env = { ...runnerEnv(sandbox), ...scenario.env };
    const began = performance.now();
    const spawned: Spawned =
      actor === 'gantry'
        ? await startAction('codebuild-run', { environment: 'dev', mode: 'plan', config: CONFIG, comment: 'false' }, env)
        : await startOfficial(officialPath ?? '', { 'project-name': PROJECT, 'stop-on-signals': 'SIGINT' }, env);
    const sent: string[] = [];
    const timers: NodeJS.Timeout[] = [];
    const signal = (child: ChildProcess, name: NodeJS.Signals, who: string) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      sent.push(`${name} ${who}`);
      child.kill(name);
    };
    const cancel = (child: ChildProcess) => {
      signal(child, 'SIGINT', '(cancel)');
      timers.push(setTimeout(() => signal(child, 'SIGTERM', `(the runner, ${RUNNER_TERM_AFTER_MS / 1000} s after SIGINT)`), RUNNER_TERM_AFTER_MS));
      timers.push(setTimeout(() => signal(child, 'SIGKILL', `(the runner, ${RUNNER_KILL_AFTER_MS / 1000} s after SIGINT)`), RUNNER_KILL_AFTER_MS));
    };
    let capped = false;
    timers.push(
      setTimeout(() => {
        capped = spawned.child.exitCode === null && spawned.child.signalCode === null;
        signal(spawned.child, 'SIGKILL', `(the benchmark: still running after ${RUN_CAP_MS / 1000} s)`);
      }, RUN_CAP_MS),
    );
    await scenario.during?.(sandbox, spawned.child, cancel);
    const result = await spawned.result;
    const wallMs = performance.now() - began;
    for (const timer of timers) clearTimeout(timer);
    // A request the client gave up on is still carried out (a held StartBuild starts its build): wait for it.
    await until(() => sandbox.server.requests.every((request) => request.status !== 0 || request.operation === 'StartLiveTail'), 10_000);
    const output = `${result.stdout}\n${result.stderr}`;
    let exit = result.code !== null ? String(result.code) : (sent.find((entry) => entry.split(' ')[0] === result.signal) ?? `${result.signal ?? '?'}`);
    if (capped) {
      // Still polling: when its polls came (the SDK's own retries of one poll grouped), from StartBuild on.
      const from = sandbox.server.calls('codebuild', 'StartBuild')[0]?.at ?? 0;
      const times = sandbox.server.calls('codebuild', 'BatchGetBuilds').map((request) => (request.at - from) / 1000);
      const rounds = times.filter((time, index) => index === 0 || time - (times[index - 1] ?? 0) > 5).map((time) => time.toFixed(0));
      exit += `; its polls at ${rounds.join(', ')} s`;
    }
    return {
      exit,
      wallMs,
      leftRunning: buildsLeft(sandbox),
      status: actor === 'official' ? 'n/a (no such output)' : (result.outputs.status ?? '(not set)'),
      log: scenario.checkLog === true && scenario.script !== undefined ? logCheck(result.stdout, scriptLines(scenario.script)) : '',
      firstError: firstError(output),
      calls: sandbox.server.requests.length,
      throttled: sandbox.server.requests.filter((request) => request.fault === 'throttle' || request.throttled).length,
    };
  } finally {
    await sandbox.stop();
  }
}

function buildsLeft(sandbox: GantrySandbox): string {
  const builds = [...sandbox.services.codebuild.builds.keys()].map((id) => sandbox.services.codebuild.build(id));
  if (builds.length === 0) return 'no (no build started)';
  const running = builds.filter((build) => build.buildStatus === 'IN_PROGRESS');
  if (running.length > 0) return `**YES** (${running.length === 1 ? 'IN_PROGRESS' : `${running.length} builds IN_PROGRESS`})`;
  return `no (${[...new Set(builds.map((build) => build.buildStatus))].join(', ')})`;
}

/** Each of the build's own lines in the step's output: once, in order. */
export function logCheck(stdout: string, lines: string[]): string {
  const printed = stdout.split('\n').map((line) => line.trimEnd());
  const wanted = new Set(lines);
  const seen = printed.filter((line) => wanted.has(line));
  if (seen.length === lines.length && seen.every((line, index) => line === lines[index])) return `all ${lines.length}, once, in order`;
  const distinct = new Set(seen).size;
  const repeated = seen.length - distinct;
  const ordered = seen.every((line, index) => index === 0 || lines.indexOf(line) >= lines.indexOf(seen[index - 1] ?? ''));
  return `**${distinct} of ${lines.length}**${repeated > 0 ? `, ${repeated} repeated` : ''}${ordered ? '' : ', out of order'}`;
}

/** A workflow command's data as the runner reads it. */
const unescapeData = (data: string) => data.replace(/%0D/g, '').replace(/%0A/g, ' ').replace(/%25/g, '%');

export function firstError(output: string): string {
  const lines = output.split('\n');
  const command = (name: string) => lines.find((line) => line.startsWith(`::${name}`))?.replace(/^::\w+[^:]*::/, '');
  const error = command('error');
  if (error !== undefined) return cut(unescapeData(error));
  const thrown = lines.find((line) => /^(\w*Error|Error)\b/.test(line) && !/Warning/.test(line));
  if (thrown !== undefined) return cut(thrown);
  const warning = command('warning');
  return warning === undefined ? '—' : `— (warning: ${cut(unescapeData(warning), 80)})`;
}

/** Cut to `max` characters, build ids' UUIDs shortened first (they would take a third of it). */
function cut(text: string, max = 100): string {
  const short = text.replace(/([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '$1…');
  return short.length > max ? `${short.slice(0, max - 1)}…` : short;
}

/** Runs every scenario for both actions, the storms first and the rest two at a time beside them. */
export async function benchCodeBuildFaults(env: NodeJS.ProcessEnv = process.env): Promise<FaultFigures> {
  const official = officialBundle(env);
  const path = 'path' in official ? official.path : undefined;
  const began = performance.now();
  const all = scenarios();
  const runRow = async (scenario: Scenario): Promise<FaultRow> => {
    const [gantry, officialOutcome] = await Promise.all([
      runOne(scenario, 'gantry', undefined),
      path === undefined ? Promise.resolve(undefined) : runOne(scenario, 'official', path),
    ]);
    return { fault: scenario.fault, gantry, official: officialOutcome };
  };
  const [storm, ...rest] = all;
  const stormRow = storm === undefined ? Promise.resolve(undefined) : runRow(storm);
  const restRows: FaultRow[] = [];
  for (const scenario of rest) restRows.push(await runRow(scenario));
  const first = await stormRow;
  return {
    rows: [...(first === undefined ? [] : [first]), ...restRows],
    officialSkipped: 'skipped' in official ? official.skipped : undefined,
    wallMs: performance.now() - began,
  };
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function formatFaultFigures(figures: FaultFigures): string {
  const rows = figures.rows.flatMap((row) => [
    ...[['gantry codebuild-run', row.gantry] as const, ...(row.official === undefined ? [] : [[OFFICIAL_BUNDLE.repository, row.official] as const])].map(
      ([actor, f]) =>
        `| ${cell(row.fault)} | ${actor} | ${cell(f.exit)} | ${(f.wallMs / 1000).toFixed(1)} s | ${f.leftRunning} | ${cell(f.status)} | ${f.log} | ${f.calls}${f.throttled > 0 ? ` (${f.throttled} throttled)` : ''} | ${cell(f.firstError)} |`,
    ),
  ]);
  return [
    `### codebuild-run under faults, beside the official action (bundles as the runner runs them, sandbox at ×1; ${(figures.wallMs / 1000).toFixed(0)} s real)`,
    '',
    'A cancel is what the runner sends: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that. The official action runs with its defaults ' +
      `(update-interval 30 s, update-back-off 15 s, stop-on-signals SIGINT); a run still going after ${RUN_CAP_MS / 1000} s is ended by the benchmark.` +
      (figures.officialSkipped === undefined ? '' : ` Official action: ${figures.officialSkipped}.`),
    '',
    '| Fault | Action | Exit | Wall | Build left running | `status` output | Build log in the step | API calls | First error line |',
    '| --- | --- | --- | ---: | --- | --- | --- | ---: | --- |',
    ...rows,
  ].join('\n');
}
