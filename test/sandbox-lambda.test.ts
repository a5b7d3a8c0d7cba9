/**
 * The sandbox's Lambda service, driven by the real `@aws-sdk/client-lambda` over HTTP: pagination,
 * throttling at the real control-plane quota, every fault kind, version states (through the SDK's own
 * waiter), the 100-versions-per-capacity-provider limit, alias protection on DeleteFunction, alias eventual
 * consistency, scaling config convergence, Invoke, capacity providers, provisioned concurrency and event
 * source mappings. Delays are in sandbox time, which the tests move forward (or hold still) themselves: no test
 * waits for a delay in real time or depends on how fast the machine is.
 */
import {
  CreateAliasCommand,
  CreateCapacityProviderCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteCapacityProviderCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetCapacityProviderCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetFunctionScalingConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  type LambdaClient,
  ListAliasesCommand,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ListFunctionVersionsByCapacityProviderCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionScalingConfigCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  waitUntilPublishedVersionActive,
} from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningSandbox, type SandboxOptions, startSandboxWith } from '../scripts/sandbox/frame.js';
import { seedLambda } from '../scripts/sandbox/lambda/seed.js';
import { type LambdaOptions, LambdaService } from '../scripts/sandbox/lambda/service.js';
import { createLambdaClient } from '../src/aws/clients.js';
import { controlClock, intercept, until } from './helpers/sandbox-control.js';

const saved = { ...process.env };
let sandbox: RunningSandbox<{ lambda: LambdaService }> | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  process.env = { ...saved };
});

/**
 * Starts a sandbox with only the Lambda service; the clock runs 20× faster unless told otherwise. The client
 * retries in standard mode: these tests are about the sandbox, and the adaptive mode's client-side rate limiter
 * would only add seconds of real-time pacing after each 429 (gantry's clients are tested in aws-clients.test.ts).
 */
async function start(lambdaOptions: LambdaOptions = {}, options: SandboxOptions = {}) {
  const started = await startSandboxWith((core) => ({ lambda: new LambdaService(core, lambdaOptions) }), { clockSpeed: 20, ...options });
  sandbox = started;
  Object.assign(process.env, started.env);
  return { sandbox: started, lambda: started.services.lambda, client: createLambdaClient({ region: 'eu-west-1', retryMode: 'standard' }) };
}

const zip = (text: string) => new TextEncoder().encode(text);
const HOUR = 3_600_000;

async function createManagedFunction(client: LambdaClient, name: string, providerArn: string) {
  return client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Role: 'arn:aws:iam::123456789012:role/app',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 2048,
      Code: { ZipFile: zip(`${name} v0`) },
      CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: providerArn, PerExecutionEnvironmentMaxConcurrency: 16 } },
    }),
  );
}

describe('sandbox Lambda: listing and paging', () => {
  it('pages ListFunctions with Marker/NextMarker, 50 at most per page', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 120, versionsPerFunction: 0 });
    const pages: string[][] = [];
    let marker: string | undefined;
    do {
      const page = await client.send(new ListFunctionsCommand({ Marker: marker }));
      pages.push((page.Functions ?? []).map((f) => f.FunctionName!));
      marker = page.NextMarker;
    } while (marker !== undefined);
    expect(pages.map((page) => page.length)).toEqual([50, 50, 20]);
    expect(pages.flat()).toHaveLength(120);
    expect(new Set(pages.flat()).size).toBe(120);
    expect(pages[0]![0]).toBe('fn-000');
    const small = await client.send(new ListFunctionsCommand({ MaxItems: 7 }));
    expect(small.Functions).toHaveLength(7);
    expect(small.NextMarker).toBeDefined();
    const capped = await client.send(new ListFunctionsCommand({ MaxItems: 500 }));
    expect(capped.Functions).toHaveLength(50);
  });

  it('pages ListVersionsByFunction including $LATEST, versions ordered numerically', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 60, namePrefix: 'many' });
    const first = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'many-0' }));
    expect(first.Versions).toHaveLength(50);
    expect(first.Versions!.slice(0, 4).map((v) => v.Version)).toEqual(['$LATEST', '1', '2', '3']);
    expect(first.Versions![10]!.FunctionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:many-0:10');
    const second = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'many-0', Marker: first.NextMarker }));
    expect(second.Versions!.map((v) => v.Version)).toEqual(Array.from({ length: 11 }, (_, i) => String(50 + i)));
    expect(second.NextMarker).toBeUndefined();
  });

  it('pages ListFunctionVersionsByCapacityProvider over every function on the provider', async () => {
    const { lambda, client } = await start();
    const seeded = seedLambda(lambda, { capacityProvider: 'orders-dev-cp', functions: 12, versionsPerFunction: 5 });
    const first = await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'orders-dev-cp' }));
    expect(first.CapacityProviderArn).toBe(seeded.capacityProviderArn);
    expect(first.FunctionVersions).toHaveLength(50);
    expect(first.FunctionVersions![0]).toEqual({ FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-00:1', State: 'Active' });
    const second = await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'orders-dev-cp', Marker: first.NextMarker }));
    expect(second.FunctionVersions).toHaveLength(10);
    expect(second.FunctionVersions!.at(-1)!.FunctionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:fn-11:5');
    expect(second.NextMarker).toBeUndefined();
  });
});

describe('sandbox Lambda: quota and faults', () => {
  it('throttles a burst beyond 15 req/s with the real 429, and the SDK retries until every call succeeds', async () => {
    const { sandbox: sb, lambda, client } = await start();
    seedLambda(lambda, { functions: 2, versionsPerFunction: 1 });
    // Sandbox time stands still during the burst, so the bucket (15 tokens) cannot refill however slowly the
    // requests arrive: exactly the first 15 pass and every later one is throttled.
    const clock = controlClock(sb.clock);
    clock.freeze();
    const burst = Promise.all(Array.from({ length: 24 }, () => client.send(new ListAliasesCommand({ FunctionName: 'fn-0' }))));
    await until(() => sb.server.calls('lambda', 'ListAliases').length >= 24, { everyMs: 1 });
    const frozen = sb.server.calls('lambda', 'ListAliases').length;
    // A second of sandbox time refills the bucket: the retries get through.
    clock.advance(1_000);
    clock.resume();
    const results = await burst;
    expect(results.every((result) => result.Aliases?.[0]?.Name === 'live')).toBe(true);
    const calls = sb.server.calls('lambda', 'ListAliases');
    expect(calls.slice(0, 15).map((call) => call.status)).toEqual(Array.from({ length: 15 }, () => 200));
    const throttled = calls.filter((call) => call.throttled);
    expect(calls.slice(15, frozen).every((call) => call.throttled)).toBe(true);
    expect(throttled.length).toBeGreaterThanOrEqual(24 - 15);
    expect(throttled.every((call) => call.status === 429)).toBe(true);
    expect(calls.filter((call) => call.status === 200)).toHaveLength(24);
    // GetFunction has its own 100 req/s quota: a burst of 30 is never throttled (a fresh client, so that the
    // first one's client-side rate limiting after the 429s does not pace this burst).
    clock.freeze();
    const fresh = createLambdaClient({ region: 'eu-west-1', retryMode: 'standard' });
    await Promise.all(Array.from({ length: 30 }, () => fresh.send(new GetFunctionCommand({ FunctionName: 'fn-1' }))));
    expect(sb.server.calls('lambda', 'GetFunction').filter((call) => call.throttled)).toHaveLength(0);
    expect(sb.server.calls('lambda', 'GetFunction')).toHaveLength(30);
  });

  it('answers a throttle with TooManyRequestsException, Reason and Retry-After', async () => {
    const { sandbox: sb, client } = await start();
    sb.faults.add({ service: 'lambda', operation: 'ListFunctions', kind: 'throttle' });
    const error = await createLambdaClient({ region: 'eu-west-1', maxAttempts: 1 })
      .send(new ListFunctionsCommand({}))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TooManyRequestsException',
      Reason: 'CallerRateLimitExceeded',
      retryAfterSeconds: '1',
      $metadata: { httpStatusCode: 429 },
    });
    sb.faults.clear();
    await expect(client.send(new ListFunctionsCommand({}))).resolves.toMatchObject({ Functions: [] });
  });

  it('injects a server error, a reset, latency and a throttle on a Lambda call; the SDK recovers', async () => {
    const { sandbox: sb, lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 1 });
    // The throttle first: the SDK's backoff after a throttle doubles with each attempt (up to 4 s by the third).
    sb.faults.add({ service: 'lambda', operation: 'GetFunctionConfiguration', kind: 'throttle', times: 1 });
    sb.faults.add({ service: 'lambda', operation: 'GetFunctionConfiguration', kind: 'server-error', status: 503, times: 1 });
    sb.faults.add({ service: 'lambda', operation: 'GetFunctionConfiguration', kind: 'reset', times: 1 });
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'fn-0', Qualifier: 'live' }));
    expect(config.Version).toBe('1');
    expect(config.$metadata.attempts).toBe(4);
    expect(sb.server.calls('lambda', 'GetFunctionConfiguration').map((call) => call.status)).toEqual([429, 503, 'reset', 200]);

    sb.faults.add({ service: 'lambda', operation: 'DeleteFunction', kind: 'server-error', times: 1 });
    const failing = createLambdaClient({ region: 'eu-west-1', maxAttempts: 1 });
    await expect(failing.send(new DeleteFunctionCommand({ FunctionName: 'fn-0' }))).rejects.toMatchObject({
      name: 'ServiceException',
      $metadata: { httpStatusCode: 500 },
    });

    // Latency is sandbox time: the answer comes 6 s of sandbox clock after the request arrived.
    sb.faults.add({ service: 'lambda', operation: '*', kind: 'latency', latencyMs: 6_000, times: 1 });
    await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'fn-0' }));
    const answeredAt = sb.clock.now();
    const [delayed] = sb.server.calls('lambda', 'ListVersionsByFunction');
    expect(delayed).toMatchObject({ fault: 'latency', status: 200 });
    // A timer can fire early by the event loop's cached time: allow half (150 ms real), still far above what
    // an undelayed answer takes.
    expect(answeredAt - delayed!.at).toBeGreaterThanOrEqual(6_000 / 2);
  });
});

describe('sandbox Lambda: versions', () => {
  it('publishes a version Pending → Active (SDK waiter), and Pending → Failed with the reason code', async () => {
    // Provisioning takes an hour of sandbox time: a version stays Pending until the test moves the clock.
    const { sandbox: sb, lambda, client } = await start({ provisioningDelayMs: HOUR });
    const clock = controlClock(sb.clock);
    // What each GetFunctionConfiguration answered; after the waiter's first look at a version, an hour passes.
    const seen: string[] = [];
    intercept(lambda, async (operation, request, answer) => {
      const response = await answer();
      if (operation !== 'GetFunctionConfiguration') return response;
      const state = (response.body as { State?: string }).State!;
      seen.push(`${request.query.get('Qualifier')}:${state}`);
      if (state === 'Pending') clock.advance(HOUR);
      return response;
    });
    const provider = lambda.createCapacityProvider('cp', {}, { instant: true });
    await createManagedFunction(client, 'router', provider.arn);
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'router', ZipFile: zip('router v1') }));
    const published = await client.send(new PublishVersionCommand({ FunctionName: 'router' }));
    expect(published).toMatchObject({
      Version: '1',
      State: 'Pending',
      StateReasonCode: 'Creating',
      FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:router:1',
    });
    expect(published.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.CapacityProviderArn).toBe(provider.arn);
    // Invoking a version that is not Active is the real 409.
    await expect(client.send(new InvokeCommand({ FunctionName: 'router', Qualifier: '1' }))).rejects.toMatchObject({
      name: 'ResourceConflictException',
      message: 'The operation cannot be performed at this time. The function is currently in the following state: Pending',
      $metadata: { httpStatusCode: 409 },
    });
    const waiter = { client, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.05 };
    const waited = await waitUntilPublishedVersionActive(waiter, { FunctionName: 'router', Qualifier: '1' });
    expect(waited.state).toBe('SUCCESS');
    expect(seen).toEqual(['1:Pending', '1:Active']);
    expect((await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'router', Qualifier: '1' }))).State).toBe('Active');

    lambda.failNextPublish('router', { reasonCode: 'InsufficientCapacity', reason: 'Not enough capacity on cp' });
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'router', ZipFile: zip('router v2') }));
    const second = await client.send(new PublishVersionCommand({ FunctionName: 'router' }));
    expect(second).toMatchObject({ Version: '2', State: 'Pending' });
    seen.length = 0;
    await expect(waitUntilPublishedVersionActive(waiter, { FunctionName: 'router', Qualifier: '2' })).rejects.toThrow(/FAILURE/);
    expect(seen).toEqual(['2:Pending', '2:Failed']);
    const failed = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'router', Qualifier: '2' }));
    expect(failed).toMatchObject({ State: 'Failed', StateReasonCode: 'InsufficientCapacity', StateReason: 'Not enough capacity on cp' });
  });

  it('returns the newest version again when nothing changed, and publishes $LATEST.PUBLISHED with PublishTo', async () => {
    const { lambda, client } = await start();
    const provider = lambda.createCapacityProvider('cp', {}, { instant: true });
    const created = await client.send(
      new CreateFunctionCommand({
        FunctionName: 'api',
        Role: 'arn:aws:iam::123456789012:role/app',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: zip('api') },
        Publish: true,
        CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: provider.arn } },
      }),
    );
    expect(created.Version).toBe('1');
    expect((await client.send(new PublishVersionCommand({ FunctionName: 'api' }))).Version).toBe('1');
    const latestPublished = await client.send(new PublishVersionCommand({ FunctionName: 'api', PublishTo: 'LATEST_PUBLISHED' }));
    expect(latestPublished).toMatchObject({
      Version: '$LATEST.PUBLISHED',
      FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:api:$LATEST.PUBLISHED',
    });
    // An unqualified invoke of a Managed Instances function runs $LATEST.PUBLISHED.
    const invoked = await client.send(new InvokeCommand({ FunctionName: 'api' }));
    expect(invoked.ExecutedVersion).toBe('$LATEST.PUBLISHED');
  });

  it('enforces 100 function versions per capacity provider with the real exception', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { capacityProvider: 'cp', functions: 10, versionsPerFunction: 10 });
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-3', ZipFile: zip('new code') }));
    await expect(client.send(new PublishVersionCommand({ FunctionName: 'fn-3' }))).rejects.toMatchObject({
      name: 'FunctionVersionsPerCapacityProviderLimitExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    // Freeing one version on the provider (any function) makes room again.
    await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-7', Qualifier: '1' }));
    const published = await client.send(new PublishVersionCommand({ FunctionName: 'fn-3' }));
    expect(published.Version).toBe('11');
  });

  it('refuses to delete a version an alias or a weighted alias points to, deletes an unreferenced one', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 5, weightedAliases: [{ name: 'canary', primaryOffset: 2, additionalOffset: 3, weight: 0.1 }] });
    // live → 5, canary → 3 with 10% on 2.
    for (const [version, alias] of [
      ['5', 'live'],
      ['2', 'canary'],
      ['3', 'canary'],
    ] as const) {
      await expect(client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: version }))).rejects.toMatchObject({
        name: 'ResourceConflictException',
        message: `Unable to delete version because the following aliases reference it: [${alias}]`,
        $metadata: { httpStatusCode: 409 },
      });
    }
    const deleted = await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: '4' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    const versions = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'fn-0' }));
    expect(versions.Versions!.map((v) => v.Version)).toEqual(['$LATEST', '1', '2', '3', '5']);
    // Unqualified deletes the whole function; then it is a 404.
    await client.send(new DeleteFunctionCommand({ FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0' }));
    await expect(client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:eu-west-1:123456789012:function:fn-0',
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('sandbox Lambda: aliases, scaling, invoke', () => {
  it('shows alias changes only after the visibility delay, while DeleteFunction checks the true state', async () => {
    const { sandbox: sb, lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 3 });
    await client.send(new CreateAliasCommand({ FunctionName: 'fn-0', Name: 'stable', FunctionVersion: '1' }));
    expect((await client.send(new GetAliasCommand({ FunctionName: 'fn-0', Name: 'stable' }))).FunctionVersion).toBe('1');

    // Sandbox time stands still from here: the change stays invisible until the test moves the clock.
    const clock = controlClock(sb.clock);
    clock.freeze();
    lambda.options.aliasVisibilityDelayMs = 20_000;
    const updated = await client.send(new UpdateAliasCommand({ FunctionName: 'fn-0', Name: 'stable', FunctionVersion: '2' }));
    expect(updated.FunctionVersion).toBe('2');
    expect((await client.send(new GetAliasCommand({ FunctionName: 'fn-0', Name: 'stable' }))).FunctionVersion).toBe('1');
    const listed = await client.send(new ListAliasesCommand({ FunctionName: 'fn-0' }));
    expect(listed.Aliases!.map((a) => `${a.Name}:${a.FunctionVersion}`)).toEqual(['live:3', 'stable:1']);
    // The stale read says version 1 is referenced, but it no longer is: the delete succeeds.
    await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: '1' }));
    await expect(client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: '2' }))).rejects.toMatchObject({ name: 'ResourceConflictException' });

    clock.advance(19_999);
    expect((await client.send(new GetAliasCommand({ FunctionName: 'fn-0', Name: 'stable' }))).FunctionVersion).toBe('1');
    clock.advance(1);
    expect((await client.send(new GetAliasCommand({ FunctionName: 'fn-0', Name: 'stable' }))).FunctionVersion).toBe('2');
  });

  it('converges the applied scaling config to the requested one', async () => {
    const { sandbox: sb, lambda, client } = await start({ scalingConvergenceDelayMs: 20_000 });
    seedLambda(lambda, { functions: 1, versionsPerFunction: 2 });
    const clock = controlClock(sb.clock);
    clock.freeze();
    const put = await client.send(
      new PutFunctionScalingConfigCommand({
        FunctionName: 'fn-0',
        Qualifier: '2',
        FunctionScalingConfig: { MinExecutionEnvironments: 1, MaxExecutionEnvironments: 3 },
      }),
    );
    expect(put.FunctionState).toBe('Active');
    const before = await client.send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '2' }));
    expect(before.FunctionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:fn-0:2');
    expect(before.RequestedFunctionScalingConfig).toEqual({ MinExecutionEnvironments: 1, MaxExecutionEnvironments: 3 });
    expect(before.AppliedFunctionScalingConfig).toBeUndefined();
    clock.advance(19_999);
    expect((await client.send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '2' }))).AppliedFunctionScalingConfig).toBeUndefined();
    clock.advance(1);
    const after = await client.send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '2' }));
    expect(after.AppliedFunctionScalingConfig).toEqual({ MinExecutionEnvironments: 1, MaxExecutionEnvironments: 3 });
    await expect(
      client.send(
        new PutFunctionScalingConfigCommand({
          FunctionName: 'fn-0',
          Qualifier: '2',
          FunctionScalingConfig: { MinExecutionEnvironments: 5, MaxExecutionEnvironments: 2 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } });
  });

  it('invokes through aliases, reports the executed version, and returns a thrown error as FunctionError', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 3, weightedAliases: [{ name: 'canary', primaryOffset: 1, additionalOffset: 0, weight: 0.5 }] });
    const echo = await client.send(new InvokeCommand({ FunctionName: 'fn-0', Qualifier: 'live', Payload: JSON.stringify({ a: 1 }) }));
    expect(echo.StatusCode).toBe(200);
    expect(echo.ExecutedVersion).toBe('3');
    expect(JSON.parse(new TextDecoder().decode(echo.Payload))).toEqual({ ok: true, version: '3' });

    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await client.send(new InvokeCommand({ FunctionName: 'fn-0', Qualifier: 'canary' }))).ExecutedVersion!);
    expect([...seen].sort()).toEqual(['2', '3']);

    lambda.setHandler('fn-0', (event, { version }) => {
      if ((event as { fail?: boolean }).fail) throw new TypeError(`bad input on ${version}`);
      return { version };
    });
    const failed = await client.send(new InvokeCommand({ FunctionName: 'fn-0', Qualifier: '1', Payload: JSON.stringify({ fail: true }) }));
    expect(failed.StatusCode).toBe(200);
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input on 1' });
    await expect(client.send(new InvokeCommand({ FunctionName: 'fn-0', Qualifier: '99' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe('sandbox Lambda: capacity providers, provisioned concurrency, event source mappings', () => {
  it('moves a capacity provider Pending → Active → Deleting → gone', async () => {
    const { sandbox: sb, client } = await start({ capacityProviderDelayMs: 10_000 });
    const clock = controlClock(sb.clock);
    clock.freeze();
    const created = await client.send(
      new CreateCapacityProviderCommand({
        CapacityProviderName: 'orders-dev-cp',
        VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
        PermissionsConfig: { CapacityProviderOperatorRoleArn: 'arn:aws:iam::123456789012:role/op' },
        InstanceRequirements: { Architectures: ['arm64'], AllowedInstanceTypes: ['m7g.large'] },
      }),
    );
    expect(created.CapacityProvider).toMatchObject({
      CapacityProviderArn: 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:orders-dev-cp',
      State: 'Pending',
    });
    expect(created.CapacityProvider!.InstanceRequirements?.AllowedInstanceTypes).toEqual(['m7g.large']);
    const state = async () => (await client.send(new GetCapacityProviderCommand({ CapacityProviderName: 'orders-dev-cp' }))).CapacityProvider!.State;
    clock.advance(9_999);
    expect(await state()).toBe('Pending');
    clock.advance(1);
    expect(await state()).toBe('Active');
    const deleting = await client.send(new DeleteCapacityProviderCommand({ CapacityProviderName: 'orders-dev-cp' }));
    expect(deleting.CapacityProvider!.State).toBe('Deleting');
    clock.advance(9_999);
    expect(await state()).toBe('Deleting');
    clock.advance(1);
    await expect(client.send(new GetCapacityProviderCommand({ CapacityProviderName: 'orders-dev-cp' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('lists provisioned concurrency configs and event source mappings, including qualified function ARNs', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 2, versionsPerFunction: 2 });
    const put = await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'fn-0', Qualifier: '1', ProvisionedConcurrentExecutions: 2 }));
    expect(put).toMatchObject({ RequestedProvisionedConcurrentExecutions: 2, Status: 'READY' });
    const listed = await client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'fn-0' }));
    expect(listed.ProvisionedConcurrencyConfigs!.map((c) => c.FunctionArn)).toEqual(['arn:aws:lambda:eu-west-1:123456789012:function:fn-0:1']);
    expect(
      (await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'fn-0', Qualifier: '1' }))).AllocatedProvisionedConcurrentExecutions,
    ).toBe(2);
    await expect(client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'fn-0', Qualifier: '2' }))).rejects.toMatchObject({
      name: 'ProvisionedConcurrencyConfigNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });

    const queue = 'arn:aws:sqs:eu-west-1:123456789012:orders';
    const created = await client.send(new CreateEventSourceMappingCommand({ FunctionName: 'fn-0:live', EventSourceArn: queue, BatchSize: 5 }));
    expect(created).toMatchObject({ FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0:live', State: 'Creating', BatchSize: 5 });
    expect(created.LastModified).toBeInstanceOf(Date);
    await client.send(new CreateEventSourceMappingCommand({ FunctionName: 'fn-1', EventSourceArn: queue }));
    const mine = await client.send(new ListEventSourceMappingsCommand({ FunctionName: 'fn-0' }));
    expect(mine.EventSourceMappings!.map((m) => m.FunctionArn)).toEqual(['arn:aws:lambda:eu-west-1:123456789012:function:fn-0:live']);
    expect((await client.send(new ListEventSourceMappingsCommand({ EventSourceArn: queue }))).EventSourceMappings).toHaveLength(2);
  });
});
