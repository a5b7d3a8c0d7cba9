/**
 * The end-to-end tests' way to run a committed bundle as GitHub's runner does; the runner emulation itself is
 * scripts/local-runner.ts, shared with `npm run demo`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type ActionResult, cleanEnv, collect, type ProcessResult, REPO_ROOT, runAction, type StartedAction, startAction } from '../../scripts/local-runner.js';

export { type ActionResult, cleanEnv, type ProcessResult, parseOutputFile, REPO_ROOT, type StartedAction } from '../../scripts/local-runner.js';

export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv, cwd: string = REPO_ROOT): Promise<ProcessResult> {
  return collect(spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export const runBundledAction = (action: string, inputs: Record<string, string>, env: Record<string, string | undefined> = {}): Promise<ActionResult> =>
  runAction(action, inputs, env);

export const startBundledAction = (action: string, inputs: Record<string, string>, env: Record<string, string | undefined> = {}): Promise<StartedAction> =>
  startAction(action, inputs, env);

export function runCliBundle(args: string[], env: Record<string, string | undefined> = {}): Promise<ProcessResult> {
  return runNode(join(REPO_ROOT, 'scripts', 'dist', 'gantry.js'), args, cleanEnv(env));
}
