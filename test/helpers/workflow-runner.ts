/**
 * Runs a repository's workflows job by job and step by step, the way GitHub runs them, far enough to deliver a
 * consumer of gantry through gantry's reusable workflows on the sandbox (test/consumer-example.test.ts).
 *
 * - Called workflows are followed: `OWNER/gantry/.github/workflows/<name>.yml@<ref>` is the workflow file of the
 *   gantry release under test (this checkout), `./.github/workflows/<name>.yml` the file of the same repository
 *   (and commit) as the calling workflow. Their `with:` must name declared inputs; defaults fill the rest.
 * - Jobs run one at a time in `needs:` order; `if:` (default `success()`), `strategy.matrix` and `outputs:`
 *   are evaluated (workflow-expressions.ts); a job the test has established otherwise can be given its result.
 * - gantry's actions (`./<dir>/actions/<name>` after the checkout of `${{ job.workflow_repository }}` into `<dir>`,
 *   or `OWNER/gantry/actions/<name>@<ref>`) run as their committed bundles, as scripts/local-runner.ts runs
 *   them (INPUT_* with action.yml's defaults, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), in the caller's workspace.
 * - Every other step has a stand-in ({@link STAND_INS}), and a step with none fails the run loudly.
 *
 * Not emulated: concurrency groups (jobs run one at a time anyway), environment approvals (the job records the
 * environment it runs in; reviewers are GitHub's), timeouts, permissions (the workflow lint checks them).
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { parse } from 'yaml';
import { cleanEnv, collect, inputsWithDefaults, inputVariables, REPO_ROOT } from '../../scripts/local-runner.js';
import {
  condition,
  type ExpressionContext,
  interpolate,
  interpolateValue,
  matrixValues,
  type NeedState,
  type StepState,
  type Value,
} from './workflow-expressions.js';

/** The gantry release the consumer's `uses:` name, and where its files are. */
export interface GantryRelease {
  /** `owner/name` as the consumer writes it: `OWNER/gantry`. */
  repository: string;
  /** The ref the consumer names: `v1`. */
  ref: string;
  /** The commit that ref resolves to: `job.workflow_sha` in gantry's reusable workflows. */
  sha: string;
}

export type StepKind = 'gantry' | 'checkout' | 'aws-credentials' | 'setup-node' | 'run';

export interface StepRecord {
  /** The workflow as it was called: `OWNER/gantry/.github/workflows/deploy.yml@v1`, `.github/workflows/delivery.yml`. */
  workflow: string;
  /** The workflow file's path in its repository: `.github/workflows/deploy.yml`. */
  path: string;
  repository: 'gantry' | 'caller';
  job: string;
  matrix?: Record<string, Value>;
  /** Index in the job's `steps:`. */
  index: number;
  id?: string;
  name: string;
  kind: StepKind;
  /** gantry's action, for kind gantry. */
  action?: string;
  /** The evaluated `with:` (and, for kind gantry, action.yml's defaults for the rest). */
  inputs: Record<string, string>;
  outcome: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
  code?: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  /** kind aws-credentials: the role the step would assume. */
  role?: string;
}

export interface JobRecord {
  workflow: string;
  path: string;
  job: string;
  matrix?: Record<string, Value>;
  result: 'success' | 'failure' | 'skipped';
  /** `environment:` evaluated: the GitHub Environment the job runs in. */
  environment?: string;
  /** How the result came about: its steps ran, it called a workflow, the test gave it, or its `if:` was false. */
  ran: 'steps' | 'call' | 'given' | 'skipped';
  outputs: Record<string, string>;
}

export interface RunnerOptions {
  /** The caller's checkout: GITHUB_WORKSPACE and every step's working directory. */
  workspace: string;
  release: GantryRelease;
  /** What every step's environment starts from: the network (the sandbox's endpoints, GITHUB_API_URL), no credentials. */
  env: Record<string, string>;
  /** What configure-aws-credentials puts into the job's environment (the sandbox's keys), and the one region it serves. */
  credentials: Record<string, string>;
  region: string;
  /** Runs after each step that was not skipped (the test stands in for what terraform's apply would have changed). */
  afterStep?: (step: StepRecord) => void | Promise<void>;
}

export interface Trigger {
  /** The `github` context of the run: event_name, sha, ref, repository, token, server_url, run_id, run_attempt, event. */
  github: Record<string, Value>;
  /** `workflow_dispatch` inputs. */
  inputs?: Record<string, string | boolean>;
  /** Jobs of the triggered workflow whose outcome the test established itself: their steps do not run. */
  given?: Record<string, 'success' | 'failure'>;
}

interface WorkflowFile {
  /** Absolute path. */
  file: string;
  /** Path in its repository. */
  path: string;
  repository: 'gantry' | 'caller';
  display: string;
  yaml: Workflow;
}

interface Workflow {
  on?: unknown;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

interface Job {
  [key: string]: unknown;
  needs?: string | string[];
  if?: unknown;
  uses?: string;
  with?: Record<string, unknown>;
  steps?: Step[];
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  environment?: string | { name?: string };
  strategy?: { matrix?: Record<string, unknown>; 'fail-fast'?: boolean };
}

interface Step {
  [key: string]: unknown;
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: unknown;
}

interface InputSpec {
  type?: string;
  required?: boolean;
  default?: unknown;
}

const JOB_KEYS = new Set([
  'name',
  'needs',
  'if',
  'runs-on',
  'timeout-minutes',
  'permissions',
  'outputs',
  'steps',
  'strategy',
  'concurrency',
  'environment',
  'uses',
  'with',
  'env',
]);
const STEP_KEYS = new Set(['id', 'name', 'uses', 'run', 'with', 'env', 'if', 'timeout-minutes']);

/**
 * What the runner does for each step that is not one of gantry's actions. The test's README table
 * (examples/consumer/README.md) says the same in prose.
 */
export const STAND_INS: Record<string, string> = {
  'actions/checkout (the caller repository)':
    'nothing: the workspace is already the copy of the consumer repository at the commit under test; `ref:` is evaluated and recorded',
  'actions/checkout of job.workflow_repository at job.workflow_sha into <path>':
    '<path> becomes a symbolic link to this gantry checkout (the release under test); `./<path>/actions/<name>` are then gantry actions',
  'aws-actions/configure-aws-credentials':
    "the sandbox credentials and the step's aws-region go into the job environment for the steps after it; role-to-assume is evaluated, must be an IAM role ARN in allowed-account-ids and is recorded, and aws-region must be the sandbox region",
  'actions/setup-node': 'nothing: the steps run on the Node.js running the test',
  'run:': 'the script runs with bash --noprofile --norc -eo pipefail in the workspace, its env: evaluated, its GITHUB_OUTPUT read back',
};

export class WorkflowRunner {
  readonly steps: StepRecord[] = [];
  readonly jobs: JobRecord[] = [];
  readonly #options: RunnerOptions;
  readonly #scratch: string;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#scratch = mkdtempSync(join(tmpdir(), 'gantry-workflow-runner-'));
  }

  dispose(): void {
    rmSync(this.#scratch, { recursive: true, force: true });
  }

  /** Runs a workflow of the caller's repository (path relative to the workspace) for one event. */
  async run(path: string, trigger: Trigger): Promise<'success' | 'failure'> {
    const workflow = this.#load(join(this.#options.workspace, path), path, 'caller', path);
    const eventFile = join(this.#scratch, `event-${this.jobs.length}-${this.steps.length}.json`);
    writeFileSync(eventFile, JSON.stringify(trigger.github.event ?? {}));
    const dispatch = inputSpecs(workflow.yaml, 'workflow_dispatch');
    // On other events the inputs context is empty: a declared input reads as null, as on GitHub.
    if (trigger.github.event_name !== 'workflow_dispatch' && trigger.inputs !== undefined) throw new Error(`${path}: inputs are for workflow_dispatch`);
    const inputs =
      trigger.github.event_name === 'workflow_dispatch'
        ? withInputs(dispatch, trigger.inputs ?? {}, workflow.display)
        : Object.fromEntries(Object.keys(dispatch).map((name): [string, Value] => [name, null]));
    return this.#runWorkflow(workflow, inputs, { github: trigger.github, eventFile }, trigger.given ?? {});
  }

  #load(file: string, path: string, repository: 'gantry' | 'caller', display: string): WorkflowFile {
    if (!existsSync(file)) throw new Error(`${display}: no workflow file ${file}`);
    const yaml = parse(readFileSync(file, 'utf8')) as Workflow;
    return { file, path, repository, display, yaml };
  }

  /** A job's `uses:`: the called workflow file. */
  #called(uses: string, caller: WorkflowFile): WorkflowFile {
    const { release } = this.#options;
    const remote = /^([^/]+\/[^/]+)\/(\.github\/workflows\/[^@]+)@(.+)$/.exec(uses);
    if (remote !== null) {
      const [, repository = '', path = '', ref = ''] = remote;
      if (repository !== release.repository || ref !== release.ref) {
        throw new Error(`${caller.display}: uses: ${uses}: the test serves only ${release.repository}@${release.ref} (the gantry release under test)`);
      }
      return this.#load(join(REPO_ROOT, path), path, 'gantry', uses);
    }
    const local = /^\.\/(\.github\/workflows\/.+)$/.exec(uses);
    if (local !== null) {
      const path = local[1] ?? '';
      // "From the same commit as the caller workflow": gantry's file when gantry's workflow calls it.
      const root = caller.repository === 'gantry' ? REPO_ROOT : this.#options.workspace;
      const display = caller.repository === 'gantry' ? `${release.repository}/${path}@${release.ref}` : path;
      return this.#load(join(root, path), path, caller.repository, display);
    }
    throw new Error(`${caller.display}: uses: ${uses}: not a workflow this test can run`);
  }

  async #runWorkflow(
    workflow: WorkflowFile,
    inputs: Record<string, Value>,
    run: { github: Record<string, Value>; eventFile: string },
    given: Record<string, 'success' | 'failure'> = {},
  ): Promise<'success' | 'failure'> {
    const jobs = workflow.yaml.jobs;
    const results = new Map<string, NeedState>();
    const pending = Object.keys(jobs);
    const { release } = this.#options;
    const job = workflow.repository === 'gantry' ? { workflow_repository: release.repository, workflow_sha: release.sha } : undefined;
    const workflowEnv = this.#envOf(workflow.yaml.env, { where: `${workflow.display} env`, github: run.github, inputs });
    while (pending.length > 0) {
      const index = pending.findIndex((id) => needsOf(jobs[id] as Job).every((need) => results.has(need)));
      if (index < 0) throw new Error(`${workflow.display}: jobs ${pending.join(', ')} wait for each other`);
      const [id = ''] = pending.splice(index, 1);
      const spec = jobs[id] as Job;
      for (const key of Object.keys(spec)) if (!JOB_KEYS.has(key)) throw new Error(`${workflow.display} jobs.${id}: ${key} is not emulated`);
      const needs = Object.fromEntries(needsOf(spec).map((need) => [need, results.get(need) as NeedState]));
      const where = `${workflow.display} jobs.${id}`;
      const needsStatus = {
        success: Object.values(needs).every((need) => need.result === 'success'),
        failure: Object.values(needs).some((need) => need.result === 'failure'),
      };
      const base = { github: run.github, inputs, needs, vars: {}, ...(job === undefined ? {} : { job }) };
      const record = (result: JobRecord['result'], ran: JobRecord['ran'], outputs: Record<string, string> | undefined) => {
        this.jobs.push({ workflow: workflow.display, path: workflow.path, job: id, result, ran, outputs: outputs ?? {} });
        results.set(id, { result, ...(outputs === undefined ? {} : { outputs }) });
      };
      if (!condition(spec.if, { ...base, where: `${where}.if`, status: needsStatus })) {
        record('skipped', 'skipped', {});
        continue;
      }
      const result = given[id];
      if (result !== undefined) {
        record(result, 'given', {});
        continue;
      }
      if (spec.uses !== undefined) {
        const called = this.#called(spec.uses, workflow);
        const specs = inputSpecs(called.yaml, 'workflow_call');
        const values = Object.fromEntries(
          Object.entries(spec.with ?? {}).map(([name, value]) => [name, interpolateValue(value, { ...base, where: `${where}.with.${name}` })]),
        );
        const result = await this.#runWorkflow(called, withInputs(specs, values, `${where} (uses: ${spec.uses})`), run);
        record(result, 'call', undefined);
        continue;
      }
      const combinations = this.#matrix(spec, { ...base, where: `${where}.strategy.matrix` });
      const outcomes: Array<'success' | 'failure'> = [];
      let outputs: Record<string, string> = {};
      for (const matrix of combinations) {
        const context = { ...base, ...(matrix === undefined ? {} : { matrix }) };
        const environment = spec.environment === undefined ? undefined : typeof spec.environment === 'string' ? spec.environment : spec.environment.name;
        const environmentName = environment === undefined ? undefined : interpolate(environment, { ...context, where: `${where}.environment` });
        const jobEnv = { ...workflowEnv, ...this.#envOf(spec.env, { ...context, where: `${where}.env` }) };
        const state = await this.#runSteps(workflow, id, spec, context, jobEnv, matrix, run.eventFile);
        outputs = Object.fromEntries(
          Object.entries(spec.outputs ?? {}).map(([name, value]) => [
            name,
            interpolate(value, { ...context, steps: state.steps, where: `${where}.outputs.${name}` }),
          ]),
        );
        this.jobs.push({
          workflow: workflow.display,
          path: workflow.path,
          job: id,
          ...(matrix === undefined ? {} : { matrix }),
          result: state.result,
          ran: 'steps',
          ...(environmentName === undefined ? {} : { environment: environmentName }),
          outputs,
        });
        outcomes.push(state.result);
      }
      results.set(id, { result: outcomes.every((outcome) => outcome === 'success') ? 'success' : 'failure', outputs });
    }
    return [...results.values()].some((result) => result.result === 'failure') ? 'failure' : 'success';
  }

  #matrix(spec: Job, context: ExpressionContext): Array<Record<string, Value> | undefined> {
    const matrix = spec.strategy?.matrix;
    if (matrix === undefined) return [undefined];
    let combinations: Array<Record<string, Value>> = [{}];
    for (const [key, value] of Object.entries(matrix)) {
      if (key === 'include' || key === 'exclude') throw new Error(`${context.where}: ${key} is not emulated`);
      const values = matrixValues(value, { ...context, where: `${context.where}.${key}` });
      combinations = combinations.flatMap((combination) => values.map((item) => ({ ...combination, [key]: item })));
    }
    return combinations;
  }

  #envOf(env: Record<string, unknown> | undefined, context: ExpressionContext): Record<string, string> {
    return Object.fromEntries(
      Object.entries(env ?? {}).map(([name, value]) => [name, interpolateValue(value, { ...context, where: `${context.where}.${name}` })]),
    );
  }

  async #runSteps(
    workflow: WorkflowFile,
    jobId: string,
    spec: Job,
    context: Omit<ExpressionContext, 'where'>,
    jobEnv: Record<string, string>,
    matrix: Record<string, Value> | undefined,
    eventFile: string,
  ): Promise<{ result: 'success' | 'failure'; steps: Record<string, StepState> }> {
    const steps: Record<string, StepState> = {};
    const gantryDirs = new Set<string>();
    let credentials: Record<string, string> = {};
    let failed = false;
    for (const [index, step] of (spec.steps ?? []).entries()) {
      const where = `${workflow.display} jobs.${jobId}${matrix === undefined ? '' : ` (${JSON.stringify(matrix)})`}.steps[${index}]`;
      for (const key of Object.keys(step)) if (!STEP_KEYS.has(key)) throw new Error(`${where}: ${key} is not emulated`);
      const stepContext = { ...context, steps, status: { success: !failed, failure: failed } };
      const env = { ...jobEnv, ...this.#envOf(step.env, { ...stepContext, env: jobEnv, where: `${where}.env` }) };
      const evaluated = { ...stepContext, env };
      const name = step.name ?? step.uses ?? (step.run ?? '').split('\n')[0] ?? '';
      const record: StepRecord = {
        workflow: workflow.display,
        path: workflow.path,
        repository: workflow.repository,
        job: jobId,
        ...(matrix === undefined ? {} : { matrix }),
        index,
        ...(step.id === undefined ? {} : { id: step.id }),
        name,
        kind: 'run',
        inputs: {},
        outcome: 'skipped',
        outputs: {},
        stdout: '',
        stderr: '',
        summary: '',
      };
      const gantry = step.uses === undefined ? undefined : this.#gantryAction(step.uses, gantryDirs, where);
      record.kind = gantry !== undefined ? 'gantry' : step.run !== undefined ? 'run' : standInKind(step.uses ?? '', where);
      if (gantry !== undefined) record.action = gantry.name;
      if (!condition(step.if, { ...evaluated, where: `${where}.if` })) {
        this.steps.push(record);
        if (step.id !== undefined) steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      const inputs = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([input, value]) => [input, interpolateValue(value, { ...evaluated, where: `${where}.with.${input}` })]),
      );
      const runnerEnv = {
        ...this.#options.env,
        ...runnerVariables(context.github, this.#options.workspace, jobId, eventFile),
        ...credentials,
        ...env,
      };
      if (gantry !== undefined) {
        Object.assign(record, await this.#runGantryAction(gantry, inputs, runnerEnv, String(context.github.token ?? ''), where));
      } else if (step.run !== undefined) {
        const script = interpolate(step.run, { ...evaluated, where: `${where}.run` });
        Object.assign(record, await this.#runScript(script, runnerEnv));
      } else if (record.kind === 'checkout') {
        record.inputs = inputs;
        this.#checkout(inputs, workflow, gantryDirs, where);
        record.outcome = 'success';
      } else if (record.kind === 'aws-credentials') {
        record.inputs = inputs;
        record.role = this.#credentials(inputs, where);
        credentials = { ...this.#options.credentials, AWS_REGION: inputs['aws-region'] ?? '', AWS_DEFAULT_REGION: inputs['aws-region'] ?? '' };
        record.outcome = 'success';
      } else {
        record.inputs = inputs;
        record.outcome = 'success';
      }
      this.steps.push(record);
      if (step.id !== undefined) steps[step.id] = { outputs: record.outputs, outcome: record.outcome, conclusion: record.outcome };
      if (record.outcome === 'failure') failed = true;
      await this.#options.afterStep?.(record);
    }
    return { result: failed ? 'failure' : 'success', steps };
  }

  /** gantry's action that `uses:` names, if it names one. */
  #gantryAction(uses: string, gantryDirs: Set<string>, where: string): { name: string; bundle: string; repository: string; ref: string } | undefined {
    const { release, workspace } = this.#options;
    const remote = /^([^/]+\/gantry)\/actions\/([a-z-]+)@(.+)$/.exec(uses);
    if (remote !== null) {
      const [, repository = '', name = '', ref = ''] = remote;
      if (repository !== release.repository || ref !== release.ref)
        throw new Error(`${where}: uses: ${uses}: the test serves only ${release.repository}@${release.ref}`);
      return { name, bundle: join(REPO_ROOT, 'actions', name, 'dist', 'index.js'), repository, ref };
    }
    const local = /^\.\/(?:(.+)\/)?actions\/([a-z-]+)$/.exec(uses);
    if (local === null) return undefined;
    const [, dir = '', name = ''] = local;
    if (!gantryDirs.has(normalize(dir))) {
      throw new Error(`${where}: uses: ${uses}: ./${dir} is not a checkout of gantry in this job (the workspace is the consumer's repository)`);
    }
    if (!existsSync(join(REPO_ROOT, 'actions', name, 'action.yml'))) throw new Error(`${where}: uses: ${uses}: gantry has no action ${name}`);
    // Through the checkout's path, as the runner would find it; a local action has no GITHUB_ACTION_REPOSITORY or _REF.
    return { name, bundle: join(workspace, dir, 'actions', name, 'dist', 'index.js'), repository: '', ref: '' };
  }

  async #runGantryAction(
    action: { name: string; bundle: string; repository: string; ref: string },
    inputs: Record<string, string>,
    env: Record<string, string>,
    token: string,
    where: string,
  ): Promise<Partial<StepRecord>> {
    const declared = actionInputs(action.name);
    for (const input of Object.keys(inputs)) {
      if (!declared.includes(input)) throw new Error(`${where}: ${action.name} has no input ${input} (inputs: ${declared.join(', ')})`);
    }
    const all = inputsWithDefaults(action.name, inputs, { GITHUB_TOKEN: token });
    const dir = mkdtempSync(join(this.#scratch, `${action.name}-`));
    const outputFile = join(dir, 'output');
    const summaryFile = join(dir, 'summary');
    writeFileSync(outputFile, '');
    writeFileSync(summaryFile, '');
    const child = spawn(process.execPath, [action.bundle], {
      cwd: this.#options.workspace,
      env: cleanEnv({
        ...env,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_ACTION_REPOSITORY: action.repository,
        GITHUB_ACTION_REF: action.ref,
        ...inputVariables(all),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await collect(child);
    return {
      inputs: all,
      code: result.code,
      outcome: result.code === 0 ? 'success' : 'failure',
      outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
      stdout: result.stdout,
      stderr: result.stderr,
      summary: readFileSync(summaryFile, 'utf8'),
    };
  }

  async #runScript(script: string, env: Record<string, string>): Promise<Partial<StepRecord>> {
    const dir = mkdtempSync(join(this.#scratch, 'run-'));
    const scriptFile = join(dir, 'script.sh');
    const outputFile = join(dir, 'output');
    const summaryFile = join(dir, 'summary');
    writeFileSync(scriptFile, script);
    writeFileSync(outputFile, '');
    writeFileSync(summaryFile, '');
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
      cwd: this.#options.workspace,
      env: cleanEnv({ ...env, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await collect(child);
    return {
      code: result.code,
      outcome: result.code === 0 ? 'success' : 'failure',
      outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
      stdout: result.stdout,
      stderr: result.stderr,
      summary: readFileSync(summaryFile, 'utf8'),
    };
  }

  #checkout(inputs: Record<string, string>, workflow: WorkflowFile, gantryDirs: Set<string>, where: string): void {
    const { release, workspace } = this.#options;
    const repository = inputs.repository;
    if (repository === undefined) {
      if (inputs.path !== undefined) throw new Error(`${where}: a checkout of the caller repository into ${inputs.path} is not emulated`);
      return; // the workspace is the caller's checkout
    }
    const own = workflow.repository === 'gantry' && repository === release.repository && inputs.ref === release.sha;
    if (!own)
      throw new Error(
        `${where}: checkout of ${repository}@${inputs.ref ?? ''}: only gantry's own checkout (job.workflow_repository at job.workflow_sha) is emulated`,
      );
    const path = normalize(inputs.path ?? '.');
    if (path === '.' || path.startsWith('..') || resolve(workspace, path) === workspace)
      throw new Error(`${where}: gantry's checkout must go into a folder of the workspace`);
    const link = join(workspace, path);
    if (existsSync(link) || isLink(link)) {
      if (!isLink(link) || resolve(dirname(link), readlinkSync(link)) !== REPO_ROOT) throw new Error(`${where}: ${path} already exists in the workspace`);
    } else symlinkSync(REPO_ROOT, link, 'dir');
    gantryDirs.add(path);
  }

  #credentials(inputs: Record<string, string>, where: string): string {
    const role = inputs['role-to-assume'] ?? '';
    const account = /^arn:aws:iam::(\d{12}):role\/[\w+=,.@/-]+$/.exec(role)?.[1];
    if (account === undefined) throw new Error(`${where}: role-to-assume ${JSON.stringify(role)} is not an IAM role ARN`);
    const allowed = (inputs['allowed-account-ids'] ?? '').split(',').map((id) => id.trim());
    if (!allowed.includes(account)) throw new Error(`${where}: role ${role} is not in allowed-account-ids ${inputs['allowed-account-ids'] ?? ''}`);
    if (inputs['aws-region'] !== this.#options.region)
      throw new Error(`${where}: aws-region ${inputs['aws-region'] ?? ''}: the sandbox serves only ${this.#options.region}`);
    for (const key of Object.keys(inputs)) {
      if (key.startsWith('aws-access-key') || key.startsWith('aws-secret') || key === 'aws-session-token') throw new Error(`${where}: ${key}: keys, not OIDC`);
    }
    return role;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function standInKind(uses: string, where: string): StepKind {
  const action = uses.split('@')[0];
  if (action === 'actions/checkout') return 'checkout';
  if (action === 'aws-actions/configure-aws-credentials') return 'aws-credentials';
  if (action === 'actions/setup-node') return 'setup-node';
  throw new Error(`${where}: uses: ${uses}: no stand-in for this action (see STAND_INS)`);
}

function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

function inputSpecs(workflow: Workflow, event: 'workflow_call' | 'workflow_dispatch'): Record<string, InputSpec> {
  const on = workflow.on;
  if (typeof on !== 'object' || on === null || !(event in on)) return {};
  const trigger = (on as Record<string, { inputs?: Record<string, InputSpec> } | null>)[event];
  return trigger?.inputs ?? {};
}

/** The `inputs` context of a called or dispatched workflow: declared inputs only, required ones given, defaults for the rest. */
function withInputs(specs: Record<string, InputSpec>, given: Record<string, string | boolean>, where: string): Record<string, Value> {
  for (const name of Object.keys(given)) {
    if (!(name in specs)) throw new Error(`${where}: input ${name} is not declared (inputs: ${Object.keys(specs).join(', ') || 'none'})`);
  }
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => {
      const value = given[name];
      if (value === undefined) {
        if (spec.required === true) throw new Error(`${where}: required input ${name} is not given`);
        return [name, (spec.default as Value | undefined) ?? (spec.type === 'boolean' ? false : spec.type === 'number' ? 0 : '')];
      }
      if (spec.type === 'boolean') return [name, value === true || value === 'true'];
      return [name, String(value)];
    }),
  );
}

function actionInputs(action: string): string[] {
  const metadata = parse(readFileSync(join(REPO_ROOT, 'actions', action, 'action.yml'), 'utf8')) as { inputs?: Record<string, unknown> };
  return Object.keys(metadata.inputs ?? {});
}

/** The GITHUB_* variables the runner gives every step, from the run's github context. */
function runnerVariables(github: Record<string, Value>, workspace: string, job: string, eventFile: string): Record<string, string> {
  const text = (key: string) => String(github[key] ?? '');
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_EVENT_NAME: text('event_name'),
    GITHUB_SHA: text('sha'),
    GITHUB_REF: text('ref'),
    GITHUB_REPOSITORY: text('repository'),
    GITHUB_SERVER_URL: text('server_url'),
    GITHUB_RUN_ID: text('run_id'),
    GITHUB_RUN_ATTEMPT: text('run_attempt'),
    GITHUB_JOB: job,
  };
}

/** GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n').values();
  for (const line of lines) {
    const block = /^([^<=]+)<<(.+)$/.exec(line);
    if (block !== null) {
      const value: string[] = [];
      for (const next of lines) {
        if (next === block[2]) break;
        value.push(next);
      }
      outputs[block[1] ?? ''] = value.join('\n');
      continue;
    }
    const pair = /^([^=]+)=(.*)$/.exec(line);
    if (pair !== null) outputs[pair[1] ?? ''] = pair[2] ?? '';
  }
  return outputs;
}

/** The steps of a workflow file that run one of gantry's actions, by job and index: what a run must have executed. */
export function gantrySteps(file: string): Array<{ job: string; index: number; action: string; if?: string }> {
  const workflow = parse(readFileSync(file, 'utf8')) as Workflow;
  return Object.entries(workflow.jobs).flatMap(([job, spec]) =>
    (spec.steps ?? []).flatMap((step, index) => {
      const action = /(?:^\.\/(?:.+\/)?actions\/|^[^/]+\/gantry\/actions\/)([a-z-]+)(?:@.+)?$/.exec(step.uses ?? '')?.[1];
      return action === undefined ? [] : [{ job, index, action, ...(typeof step.if === 'string' ? { if: step.if } : {}) }];
    }),
  );
}
