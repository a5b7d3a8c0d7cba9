/**
 * Runs a committed action bundle the way GitHub's runner does: `node actions/<name>/dist/index.js` with
 * `INPUT_*` variables (the step's inputs, and action.yml's defaults for the others, `${{ github.token }}`
 * evaluated to GITHUB_TOKEN), a GITHUB_OUTPUT file and a GITHUB_STEP_SUMMARY file; then reads the outputs and
 * the job summary back. Used by the end-to-end tests and by `npm run demo`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

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

export interface StartedAction {
  child: ChildProcess;
  /** The outputs written so far (an action sets some before it finishes). */
  outputsSoFar(): Promise<Record<string, string>>;
  result: Promise<ActionResult>;
}

/** Environment for a child process: the parent's, without INPUT_*, GitHub or AWS variables leaking in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('INPUT_') || key.startsWith('GITHUB_') || key.startsWith('AWS_') || key === 'RUNNER_DEBUG') continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export function inputVariables(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]));
}

/** The expressions an action.yml default may hold that this emulation evaluates, as the runner would. */
const DEFAULT_EXPRESSIONS: Record<string, (env: Record<string, string | undefined>) => string> = {
  '${{ github.token }}': (env) => env.GITHUB_TOKEN ?? '',
};

/** The step's inputs plus action.yml's defaults for those it does not set, as the runner fills them in. */
export function inputsWithDefaults(action: string, inputs: Record<string, string>, env: Record<string, string | undefined>): Record<string, string> {
  const metadata = parse(readFileSync(join(REPO_ROOT, 'actions', action, 'action.yml'), 'utf8')) as { inputs?: Record<string, { default?: string }> };
  const filled: Record<string, string> = {};
  for (const [name, spec] of Object.entries(metadata.inputs ?? {})) {
    const fallback = spec.default;
    if (name in inputs || fallback === undefined) continue;
    if (!fallback.includes('${{')) {
      filled[name] = fallback;
      continue;
    }
    const evaluate = DEFAULT_EXPRESSIONS[fallback];
    if (evaluate === undefined) throw new Error(`${action}: the local runner cannot evaluate the default ${fallback} of input ${name}`);
    filled[name] = evaluate(env);
  }
  return { ...filled, ...inputs };
}

/** Starts a bundle without waiting for it (a test can signal it, the demo can stream its output). */
export async function startAction(
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string | undefined> = {},
  options: { onStdout?: (chunk: string) => void } = {},
): Promise<StartedAction> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-action-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'actions', action, 'dist', 'index.js')], {
    cwd: REPO_ROOT,
    env: cleanEnv({ GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, ...inputVariables(inputsWithDefaults(action, inputs, env)), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { onStdout } = options;
  if (onStdout !== undefined) child.stdout.on('data', (chunk: Buffer) => onStdout(chunk.toString()));
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

export async function runAction(action: string, inputs: Record<string, string>, env: Record<string, string | undefined> = {}): Promise<ActionResult> {
  return (await startAction(action, inputs, env)).result;
}

/** Waits for a child spawned with stdout and stderr piped (`stdio: [..., 'pipe', 'pipe']`). */
export function collect(child: ChildProcess & { stdout: Readable; stderr: Readable }): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Parses the `name<<delimiter ... delimiter` blocks an action writes to GITHUB_OUTPUT (src/workflow-commands.ts). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  // One iterator for both loops: the inner one takes a block's lines, the outer one goes on after its delimiter.
  const lines = text.split('\n').values();
  for (const line of lines) {
    const [, name, delimiter] = /^([^<=]+)<<(.+)$/.exec(line) ?? [];
    if (name === undefined) continue;
    const value: string[] = [];
    for (const next of lines) {
      if (next === delimiter) break;
      value.push(next);
    }
    outputs[name] = value.join('\n');
  }
  return outputs;
}
