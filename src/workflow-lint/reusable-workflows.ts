/**
 * gantry's reusable workflows, the ones a consumer calls as `OWNER/gantry/.github/workflows/<name>.yml@v1`, and
 * the file their copies are bundled into the CLI from (written by `npm run lint:workflows -- --write`).
 */

/** The reusable workflows a consumer calls, in the order the docs list them. */
export const REUSABLE_WORKFLOWS = ['plan.yml', 'deploy.yml', 'promote.yml', 'prune.yml'] as const;

/** Where their copies live, relative to the repository root. */
export const BUNDLED_WORKFLOWS_FILE = 'src/workflow-lint/gantry-workflows.json';

/** Pure: the content of {@link BUNDLED_WORKFLOWS_FILE} for the workflows' texts (file name → YAML). */
export function bundledWorkflowsJson(texts: Readonly<Record<string, string>>): string {
  return `${JSON.stringify(Object.fromEntries(REUSABLE_WORKFLOWS.map((name) => [name, texts[name] ?? ''])), null, 2)}\n`;
}
