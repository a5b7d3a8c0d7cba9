/**
 * The sandbox's CodeBuild names a build's log only once the log stream exists, as CodeBuild does, driven by the
 * real `@aws-sdk/client-codebuild` and `@aws-sdk/client-cloudwatch-logs` over HTTP. Before the agent creates the
 * stream, StartBuild and BatchGetBuilds return no groupName or streamName, a `log-group:null:log-stream:null`
 * ARN and a deepLink to `group=null;stream=null` (CodeBuild API Reference, LogsLocation; the responses quoted in
 * dark-mechanicum/aws-codebuild issue #39 and handled by aws-actions/aws-codebuild-run-build's `logName`); from
 * then on the group, the stream `<prefix>/<build UUID>` (or the UUID), its ARN and the console link. Sandbox time
 * is moved by the test (controlClock), never waited for: a scripted build advances lazily against the clock.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, type Build, type CodeBuildClient, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { afterEach, describe, expect, it } from 'vitest';
import { type GantrySandbox, type GantrySandboxOptions, startSandbox } from '../scripts/sandbox/sandbox.js';
import { createCodeBuildClient, createLogsClient } from '../src/aws/clients.js';
import { type ClockControl, controlClock } from './helpers/sandbox-control.js';

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
  clock: ClockControl;
}

async function start(options: GantrySandboxOptions = {}): Promise<Started> {
  const started = await startSandbox(options);
  sandbox = started;
  Object.assign(process.env, started.env);
  return {
    sandbox: started,
    codebuild: createCodeBuildClient({ region: 'eu-west-1' }),
    logs: createLogsClient({ region: 'eu-west-1' }),
    clock: controlClock(started.clock),
  };
}

async function getBuild(client: CodeBuildClient, id: string): Promise<Build> {
  const { builds } = await client.send(new BatchGetBuildsCommand({ ids: [id] }));
  return builds![0]!;
}

const CONSOLE = 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEvent:';

/** `logs` while the stream does not exist: what CodeBuild returns from StartBuild until the agent runs. */
const noLogYet = (cloudWatchLogs: Record<string, string> = {}) => ({
  deepLink: `${CONSOLE}group=null;stream=null`,
  cloudWatchLogsArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:null:log-stream:null',
  cloudWatchLogs: { status: 'ENABLED', ...cloudWatchLogs },
  s3Logs: { status: 'DISABLED' },
});

/** `logs` once the stream exists. */
const logIn = (group: string, stream: string, cloudWatchLogs: Record<string, string> = {}) => ({
  groupName: group,
  streamName: stream,
  deepLink: `${CONSOLE}group=${group};stream=${stream}`,
  cloudWatchLogsArn: `arn:aws:logs:eu-west-1:123456789012:log-group:${group}:log-stream:${stream}`,
  cloudWatchLogs: { status: 'ENABLED', ...cloudWatchLogs },
  s3Logs: { status: 'DISABLED' },
});

const uuidOf = (build: Build) => build.id!.slice(build.id!.indexOf(':') + 1);

describe('sandbox CodeBuild: log names appear only once the log stream exists', () => {
  it('StartBuild and BatchGetBuilds say null until the agent creates the stream (DOWNLOAD_SOURCE), then the real names', async () => {
    const { sandbox: sb, codebuild, logs, clock } = await start();
    sb.services.codebuild.createProject('orders-dev-plan');
    clock.freeze();
    // The default script: SUBMITTED, QUEUED 1 s, PROVISIONING 5 s, then DOWNLOAD_SOURCE at 6 s.
    const { build: started } = await codebuild.send(new StartBuildCommand({ projectName: 'orders-dev-plan' }));
    expect(started!.logs).toEqual(noLogYet());
    const uuid = uuidOf(started!);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // A client that guesses the names and reads at once finds no log (the bug the null names hide).
    const guessed = { logGroupName: '/aws/codebuild/orders-dev-plan', logStreamName: uuid };
    await expect(logs.send(new GetLogEventsCommand(guessed))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    clock.advance(5_999);
    const provisioning = await getBuild(codebuild, started!.id!);
    expect(provisioning.currentPhase).toBe('PROVISIONING');
    expect(provisioning.logs).toEqual(noLogYet());
    expect(sb.services.logs.store.hasStream(guessed.logGroupName, guessed.logStreamName)).toBe(false);

    clock.advance(1);
    const downloading = await getBuild(codebuild, started!.id!);
    expect(downloading.currentPhase).toBe('DOWNLOAD_SOURCE');
    expect(downloading.logs).toEqual(logIn('/aws/codebuild/orders-dev-plan', uuid));
    expect(sb.services.logs.store.hasStream(guessed.logGroupName, guessed.logStreamName)).toBe(true);
    // The names BatchGetBuilds gives are the stream's: reading it no longer fails.
    const named = { logGroupName: downloading.logs!.groupName!, logStreamName: downloading.logs!.streamName! };
    await expect(logs.send(new GetLogEventsCommand(named))).resolves.toBeDefined();

    clock.advance(60_000);
    const done = await getBuild(codebuild, started!.id!);
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(done.logs).toEqual(downloading.logs);
    const { events } = await logs.send(new GetLogEventsCommand({ ...named, startFromHead: true }));
    expect(events![0]!.message).toMatch(/^\[Container\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} Entering phase DOWNLOAD_SOURCE$/);
    expect(events!.map((event) => event.message)).toContain('building');
  });

  it("a project's own group and stream prefix: the stream is <prefix>/<build UUID>; cloudWatchLogs echoes the settings throughout", async () => {
    const { sandbox: sb, codebuild, clock } = await start();
    sb.services.codebuild.createProject('orders-dev-plan', { logGroupName: '/aws/codebuild/orders-dev', logStreamPrefix: 'plan' });
    clock.freeze();
    const settings = { groupName: '/aws/codebuild/orders-dev', streamName: 'plan' };
    const { build: started } = await codebuild.send(new StartBuildCommand({ projectName: 'orders-dev-plan' }));
    expect(started!.logs).toEqual(noLogYet(settings));
    clock.advance(6_000);
    const running = await getBuild(codebuild, started!.id!);
    expect(running.logs).toEqual(logIn('/aws/codebuild/orders-dev', `plan/${uuidOf(started!)}`, settings));
  });

  it('a build stopped before its container started never gets a stream: its names stay null', async () => {
    const { sandbox: sb, codebuild, clock } = await start();
    sb.services.codebuild.createProject('p');
    clock.freeze();
    const { build: started } = await codebuild.send(new StartBuildCommand({ projectName: 'p' }));
    clock.advance(500);
    const queued = await getBuild(codebuild, started!.id!);
    expect(queued.currentPhase).toBe('QUEUED');
    const { build: stopped } = await codebuild.send(new StopBuildCommand({ id: started!.id! }));
    expect(stopped!.buildStatus).toBe('STOPPED');
    expect(stopped!.logs).toEqual(noLogYet());
    clock.advance(60_000);
    expect((await getBuild(codebuild, started!.id!)).logs).toEqual(noLogYet());
    expect(sb.services.logs.store.hasStream('/aws/codebuild/p', uuidOf(started!))).toBe(false);
  });

  it('an executed build answers StartBuild at SUBMITTED with no log names; BatchGetBuilds names the log its agent wrote', async () => {
    const source = mkdtempSync(join(tmpdir(), 'gantry-source-'));
    writeFileSync(join(source, 'buildspec.yml'), 'version: 0.2\nphases:\n  build:\n    commands: ["echo hello from the build"]\n');
    const { sandbox: sb, codebuild, logs, clock } = await start();
    sb.services.codebuild.createProject('orders-dev-apply', { sourceDir: source });
    const { build: started } = await codebuild.send(new StartBuildCommand({ projectName: 'orders-dev-apply' }));
    expect(started!.currentPhase).toBe('SUBMITTED');
    expect(started!.logs).toEqual(noLogYet());
    await sb.services.codebuild.settled(started!.id!);
    // Past any ingestion delay of the Logs model: the lines are readable.
    clock.advance(60_000);
    const done = await getBuild(codebuild, started!.id!);
    expect(done.buildStatus).toBe('SUCCEEDED');
    expect(done.logs).toEqual(logIn('/aws/codebuild/orders-dev-apply', uuidOf(started!)));
    const { events } = await logs.send(
      new GetLogEventsCommand({ logGroupName: done.logs!.groupName!, logStreamName: done.logs!.streamName!, startFromHead: true }),
    );
    expect(events!.map((event) => event.message)).toContain('hello from the build');
  });
});
