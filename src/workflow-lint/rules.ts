/**
 * gantry's workflow rules: pure functions of the parsed workflows of a repository and the interfaces of the
 * actions and reusable workflows they use ({@link LintContext}). `gantry lint-workflows` runs them (with actionlint)
 * over any repository; test/workflows.test.ts proves each one against a small bad workflow.
 *
 * gantry's actions are recognised in every form a workflow can name them:
 * - `OWNER/gantry/actions/<name>@<ref>`: checked against the definitions bundled into the CLI;
 * - `./actions/<name>` (gantry's own repository, or one that copied the folder): against its action.yml;
 * - `./<dir>/actions/<name>` after an actions/checkout of `${{ job.workflow_repository }}` into `<dir>`: the
 *   repository of the workflow itself, at `${{ job.workflow_sha }}` (how gantry's reusable workflows run gantry's
 *   actions at their own commit).
 * gantry's reusable workflows, `OWNER/gantry/.github/workflows/<name>.yml@<ref>`, are checked against the copies
 * bundled into the CLI, and followed like local ones (what they apply, which permissions their jobs need).
 *
 * - expression-in-run: no `${{ }}` at all inside `run:`. Whatever a script needs comes through `env:` and is
 *   used as "$NAME". No exceptions for "trusted" contexts: which contexts an attacker controls is easy to get
 *   wrong (step outputs echo branch names, titles, file contents), and the env form is always available.
 * - permissions: the workflow and every job declare `permissions:`; never `read-all`/`write-all`; nothing is
 *   written at workflow level (jobs widen what they need); `id-token: write` only on jobs that assume an AWS
 *   role (directly or through the workflow they call); a job calling a workflow (local or gantry's) grants at
 *   least what the called jobs ask for (GitHub refuses the run otherwise).
 * - oidc: AWS only through configure-aws-credentials with `role-to-assume` from resolve-environment's
 *   `role-arn` (the deploy role: only in a job with `environment:`, the only tokens it trusts), `ref-role-arn`
 *   or `plan-role-arn`; no access key inputs or AWS_* key variables; no secret other than GITHUB_TOKEN, no
 *   `secrets: inherit` (so generic and environment secrets cannot be mixed).
 * - concurrency: every job that uses AWS (directly or through a called workflow) runs in a concurrency group
 *   that names its environment (`inputs.environment`, `matrix.environment` or an environment of the config).
 * - environment-group: every job that plans, applies or prunes an environment (codebuild-run in any mode,
 *   version-prune) runs in that environment's one job-level group, `gantry-<the environment its step names>`
 *   ({@link environmentGroup}), with `cancel-in-progress: false`; so a pull-request plan, a deploy and a prune
 *   of the same environment never hold the terraform state lock at once, and none is cancelled mid-way. No
 *   workflow-level group is an environment's group (a workflow and its jobs, or a caller and the workflow it
 *   calls, sharing a group deadlock).
 * - no-apply-from-pull-request: a job that applies (codebuild-run with a mode other than `plan`, version-prune
 *   with dry-run other than "true"), or calls a gantry workflow that does (deploy.yml, promote.yml, prune.yml),
 *   is not reachable from pull_request, following workflow_call edges; and no workflow triggers on
 *   pull_request_target.
 * - pinned-actions: every action or workflow from another repository is pinned to a 40-hex commit SHA, every
 *   docker:// image to a sha256 digest; gantry's own to a release tag (`v1`, `v1.2.3`) or a commit SHA.
 * - references: every action a step names has an interface to check against (a local action.yml, or gantry's
 *   definition); `with:` names only declared inputs and gives every required one; `steps.<id>.outputs.<name>`
 *   and `needs.<job>.outputs.<name>` name declared outputs; a called workflow (`./.github/workflows/<file>` or
 *   gantry's) exists, is callable and gets only declared inputs, every required one; a checkout of the
 *   workflow's own repository is at `${{ job.workflow_sha }}`.
 * - checkout-credentials: actions/checkout with `persist-credentials: false` (no token left in .git/config).
 */
import { LineCounter, parse, parseDocument } from 'yaml';

export const WORKFLOWS_DIR = '.github/workflows';

export type RuleName =
  | 'expression-in-run'
  | 'permissions'
  | 'oidc'
  | 'concurrency'
  | 'environment-group'
  | 'no-apply-from-pull-request'
  | 'pinned-actions'
  | 'references'
  | 'checkout-credentials';

export interface Finding {
  /** Repository-relative path of the workflow, `.github/workflows/<name>.yml`. */
  file: string;
  line: number;
  column: number;
  rule: RuleName | 'actionlint' | 'yaml';
  message: string;
}

type Path = readonly (string | number)[];
type Mapping = Record<string, unknown>;

/** Where a workflow comes from: the repository being linted, or gantry's reusable workflows bundled into the CLI. */
export type Origin = 'repository' | 'gantry';

export interface Workflow {
  /** Repository-relative path, `.github/workflows/<name>.yml`. */
  file: string;
  origin: Origin;
  text: string;
  data: Mapping;
  /** 1-based line and column of the node at `path`, or of its nearest ancestor that exists. */
  at(path: Path): { line: number; column: number };
  /** 1-based line and column of a character offset in `text`. */
  position(offset: number): { line: number; column: number };
  /** Character offsets [start, end) of the node at `path` in `text`, when it exists. */
  range(path: Path): [number, number] | undefined;
}

export interface ActionInput {
  required: boolean;
  hasDefault: boolean;
}

/** What an action declares: in its action.yml, or in gantry's definition of it. */
export interface ActionSpec {
  inputs: ReadonlyMap<string, ActionInput>;
  outputs: ReadonlySet<string>;
}

/** gantry's actions and reusable workflows, as bundled into the CLI. */
export interface GantryInterfaces {
  /** By action name: `codebuild-run`. */
  actions: ReadonlyMap<string, ActionSpec>;
  /** gantry's reusable workflows by repository-relative path: `.github/workflows/deploy.yml`. */
  workflows: ReadonlyMap<string, Workflow>;
}

export interface LintContext {
  /** Every workflow of the repository (the call graph spans files). */
  workflows: readonly Workflow[];
  /** The repository's local actions by repository-relative directory (`actions/codebuild-run`); absent ones are missing. */
  actions: ReadonlyMap<string, ActionSpec>;
  /** Environment names of the config, in promotion order. */
  environments: readonly string[];
  gantry: GantryInterfaces;
}

export type Rule = (workflow: Workflow, context: LintContext) => Finding[];

// ---------------------------------------------------------------------------------------------- parsing

/** Parses one workflow; YAML errors come back as findings (the rules then see no workflow). */
export function parseWorkflow(file: string, text: string, origin: Origin = 'repository'): Workflow | Finding[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return doc.errors.map((error) => {
      const [firstLine = error.message] = error.message.split('\n');
      return { file, ...position(error.pos[0]), rule: 'yaml' as const, message: firstLine };
    });
  }
  const data = doc.toJS() as unknown;
  if (!isMapping(data)) return [{ file, line: 1, column: 1, rule: 'yaml', message: 'a workflow is a mapping' }];
  const range = (path: Path): [number, number] | undefined => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range === undefined ? undefined : [node.range[0], node.range[1]];
  };
  const at = (path: Path): { line: number; column: number } => {
    for (let length = path.length; length >= 0; length--) {
      const found = range(path.slice(0, length));
      if (found !== undefined) return position(found[0]);
    }
    return { line: 1, column: 1 };
  };
  return { file, origin, text, data, at, position, range };
}

/** Pure: the inputs and outputs an action.yml declares. */
export function parseActionSpec(text: string): ActionSpec {
  const data = parse(text) as unknown;
  const root = isMapping(data) ? data : {};
  const inputs = new Map<string, ActionInput>();
  for (const [name, input] of Object.entries(mapping(root.inputs))) {
    const spec = mapping(input);
    inputs.set(name, { required: spec.required === true || spec.required === 'true', hasDefault: spec.default !== undefined });
  }
  return { inputs, outputs: new Set(Object.keys(mapping(root.outputs))) };
}

// ---------------------------------------------------------------------------------------------- helpers

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown): Mapping {
  return isMapping(value) ? value : {};
}

interface Step {
  index: number;
  data: Mapping;
  uses: string | undefined;
  with: Mapping;
}

interface Job {
  id: string;
  data: Mapping;
  steps: Step[];
  /** A reusable workflow the job calls (`jobs.<id>.uses`). */
  uses: string | undefined;
}

function jobs(workflow: Workflow): Job[] {
  return Object.entries(mapping(workflow.data.jobs)).map(([id, raw]) => {
    const data = mapping(raw);
    const steps = (Array.isArray(data.steps) ? data.steps : []).map((step: unknown, index: number) => {
      const stepData = mapping(step);
      return { index, data: stepData, uses: typeof stepData.uses === 'string' ? stepData.uses : undefined, with: mapping(stepData.with) };
    });
    return { id, data, steps, uses: typeof data.uses === 'string' ? data.uses : undefined };
  });
}

/** The event names a workflow's `on:` lists, in any of its three forms. */
export function triggers(workflow: Workflow): string[] {
  const on = workflow.data.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.filter((event): event is string => typeof event === 'string');
  return Object.keys(mapping(on));
}

const LOCAL_WORKFLOW = /^\.\/\.github\/workflows\/[^/]+\.ya?ml$/;
const CONFIGURE_AWS = 'aws-actions/configure-aws-credentials@';
const CHECKOUT = 'actions/checkout@';

/** The repository gantry is published from is named `gantry`, whoever owns it (`acme/gantry`). */
const GANTRY_REPOSITORY = 'gantry';
/** `OWNER/gantry/actions/<name>@<ref>`. */
const GANTRY_ACTION = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)\/actions\/([^/@]+)\/?@(.+)$/;
/** `OWNER/gantry/.github/workflows/<file>@<ref>`. */
const GANTRY_WORKFLOW = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)\/(\.github\/workflows\/[^/@]+\.ya?ml)@(.+)$/;
/** A gantry release (`v1`, `v1.2`, `v1.2.3`) or a commit. */
const GANTRY_PIN = /^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;

/** A `uses:` of gantry's repository: which action or workflow, at which ref. */
function gantryReference(uses: string, pattern: RegExp): { target: string; ref: string } | undefined {
  const match = pattern.exec(uses);
  if (match === null || match[2]?.toLowerCase() !== GANTRY_REPOSITORY) return undefined;
  return { target: match[3] ?? '', ref: match[4] ?? '' };
}

/** `${{job.workflow_sha}}` and `${{ job.workflow_sha }}` are the same expression. */
function normalizeExpressions(text: string): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, '$${{ $1 }}');
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, compared with what a workflow says
const WORKFLOW_REPOSITORY = '${{ job.workflow_repository }}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, compared with what a workflow says
const WORKFLOW_SHA = '${{ job.workflow_sha }}';

function stripSlashes(path: string): string {
  return path.replace(/^\.\//, '').replace(/\/+$/, '');
}

/** What a step's `uses:` names. */
type ActionReference =
  /** A folder of this repository (after a checkout of the workflow's own repository, the folder in it). */
  | { kind: 'local'; path: string }
  /** `OWNER/gantry/actions/<name>@<ref>`. */
  | { kind: 'gantry'; name: string; ref: string }
  /** A folder of another repository's checkout, or another repository's action: no interface to check here. */
  | { kind: 'other' };

function actionReference(step: Step, job: Job): ActionReference | undefined {
  const uses = step.uses;
  if (uses === undefined) return undefined;
  const remote = gantryReference(uses, GANTRY_ACTION);
  if (remote !== undefined) return { kind: 'gantry', name: remote.target, ref: remote.ref };
  if (!uses.startsWith('./')) return { kind: 'other' };
  const path = stripSlashes(uses);
  // A checkout into a folder before this step: a path in that folder is in the repository checked out there.
  for (const earlier of job.steps.slice(0, step.index).reverse()) {
    if (earlier.uses?.startsWith(CHECKOUT) !== true) continue;
    const dir = typeof earlier.with.path === 'string' ? stripSlashes(earlier.with.path) : '';
    if (dir === '' || (path !== dir && !path.startsWith(`${dir}/`))) continue;
    const repository = earlier.with.repository;
    // The workflow's own repository (or, with no repository, the run's): its folders are this repository's.
    if (repository === undefined || normalizeExpressions(String(repository)) === WORKFLOW_REPOSITORY) {
      return { kind: 'local', path: path === dir ? '' : path.slice(dir.length + 1) };
    }
    return { kind: 'other' };
  }
  return { kind: 'local', path };
}

/** The gantry action a step runs (`codebuild-run`), in any of the forms a workflow names it. */
function gantryAction(step: Step, job: Job): string | undefined {
  const reference = actionReference(step, job);
  if (reference?.kind === 'gantry') return reference.name;
  if (reference?.kind === 'local') return /^actions\/([^/]+)$/.exec(reference.path)?.[1];
  return undefined;
}

/** The interface of the action a step runs, when there is one to know. */
function actionSpec(reference: ActionReference, workflow: Workflow, context: LintContext): ActionSpec | undefined {
  if (reference.kind === 'gantry') return context.gantry.actions.get(reference.name);
  if (reference.kind !== 'local') return undefined;
  if (workflow.origin === 'repository') return context.actions.get(reference.path);
  // Inside gantry's own workflows, the folder `actions/<name>` is gantry's action of that name.
  const name = /^actions\/([^/]+)$/.exec(reference.path)?.[1];
  return name === undefined ? undefined : context.gantry.actions.get(name);
}

/** The workflow a job calls: one of the repository's, or gantry's (by its bundled copy). */
function calledWorkflow(job: Job, workflow: Workflow, context: LintContext): Workflow | undefined {
  if (job.uses === undefined) return undefined;
  if (LOCAL_WORKFLOW.test(job.uses)) {
    const file = job.uses.slice(2);
    if (workflow.origin === 'gantry') return context.gantry.workflows.get(file);
    return context.workflows.find((candidate) => candidate.origin === 'repository' && candidate.file === file);
  }
  const remote = gantryReference(job.uses, GANTRY_WORKFLOW);
  return remote === undefined ? undefined : context.gantry.workflows.get(remote.target);
}

/** How a message names a called workflow: its path in this repository, or the `uses:` of gantry's. */
function calledName(job: Job, called: Workflow): string {
  return called.origin === 'repository' ? called.file : String(job.uses);
}

/** Does the job assume an AWS role, itself or through the workflow it calls? */
function usesAws(job: Job, workflow: Workflow, context: LintContext, seen: Set<string> = new Set()): boolean {
  if (job.steps.some((step) => step.uses?.startsWith(CONFIGURE_AWS) === true)) return true;
  const called = calledWorkflow(job, workflow, context);
  if (called === undefined || seen.has(`${called.origin}:${called.file}`)) return false;
  seen.add(`${called.origin}:${called.file}`);
  return jobs(called).some((calledJob) => usesAws(calledJob, called, context, seen));
}

function finding(workflow: Workflow, path: Path, rule: RuleName, message: string): Finding {
  return { file: workflow.file, ...workflow.at(path), rule, message };
}

function stepName(job: Job, step: Step): string {
  const name = step.data.name ?? step.data.id ?? step.uses ?? `step ${step.index + 1}`;
  return `jobs.${job.id} ${String(name)}`;
}

// ---------------------------------------------------------------------------------------------- rules

export const expressionInRun: Rule = (workflow) => {
  const findings: Finding[] = [];
  for (const job of jobs(workflow)) {
    for (const step of job.steps) {
      const run = step.data.run;
      if (typeof run !== 'string' || !run.includes('${{')) continue;
      const path = ['jobs', job.id, 'steps', step.index, 'run'];
      const [start, end] = workflow.range(path) ?? [0, 0];
      const source = workflow.text.slice(start, end);
      for (const match of source.matchAll(/\$\{\{(.*?)(\}\}|$)/gm)) {
        findings.push({
          file: workflow.file,
          ...workflow.position(start + match.index),
          rule: 'expression-in-run',
          message: `\${{${match[1]}}} inside run: (${stepName(job, step)}); pass it through env: and use "$NAME" in the script`,
        });
      }
    }
  }
  return findings;
};

const LEVELS: Record<string, number> = { none: 0, read: 1, write: 2 };

type Permissions = Map<string, number>;

function readPermissions(value: unknown): Permissions | string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  const permissions: Permissions = new Map();
  for (const [scope, level] of Object.entries(mapping(value))) permissions.set(scope, LEVELS[String(level)] ?? 0);
  return permissions;
}

export const permissions: Rule = (workflow, context) => {
  const findings: Finding[] = [];
  const top = readPermissions(workflow.data.permissions);
  if (top === undefined) findings.push(finding(workflow, [], 'permissions', 'the workflow has no permissions: (use {} or contents: read, and widen per job)'));
  else if (typeof top === 'string')
    findings.push(finding(workflow, ['permissions'], 'permissions', `permissions: ${top} at workflow level; list the scopes each job needs`));
  else {
    for (const [scope, level] of top) {
      if (level === LEVELS.write)
        findings.push(finding(workflow, ['permissions', scope], 'permissions', `${scope}: write at workflow level; grant it on the job that needs it`));
    }
  }
  for (const job of jobs(workflow)) {
    const path = ['jobs', job.id, 'permissions'];
    const granted = readPermissions(job.data.permissions);
    if (granted === undefined) {
      findings.push(finding(workflow, ['jobs', job.id], 'permissions', `jobs.${job.id} has no permissions: (least privilege: list what the job needs, or {})`));
      continue;
    }
    if (typeof granted === 'string') {
      findings.push(finding(workflow, path, 'permissions', `jobs.${job.id}: permissions: ${granted}; list the scopes the job needs`));
      continue;
    }
    if (granted.get('id-token') === LEVELS.write && !usesAws(job, workflow, context)) {
      findings.push(
        finding(workflow, [...path, 'id-token'], 'permissions', `jobs.${job.id} has id-token: write but assumes no AWS role (configure-aws-credentials)`),
      );
    }
    const called = calledWorkflow(job, workflow, context);
    if (called === undefined) continue;
    const calledTop = readPermissions(called.data.permissions);
    for (const calledJob of jobs(called)) {
      const wanted = readPermissions(calledJob.data.permissions) ?? calledTop;
      if (wanted === undefined || typeof wanted === 'string') continue; // the called workflow's own lint reports it
      for (const [scope, level] of wanted) {
        if ((granted.get(scope) ?? 0) < level) {
          const name = Object.keys(LEVELS).find((key) => LEVELS[key] === level);
          findings.push(
            finding(
              workflow,
              path,
              'permissions',
              `jobs.${job.id} calls ${calledName(job, called)} whose job ${calledJob.id} needs ${scope}: ${name}; grant it here`,
            ),
          );
        }
      }
    }
  }
  return findings;
};

const KEY_INPUTS = ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'];
const KEY_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
const ROLE_FROM_RESOLVE = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.((?:plan-|ref-)?role-arn)\s*\}\}$/;

export const oidc: Rule = (workflow) => {
  const findings: Finding[] = [];
  const envKeys = (env: unknown, path: Path): void => {
    for (const name of Object.keys(mapping(env))) {
      if (KEY_VARIABLES.includes(name.toUpperCase()))
        findings.push(finding(workflow, [...path, name], 'oidc', `${name} in env:; AWS credentials come only from OIDC role assumption`));
    }
  };
  envKeys(workflow.data.env, ['env']);
  for (const job of jobs(workflow)) {
    envKeys(job.data.env, ['jobs', job.id, 'env']);
    if (job.data.secrets === 'inherit')
      findings.push(
        finding(
          workflow,
          ['jobs', job.id, 'secrets'],
          'oidc',
          `jobs.${job.id}: secrets: inherit passes every secret on; pass none (AWS is OIDC, GitHub is github.token)`,
        ),
      );
    const resolveSteps = new Set(job.steps.filter((step) => gantryAction(step, job) === 'resolve-environment').map((step) => String(step.data.id)));
    for (const step of job.steps) {
      const path = ['jobs', job.id, 'steps', step.index];
      envKeys(step.data.env, [...path, 'env']);
      for (const input of KEY_INPUTS) {
        if (input in step.with)
          findings.push(
            finding(
              workflow,
              [...path, 'with', input],
              'oidc',
              `${input} (${stepName(job, step)}); assume the environment's role with OIDC instead of long-lived keys`,
            ),
          );
      }
      if (step.uses?.startsWith(CONFIGURE_AWS) !== true) continue;
      const role = step.with['role-to-assume'];
      const matched = typeof role === 'string' ? ROLE_FROM_RESOLVE.exec(role.trim()) : null;
      const resolveStep = matched?.[1];
      if (resolveStep === undefined || !resolveSteps.has(resolveStep)) {
        findings.push(
          finding(
            workflow,
            [...path, 'with'],
            'oidc',
            `${stepName(job, step)}: role-to-assume must be \${{ steps.<id>.outputs.role-arn }} (or ref-role-arn, plan-role-arn) of a resolve-environment step in the job`,
          ),
        );
      } else if (matched?.[2] === 'role-arn' && job.data.environment === undefined) {
        // AWS trusts the deploy role only for tokens of a job in the GitHub Environment: outside one it cannot work.
        findings.push(
          finding(
            workflow,
            [...path, 'with'],
            'oidc',
            `${stepName(job, step)}: role-arn (the deploy role) is only for a job with environment:; use ref-role-arn (plan, prune on apply.refs) or plan-role-arn (pull requests)`,
          ),
        );
      }
      const region = step.with['aws-region'];
      if (typeof region !== 'string' || !/^\$\{\{\s*steps\.[\w-]+\.outputs\.region\s*\}\}$/.test(region.trim())) {
        findings.push(
          finding(workflow, [...path, 'with'], 'oidc', `${stepName(job, step)}: aws-region must be \${{ steps.<id>.outputs.region }} of resolve-environment`),
        );
      }
    }
  }
  for (const match of workflow.text.matchAll(/\bsecrets\.([\w-]+)|\bsecrets\[\s*['"]([^'"]+)['"]\s*\]/g)) {
    const name = match[1] ?? match[2];
    if (name === 'GITHUB_TOKEN') continue;
    findings.push({
      file: workflow.file,
      ...workflow.position(match.index),
      rule: 'oidc',
      message: `secrets.${name}: no secret but GITHUB_TOKEN; AWS through OIDC (resolve-environment role-arn), GitHub through github.token`,
    });
  }
  return findings;
};

function concurrencyGroup(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const group = mapping(value).group;
  return typeof group === 'string' ? group : undefined;
}

function namesEnvironment(group: string | undefined, environments: readonly string[]): boolean {
  if (group === undefined) return false;
  for (const [, expression = ''] of group.matchAll(/\$\{\{(.*?)\}\}/g)) {
    if (/\b(inputs|matrix)\.environment\b/.test(expression)) return true;
  }
  const literal = group.replace(/\$\{\{.*?\}\}/g, ' ');
  return environments.some((name) => new RegExp(`(^|[^\\w])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w])`).test(literal));
}

/** Does every job of the workflow that uses AWS run in a group naming its environment (its own, or the workflow's)? */
function groupsEveryAwsJob(workflow: Workflow, context: LintContext, seen: Set<string>): boolean {
  const key = `${workflow.origin}:${workflow.file}`;
  if (seen.has(key)) return true;
  seen.add(key);
  const top = concurrencyGroup(workflow.data.concurrency);
  return jobs(workflow).every((job) => {
    if (!usesAws(job, workflow, context)) return true;
    if ([concurrencyGroup(job.data.concurrency), top].some((group) => namesEnvironment(group, context.environments))) return true;
    const called = calledWorkflow(job, workflow, context);
    return called !== undefined && groupsEveryAwsJob(called, context, seen);
  });
}

export const concurrency: Rule = (workflow, context) => {
  const findings: Finding[] = [];
  const top = concurrencyGroup(workflow.data.concurrency);
  for (const job of jobs(workflow)) {
    if (!usesAws(job, workflow, context)) continue;
    if ([concurrencyGroup(job.data.concurrency), top].some((group) => namesEnvironment(group, context.environments))) continue;
    // A job that calls a workflow is held by the groups of the jobs it calls (plan.yml: gantry-<matrix.environment>).
    const called = calledWorkflow(job, workflow, context);
    if (called !== undefined && groupsEveryAwsJob(called, context, new Set([`${workflow.origin}:${workflow.file}`]))) continue;
    findings.push(
      finding(
        workflow,
        ['jobs', job.id],
        'concurrency',
        `jobs.${job.id} uses AWS but runs in no concurrency group naming its environment (e.g. deploy-\${{ inputs.environment }})`,
      ),
    );
  }
  return findings;
};

/** The one concurrency group of an environment, named here only: `gantry-<environment>`. */
export const ENVIRONMENT_GROUP_PREFIX = 'gantry-';

/** The concurrency group of the environment a step names (`dev`, `${{ inputs.environment }}`). */
export function environmentGroup(environment: string): string {
  return `${ENVIRONMENT_GROUP_PREFIX}${normalizeExpressions(environment)}`;
}

/** Does the step plan, apply or prune an environment (terraform's state lock, the function versions)? */
function touchesEnvironment(step: Step, job: Job): boolean {
  const action = gantryAction(step, job);
  return action === 'codebuild-run' || action === 'version-prune';
}

export const environmentGroupRule: Rule = (workflow) => {
  const findings: Finding[] = [];
  const top = concurrencyGroup(workflow.data.concurrency);
  if (top?.toLowerCase().startsWith(ENVIRONMENT_GROUP_PREFIX)) {
    findings.push(
      finding(
        workflow,
        ['concurrency'],
        'environment-group',
        `the workflow runs in ${top}, an environment's group: it belongs on the jobs that plan, apply or prune (a workflow and its jobs, or a caller and the workflow it calls, sharing a group deadlock)`,
      ),
    );
  }
  for (const job of jobs(workflow)) {
    const steps = job.steps.filter((step) => touchesEnvironment(step, job));
    if (steps.length === 0) continue;
    const named = steps.filter((step) => step.with.environment !== undefined && step.with.environment !== '');
    for (const step of steps.filter((candidate) => !named.includes(candidate))) {
      findings.push(
        finding(
          workflow,
          ['jobs', job.id, 'steps', step.index],
          'environment-group',
          `${stepName(job, step)} names no environment, so no environment group can hold it`,
        ),
      );
    }
    const groups = [...new Set(named.map((step) => environmentGroup(String(step.with.environment))))];
    if (groups.length > 1) {
      findings.push(
        finding(
          workflow,
          ['jobs', job.id],
          'environment-group',
          `jobs.${job.id} touches more than one environment (${groups.join(', ')}); give each its own job`,
        ),
      );
      continue;
    }
    const [expected] = groups;
    if (expected === undefined) continue;
    const group = concurrencyGroup(job.data.concurrency);
    const cancel = mapping(job.data.concurrency)['cancel-in-progress'];
    if (group === undefined || normalizeExpressions(group).toLowerCase() !== expected.toLowerCase()) {
      findings.push(
        finding(
          workflow,
          ['jobs', job.id, 'concurrency'],
          'environment-group',
          `jobs.${job.id} plans, applies or prunes an environment but runs in ${group === undefined ? 'no job-level concurrency group' : `group ${group}`}; use \`concurrency: { group: ${expected}, cancel-in-progress: false }\`, the environment's one group`,
        ),
      );
    } else if (cancel !== undefined && cancel !== false) {
      findings.push(
        finding(
          workflow,
          ['jobs', job.id, 'concurrency', 'cancel-in-progress'],
          'environment-group',
          `jobs.${job.id}: cancel-in-progress must be false in ${expected}: terraform cancelled mid-way leaves the state locked`,
        ),
      );
    }
  }
  return findings;
};

const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target'];

/** Events that can start this workflow of the repository, each with the chain of workflows it comes through. */
export function reachingEvents(workflow: Workflow, context: LintContext, seen: ReadonlySet<string> = new Set()): Map<string, string[]> {
  const events = new Map<string, string[]>();
  for (const event of triggers(workflow)) if (event !== 'workflow_call') events.set(event, [workflow.file]);
  if (seen.has(workflow.file)) return events;
  const nextSeen = new Set([...seen, workflow.file]);
  for (const caller of context.workflows) {
    if (caller.origin !== 'repository' || !jobs(caller).some((job) => calledWorkflow(job, caller, context) === workflow)) continue;
    for (const [event, chain] of reachingEvents(caller, context, nextSeen)) {
      if (!events.has(event)) events.set(event, [...chain, workflow.file]);
    }
  }
  return events;
}

/** Why a step changes an environment, or undefined when it cannot. */
function appliesChange(step: Step, job: Job): string | undefined {
  const action = gantryAction(step, job);
  if (action === 'codebuild-run' && String(step.with.mode) !== 'plan') return `codebuild-run mode ${String(step.with.mode)}`;
  if (action === 'version-prune' && 'dry-run' in step.with && String(step.with['dry-run']) !== 'true')
    return `version-prune dry-run ${String(step.with['dry-run'])}`;
  return undefined;
}

/** The first step by which a workflow (or one it calls) changes an environment, described; undefined when none does. */
function appliesIn(workflow: Workflow, context: LintContext, seen: Set<string> = new Set()): string | undefined {
  const key = `${workflow.origin}:${workflow.file}`;
  if (seen.has(key)) return undefined;
  seen.add(key);
  for (const job of jobs(workflow)) {
    for (const step of job.steps) {
      const change = appliesChange(step, job);
      if (change !== undefined) return `${stepName(job, step)}: ${change}`;
    }
    const called = calledWorkflow(job, workflow, context);
    const through = called === undefined ? undefined : appliesIn(called, context, seen);
    if (through !== undefined && called !== undefined) return `jobs.${job.id} → ${called.file.replace(`${WORKFLOWS_DIR}/`, '')} ${through}`;
  }
  return undefined;
}

export const noApplyFromPullRequest: Rule = (workflow, context) => {
  const findings: Finding[] = [];
  for (const event of triggers(workflow)) {
    if (event === 'pull_request_target')
      findings.push(
        finding(
          workflow,
          ['on', event],
          'no-apply-from-pull-request',
          'pull_request_target runs with write access and secrets next to untrusted code; use pull_request',
        ),
      );
  }
  const reaching = reachingEvents(workflow, context);
  for (const event of PULL_REQUEST_EVENTS) {
    const chain = reaching.get(event);
    if (chain === undefined) continue;
    for (const job of jobs(workflow)) {
      for (const step of job.steps) {
        const change = appliesChange(step, job);
        if (change === undefined) continue;
        findings.push(
          finding(
            workflow,
            ['jobs', job.id, 'steps', step.index],
            'no-apply-from-pull-request',
            `${stepName(job, step)} (${change}) is reachable from ${event} (${chain.join(' → ')}); pull requests only plan`,
          ),
        );
      }
      // gantry's workflows are not in this repository to be linted on their own: judge the call.
      const called = calledWorkflow(job, workflow, context);
      if (called?.origin !== 'gantry') continue;
      const change = appliesIn(called, context);
      if (change === undefined) continue;
      findings.push(
        finding(
          workflow,
          ['jobs', job.id, 'uses'],
          'no-apply-from-pull-request',
          `jobs.${job.id} calls ${String(job.uses)}, which applies (${change}), and is reachable from ${event} (${chain.join(' → ')}); pull requests only plan (plan.yml)`,
        ),
      );
    }
  }
  return findings;
};

export const pinnedActions: Rule = (workflow) => {
  const findings: Finding[] = [];
  const check = (uses: string | undefined, path: Path): void => {
    if (uses === undefined || uses.startsWith('./')) return;
    if (uses.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(uses)) findings.push(finding(workflow, path, 'pinned-actions', `${uses}: pin the image to its sha256 digest`));
      return;
    }
    const gantry = gantryReference(uses, GANTRY_ACTION) ?? gantryReference(uses, GANTRY_WORKFLOW);
    if (gantry !== undefined) {
      if (!GANTRY_PIN.test(gantry.ref))
        findings.push(finding(workflow, path, 'pinned-actions', `${uses}: pin gantry to a release tag (v1, v1.2.3) or a full 40-character commit SHA`));
      return;
    }
    if (!/^[^@\s]+@[0-9a-f]{40}$/.test(uses))
      findings.push(finding(workflow, path, 'pinned-actions', `${uses}: pin to a full 40-character commit SHA (with the version in a comment)`));
  };
  for (const job of jobs(workflow)) {
    check(job.uses, ['jobs', job.id, 'uses']);
    for (const step of job.steps) check(step.uses, ['jobs', job.id, 'steps', step.index, 'uses']);
  }
  return findings;
};

export const references: Rule = (workflow, context) => {
  const findings: Finding[] = [];
  const all = jobs(workflow);
  const gantryActions = [...context.gantry.actions.keys()].join(', ');
  for (const job of all) {
    const jobPath = ['jobs', job.id];
    const specs = new Map<string, { action: string; spec: ActionSpec }>();
    for (const step of job.steps) {
      const path = [...jobPath, 'steps', step.index];
      if (step.uses?.startsWith(CHECKOUT) === true && normalizeExpressions(String(step.with.repository ?? '')) === WORKFLOW_REPOSITORY) {
        const ref = normalizeExpressions(String(step.with.ref ?? ''));
        if (ref !== WORKFLOW_SHA)
          findings.push(
            finding(
              workflow,
              [...path, 'with'],
              'references',
              `${stepName(job, step)} checks out this workflow's repository at ${ref === '' ? 'its default branch' : ref}; use ref: \${{ job.workflow_sha }}, the commit this workflow runs from`,
            ),
          );
      }
      const reference = actionReference(step, job);
      if (reference === undefined || reference.kind === 'other') continue;
      const spec = actionSpec(reference, workflow, context);
      const action = reference.kind === 'gantry' ? `gantry's ${reference.name}` : reference.path;
      if (spec === undefined) {
        findings.push(
          finding(
            workflow,
            [...path, 'uses'],
            'references',
            reference.kind === 'gantry'
              ? `${step.uses}: gantry has no action ${reference.name} (its actions: ${gantryActions})`
              : `${step.uses}: no action.yml in ${reference.path === '' ? 'the repository root' : `${reference.path}/`}`,
          ),
        );
        continue;
      }
      if (typeof step.data.id === 'string') specs.set(step.data.id, { action, spec });
      for (const name of Object.keys(step.with)) {
        if (!spec.inputs.has(name))
          findings.push(
            finding(workflow, [...path, 'with', name], 'references', `${step.uses} has no input ${name} (inputs: ${[...spec.inputs.keys()].join(', ')})`),
          );
      }
      for (const [name, input] of spec.inputs) {
        if (input.required && !input.hasDefault && !(name in step.with))
          findings.push(finding(workflow, path, 'references', `${step.uses} needs input ${name}`));
      }
    }
    const jobText = JSON.stringify(job.data);
    for (const [, stepId = '', output = ''] of jobText.matchAll(/\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const known = specs.get(stepId);
      if (known !== undefined && !known.spec.outputs.has(output)) {
        findings.push(finding(workflow, jobPath, 'references', `jobs.${job.id}: steps.${stepId}.outputs.${output}: ${known.action} has no output ${output}`));
      }
    }
    for (const [, neededId = '', output = ''] of jobText.matchAll(/\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const needed = all.find((other) => other.id === neededId);
      if (needed === undefined) continue; // actionlint reports an unknown job
      const called = calledWorkflow(needed, workflow, context);
      const declared = called === undefined ? mapping(needed.data.outputs) : mapping(mapping(mapping(called.data.on).workflow_call).outputs);
      if (!(output in declared))
        findings.push(
          finding(workflow, jobPath, 'references', `jobs.${job.id}: needs.${neededId}.outputs.${output}: jobs.${neededId} declares no such output`),
        );
    }
    if (job.uses === undefined) continue;
    const remote = gantryReference(job.uses, GANTRY_WORKFLOW);
    if (!job.uses.startsWith('./') && remote === undefined) continue;
    const called = calledWorkflow(job, workflow, context);
    if (called === undefined) {
      const names = [...context.gantry.workflows.keys()].map((file) => file.replace(`${WORKFLOWS_DIR}/`, '')).join(', ');
      findings.push(
        finding(
          workflow,
          [...jobPath, 'uses'],
          'references',
          remote === undefined
            ? `${job.uses}: no such workflow in ${WORKFLOWS_DIR}/`
            : `${job.uses}: gantry has no reusable workflow ${remote.target} (${names})`,
        ),
      );
      continue;
    }
    const on = mapping(called.data.on);
    if (!('workflow_call' in on) && !triggers(called).includes('workflow_call')) {
      findings.push(finding(workflow, [...jobPath, 'uses'], 'references', `${job.uses} has no on: workflow_call`));
      continue;
    }
    const declared = mapping(mapping(on.workflow_call).inputs);
    const given = mapping(job.data.with);
    for (const name of Object.keys(given)) {
      if (!(name in declared))
        findings.push(
          finding(workflow, [...jobPath, 'with', name], 'references', `${job.uses} has no input ${name} (inputs: ${Object.keys(declared).join(', ')})`),
        );
    }
    for (const [name, input] of Object.entries(declared)) {
      const spec = mapping(input);
      if (spec.required === true && spec.default === undefined && !(name in given))
        findings.push(finding(workflow, jobPath, 'references', `${job.uses} needs input ${name}`));
    }
  }
  return findings;
};

export const checkoutCredentials: Rule = (workflow) => {
  const findings: Finding[] = [];
  for (const job of jobs(workflow)) {
    for (const step of job.steps) {
      if (step.uses?.startsWith(CHECKOUT) !== true) continue;
      const persist = step.with['persist-credentials'];
      if (persist !== false && persist !== 'false') {
        findings.push(
          finding(
            workflow,
            ['jobs', job.id, 'steps', step.index],
            'checkout-credentials',
            `${stepName(job, step)}: set persist-credentials: false (no token left in .git/config for later steps)`,
          ),
        );
      }
    }
  }
  return findings;
};

export const RULES: Readonly<Record<RuleName, Rule>> = {
  'expression-in-run': expressionInRun,
  permissions,
  oidc,
  concurrency,
  'environment-group': environmentGroupRule,
  'no-apply-from-pull-request': noApplyFromPullRequest,
  'pinned-actions': pinnedActions,
  references,
  'checkout-credentials': checkoutCredentials,
};

/** Pure: gantry's rules over the repository's workflows (gantry's bundled ones are context, never judged here). */
export function applyRules(context: LintContext, rules: readonly Rule[] = Object.values(RULES)): Finding[] {
  const own = context.workflows.filter((workflow) => workflow.origin === 'repository');
  return sortFindings(own.flatMap((workflow) => rules.flatMap((rule) => rule(workflow, context))));
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}

export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.rule}]`;
}

/** The folders of this repository its workflows run as actions (`./…`), for reading their action.yml. */
export function localActionPaths(workflows: readonly Workflow[]): string[] {
  const paths = new Set<string>();
  for (const workflow of workflows) {
    if (workflow.origin !== 'repository') continue;
    for (const job of jobs(workflow)) {
      for (const step of job.steps) {
        const reference = actionReference(step, job);
        if (reference?.kind === 'local') paths.add(reference.path);
      }
    }
  }
  return [...paths].sort();
}
