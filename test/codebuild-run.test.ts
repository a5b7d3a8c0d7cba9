/**
 * The codebuild-run action, end to end: the committed bundle run as the runner runs it (`node
 * actions/codebuild-run/dist/index.js` with INPUT_* variables) against the sandbox's CodeBuild, Logs and
 * GitHub services, with scripted builds: success with a plan summary and one PR comment updated in place,
 * each failure status, throttling, a cancelled workflow, a retried start, wait: false. The pure parts
 * (inputs, the StartBuild request, build status, the poll schedule) are tested directly.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Build } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import type { BuildScript, ScriptedPhase } from '../scripts/sandbox/codebuild/build.js';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedCodeBuildFromConfig } from '../scripts/sandbox/seed-config.js';
import { buildConsoleLink, buildFailure, describeFailure, phaseEntered, signalsNearEnd, usableLogLink } from '../src/codebuild/build-status.js';
import { DEFAULT_SCHEDULE, nextLogDelay, statusDelay } from '../src/codebuild/poll-schedule.js';
import { configPathInCheckout, resolveRun } from '../src/codebuild/settings.js';
import { buildVariables, explainStartFailure, idempotencyToken, type StartContext, startBuildRequest } from '../src/codebuild/start-request.js';
import { parseConfig } from '../src/config/load.js';
import { parseInputs } from '../src/definition/define.js';
import { codebuildRun } from '../src/definitions/codebuild-run.js';
import { commitOfEvent, readRunContext } from '../src/github/run-context.js';
import { actionInputSource, cliInputSource } from '../src/inputs.js';
import { CODEBUILD_PROTECTED_VARIABLES } from '../terraform/constructs/iam-actions.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { REPO_ROOT, runBundledAction, startBundledAction } from './helpers/run-bundle.js';
import { INJECTED_LINES, obeyedCommands } from './helpers/runner-commands.js';
import { controlClock, intercept, until } from './helpers/sandbox-control.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
/** What GITHUB_SHA is on a pull_request event: the merge commit GitHub makes for the run, never what was reviewed. */
const MERGE_SHA = 'fedcba9876543210fedcba9876543210fedcba98';
const PLAN_SHA = 'ab'.repeat(32);
const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);

describe('codebuild-run inputs', () => {
  const parse = (values: Record<string, string>, env: NodeJS.ProcessEnv = { GITHUB_SHA: SHA }) =>
    parseInputs(codebuildRun, cliInputSource(values), env, 'action');

  it('takes the commit from GITHUB_SHA and everything else from the config', () => {
    const inputs = parse({ environment: 'qa', mode: 'plan' });
    expect(inputs).toMatchObject({ mode: 'plan', sourceVersion: SHA, wait: true, logFollow: 'live-tail', comment: true });
    expect(parse({ environment: 'qa', mode: 'plan', 'log-follow': 'poll' }).logFollow).toBe('poll');
    const run = resolveRun(inputs, config.environments.get('qa')!);
    expect(run).toMatchObject({
      project: 'orders-qa-plan',
      workingDirectory: 'terraform/environments/qa',
      planLocation: `s3://orders-qa-222222222222-plans/qa/${SHA}`,
    });
    expect(resolveRun(parse({ environment: 'qa', mode: 'apply', 'plan-sha256': PLAN_SHA }), config.environments.get('qa')!).project).toBe('orders-qa-apply');
  });

  it.each([
    [{ mode: 'plan' }, 'option --environment: is required'],
    [{ environment: 'dev' }, 'option --mode: is required'],
    [{ environment: 'dev', mode: 'deploy' }, 'option --mode: must be one of plan, apply, got "deploy"'],
    [{ environment: 'dev', mode: 'apply' }, 'option --plan-sha256: is required with mode apply'],
    [{ environment: 'dev', mode: 'plan', 'plan-sha256': PLAN_SHA }, 'option --plan-sha256: is only for mode apply'],
    [{ environment: 'dev', mode: 'apply', 'plan-sha256': 'abc' }, 'option --plan-sha256: must be 64 hex digits'],
    [{ environment: 'dev', mode: 'plan', 'source-version': 'main' }, 'option --source-version: must be a full 40-character commit SHA, got "main"'],
    [{ environment: 'dev', mode: 'plan', 'plan-store': 'bucket' }, 'option --plan-store: must be s3://bucket[/prefix] or an absolute directory'],
    [{ environment: 'dev', mode: 'plan', 'working-directory': '../elsewhere' }, 'option --working-directory: must be a directory inside the repository'],
    [{ environment: 'dev', mode: 'plan', 'working-directory': '.' }, 'option --working-directory: must be a directory inside the repository'],
    [{ environment: 'dev', mode: 'plan', project: 'no spaces' }, 'option --project: must be a CodeBuild project name'],
    [{ environment: 'dev', mode: 'plan', wait: 'yes' }, 'option --wait: must be true or false, got "yes"'],
    [{ environment: 'dev', mode: 'plan', 'log-follow': 'tail' }, 'option --log-follow: must be one of live-tail, poll, got "tail"'],
  ])('refuses %j with one line naming the input', (values, message) => {
    expect(() => parse(values as Record<string, string>)).toThrow(message);
  });

  it('needs a commit outside a workflow run', () => {
    expect(() => parse({ environment: 'dev', mode: 'plan' }, {})).toThrow('option --source-version: is required outside a workflow run');
  });

  it("builds a pull request's head commit, not the merge commit in GITHUB_SHA; the input still wins", () => {
    const event = eventFile({ pull_request: { number: 7, head: { sha: SHA } } });
    const pullRequest = { GITHUB_SHA: MERGE_SHA, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event };
    expect(parse({ environment: 'dev', mode: 'plan' }, pullRequest).sourceVersion).toBe(SHA);
    expect(parse({ environment: 'dev', mode: 'plan', 'source-version': 'ab'.repeat(20) }, pullRequest).sourceVersion).toBe('ab'.repeat(20));
    // Only pull_request has the merge commit; push and the rest build GITHUB_SHA.
    expect(parse({ environment: 'dev', mode: 'plan' }, { ...pullRequest, GITHUB_EVENT_NAME: 'push' }).sourceVersion).toBe(MERGE_SHA);
    // No head in the event: no silent fallback to the merge commit.
    expect(() => parse({ environment: 'dev', mode: 'plan' }, { ...pullRequest, GITHUB_EVENT_PATH: eventFile({ pull_request: { number: 7 } }) })).toThrow(
      'option --source-version: is not set and the pull_request event file (GITHUB_EVENT_PATH) has no pull_request.head.sha to default to: pass --source-version to the commit SHA',
    );
    expect(() =>
      parse({ environment: 'dev', mode: 'plan' }, { ...pullRequest, GITHUB_EVENT_PATH: eventFile({ pull_request: { number: 7, head: { sha: 'main' } } }) }),
    ).toThrow('option --source-version: must be a full 40-character commit SHA, got "main" (from pull_request.head.sha of the event)');
  });

  it('decides the default commit from the event alone', () => {
    expect(commitOfEvent('pull_request', { pull_request: { head: { sha: SHA } } }, MERGE_SHA)).toEqual({
      sha: SHA,
      from: 'pull_request.head.sha of the event',
    });
    expect(commitOfEvent('pull_request', undefined, MERGE_SHA)).toHaveProperty('problem');
    // pull_request_target runs the base branch's code with its secrets: it is never pointed at the head.
    expect(commitOfEvent('pull_request_target', { pull_request: { head: { sha: SHA } } }, MERGE_SHA)).toEqual({ sha: MERGE_SHA, from: 'GITHUB_SHA' });
    expect(commitOfEvent('push', undefined, undefined)).toBeUndefined();
  });
});

describe('the StartBuild request', () => {
  const env = { GITHUB_SHA: SHA, GITHUB_REPOSITORY: 'example/app', GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'plan' };
  const parts = (values: Record<string, string>, extraEnv: Record<string, string> = {}) => {
    const inputs = parseInputs(codebuildRun, actionInputSource(inputEnv(values)), { ...env, ...extraEnv }, 'action');
    return {
      inputs,
      run: resolveRun(inputs, config.environments.get(inputs.target.environment)!),
      context: readRunContext({ ...env, ...extraEnv }),
    };
  };

  it('sends the commit, the variables the buildspec needs and a stable token, and no override of what the build runs', () => {
    const request = startBuildRequest(parts({ environment: 'dev', mode: 'apply', 'plan-sha256': PLAN_SHA }));
    expect(request).toMatchObject({ projectName: 'orders-dev-apply', sourceVersion: SHA });
    // The project's own buildspec (terraform sets it from buildspecs/) runs; the roles are denied any override.
    expect(Object.keys(request).sort()).toEqual(['environmentVariablesOverride', 'idempotencyToken', 'projectName', 'sourceVersion']);
    expect(request).not.toHaveProperty('buildspecOverride');
    expect(Object.fromEntries(request.environmentVariablesOverride!.map((v) => [v.name, v.value]))).toEqual({
      GANTRY_ENVIRONMENT: 'dev',
      GANTRY_MODE: 'apply',
      GANTRY_COMMIT: SHA,
      GANTRY_PLAN_LOCATION: `s3://orders-dev-111111111111-plans/dev/${SHA}`,
      GANTRY_PLAN_SHA256: PLAN_SHA,
      TF_WORKING_DIR: 'terraform/environments/dev',
      GANTRY_RUN_URL: 'https://github.com/example/app/actions/runs/77',
    });
    expect(request.environmentVariablesOverride!.every((v) => v.type === 'PLAINTEXT')).toBe(true);
    // Never a variable the project owns: the roles are denied overriding those (terraform/constructs/iam-actions.ts).
    const sent = new Set(request.environmentVariablesOverride!.map((v) => v.name));
    expect(CODEBUILD_PROTECTED_VARIABLES.filter((name) => sent.has(name))).toEqual([]);
  });

  it('derives the idempotency token from the run attempt, the job and the whole request', () => {
    const token = (values: Record<string, string>, extraEnv: Record<string, string> = {}) => startBuildRequest(parts(values, extraEnv)).idempotencyToken;
    const first = token({ environment: 'dev', mode: 'plan' });
    expect(first).toMatch(/^gantry-[0-9a-f]{40}$/);
    expect(token({ environment: 'dev', mode: 'plan' })).toBe(first);
    expect(token({ environment: 'dev', mode: 'plan' }, { GITHUB_RUN_ATTEMPT: '2' })).not.toBe(first);
    expect(token({ environment: 'qa', mode: 'plan' })).not.toBe(first);
    const apply = token({ environment: 'dev', mode: 'apply', 'plan-sha256': PLAN_SHA });
    expect(token({ environment: 'dev', mode: 'apply', 'plan-sha256': 'cd'.repeat(32) })).not.toBe(apply);
    const { idempotencyToken: _token, ...request } = startBuildRequest(parts({ environment: 'dev', mode: 'plan' }));
    expect(idempotencyToken(readRunContext(env), request)).toBe(first);
    expect(buildVariables(parts({ environment: 'dev', mode: 'plan' }))).not.toHaveProperty('GANTRY_PLAN_SHA256');
  });

  it('tells the plan build where the config is in its checkout (it packages the functions), never the apply build', () => {
    expect(buildVariables(parts({ environment: 'dev', mode: 'plan' }))).toMatchObject({ GANTRY_CONFIG: '.github/gantry.yml' });
    expect(buildVariables(parts({ environment: 'dev', mode: 'plan', config: join(REPO_ROOT, '.github', 'gantry.yml') }))).toMatchObject({
      GANTRY_CONFIG: '.github/gantry.yml',
    });
    expect(buildVariables(parts({ environment: 'dev', mode: 'apply', 'plan-sha256': PLAN_SHA }))).not.toHaveProperty('GANTRY_CONFIG');
    expect(configPathInCheckout('./ci/../.github/gantry.yml', '/work/repo')).toBe('.github/gantry.yml');
    expect(() => configPathInCheckout('/etc/gantry.yml', '/work/repo')).toThrow(
      'input "config": /etc/gantry.yml is outside the workspace (/work/repo); the plan build reads the config from its checkout at the same path',
    );
  });
});

describe('build status and polling', () => {
  const failed: Build = {
    id: 'p:1',
    buildStatus: 'FAILED',
    logs: { groupName: '/aws/codebuild/p', streamName: '1', deepLink: 'https://console/log' },
    phases: [
      { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED', contexts: [{ statusCode: '', message: '' }] },
      {
        phaseType: 'BUILD',
        phaseStatus: 'FAILED',
        contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: terraform plan. Reason: exit status 1' }],
      },
      { phaseType: 'POST_BUILD', phaseStatus: 'SUCCEEDED' },
    ],
  };

  it('names the failing phase and its message', () => {
    expect(buildFailure(failed)).toEqual({
      status: 'FAILED',
      phase: 'BUILD',
      message: 'COMMAND_EXECUTION_ERROR: Error while executing command: terraform plan. Reason: exit status 1',
    });
    expect(describeFailure(failed)).toBe(
      'build p:1 FAILED in BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: terraform plan. Reason: exit status 1 (log: https://console/log)',
    );
    expect(buildFailure({ ...failed, buildStatus: 'SUCCEEDED' })).toBeUndefined();
  });

  it('takes the log link only from a build view that names the log (real CodeBuild names it once the stream exists)', () => {
    const link = 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEvent:group=/aws/codebuild/orders-dev;stream=orders-dev-plan/5e1f';
    const named: Build = {
      id: 'orders-dev-plan:5e1f',
      logs: { groupName: '/aws/codebuild/orders-dev', streamName: 'orders-dev-plan/5e1f', deepLink: link },
    };
    expect(usableLogLink(named)).toBe(link);
    // StartBuild's answer and the first BatchGetBuilds, before the build has created its log stream.
    const unnamed: Build = {
      id: 'orders-dev-plan:5e1f',
      logs: {
        deepLink: 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEvent:group=null;stream=null',
        cloudWatchLogsArn: 'arn:aws:logs:eu-west-1:111111111111:log-group:null:log-stream:null',
        cloudWatchLogs: { status: 'ENABLED' },
      },
    };
    expect(usableLogLink(unnamed)).toBeUndefined();
    expect(usableLogLink({ id: 'x' })).toBeUndefined();
    // A group name without a usable link, or a link still pointing at a null stream, is no link either.
    expect(usableLogLink({ logs: { groupName: '/aws/codebuild/orders-dev', deepLink: unnamed.logs!.deepLink! } })).toBeUndefined();
    expect(usableLogLink({ logs: { groupName: '/aws/codebuild/orders-dev', deepLink: link.replace(/stream=.*$/, 'stream=null') } })).toBeUndefined();
    expect(usableLogLink({ logs: { groupName: 'null', deepLink: link } })).toBeUndefined();
    expect(usableLogLink({ logs: { groupName: '/aws/codebuild/orders-dev' } })).toBeUndefined();
    // A failed build's message links the log only when it is usable.
    expect(describeFailure({ ...failed, logs: unnamed.logs })).not.toContain('log:');
  });

  it("links a build's console page, where a person can stop it", () => {
    expect(
      buildConsoleLink(
        { id: 'orders-dev-plan:5e1f', arn: 'arn:aws:codebuild:eu-west-1:111111111111:build/orders-dev-plan:5e1f', projectName: 'orders-dev-plan' },
        'us-east-1',
      ),
    ).toBe('https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/111111111111/projects/orders-dev-plan/build/orders-dev-plan%3A5e1f/?region=eu-west-1');
    expect(buildConsoleLink({ id: 'orders-dev-plan:5e1f' }, 'eu-west-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/projects/orders-dev-plan/build/orders-dev-plan%3A5e1f/?region=eu-west-1',
    );
    expect(buildConsoleLink({ id: 'p:1', arn: 'arn:aws-cn:codebuild:cn-north-1:111111111111:build/p:1' }, 'cn-north-1')).toMatch(
      /^https:\/\/cn-north-1\.console\.amazonaws\.cn\/codesuite\/codebuild\/111111111111\/projects\/p\/build\/p%3A1\//,
    );
  });

  it('explains a missing project and missing credentials in one line, and leaves any other error alone', () => {
    const context: StartContext = {
      project: 'orders-dev-plan',
      configuredProject: 'orders-dev-plan',
      kind: 'plan project',
      environment: 'dev',
      configFile: '.github/gantry.yml',
      region: 'eu-west-1',
      role: { arn: 'arn:aws:iam::111111111111:role/orders-dev-ref', output: 'ref-role-arn' },
    };
    const error = (name: string, message: string) => Object.assign(new Error(message), { name });
    const missing =
      "CodeBuild project orders-dev-plan does not exist in eu-west-1 (the plan project of environment dev in .github/gantry.yml): create it with gantry's terraform/ (npm run synth, then terraform apply for dev in that account and region), or fix the project name in .github/gantry.yml";
    expect(
      explainStartFailure(error('InvalidInputException', 'Project cannot be found: arn:aws:codebuild:eu-west-1:1:project/orders-dev-plan'), context)?.message,
    ).toBe(missing);
    expect(explainStartFailure(error('ResourceNotFoundException', 'Project cannot be found'), context)?.message).toBe(missing);
    expect(explainStartFailure(error('ResourceNotFoundException', 'x'), { ...context, project: 'mine', projectInput: 'input "project"' })?.message).toBe(
      `CodeBuild project mine does not exist in eu-west-1 (from input "project"): fix input "project", or remove it to run the config's orders-dev-plan`,
    );
    expect(explainStartFailure(error('CredentialsProviderError', 'Could not load credentials from any providers'), context)?.message).toBe(
      "no AWS credentials to start CodeBuild project orders-dev-plan (environment dev): add aws-actions/configure-aws-credentials before this step, with role-to-assume: arn:aws:iam::111111111111:role/orders-dev-ref (resolve-environment's ref-role-arn output) and aws-region: eu-west-1",
    );
    expect(explainStartFailure(error('InvalidInputException', 'Idempotency token was used with different request parameters'), context)).toBeUndefined();
    expect(explainStartFailure(error('AccountLimitExceededException', 'Cannot have more than 1 builds in queue'), context)).toBeUndefined();
  });

  it('reads the agent lines: phase entered, near the end', () => {
    expect(phaseEntered('[Container] 2026/11/25 14:52:24.123456 Entering phase PRE_BUILD')).toBe('PRE_BUILD');
    expect(phaseEntered('Entering phase BUILD')).toBeUndefined();
    expect(signalsNearEnd('[Container] 2026/11/25 14:52:24.123456 Phase complete: POST_BUILD State: SUCCEEDED')).toBe(true);
    expect(signalsNearEnd('[Container] 2026/11/25 14:52:24.123456 Phase complete: INSTALL State: FAILED')).toBe(true);
    expect(signalsNearEnd('[Container] 2026/11/25 14:52:24.123456 Phase complete: BUILD State: SUCCEEDED')).toBe(false);
  });

  it('polls quickly while lines flow, backs off to the cap when idle, eagerly for status before the stream and near the end', () => {
    let delay = DEFAULT_SCHEDULE.logsActiveMs;
    const delays = Array.from({ length: 8 }, () => (delay = nextLogDelay(DEFAULT_SCHEDULE, delay, false)));
    expect(delays).toEqual([2000, 4000, 5000, 5000, 5000, 5000, 5000, 5000]);
    expect(nextLogDelay(DEFAULT_SCHEDULE, 5000, true)).toBe(1000);
    expect(statusDelay(DEFAULT_SCHEDULE, { streamFound: false, nearEnd: false })).toBe(3000);
    expect(statusDelay(DEFAULT_SCHEDULE, { streamFound: true, nearEnd: false })).toBe(15_000);
    expect(statusDelay(DEFAULT_SCHEDULE, { streamFound: true, nearEnd: true })).toBe(1000);
  });
});

function eventFile(payload: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gantry-event-')), 'event.json');
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

function inputEnv(values: Record<string, string>): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));
}

// ---------------------------------------------------------------------------------------------------------
// End to end: the bundle against the sandbox.

/** Each end-to-end test gets its own sandbox, so they run concurrently: most of their time is the action's polling. */
const e2e = it.extend<{ sandbox: GantrySandbox }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's first parameter as a pattern; this fixture needs none.
  sandbox: async ({}, use) => {
    const sandbox = await startSandbox({ clockSpeed: 10 });
    seedCodeBuildFromConfig(sandbox.services.codebuild, config);
    sandbox.services.github.addRepo('example', 'app');
    sandbox.services.github.addPullRequest('example', 'app', { number: 7, headSha: SHA, headRef: 'feature', baseRef: 'main' });
    await use(sandbox);
    await sandbox.stop();
  },
});

/**
 * Once StartBuild has answered (IN_PROGRESS), sandbox time jumps `ms` ahead: a scripted build shorter than that is
 * over, its whole log written, when the action first looks. Every run then takes the same path through the
 * action's real-time poll schedule (log, near the end, status, drain) instead of one that depends on how fast the
 * machine is, and the shortest one.
 */
function buildsRunAheadBy(sandbox: GantrySandbox, ms: number): void {
  const clock = controlClock(sandbox.clock);
  intercept(sandbox.services.codebuild, async (operation, _request, answer) => {
    const response = await answer();
    if (operation === 'StartBuild') clock.advance(ms);
    return response;
  });
}
const BUILD_DONE = 60_000;

/** A build in sandbox milliseconds: 10× clock, so 1 s of build is 0.1 s of test. */
function script(
  options: { failIn?: ScriptedPhase['phase']; status?: ScriptedPhase['status']; exported?: Record<string, string>; buildMs?: number } = {},
): BuildScript {
  const phases: ScriptedPhase[] = (
    [
      ['SUBMITTED', 0],
      ['QUEUED', 500],
      ['PROVISIONING', 2_000],
      ['DOWNLOAD_SOURCE', 500],
      ['INSTALL', 1_000],
      ['PRE_BUILD', 500],
      ['BUILD', options.buildMs ?? 2_000],
      ['POST_BUILD', 500],
      ['UPLOAD_ARTIFACTS', 200],
      ['FINALIZING', 200],
    ] as const
  ).map(([phase, durationMs]) => ({
    phase,
    durationMs,
    ...(phase === 'INSTALL' ? { lines: ['Terraform v1.11.4 already installed'] } : {}),
    ...(phase === 'BUILD' ? { lines: ['terraform_data.a: Plan to create', ...INJECTED_LINES, 'Plan: 2 to add, 0 to change, 0 to destroy.'] } : {}),
    ...(phase === options.failIn
      ? { status: options.status ?? 'FAILED', message: 'Error while executing command: terraform plan. Reason: exit status 1' }
      : {}),
  }));
  return { phases, ...(options.exported === undefined ? {} : { exportedVariables: options.exported }) };
}

const PLAN_EXPORTS = {
  GANTRY_PLAN_SHA256: PLAN_SHA,
  GANTRY_PLAN_ADD: '2',
  GANTRY_PLAN_CHANGE: '1',
  GANTRY_PLAN_DESTROY: '0',
  GANTRY_PLAN_REPLACE: '0',
  GANTRY_PLAN_RESOURCES: JSON.stringify([
    ['create', 'terraform_data.a'],
    ['create', 'terraform_data.b'],
    ['update', 'terraform_data.c'],
  ]),
};

function workflowEnv(sandbox: GantrySandbox, extra: Record<string, string> = {}): Record<string, string> {
  const eventPath = eventFile({ pull_request: { number: 7, head: { sha: SHA } } });
  return {
    ...sandbox.env,
    // The pull request's head is SHA; GITHUB_SHA is the merge commit, which the build must not check out.
    GITHUB_SHA: MERGE_SHA,
    GITHUB_REPOSITORY: 'example/app',
    GITHUB_RUN_ID: '1001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'plan-dev',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    ...extra,
  };
}

const planInputs = (extra: Record<string, string> = {}) => ({
  environment: 'dev',
  mode: 'plan',
  config: EXAMPLE_CONFIG_FILE,
  'github-token': 'sandbox-token',
  ...extra,
});

describe.concurrent('codebuild-run end to end (bundle against the sandbox)', () => {
  e2e('plans: streams the log in one group per phase, sets outputs, writes the summary and one PR comment updated in place', async ({ sandbox, expect }) => {
    buildsRunAheadBy(sandbox, BUILD_DONE);
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', script({ exported: PLAN_EXPORTS }));
    const result = await runBundledAction('codebuild-run', planInputs(), workflowEnv(sandbox));
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({
      status: 'SUCCEEDED',
      'build-number': '1',
      'plan-sha256': PLAN_SHA,
      'plan-add': '2',
      'plan-change': '1',
      'plan-destroy': '0',
    });
    expect(result.outputs['build-id']).toMatch(/^orders-dev-pr-plan:/);
    expect(result.outputs['log-url']).toContain('/aws/codebuild/orders-dev');
    expect(result.outputs['log-url']).not.toMatch(/=null/);
    expect(result.stdout.match(/^CodeBuild log: /gm)).toEqual(['CodeBuild log: ']);
    // One group per phase, in order, each closed before the next opens.
    const groups = [...result.stdout.matchAll(/^::group::(\w+)$/gm)].map((match) => match[1]);
    expect(groups).toEqual(['DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS']);
    expect(result.stdout.match(/^::group::/gm)!.length).toBe(result.stdout.match(/^::endgroup::$/gm)!.length);
    expect(result.stdout).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    // No build log line acts as a workflow command, in any form the runner reads: the runner obeys only the groups.
    // (The agent, like CodeBuild's, writes one event per \n-line, so the embedded newline arrives as two lines.)
    for (const line of INJECTED_LINES.flatMap((text) => text.split('\n'))) expect(result.stdout).toContain(line);
    expect(obeyedCommands(result.stdout).filter(({ command }) => command !== 'group' && command !== 'endgroup')).toEqual([]);
    expect(result.outputs.status).toBe('SUCCEEDED');
    expect(result.summary).toContain('Terraform plan: dev');
    expect(result.summary).toContain('terraform_data.c');

    const [build] = [...sandbox.services.codebuild.builds.values()];
    // The pull request's head commit, not the merge commit in GITHUB_SHA.
    expect(build!.sourceVersion).toBe(SHA);
    expect(build!.environmentVariables.find((v) => v.name === 'GANTRY_COMMIT')!.value).toBe(SHA);
    // No buildspecOverride: the build ran the project's own buildspec, gantry's terraform-plan buildspec.
    expect(build!.buildspecOverridden).toBe(false);
    expect(build!.buildspec).toBe(readFileSync(join(REPO_ROOT, 'buildspecs', 'terraform-plan.yml'), 'utf8'));
    expect(build!.environmentVariables.find((v) => v.name === 'GANTRY_MODE')!.value).toBe('plan');
    // A pull request plans in the read-only pull-request plan project (no lock, nothing stored).
    expect(build!.projectName).toBe('orders-dev-pr-plan');
    expect(build!.environmentVariables.find((v) => v.name === 'GANTRY_PLAN_READ_ONLY')!.value).toBe('true');

    const comments = sandbox.services.github.comments('example', 'app', 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toMatch(/^<!-- gantry:plan:dev -->\n/);

    // The next push: a new run plans again and the same comment is updated, not a second one added.
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', script({ exported: { ...PLAN_EXPORTS, GANTRY_PLAN_ADD: '5' } }));
    const again = await runBundledAction('codebuild-run', planInputs(), workflowEnv(sandbox, { GITHUB_RUN_ID: '1002' }));
    expect(again.code).toBe(0);
    const updated = sandbox.services.github.comments('example', 'app', 7);
    expect(updated).toHaveLength(1);
    expect(updated[0]!.body).toContain('5 to add');
    expect(updated[0]!.id).toBe(comments[0]!.id);
    expect(again.outputs['comment-url']).toBe(result.outputs['comment-url']);
    expect(again.stdout).toContain('plan comment updated');
  });

  e2e.for([
    ['FAILED', 'BUILD'],
    ['FAULT', 'PROVISIONING'],
    ['TIMED_OUT', 'BUILD'],
    ['STOPPED', 'PRE_BUILD'],
  ] as const)('fails the step when the build ends %s, naming the phase and its message', async ([status, phase], { sandbox, expect }) => {
    buildsRunAheadBy(sandbox, BUILD_DONE);
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', script({ failIn: phase, status }));
    const result = await runBundledAction('codebuild-run', planInputs(), workflowEnv(sandbox));
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe(status);
    expect(result.stdout).toMatch(
      new RegExp(
        `::error::build orders-dev-pr-plan:\\S+ ${status} in ${phase}: ${status === 'FAILED' ? 'COMMAND_EXECUTION_ERROR' : status}: Error while executing command: terraform plan`,
      ),
    );
    // The runner obeys the error (no stop-commands region is left open before it), and nothing from the build log.
    const obeyed = obeyedCommands(result.stdout);
    expect(obeyed.map(({ command }) => command)).toContain('error');
    expect(obeyed.filter(({ command }) => !['group', 'endgroup', 'debug', 'error'].includes(command))).toEqual([]);
    expect(obeyed.filter(({ data }) => data.includes('after-') || data.includes('at-line-start'))).toEqual([]);
    // The PR comment says the plan failed: an older plan must not look current.
    expect(sandbox.services.github.comments('example', 'app', 7)[0]!.body).toContain('did not complete');
  });

  e2e('rides out throttling and 5xx through the SDK retry strategy', async ({ sandbox, expect }) => {
    buildsRunAheadBy(sandbox, BUILD_DONE);
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', script({ exported: PLAN_EXPORTS }));
    sandbox.faults.add({ service: 'codebuild', operation: 'StartBuild', kind: 'throttle', times: 2 });
    sandbox.faults.add({ service: 'codebuild', operation: 'BatchGetBuilds', kind: 'throttle', times: 2 });
    sandbox.faults.add({ service: 'logs', operation: 'GetLogEvents', kind: 'server-error', status: 503, times: 2 });
    const result = await runBundledAction('codebuild-run', planInputs({ comment: 'false' }), workflowEnv(sandbox));
    expect(result.code).toBe(0);
    expect(result.outputs.status).toBe('SUCCEEDED');
    expect(sandbox.server.calls('codebuild', 'StartBuild').map((call) => call.status)).toEqual([400, 400, 200]);
    expect(sandbox.services.codebuild.builds.size).toBe(1);
    expect(sandbox.server.calls('logs', 'GetLogEvents').filter((call) => call.status === 503)).toHaveLength(2);
  });

  e2e('stops the build when the workflow is cancelled (SIGINT) and exits promptly', async ({ sandbox, expect }) => {
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', script({ buildMs: 3_600_000 }));
    // The workflow is cancelled while the action waits on the build's Live Tail session, in BUILD. "Promptly":
    // the action stops the build at once, without waiting for the session (or its next status poll); then it
    // sends nothing more, and its session is closed.
    const building = () => {
      const [id] = sandbox.services.codebuild.builds.keys();
      return id !== undefined && sandbox.services.codebuild.build(id).phases.at(-1)?.phaseType === 'BUILD';
    };
    // Waiting: the session is open and its catch-up read (a page, then the same-token page) has been answered.
    let caughtUp = 0;
    intercept(sandbox.services.logs, async (operation, _request, answer) => {
      const response = await answer();
      if (operation === 'GetLogEvents' && sandbox.server.calls('logs', 'StartLiveTail').length === 1) caughtUp++;
      return response;
    });
    const started = await startBundledAction('codebuild-run', planInputs({ comment: 'false' }), workflowEnv(sandbox));
    expect(await until(() => building() && caughtUp >= 2, { giveUpMs: 60_000 })).toBe(true);
    const before = sandbox.server.requests.at(-1)!.seq;
    started.child.kill('SIGINT');
    const result = await started.result;
    const buildId = result.outputs['build-id']!;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`::error::workflow cancelled: stopped build ${buildId}`);
    expect(sandbox.server.requests.filter((call) => call.seq > before).map((call) => call.operation)).toEqual(['StopBuild']);
    expect(sandbox.server.calls('logs', 'StartLiveTail')[0]?.streamEnded?.by).toBe('client-closed');
    expect(sandbox.services.codebuild.build(buildId).buildStatus).toBe('STOPPED');
    expect(result.outputs.status).toBe('STOPPED');
  });

  e2e('starts one build when the step is retried, and returns at once with wait: false', async ({ sandbox, expect }) => {
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', script({ exported: PLAN_EXPORTS }));
    const first = await runBundledAction('codebuild-run', planInputs({ wait: 'false' }), workflowEnv(sandbox));
    const retried = await runBundledAction('codebuild-run', planInputs({ wait: 'false' }), workflowEnv(sandbox));
    expect(first.code).toBe(0);
    expect(first.outputs.status).toBe('IN_PROGRESS');
    expect(retried.outputs['build-id']).toBe(first.outputs['build-id']);
    expect(sandbox.services.codebuild.builds.size).toBe(1);
    expect(sandbox.server.calls('codebuild', 'StartBuild')).toHaveLength(2);
    expect(sandbox.server.calls('codebuild', 'BatchGetBuilds')).toHaveLength(0);
  });

  e2e('refuses a pull-request plan of an environment not in pullRequests.environments (prod by default)', async ({ sandbox, expect }) => {
    const result = await runBundledAction('codebuild-run', { ...planInputs(), environment: 'prod' }, workflowEnv(sandbox));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('pull requests may not plan prod: it is not in pullRequests.environments (dev, qa) of the config');
    expect(sandbox.server.calls('codebuild', 'StartBuild')).toHaveLength(0);
  });

  e2e('refuses bad input before starting anything', async ({ sandbox, expect }) => {
    const result = await runBundledAction('codebuild-run', { environment: 'dev', mode: 'apply', config: EXAMPLE_CONFIG_FILE }, workflowEnv(sandbox));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::input "plan-sha256": is required with mode apply');
    expect(sandbox.server.requests).toHaveLength(0);
  });
});
