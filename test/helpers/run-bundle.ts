/**
 * Runs a committed bundle the way GitHub's runner does: `node actions/<name>/dist/index.js` with `INPUT_*`
 * variables, a GITHUB_OUTPUT file and a GITHUB_STEP_SUMMARY file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ActionResult extends ProcessResult {
  outputs: Record<string, string>;
  summary: string;
}

/** Environment for a child process: the parent's, without INPUT_* and GitHub file variables leaking in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('INPUT_') || key.startsWith('GITHUB_') || key.startsWith('AWS_') || key === 'RUNNER_DEBUG') continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv, cwd: string = REPO_ROOT): Promise<ProcessResult> {
  return collect(spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export async function runBundledAction(
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string | undefined> = {},
): Promise<ActionResult> {
  return (await startBundledAction(action, inputs, env)).result;
}

export interface StartedAction {
  child: ChildProcess;
  /** The outputs written so far (an action sets some before it finishes). */
  outputsSoFar(): Promise<Record<string, string>>;
  result: Promise<ActionResult>;
}

/** Starts a bundle without waiting for it, for tests that signal it (a cancelled workflow) mid-run. */
export async function startBundledAction(
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string | undefined> = {},
): Promise<StartedAction> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-action-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'actions', action, 'dist', 'index.js')], {
    cwd: REPO_ROOT,
    env: cleanEnv({ GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, ...inputEnv, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result = (async () => {
    try {
      const processResult = await collect(child);
      return { ...processResult, outputs: parseOutputFile(await readFile(outputFile, 'utf8')), summary: await readFile(summaryFile, 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return { child, result, outputsSoFar: async () => parseOutputFile(await readFile(outputFile, 'utf8').catch(() => '')) };
}

function collect(child: ChildProcess): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Parses the `name<<delimiter ... delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[index]!);
    if (match === null) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (index++; index < lines.length && lines[index] !== delimiter; index++) value.push(lines[index]!);
    outputs[name!] = value.join('\n');
  }
  return outputs;
}

export function runCliBundle(args: string[], env: Record<string, string | undefined> = {}): Promise<ProcessResult> {
  return runNode(join(REPO_ROOT, 'scripts', 'dist', 'gantry.js'), args, cleanEnv(env));
}
