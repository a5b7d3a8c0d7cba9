/**
 * `npm run lint:workflows`: `gantry lint-workflows` on this repository (scripts/cli/lint-workflows.ts; the rules
 * are src/workflow-lint/rules.ts), and the check that the CLI's copies of gantry's reusable workflows
 * (src/workflow-lint/gantry-workflows.json, what a consumer's `OWNER/gantry/.github/workflows/<name>.yml@v1` is
 * checked against) are the workflows of .github/workflows/.
 *
 *   npm run lint:workflows               lint; exit 1 on any finding or a stale copy
 *   npm run lint:workflows -- --write    rewrite the copies from .github/workflows/ first
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleLogger } from '../src/logger.js';
import { BUNDLED_WORKFLOWS_FILE, bundledWorkflowsJson, REUSABLE_WORKFLOWS } from '../src/workflow-lint/reusable-workflows.js';
import { WORKFLOWS_DIR } from '../src/workflow-lint/rules.js';
import { runCli } from './cli/main.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What {@link BUNDLED_WORKFLOWS_FILE} must hold: the reusable workflows of the checkout at `root`. */
export async function expectedBundledWorkflows(root: string = ROOT): Promise<string> {
  const texts: Record<string, string> = {};
  for (const name of REUSABLE_WORKFLOWS) texts[name] = await readFile(join(root, WORKFLOWS_DIR, name), 'utf8');
  return bundledWorkflowsJson(texts);
}

async function main(): Promise<number> {
  process.chdir(ROOT);
  const logger = new ConsoleLogger();
  const expected = await expectedBundledWorkflows();
  if (process.argv.includes('--write')) await writeFile(join(ROOT, BUNDLED_WORKFLOWS_FILE), expected);
  const code = await runCli(['lint-workflows'], { stdout: (text) => process.stdout.write(`${text}\n`), logger, env: process.env });
  if ((await readFile(join(ROOT, BUNDLED_WORKFLOWS_FILE), 'utf8')) !== expected) {
    logger.error(
      `${BUNDLED_WORKFLOWS_FILE} differs from ${WORKFLOWS_DIR}/{${REUSABLE_WORKFLOWS.join(',')}}; run "npm run lint:workflows -- --write", then "npm run bundle"`,
    );
    return 1;
  }
  return code;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await main();
