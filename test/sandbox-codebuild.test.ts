/**
 * The sandbox's CodeBuild and CloudWatch Logs services, driven by the real `@aws-sdk/client-codebuild` and
 * `@aws-sdk/client-cloudwatch-logs` over HTTP: scripted builds and their phases, idempotent StartBuild,
 * StopBuild, builds that execute a buildspec for real (a failing BUILD still runs POST_BUILD and finally;
 * exported variables come back in BatchGetBuilds), GetLogEvents paging with the same-token end condition,
 * FilterLogEvents, the Logs quota and faults.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, type Build, type CodeBuildClient, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildScript } from '../scripts/sandbox/codebuild/build.js';
import { DEFAULT_INGESTION_DELAY_MS } from '../scripts/sandbox/logs/store.js';
import { type GantrySandbox, type GantrySandboxOptions, startSandbox } from '../scripts/sandbox/sandbox.js';
import { createCodeBuildClient, createLogsClient } from '../src/aws/clients.js';
import { controlClock, until } from './helpers/sandbox-control.js';

const saved = { ...process.env };
let sandbox: GantrySandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  process.env = { ...saved };
});

interface Started {
  sandbox: GantrySandbox;
  codebuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
}

/** A sandbox whose clock runs 50× faster: a 20-second scripted build takes 0.4 s. */
async function start(options: GantrySandboxOptions = {}): Promise<Started> {
  const started = await startSandbox({ clockSpeed: 50, ...options });
  sandbox = started;
  Object.assign(process.env, started.env);
  return { sandbox: started, codebuild: createCodeBuildClient({ region: 'eu-west-1' }), logs: createLogsClient({ region: 'eu-west-1' }) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getBuild(client: CodeBuildClient, id: string): Promise<Build> {
  const { builds } = await client.send(new BatchGetBuildsCommand({ ids: [id] }));
  return builds![0]!;
}

async function waitComplete(client: CodeBuildClient, id: string): Promise<Build> {
  for (;;) {
    const build = await getBuild(client, id);
    if (build.buildComplete === true) return build;
    await sleep(20);
  }
}

const phaseSummary = (build: Build) => build.phases!.map((phase) => `${phase.phaseType}:${phase.phaseStatus ?? '-'}`);

describe('sandbox CodeBuild: scripted builds', () => {
  it('reports phases as real builds do: the current phase without status, then every phase to COMPLETED', async () => {
    const { sandbox: sb, codebuild } = await start();
    sb.services.codebuild.createProject('orders-dev-plan');
    const started = await codebuild.send(new StartBuildCommand({ projectName: 'orders-dev-plan', sourceVersion: 'a'.repeat(40) }));
    const build = started.build!;
    expect(build.id).toMatch(/^orders-dev-plan:[0-9a-f-]{36}$/);
    expect(build.buildNumber).toBe(1);
    expect(build.buildStatus).toBe('IN_PROGRESS');
    expect(build.startTime).toBeInstanceOf(Date);
    expect(build.phases!.at(-1)!.phaseStatus).toBeUndefined();
    expect(build.resolvedSourceVersion).toBe('a'.repeat(40));

    const done = await waitComplete(codebuild, build.id!);
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(done.currentPhase).toBe('COMPLETED');
    expect(phaseSummary(done)).toEqual([
      'SUBMITTED:SUCCEEDED',
      'QUEUED:SUCCEEDED',
      'PROVISIONING:SUCCEEDED',
      'DOWNLOAD_SOURCE:SUCCEEDED',
      'INSTALL:SUCCEEDED',
      'PRE_BUILD:SUCCEEDED',
      'BUILD:SUCCEEDED',
      'POST_BUILD:SUCCEEDED',
      'UPLOAD_ARTIFACTS:SUCCEEDED',
      'FINALIZING:SUCCEEDED',
      'COMPLETED:-',
    ]);
    expect(done.phases!.find((phase) => phase.phaseType === 'PROVISIONING')!.durationInSeconds).toBe(5);
    expect(done.endTime!.getTime()).toBeGreaterThan(done.startTime!.getTime());
    expect(done.logs!.groupName).toBe('/aws/codebuild/orders-dev-plan');
    expect(done.logs!.deepLink).toContain(done.logs!.streamName);
  });

  it('a failed BUILD still runs POST_BUILD; a failed INSTALL skips to FINALIZING; contexts carry the message', async () => {
    const { sandbox: sb, codebuild } = await start();
    sb.services.codebuild.createProject('p');
    const script = (failing: 'INSTALL' | 'BUILD'): BuildScript => ({
      phases: (['SUBMITTED', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'FINALIZING'] as const).map((phase) => ({
        phase,
        durationMs: 100,
        ...(phase === failing ? { status: 'FAILED' as const, message: `Error while executing command: make. Reason: exit status 2` } : {}),
      })),
    });
    sb.services.codebuild.scriptNextBuild('p', script('BUILD'));
    sb.services.codebuild.scriptNextBuild('p', script('INSTALL'));
    const first = await codebuild.send(new StartBuildCommand({ projectName: 'p' }));
    const second = await codebuild.send(new StartBuildCommand({ projectName: 'p' }));
    const buildFailed = await waitComplete(codebuild, first.build!.id!);
    const installFailed = await waitComplete(codebuild, second.build!.id!);
    expect(buildFailed.buildStatus).toBe('FAILED');
    expect(phaseSummary(buildFailed)).toEqual([
      'SUBMITTED:SUCCEEDED',
      'INSTALL:SUCCEEDED',
      'PRE_BUILD:SUCCEEDED',
      'BUILD:FAILED',
      'POST_BUILD:SUCCEEDED',
      'FINALIZING:SUCCEEDED',
      'COMPLETED:-',
    ]);
    expect(buildFailed.phases!.find((phase) => phase.phaseType === 'BUILD')!.contexts).toEqual([
      { statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: make. Reason: exit status 2' },
    ]);
    expect(installFailed.buildStatus).toBe('FAILED');
    expect(phaseSummary(installFailed)).toEqual(['SUBMITTED:SUCCEEDED', 'INSTALL:FAILED', 'FINALIZING:SUCCEEDED', 'COMPLETED:-']);
  });

  it('honours idempotencyToken: a retried StartBuild returns the same build; changed parameters are refused', async () => {
    const { sandbox: sb, codebuild } = await start();
    sb.services.codebuild.createProject('p');
    const request = {
      projectName: 'p',
      sourceVersion: 'b'.repeat(40),
      idempotencyToken: 'run-42-attempt-1-plan',
      environmentVariablesOverride: [{ name: 'GANTRY_MODE', value: 'plan', type: 'PLAINTEXT' as const }],
      buildspecOverride: 'buildspecs/terraform-plan.yml',
    };
    const first = await codebuild.send(new StartBuildCommand(request));
    const retried = await codebuild.send(new StartBuildCommand(request));
    expect(retried.build!.id).toBe(first.build!.id);
    expect(first.build!.environment!.environmentVariables).toEqual([{ name: 'GANTRY_MODE', value: 'plan', type: 'PLAINTEXT' }]);
    expect(first.build!.source!.buildspec).toBe('buildspecs/terraform-plan.yml');
    await expect(codebuild.send(new StartBuildCommand({ ...request, sourceVersion: 'c'.repeat(40) }))).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
    expect(sb.services.codebuild.builds.size).toBe(1);
    await expect(codebuild.send(new StartBuildCommand({ projectName: 'missing' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringContaining('Project cannot be found'),
    });
    const { buildsNotFound } = await codebuild.send(new BatchGetBuildsCommand({ ids: ['p:nope'] }));
    expect(buildsNotFound).toEqual(['p:nope']);
  });

  it('StopBuild ends the phase in progress STOPPED and completes the build STOPPED', async () => {
    const { sandbox: sb, codebuild } = await start();
    sb.services.codebuild.createProject('p');
    sb.services.codebuild.scriptNextBuild('p', {
      phases: [
        { phase: 'SUBMITTED', durationMs: 0 },
        { phase: 'BUILD', durationMs: 3_600_000 },
        { phase: 'FINALIZING', durationMs: 10 },
      ],
    });
    const { build } = await codebuild.send(new StartBuildCommand({ projectName: 'p' }));
    await sleep(20);
    const stopped = await codebuild.send(new StopBuildCommand({ id: build!.id! }));
    expect(stopped.build!.buildStatus).toBe('STOPPED');
    expect(phaseSummary(stopped.build!)).toEqual(['SUBMITTED:SUCCEEDED', 'BUILD:STOPPED', 'FINALIZING:SUCCEEDED', 'COMPLETED:-']);
    expect((await getBuild(codebuild, build!.id!)).buildComplete).toBe(true);
  });

  it('retries a 5xx and a reset connection through the SDK retry strategy', async () => {
    const { sandbox: sb, codebuild } = await start();
    sb.services.codebuild.createProject('p');
    const { build } = await codebuild.send(new StartBuildCommand({ projectName: 'p' }));
    sb.faults.add({ service: 'codebuild', operation: 'BatchGetBuilds', kind: 'server-error', status: 503, times: 1 });
    sb.faults.add({ service: 'codebuild', operation: 'BatchGetBuilds', kind: 'reset', times: 1 });
    expect((await getBuild(codebuild, build!.id!)).id).toBe(build!.id);
    expect(sb.server.calls('codebuild', 'BatchGetBuilds').map((call) => call.status)).toEqual([503, 'reset', 200]);
  });
});

describe('sandbox CloudWatch Logs', () => {
  it('pages GetLogEvents forward; at the end the token passed in comes back (the end condition)', async () => {
    const { sandbox: sb, logs } = await start();
    const store = sb.services.logs.store;
    // Events are readable once ingested (store.ts): the test moves the clock past the ingestion delay.
    const clock = controlClock(sb.clock);
    for (let index = 0; index < 25; index++) store.append('/g', 's', `line ${index}`);
    clock.advance(DEFAULT_INGESTION_DELAY_MS);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await logs.send(new GetLogEventsCommand({ logGroupName: '/g', logStreamName: 's', startFromHead: true, limit: 10, nextToken: token }));
      pages++;
      seen.push(...page.events!.map((event) => event.message!));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => `line ${index}`));
    expect(pages).toBe(4); // 10, 10, 5, then an empty page whose token is the one passed in
    store.append('/g', 's', 'late line');
    clock.advance(DEFAULT_INGESTION_DELAY_MS);
    const more = await logs.send(new GetLogEventsCommand({ logGroupName: '/g', logStreamName: 's', nextToken: token }));
    expect(more.events!.map((event) => event.message)).toEqual(['late line']);
    expect(more.nextForwardToken).not.toBe(token);
    // Without a token and startFromHead the newest events come back, as the real API does.
    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: '/g', logStreamName: 's', limit: 2 }));
    expect(tail.events!.map((event) => event.message)).toEqual(['line 24', 'late line']);
    const back = await logs.send(new GetLogEventsCommand({ logGroupName: '/g', logStreamName: 's', limit: 2, nextToken: tail.nextBackwardToken }));
    expect(back.events!.map((event) => event.message)).toEqual(['line 22', 'line 23']);
  });

  it('answers ResourceNotFoundException until the build creates its stream, then streams the build log', async () => {
    const { sandbox: sb, codebuild, logs } = await start();
    sb.services.codebuild.createProject('p', { logGroupName: '/aws/codebuild/orders-dev', logStreamPrefix: 'p' });
    sb.services.codebuild.scriptNextBuild('p', {
      phases: [
        { phase: 'SUBMITTED', durationMs: 0 },
        { phase: 'PROVISIONING', durationMs: 2_000 },
        { phase: 'DOWNLOAD_SOURCE', durationMs: 100 },
        { phase: 'BUILD', durationMs: 1_000, lines: ['Plan: 2 to add, 0 to change, 0 to destroy.'] },
        { phase: 'FINALIZING', durationMs: 10 },
      ],
    });
    // Sandbox time stands still until the stream has been looked for: the build is still provisioning, and
    // StartBuild names no log yet (test/sandbox-codebuild-logs.test.ts): a client that guesses the names from
    // the project's settings and the build id finds no stream.
    const clock = controlClock(sb.clock);
    clock.freeze();
    const { build } = await codebuild.send(new StartBuildCommand({ projectName: 'p' }));
    expect(build!.logs!.groupName).toBeUndefined();
    const stream = { logGroupName: '/aws/codebuild/orders-dev', logStreamName: `p/${build!.id!.split(':')[1]}` };
    await expect(logs.send(new GetLogEventsCommand(stream))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    clock.resume();
    const done = await waitComplete(codebuild, build!.id!);
    expect({ logGroupName: done.logs!.groupName, logStreamName: done.logs!.streamName }).toEqual(stream);
    clock.advance(DEFAULT_INGESTION_DELAY_MS);
    const { events } = await logs.send(new GetLogEventsCommand({ ...stream, startFromHead: true }));
    const messages = events!.map((event) => event.message!);
    expect(messages.some((message) => /^\[Container\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} Entering phase BUILD$/.test(message))).toBe(true);
    expect(messages).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(messages.some((message) => message.endsWith('Phase complete: BUILD State: SUCCEEDED'))).toBe(true);
    const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: stream.logGroupName, filterPattern: '"to add"' }));
    expect(filtered.events!.map((event) => event.message)).toEqual(['Plan: 2 to add, 0 to change, 0 to destroy.']);
    expect(filtered.events![0]!.logStreamName).toBe(stream.logStreamName);
  });

  it('throttles GetLogEvents beyond 25 req/s with ThrottlingException; the SDK backs off and succeeds', async () => {
    const { sandbox: sb } = await start();
    // Standard retry mode: the adaptive mode's client-side limiter would add seconds of real-time pacing.
    const logs = createLogsClient({ region: 'eu-west-1', retryMode: 'standard' });
    sb.services.logs.store.append('/g', 's', 'x');
    // Sandbox time stands still during the burst (after the event's ingestion): the bucket (25) cannot refill,
    // so exactly 25 pass at first.
    const clock = controlClock(sb.clock);
    clock.advance(DEFAULT_INGESTION_DELAY_MS);
    clock.freeze();
    const burst = Promise.all(Array.from({ length: 40 }, () => logs.send(new GetLogEventsCommand({ logGroupName: '/g', logStreamName: 's' }))));
    await until(() => sb.server.calls('logs', 'GetLogEvents').length >= 40, { everyMs: 1 });
    const frozen = sb.server.calls('logs', 'GetLogEvents').length;
    clock.advance(1_000);
    clock.resume();
    const results = await burst;
    expect(results.every((result) => result.events!.length === 1)).toBe(true);
    const calls = sb.server.calls('logs', 'GetLogEvents');
    expect(calls.slice(0, 25).every((call) => call.status === 200 && !call.throttled)).toBe(true);
    expect(calls.slice(25, frozen).every((call) => call.throttled && call.status === 400)).toBe(true);
    expect(calls.filter((call) => call.throttled).length).toBeGreaterThanOrEqual(40 - 25);
    expect(calls.filter((call) => call.status === 200)).toHaveLength(40);
  });
});

describe('sandbox CodeBuild: executing the buildspec', () => {
  function sourceWith(buildspec: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-source-'));
    writeFileSync(join(dir, 'buildspec.yml'), buildspec);
    writeFileSync(join(dir, 'input.txt'), 'from the source\n');
    return dir;
  }

  it('runs the phases for real: a failing build still runs post_build and finally; exported variables come back', async () => {
    const source = sourceWith(
      [
        'version: 0.2',
        'env:',
        '  variables: { GREETING: hello }',
        '  exported-variables: [PLAN_SHA256, SUCCEEDING]',
        'phases:',
        '  install:',
        '    commands: ["cd $CODEBUILD_SRC_DIR", "export PLAN_SHA256=$(sha256sum input.txt | cut -c1-64)"]',
        '  build:',
        '    commands: ["echo $GREETING $GANTRY_MODE from build $CODEBUILD_BUILD_NUMBER", "exit 3", "echo never"]',
        '    finally: ["echo build finally"]',
        '  post_build:',
        '    commands: ["export SUCCEEDING=$CODEBUILD_BUILD_SUCCEEDING", "echo post_build ran"]',
      ].join('\n'),
    );
    const { sandbox: sb, codebuild, logs } = await start({ clockSpeed: 1 });
    sb.services.codebuild.createProject('orders-dev-plan', { sourceDir: source });
    const { build } = await codebuild.send(
      new StartBuildCommand({ projectName: 'orders-dev-plan', environmentVariablesOverride: [{ name: 'GANTRY_MODE', value: 'plan' }] }),
    );
    const done = await waitComplete(codebuild, build!.id!);
    controlClock(sb.clock).advance(DEFAULT_INGESTION_DELAY_MS); // the last lines' ingestion
    expect(done.buildStatus).toBe('FAILED');
    expect(phaseSummary(done)).toEqual([
      'SUBMITTED:SUCCEEDED',
      'QUEUED:SUCCEEDED',
      'PROVISIONING:SUCCEEDED',
      'DOWNLOAD_SOURCE:SUCCEEDED',
      'INSTALL:SUCCEEDED',
      'PRE_BUILD:SUCCEEDED',
      'BUILD:FAILED',
      'POST_BUILD:SUCCEEDED',
      'UPLOAD_ARTIFACTS:SUCCEEDED',
      'FINALIZING:SUCCEEDED',
      'COMPLETED:-',
    ]);
    expect(done.phases!.find((phase) => phase.phaseType === 'BUILD')!.contexts![0]).toEqual({
      statusCode: 'COMMAND_EXECUTION_ERROR',
      message: 'Error while executing command: exit 3. Reason: exit status 3',
    });
    const { createHash } = await import('node:crypto');
    expect(done.exportedEnvironmentVariables).toEqual([
      { name: 'PLAN_SHA256', value: createHash('sha256').update('from the source\n').digest('hex') },
      { name: 'SUCCEEDING', value: '0' },
    ]);
    const { events } = await logs.send(
      new GetLogEventsCommand({ logGroupName: done.logs!.groupName!, logStreamName: done.logs!.streamName!, startFromHead: true }),
    );
    const messages = events!.map((event) => event.message!);
    expect(messages).toContain('hello plan from build 1');
    expect(messages).toContain('build finally');
    expect(messages).toContain('post_build ran');
    expect(messages).not.toContain('never');
  });

  it('StopBuild kills a running buildspec; a broken buildspec fails DOWNLOAD_SOURCE with YAML_FILE_ERROR', async () => {
    const { sandbox: sb, codebuild } = await start({ clockSpeed: 1 });
    sb.services.codebuild.createProject('slow', { sourceDir: sourceWith('version: 0.2\nphases:\n  build:\n    commands: ["sleep 30"]\n') });
    sb.services.codebuild.createProject('broken', { sourceDir: sourceWith('version: 0.3\nphases: {}\n') });
    const { build } = await codebuild.send(new StartBuildCommand({ projectName: 'slow' }));
    for (;;) {
      if ((await getBuild(codebuild, build!.id!)).currentPhase === 'BUILD') break;
      await sleep(20);
    }
    const stopped = await codebuild.send(new StopBuildCommand({ id: build!.id! }));
    expect(stopped.build!.buildStatus).toBe('STOPPED');
    expect(stopped.build!.phases!.find((phase) => phase.phaseType === 'BUILD')!.phaseStatus).toBe('STOPPED');
    await sb.services.codebuild.settled(build!.id!);

    const broken = await codebuild.send(new StartBuildCommand({ projectName: 'broken' }));
    const failed = await waitComplete(codebuild, broken.build!.id!);
    expect(failed.buildStatus).toBe('FAILED');
    const download = failed.phases!.find((phase) => phase.phaseType === 'DOWNLOAD_SOURCE')!;
    expect(download.phaseStatus).toBe('FAILED');
    expect(download.contexts![0]!.statusCode).toBe('YAML_FILE_ERROR');
    expect(download.contexts![0]!.message).toContain('version');
  });
});
