/**
 * codebuild-run never leaves a build running behind a failed step, and says what went wrong in one line:
 * - a cancel while StartBuild is in flight: the call completes, then the build it started is stopped;
 * - a StopBuild that fails: "stop requested … and failed", the console link, `status` left at what is known;
 * - a follower that gives up (`abandoned`): the build is stopped and the step names the reason;
 * - a project that does not exist, and no AWS credentials: the project, where its name came from, the fix;
 * - `log-url` from the first view of the build that names its log, once.
 * The bundle runs against the sandbox where the runner's part matters (signals, the SDK's credential chain);
 * the follower's outcomes are handed in through the action's `follow` seam, with the real CodeBuild client.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { type Build, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { describe, it } from 'vitest';
import type { BuildScript } from '../scripts/sandbox/codebuild/build.js';
import type { SandboxResponse } from '../scripts/sandbox/protocol.js';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedCodeBuildFromConfig } from '../scripts/sandbox/seed-config.js';
import { type CodeBuildRunDeps, codebuildRunAction } from '../src/codebuild-run.js';
import { parseConfig } from '../src/config/load.js';
import type { ActionContext } from '../src/definition/define.js';
import { parseInputs } from '../src/definition/define.js';
import { codebuildRun } from '../src/definitions/codebuild-run.js';
import { actionInputSource } from '../src/inputs.js';
import { MemoryLogger } from '../src/logger.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { runBundledAction, type StartedAction, startBundledAction } from './helpers/run-bundle.js';
import { obeyedCommands } from './helpers/runner-commands.js';
import { intercept, until } from './helpers/sandbox-control.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const PLAN_SHA = 'ab'.repeat(32);
const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
const dev = config.environments.get('dev')!;

/** A build that stays IN_PROGRESS (in BUILD) for an hour of sandbox time: only a stop ends it within a test. */
const LONG_BUILD: BuildScript = {
  phases: [
    { phase: 'SUBMITTED', durationMs: 0 },
    { phase: 'QUEUED', durationMs: 500 },
    { phase: 'PROVISIONING', durationMs: 2_000 },
    { phase: 'DOWNLOAD_SOURCE', durationMs: 500 },
    { phase: 'INSTALL', durationMs: 1_000 },
    { phase: 'PRE_BUILD', durationMs: 500 },
    { phase: 'BUILD', durationMs: 3_600_000 },
    { phase: 'POST_BUILD', durationMs: 500 },
    { phase: 'UPLOAD_ARTIFACTS', durationMs: 200 },
    { phase: 'FINALIZING', durationMs: 200 },
  ],
};

/** A sandbox per test, so they run concurrently; `seeded: false` leaves CodeBuild without any project. */
async function sandboxFor(seeded = true): Promise<GantrySandbox> {
  const sandbox = await startSandbox({ clockSpeed: 10 });
  if (seeded) seedCodeBuildFromConfig(sandbox.services.codebuild, config);
  sandbox.services.github.addRepo('example', 'app');
  return sandbox;
}

const e2e = it.extend<{ sandbox: GantrySandbox }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's first parameter as a pattern; this fixture needs none.
  sandbox: async ({}, use) => {
    const sandbox = await sandboxFor();
    await use(sandbox);
    await sandbox.stop();
  },
});

function eventFile(payload: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gantry-event-')), 'event.json');
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

/** A pull request's plan job, as the runner sets it up. */
function pullRequestEnv(sandbox: GantrySandbox, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    ...sandbox.env,
    GITHUB_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
    GITHUB_REPOSITORY: 'example/app',
    GITHUB_RUN_ID: '2001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'plan-dev',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventFile({ pull_request: { number: 7, head: { sha: SHA } } }),
    ...extra,
  };
}

const planInputs = { environment: 'dev', mode: 'plan', config: EXAMPLE_CONFIG_FILE, comment: 'false' };

/**
 * Starts the bundle with StartBuild held at the sandbox until the action has received SIGINT and said so: the
 * cancel certainly arrives while StartBuild is in flight. Resolves with the action's result and whether the
 * hold saw the action take the cancel.
 */
async function cancelDuringStartBuild(sandbox: GantrySandbox): Promise<{ result: Awaited<StartedAction['result']>; cancelSeenInFlight: boolean }> {
  let started: StartedAction | undefined;
  let stdout = '';
  let cancelSeenInFlight = false;
  intercept(sandbox.services.codebuild, async (operation, _request, answer) => {
    if (operation === 'StartBuild') {
      started!.child.kill('SIGINT');
      cancelSeenInFlight = await until(() => stdout.includes('workflow cancelled while StartBuild of orders-dev-pr-plan is in flight'), { giveUpMs: 30_000 });
    }
    return answer();
  });
  started = await startBundledAction('codebuild-run', planInputs, pullRequestEnv(sandbox));
  started.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return { result: await started.result, cancelSeenInFlight };
}

describe.concurrent('codebuild-run: cancel, stop and start failures (bundle against the sandbox)', () => {
  e2e('a cancel while StartBuild is in flight lets it complete, then stops the build it started', async ({ sandbox, expect }) => {
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', LONG_BUILD);
    const { result, cancelSeenInFlight } = await cancelDuringStartBuild(sandbox);
    expect(cancelSeenInFlight).toBe(true);
    const buildId = result.outputs['build-id']!;
    expect(buildId).toMatch(/^orders-dev-pr-plan:/);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`::error::workflow cancelled: stopped build ${buildId}`);
    // Stopped as soon as its id was known: nothing was followed, nothing else was sent.
    expect(sandbox.server.requests.map((call) => call.operation)).toEqual(['StartBuild', 'StopBuild']);
    expect(sandbox.services.codebuild.build(buildId).buildStatus).toBe('STOPPED');
    expect(result.outputs.status).toBe('STOPPED');
  });

  e2e('a StopBuild that fails is reported as failed, with the console link; status stays what is known', async ({ sandbox, expect }) => {
    sandbox.services.codebuild.scriptNextBuild('orders-dev-pr-plan', LONG_BUILD);
    sandbox.faults.add({ service: 'codebuild', operation: 'StopBuild', kind: 'server-error' });
    const { result, cancelSeenInFlight } = await cancelDuringStartBuild(sandbox);
    expect(cancelSeenInFlight).toBe(true);
    const buildId = result.outputs['build-id']!;
    expect(result.code).toBe(1);
    const [, account] = /:(\d{12}):build\//.exec(sandbox.services.codebuild.build(buildId).arn) ?? [];
    const consoleLink = `https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/${account}/projects/orders-dev-pr-plan/build/${encodeURIComponent(buildId)}/?region=eu-west-1`;
    // The SDK retries the 500 until the 5 s stop deadline or its last attempt, whichever comes first: either
    // way the line names CodeBuild's error.
    // As the runner reads the annotation: a workflow command's data has % escaped as %25.
    const error = obeyedCommands(result.stdout)
      .find(({ command }) => command === 'error')
      ?.data.replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%25/g, '%');
    expect(error).toMatch(
      new RegExp(
        `^workflow cancelled: stop requested for build ${literal(buildId)} and failed: InternalFailure: An internal error occurred\\..*; stop it at ${literal(consoleLink)}$`,
      ),
    );
    expect(result.stdout).not.toContain('stopped build');
    expect(sandbox.server.calls('codebuild', 'StopBuild').every((call) => call.status === 500)).toBe(true);
    expect(sandbox.services.codebuild.build(buildId).buildStatus).toBe('IN_PROGRESS');
    expect(result.outputs.status).toBe('IN_PROGRESS');
  });

  e2e('a project the input names that does not exist: one line naming the input and the fix', async ({ sandbox, expect }) => {
    const result = await runBundledAction('codebuild-run', { ...planInputs, project: 'orders-dev-nope' }, pullRequestEnv(sandbox));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `::error::CodeBuild project orders-dev-nope does not exist in ${dev.region} (from input "project"): fix input "project", or remove it to run the config's orders-dev-pr-plan`,
    );
    expect(result.stdout).not.toContain('Project cannot be found');
    expect(result.outputs).not.toHaveProperty('build-id');
  });

  it('a project the config names that does not exist: one line naming the environment, the config and the fix', async ({ expect }) => {
    const sandbox = await sandboxFor(false);
    try {
      const result = await runBundledAction('codebuild-run', planInputs, pullRequestEnv(sandbox));
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        `::error::CodeBuild project orders-dev-pr-plan does not exist in ${dev.region} (the pull-request plan project of environment dev in ${EXAMPLE_CONFIG_FILE}): create it with gantry's terraform/ (npm run synth, then terraform apply for dev in that account and region), or fix the project name in ${EXAMPLE_CONFIG_FILE}`,
      );
      expect(sandbox.server.calls('codebuild', 'StartBuild').map((call) => call.status)).toEqual([400]);
    } finally {
      await sandbox.stop();
    }
  });

  e2e('no AWS credentials: one line naming the project and the role step, and nothing sent', async ({ sandbox, expect }) => {
    const noCredentials = join(mkdtempSync(join(tmpdir(), 'gantry-no-aws-')), 'absent');
    const env = {
      ...pullRequestEnv(sandbox, { GITHUB_EVENT_NAME: 'push', GITHUB_SHA: SHA }),
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SHARED_CREDENTIALS_FILE: `${noCredentials}/credentials`,
      AWS_CONFIG_FILE: `${noCredentials}/config`,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const result = await runBundledAction(
      'codebuild-run',
      { environment: 'dev', mode: 'apply', 'plan-sha256': PLAN_SHA, config: EXAMPLE_CONFIG_FILE, comment: 'false' },
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `::error::no AWS credentials to start CodeBuild project orders-dev-apply (environment dev): add aws-actions/configure-aws-credentials before this step, with role-to-assume: ${dev.names.deployRoleArn} (resolve-environment's role-arn output) and aws-region: ${dev.region}`,
    );
    expect(result.stdout).not.toContain('Could not load credentials');
    expect(sandbox.server.requests).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The follower's outcomes, handed in through the `follow` seam; StartBuild and StopBuild go to the sandbox.

interface InProcessRun {
  error: Error | undefined;
  outputs: Array<[string, string]>;
  logger: MemoryLogger;
  output(name: string): string | undefined;
}

async function runInProcess(sandbox: GantrySandbox, deps: Pick<CodeBuildRunDeps, 'follow'>, options: { maxAttempts?: number } = {}): Promise<InProcessRun> {
  const env: NodeJS.ProcessEnv = {
    INPUT_ENVIRONMENT: 'dev',
    INPUT_MODE: 'plan',
    INPUT_CONFIG: EXAMPLE_CONFIG_FILE,
    INPUT_WAIT: 'true',
    INPUT_COMMENT: 'false',
    GITHUB_SHA: SHA,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'example/app',
    GITHUB_RUN_ID: '3001',
    GITHUB_JOB: 'plan',
  };
  const inputs = parseInputs(codebuildRun, actionInputSource(env), env, 'action');
  const outputs: Array<[string, string]> = [];
  const logger = new MemoryLogger();
  const context: ActionContext = {
    logger,
    setOutput: (name, value) => outputs.push([name, String(value)]),
    appendSummary: async () => {},
    env,
    inputs: actionInputSource(env),
    cancellation: () => new AbortController().signal,
  };
  const aws = {
    region: dev.region,
    endpoint: sandbox.url,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  };
  const error = await codebuildRunAction(inputs, context, { codebuild: new CodeBuildClient(aws), logs: new CloudWatchLogsClient(aws), ...deps }).then(
    () => undefined,
    (caught: Error) => caught,
  );
  return { error, outputs, logger, output: (name) => outputs.filter(([set]) => set === name).at(-1)?.[1] };
}

const GAVE_UP = 'BatchGetBuilds kept failing until the build timeout (60 min): ThrottlingException: Rate exceeded';
const abandon: CodeBuildRunDeps['follow'] = async (started) => ({ outcome: 'abandoned', build: started, reason: GAVE_UP });

const NULL_LOGS: Build['logs'] = {
  deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEvent:group=null;stream=null`,
  cloudWatchLogsArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:null:log-stream:null',
  cloudWatchLogs: { status: 'ENABLED' },
};

describe.concurrent('codebuild-run: what the follower returns', () => {
  it('stops the build when the follower gives up, naming the reason and the build', async ({ expect }) => {
    const sandbox = await sandboxFor();
    try {
      sandbox.services.codebuild.scriptNextBuild('orders-dev-plan', LONG_BUILD);
      const run = await runInProcess(sandbox, { follow: abandon });
      const buildId = run.output('build-id')!;
      expect(run.error?.message).toBe(`gave up following the build (${GAVE_UP}): stopped build ${buildId}`);
      expect(sandbox.server.calls('codebuild', 'StopBuild')).toHaveLength(1);
      expect(sandbox.services.codebuild.build(buildId).buildStatus).toBe('STOPPED');
      expect(run.output('status')).toBe('STOPPED');
    } finally {
      await sandbox.stop();
    }
  });

  it('stops the build when following fails outright (a denied or expired credential), naming the error', async ({ expect }) => {
    const sandbox = await sandboxFor();
    try {
      sandbox.services.codebuild.scriptNextBuild('orders-dev-plan', LONG_BUILD);
      const expired: CodeBuildRunDeps['follow'] = async () => {
        throw Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' });
      };
      const run = await runInProcess(sandbox, { follow: expired });
      const buildId = run.output('build-id')!;
      expect(run.error?.message).toBe(
        'could not follow the build (ExpiredTokenException: The security token included in the request is expired; the role session ended before the build: ' +
          `raise role-duration-seconds of configure-aws-credentials (the deploy role allows 14400)): stopped build ${buildId}`,
      );
      expect(sandbox.server.calls('codebuild', 'StopBuild')).toHaveLength(1);
      expect(sandbox.services.codebuild.build(buildId).buildStatus).toBe('STOPPED');
      expect(run.output('status')).toBe('STOPPED');
    } finally {
      await sandbox.stop();
    }
  });

  it('says so when that stop fails, and leaves status at the last known', async ({ expect }) => {
    const sandbox = await sandboxFor();
    try {
      sandbox.services.codebuild.scriptNextBuild('orders-dev-plan', LONG_BUILD);
      sandbox.faults.add({ service: 'codebuild', operation: 'StopBuild', kind: 'server-error', status: 503 });
      // Two attempts: the SDK gives up on its own, before the stop deadline.
      const run = await runInProcess(sandbox, { follow: abandon }, { maxAttempts: 2 });
      const buildId = run.output('build-id')!;
      expect(run.error?.message).toMatch(
        new RegExp(
          `^gave up following the build \\(${literal(GAVE_UP)}\\): stop requested for build ${literal(buildId)} and failed: InternalFailure: An internal error occurred\\.; stop it at https://eu-west-1\\.console\\.aws\\.amazon\\.com/codesuite/codebuild/\\d{12}/projects/orders-dev-plan/build/${literal(encodeURIComponent(buildId))}/\\?region=eu-west-1$`,
        ),
      );
      expect(sandbox.server.calls('codebuild', 'StopBuild').map((call) => call.status)).toEqual([503, 503]);
      expect(sandbox.services.codebuild.build(buildId).buildStatus).toBe('IN_PROGRESS');
      expect(run.output('status')).toBe('IN_PROGRESS');
    } finally {
      await sandbox.stop();
    }
  });

  it('sets log-url once, from the first view of the build that names its log, never a null one', async ({ expect }) => {
    const sandbox = await sandboxFor();
    try {
      sandbox.services.codebuild.scriptNextBuild('orders-dev-plan', LONG_BUILD);
      // StartBuild answers as real CodeBuild does before the build has created its log stream.
      intercept(sandbox.services.codebuild, async (operation, _request, answer) => {
        const response = await answer();
        if (operation !== 'StartBuild') return response;
        const body = response.body as { build: Record<string, unknown> };
        return { ...response, body: { ...body, build: { ...body.build, logs: NULL_LOGS } } } satisfies SandboxResponse;
      });
      const named = (stream: string): Build['logs'] => ({
        groupName: '/aws/codebuild/orders-dev',
        streamName: stream,
        deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEvent:group=/aws/codebuild/orders-dev;stream=${stream}`,
      });
      const run = await runInProcess(sandbox, {
        follow: async (started, options) => {
          expect(started.logs).toEqual(NULL_LOGS);
          options.onBuild?.({ ...started, logs: NULL_LOGS });
          options.onBuild?.({ ...started, logs: named('first') });
          options.onBuild?.({ ...started, logs: named('second') });
          return { outcome: 'complete', build: { ...started, buildStatus: 'FAILED', buildComplete: true, logs: named('second') } };
        },
      });
      expect(run.outputs.filter(([name]) => name === 'log-url')).toEqual([['log-url', named('first')!.deepLink]]);
      expect(run.logger.lines.filter((line) => line.startsWith('CodeBuild log:'))).toEqual([`CodeBuild log: ${named('first')!.deepLink}`]);
      expect(run.logger.lines.join('\n')).not.toContain('=null');
      expect(run.output('status')).toBe('FAILED');
      expect(run.error?.message).toMatch(/^build orders-dev-plan:\S+ FAILED/);
    } finally {
      await sandbox.stop();
    }
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
