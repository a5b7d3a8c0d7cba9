/**
 * What the Lambda sandbox refuses, as Lambda refuses it (issue 18, section 1), driven by the real
 * `@aws-sdk/client-lambda` over HTTP: DeleteFunction with `$LATEST` or an alias as qualifier, the validation
 * layer's `ValidationException` for what breaks the model's constraints, ListFunctionVersionsByCapacityProvider's
 * 1–50 MaxItems and markers that survive deletions between pages, Get/PutFunctionScalingConfig's version-only
 * qualifier, ranges and reset, the default a version starts with, unknown request members, UpdateCapacityProvider
 * and the capacity providers' own quotas. The sources are cited where the sandbox implements each rule
 * (scripts/sandbox/lambda/service.ts, state.ts, validation.ts, names.ts).
 */
import {
  CreateCapacityProviderCommand,
  CreateFunctionCommand,
  DeleteCapacityProviderCommand,
  DeleteFunctionCommand,
  GetCapacityProviderCommand,
  GetFunctionScalingConfigCommand,
  type LambdaClient,
  ListFunctionsCommand,
  ListFunctionVersionsByCapacityProviderCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionScalingConfigCommand,
  UpdateCapacityProviderCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUOTAS, type RunningSandbox, startSandboxWith } from '../scripts/sandbox/frame.js';
import { seedLambda } from '../scripts/sandbox/lambda/seed.js';
import { type LambdaOptions, LambdaService } from '../scripts/sandbox/lambda/service.js';
import { mulberry32 } from '../scripts/sandbox/random.js';
import { createLambdaClient } from '../src/aws/clients.js';
import { controlClock, intercept } from './helpers/sandbox-control.js';

const saved = { ...process.env };
let sandbox: RunningSandbox<{ lambda: LambdaService }> | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  process.env = { ...saved };
});

async function start(lambdaOptions: LambdaOptions = {}) {
  const started = await startSandboxWith((core) => ({ lambda: new LambdaService(core, lambdaOptions) }), { clockSpeed: 20 });
  sandbox = started;
  Object.assign(process.env, started.env);
  return { sandbox: started, lambda: started.services.lambda, client: createLambdaClient({ region: 'eu-west-1', retryMode: 'standard' }) };
}

/** A client that makes one attempt: a refusal is seen as it is, not retried. */
const once = () => createLambdaClient({ region: 'eu-west-1', maxAttempts: 1 });

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as { name: string; message: string; Type?: string; $fault?: string; $metadata: { httpStatusCode?: number } },
  );

const versionsOf = async (client: LambdaClient, name: string) =>
  ((await client.send(new ListVersionsByFunctionCommand({ FunctionName: name }))).Versions ?? []).map((v) => v.Version);

const VALIDATION = '1 validation error detected: ';
const QUALIFIER_PATTERN = '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+';
const PUBLISHED_QUALIFIER_PATTERN = '(\\$LATEST\\.PUBLISHED|[0-9]+)';
const UNQUALIFIED_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)';

describe('sandbox Lambda refuses: DeleteFunction qualifiers', () => {
  it('refuses to delete $LATEST by qualifier, and leaves the function whole', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 2 });
    for (const request of [
      { FunctionName: 'fn-0', Qualifier: '$LATEST' },
      { FunctionName: 'fn-0:$LATEST', Qualifier: '$LATEST' },
      { FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0:$LATEST' },
    ]) {
      const error = await failure(once().send(new DeleteFunctionCommand(request)));
      expect(error).toMatchObject({
        name: 'InvalidParameterValueException',
        message: '$LATEST version cannot be deleted without deleting the function.',
        Type: 'User',
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(await versionsOf(client, 'fn-0')).toEqual(['$LATEST', '1', '2']);
    // A qualifier in the name and a different Qualifier parameter: Lambda's own message.
    await expect(client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0:1', Qualifier: '2' }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'The derived qualifier from the function name does not match the specified qualifier.',
    });
  });

  it("refuses an alias name as qualifier with Lambda's text, whether or not the alias (or the function) exists", async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 3 });
    for (const request of [
      { FunctionName: 'fn-0', Qualifier: 'live' },
      { FunctionName: 'fn-0:live' },
      { FunctionName: 'fn-0', Qualifier: 'no-such-alias' },
      // Refused before the function is looked up: no 404.
      { FunctionName: 'ghost', Qualifier: 'live' },
    ]) {
      await expect(once().send(new DeleteFunctionCommand(request))).rejects.toMatchObject({
        name: 'InvalidParameterValueException',
        message: 'Deletion of aliases is not currently supported.',
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(await versionsOf(client, 'fn-0')).toEqual(['$LATEST', '1', '2', '3']);
    // A version number that does not exist is a success that changes nothing; one that does is deleted.
    expect((await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: '99' }))).$metadata.httpStatusCode).toBe(204);
    await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: '1' }));
    expect(await versionsOf(client, 'fn-0')).toEqual(['$LATEST', '2', '3']);
  });

  it('answers what breaks the model with ValidationException (message only), not InvalidParameterValueException', async () => {
    const { sandbox: sb, lambda } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 1 });
    const invalid = await failure(once().send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: 'invalid!' })));
    expect(invalid).toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value 'invalid!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`,
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(invalid.Type).toBeUndefined();
    const long = 'a'.repeat(129);
    await expect(once().send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: long }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value '${long}' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128`,
    });
    await expect(once().send(new DeleteFunctionCommand({ FunctionName: 'my function' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(
        /^1 validation error detected: Value 'my function' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: /,
      ),
    });
    const [response] = sb.server.calls('lambda', 'DeleteFunction');
    expect(response).toMatchObject({ status: 400 });
    expect(lambda.state.functions.has('fn-0')).toBe(true);
  });
});

describe('sandbox Lambda refuses: ListFunctionVersionsByCapacityProvider paging', () => {
  it('accepts MaxItems 1–50 only', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { capacityProvider: 'cp', functions: 2, versionsPerFunction: 30, aliases: [] });
    for (const [maxItems, constraint] of [
      [51, 'Member must have value less than or equal to 50'],
      [0, 'Member must have value greater than or equal to 1'],
      [500, 'Member must have value less than or equal to 50'],
    ] as const) {
      await expect(once().send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', MaxItems: maxItems }))).rejects.toMatchObject({
        name: 'ValidationException',
        message: `${VALIDATION}Value '${maxItems}' at 'maxItems' failed to satisfy constraint: ${constraint}`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect((await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', MaxItems: 50 }))).FunctionVersions).toHaveLength(
      50,
    );
    expect((await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', MaxItems: 1 }))).FunctionVersions).toHaveLength(
      1,
    );
    // ListFunctions' MaxItems is 1–10000 in the model: 500 is valid, and a page still holds at most 50.
    expect((await client.send(new ListFunctionsCommand({ MaxItems: 500 }))).Functions).toHaveLength(2);
    await expect(once().send(new ListFunctionsCommand({ MaxItems: 10001 }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('hands out opaque markers; deleting listed and unlisted versions between pages neither skips nor repeats one', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { capacityProvider: 'cp', functions: 3, versionsPerFunction: 10, aliases: [] });
    const arn = (fn: string, version: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${fn}:${version}`;
    const first = await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', MaxItems: 7 }));
    const listed = (first.FunctionVersions ?? []).map((v) => v.FunctionArn);
    expect(listed).toEqual(['1', '2', '3', '4', '5', '6', '7'].map((v) => arn('fn-0', v)));
    // Not an offset a caller could compute or edit.
    expect(first.NextMarker).toBeDefined();
    expect(first.NextMarker).not.toMatch(/^\d+$/);
    expect(Buffer.from(first.NextMarker!, 'base64url').toString('utf8')).not.toMatch(/^\d+$/);
    // A pruner deletes what it has seen (fn-0:2 and the page's last item, fn-0:7) and something not seen yet (fn-1:3).
    for (const [fn, version] of [
      ['fn-0', '2'],
      ['fn-0', '7'],
      ['fn-1', '3'],
    ] as const) {
      await client.send(new DeleteFunctionCommand({ FunctionName: fn, Qualifier: version }));
    }
    let marker = first.NextMarker;
    while (marker !== undefined) {
      const page = await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', MaxItems: 7, Marker: marker }));
      listed.push(...(page.FunctionVersions ?? []).map((v) => v.FunctionArn));
      marker = page.NextMarker;
    }
    const expected = ['fn-0', 'fn-1', 'fn-2'].flatMap((fn) =>
      Array.from({ length: 10 }, (_, i) => arn(fn, String(i + 1))).filter((a) => a !== arn('fn-1', '3')),
    );
    // Every version that existed at the start and was not deleted before its page is listed, exactly once.
    expect(listed).toEqual(expected);
    // A marker that is not one the service handed out is refused.
    await expect(once().send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', Marker: 'not-a-marker' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('never skips or repeats a remaining version whatever is deleted between pages (seeded random deletions)', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { capacityProvider: 'cp', functions: 4, versionsPerFunction: 12, aliases: [] });
    const all = (await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', MaxItems: 50 }))).FunctionVersions!.map(
      (v) => v.FunctionArn!,
    );
    expect(all).toHaveLength(48);
    const random = mulberry32(18);
    const deleted = new Set<string>();
    const listed: string[] = [];
    let marker: string | undefined;
    do {
      const page = await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp', MaxItems: 5, Marker: marker }));
      listed.push(...page.FunctionVersions!.map((v) => v.FunctionArn!));
      marker = page.NextMarker;
      // Between pages: delete two versions anywhere (listed or not, maybe already gone).
      for (let i = 0; i < 2; i++) {
        const target = all[Math.floor(random() * all.length)]!;
        const [, fn, version] = /function:([^:]+):(\d+)$/.exec(target)!;
        await client.send(new DeleteFunctionCommand({ FunctionName: fn!, Qualifier: version! }));
        if (!listed.includes(target)) deleted.add(target);
      }
    } while (marker !== undefined);
    expect(new Set(listed).size).toBe(listed.length);
    // Listed in order, each once; missing only what was deleted before its page came.
    expect(deleted.size).toBeGreaterThan(0);
    expect(listed).toEqual(all.filter((a) => !deleted.has(a)));
  });
});

describe('sandbox Lambda refuses: Get/PutFunctionScalingConfig', () => {
  it('takes a version number or $LATEST.PUBLISHED on an unqualified function name, nothing else', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 2 });
    const qualifierError = (value: string) =>
      `${VALIDATION}Value '${value}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ${PUBLISHED_QUALIFIER_PATTERN}`;
    for (const qualifier of ['live', '$LATEST']) {
      await expect(once().send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: qualifier }))).rejects.toMatchObject({
        name: 'ValidationException',
        message: qualifierError(qualifier),
        $metadata: { httpStatusCode: 400 },
      });
      await expect(
        once().send(
          new PutFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: qualifier, FunctionScalingConfig: { MinExecutionEnvironments: 3 } }),
        ),
      ).rejects.toMatchObject({ name: 'ValidationException', message: qualifierError(qualifier) });
    }
    await expect(once().send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0:1', Qualifier: '1' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value 'fn-0:1' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${UNQUALIFIED_NAME_PATTERN}`,
    });
    await expect(once().send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: undefined as unknown as string }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value null at 'qualifier' failed to satisfy constraint: Member must not be null`,
    });
    // An unqualified ARN is a valid name; $LATEST.PUBLISHED is a valid qualifier once it exists.
    const byArn = await client.send(
      new GetFunctionScalingConfigCommand({ FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0', Qualifier: '2' }),
    );
    expect(byArn.FunctionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:fn-0:2');
    await expect(once().send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '$LATEST.PUBLISHED' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-0', ZipFile: new TextEncoder().encode('next'), PublishTo: 'LATEST_PUBLISHED' }));
    await client.send(
      new PutFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '$LATEST.PUBLISHED', FunctionScalingConfig: { MinExecutionEnvironments: 4 } }),
    );
    expect(
      (await client.send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '$LATEST.PUBLISHED' }))).RequestedFunctionScalingConfig,
    ).toEqual({
      MinExecutionEnvironments: 4,
    });
  });

  it('checks the execution environment counts against the model range 0–15000, and the minimum against the maximum', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 1 });
    const put = (config: { MinExecutionEnvironments?: number; MaxExecutionEnvironments?: number }) =>
      once().send(new PutFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '1', FunctionScalingConfig: config }));
    await expect(put({ MaxExecutionEnvironments: 15001 })).rejects.toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value '15001' at 'functionScalingConfig.maxExecutionEnvironments' failed to satisfy constraint: Member must have value less than or equal to 15000`,
    });
    await expect(put({ MinExecutionEnvironments: -1, MaxExecutionEnvironments: 15001 })).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "2 validation errors detected: Value '-1' at 'functionScalingConfig.minExecutionEnvironments' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
        "Value '15001' at 'functionScalingConfig.maxExecutionEnvironments' failed to satisfy constraint: Member must have value less than or equal to 15000",
    });
    await expect(put({ MinExecutionEnvironments: 5, MaxExecutionEnvironments: 2 })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      $metadata: { httpStatusCode: 400 },
    });
    // The bounds themselves are valid (min = max = 0 is how a version is deactivated).
    expect((await put({ MinExecutionEnvironments: 0, MaxExecutionEnvironments: 0 })).$metadata.httpStatusCode).toBe(202);
    expect((await put({ MinExecutionEnvironments: 15000, MaxExecutionEnvironments: 15000 })).$metadata.httpStatusCode).toBe(202);
    expect((await client.send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '1' }))).RequestedFunctionScalingConfig).toEqual({
      MinExecutionEnvironments: 15000,
      MaxExecutionEnvironments: 15000,
    });
  });

  it('reports no scaling config for a version never given one (the service default is not reported); a Put without one resets it', async () => {
    const { lambda, client } = await start();
    seedLambda(lambda, { functions: 1, versionsPerFunction: 2 });
    const get = async (qualifier: string) => {
      const { $metadata: _, ...rest } = await client.send(new GetFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: qualifier }));
      return rest;
    };
    expect(await get('1')).toEqual({ FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0:1' });
    await client.send(
      new PutFunctionScalingConfigCommand({
        FunctionName: 'fn-0',
        Qualifier: '2',
        FunctionScalingConfig: { MinExecutionEnvironments: 1, MaxExecutionEnvironments: 4 },
      }),
    );
    expect(await get('2')).toEqual({
      FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0:2',
      AppliedFunctionScalingConfig: { MinExecutionEnvironments: 1, MaxExecutionEnvironments: 4 },
      RequestedFunctionScalingConfig: { MinExecutionEnvironments: 1, MaxExecutionEnvironments: 4 },
    });
    // No FunctionScalingConfig at all (what terraform-provider-aws sends to delete one), or one with no member.
    const reset = await client.send(new PutFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '2' }));
    expect(reset).toMatchObject({ FunctionState: 'Active', $metadata: { httpStatusCode: 202 } });
    expect(await get('2')).toEqual({ FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0:2' });
    await client.send(new PutFunctionScalingConfigCommand({ FunctionName: 'fn-0', Qualifier: '1', FunctionScalingConfig: {} }));
    expect(await get('1')).toEqual({ FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-0:1' });
  });

  it('refuses a function without a capacity provider with AccessDeniedException', async () => {
    const { client } = await start();
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'plain',
        Role: 'arn:aws:iam::123456789012:role/app',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: new TextEncoder().encode('plain') },
        Publish: true,
      }),
    );
    await expect(
      once().send(new PutFunctionScalingConfigCommand({ FunctionName: 'plain', Qualifier: '1', FunctionScalingConfig: { MinExecutionEnvironments: 1 } })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'The function provided by the arn does not contain a capacity provider configuration',
      $metadata: { httpStatusCode: 403 },
    });
  });
});

describe('sandbox Lambda refuses: capacity providers', () => {
  /** Adds members the model does not have to the request body, after the SDK serialized it (the SDK sends only modelled members). */
  function withUnknownMembers(client: LambdaClient, extra: (body: Record<string, unknown>) => void): LambdaClient {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown; headers?: Record<string, string> };
        // The serialized JSON body (a string, or the SDK's string adapter).
        const text = request.body === undefined || request.body === null ? '' : String(request.body);
        if (text.startsWith('{')) {
          const body = JSON.parse(text) as Record<string, unknown>;
          extra(body);
          request.body = JSON.stringify(body);
          for (const name of Object.keys(request.headers ?? {})) if (name.toLowerCase() === 'content-length') delete request.headers?.[name];
        }
        return next(args);
      },
      { step: 'build', priority: 'high' },
    );
    return client;
  }

  it('does not echo request members the model does not have', async () => {
    const { lambda, client } = await start();
    // What reached the sandbox (the unknown members really are on the wire), and what it answered on the wire:
    // the SDK's deserializer drops members it does not know, so the raw answers are what shows an echo.
    const received: string[] = [];
    const answered: string[] = [];
    intercept(lambda, async (operation, request, answer) => {
      if (operation.startsWith('Create')) received.push(request.body.toString('utf8'));
      const response = await answer();
      answered.push(JSON.stringify(response.body ?? null));
      return response;
    });
    const sloppy = withUnknownMembers(createLambdaClient({ region: 'eu-west-1', retryMode: 'standard' }), (body) => {
      if (body.CapacityProviderName !== undefined) {
        body.Bogus = 'top-level';
        (body.VpcConfig as Record<string, unknown>).Extra = 'nested';
        (body.CapacityProviderScalingConfig as Record<string, unknown>).Surprise = 1;
      }
      if (body.FunctionName !== undefined) {
        body.Bogus = 'top-level';
        (
          (body.CapacityProviderConfig as Record<string, Record<string, unknown>>).LambdaManagedInstancesCapacityProviderConfig as Record<string, unknown>
        ).Extra = 'x';
      }
    });
    const created = await sloppy.send(
      new CreateCapacityProviderCommand({
        CapacityProviderName: 'cp',
        VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
        PermissionsConfig: { CapacityProviderOperatorRoleArn: 'arn:aws:iam::123456789012:role/op' },
        CapacityProviderScalingConfig: { MaxVCpuCount: 64, ScalingMode: 'Auto' },
      }),
    );
    const provider = (await client.send(new GetCapacityProviderCommand({ CapacityProviderName: 'cp' }))).CapacityProvider;
    for (const shown of [created.CapacityProvider, provider]) {
      expect(shown?.VpcConfig).toEqual({ SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] });
      expect(shown?.CapacityProviderScalingConfig).toEqual({ MaxVCpuCount: 64, ScalingMode: 'Auto' });
    }
    // CreateFunction keeps only LambdaManagedInstancesCapacityProviderConfig's members, and echoes nothing else.
    const fn = await sloppy.send(
      new CreateFunctionCommand({
        FunctionName: 'router',
        Role: 'arn:aws:iam::123456789012:role/app',
        Code: { ZipFile: new TextEncoder().encode('router') },
        CapacityProviderConfig: {
          LambdaManagedInstancesCapacityProviderConfig: {
            CapacityProviderArn: created.CapacityProvider!.CapacityProviderArn!,
            PerExecutionEnvironmentMaxConcurrency: 8,
          },
        },
      }),
    );
    expect(fn.CapacityProviderConfig).toEqual({
      LambdaManagedInstancesCapacityProviderConfig: {
        CapacityProviderArn: created.CapacityProvider!.CapacityProviderArn,
        PerExecutionEnvironmentMaxConcurrency: 8,
      },
    });
    expect(received).toHaveLength(2);
    expect(received.every((body) => body.includes('"Bogus":"top-level"') && body.includes('"Extra"'))).toBe(true);
    expect(answered).toHaveLength(3);
    for (const body of answered) expect(body).not.toMatch(/Bogus|Extra|Surprise/);
  });

  it('updates a capacity provider with UpdateCapacityProvider, and refuses what the model or the state forbids', async () => {
    const { sandbox: sb, lambda, client } = await start();
    const clock = controlClock(sb.clock);
    lambda.createCapacityProvider('cp', { InstanceRequirements: { Architectures: ['arm64'] } }, { instant: true });
    const before = (await client.send(new GetCapacityProviderCommand({ CapacityProviderName: 'cp' }))).CapacityProvider!;
    clock.advance(5_000);
    const updated = await client.send(
      new UpdateCapacityProviderCommand({
        CapacityProviderName: 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:cp',
        CapacityProviderScalingConfig: {
          MaxVCpuCount: 128,
          ScalingMode: 'Manual',
          ScalingPolicies: [{ PredefinedMetricType: 'LambdaCapacityProviderAverageCPUUtilization', TargetValue: 60 }],
        },
      }),
    );
    expect(updated.$metadata.httpStatusCode).toBe(202);
    expect(updated.CapacityProvider).toMatchObject({
      CapacityProviderArn: before.CapacityProviderArn,
      State: 'Active',
      InstanceRequirements: { Architectures: ['arm64'] },
      CapacityProviderScalingConfig: { MaxVCpuCount: 128, ScalingMode: 'Manual' },
    });
    expect(updated.CapacityProvider!.LastModified).not.toBe(before.LastModified);
    expect(
      (await client.send(new GetCapacityProviderCommand({ CapacityProviderName: 'cp' }))).CapacityProvider!.CapacityProviderScalingConfig?.MaxVCpuCount,
    ).toBe(128);

    clock.advance(5_000);
    await expect(
      once().send(new UpdateCapacityProviderCommand({ CapacityProviderName: 'cp', CapacityProviderScalingConfig: { MaxVCpuCount: 1 } })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value '1' at 'capacityProviderScalingConfig.maxVCpuCount' failed to satisfy constraint: Member must have value greater than or equal to 2`,
    });
    clock.advance(5_000);
    await expect(once().send(new UpdateCapacityProviderCommand({ CapacityProviderName: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    lambda.options.capacityProviderDelayMs = 60_000;
    clock.advance(5_000);
    await client.send(new DeleteCapacityProviderCommand({ CapacityProviderName: 'cp' }));
    clock.advance(5_000);
    await expect(once().send(new UpdateCapacityProviderCommand({ CapacityProviderName: 'cp' }))).rejects.toMatchObject({
      name: 'ResourceConflictException',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it('draws capacity provider calls from their own quotas: reads 15/s, writes 1/s, not the control plane', async () => {
    const { sandbox: sb, lambda } = await start();
    expect(DEFAULT_QUOTAS['lambda-capacity-provider-read']).toEqual({ ratePerSecond: 15 });
    expect(DEFAULT_QUOTAS['lambda-capacity-provider-write']).toEqual({ ratePerSecond: 1 });
    seedLambda(lambda, { capacityProvider: 'cp', functions: 1, versionsPerFunction: 1 });
    const clock = controlClock(sb.clock);
    clock.freeze();
    // Sandbox time stands still: 15 reads pass, the 16th is throttled...
    const read = (i: number): Promise<unknown> =>
      i % 2 === 0
        ? once().send(new GetCapacityProviderCommand({ CapacityProviderName: 'cp' }))
        : once().send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: 'cp' }));
    const reads: string[] = [];
    for (let i = 0; i < 16; i++)
      reads.push(
        await read(i).then(
          () => 'ok',
          (error: { name: string }) => error.name,
        ),
      );
    expect(reads.slice(0, 15)).toEqual(Array.from({ length: 15 }, () => 'ok'));
    expect(reads[15]).toBe('TooManyRequestsException');
    // ...and the control plane's own 15 are untouched.
    for (let i = 0; i < 15; i++) await once().send(new ListFunctionsCommand({}));
    expect(sb.server.calls('lambda', 'ListFunctions').filter((call) => call.throttled)).toHaveLength(0);
    // One write a second: the second in the same instant is throttled, and passes a second later.
    const write = () => once().send(new UpdateCapacityProviderCommand({ CapacityProviderName: 'cp', CapacityProviderScalingConfig: { MaxVCpuCount: 8 } }));
    await write();
    await expect(write()).rejects.toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    clock.advance(1_000);
    expect((await write()).$metadata.httpStatusCode).toBe(202);
    expect(sb.server.calls('lambda', 'UpdateCapacityProvider').map((call) => call.status)).toEqual([202, 429, 202]);
  });
});

describe('sandbox Lambda: the publish flow still passes validation', () => {
  it('publishes and lists through the validated operations', async () => {
    const { lambda, client } = await start();
    const provider = lambda.createCapacityProvider('cp', {}, { instant: true });
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'router',
        Role: 'arn:aws:iam::123456789012:role/app',
        Code: { ZipFile: new TextEncoder().encode('v0') },
        CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: provider.arn } },
      }),
    );
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'router', ZipFile: new TextEncoder().encode('v1') }));
    expect((await client.send(new PublishVersionCommand({ FunctionName: 'router', Description: 'first' }))).Version).toBe('1');
    await expect(once().send(new PublishVersionCommand({ FunctionName: 'router', Description: 'x'.repeat(257) }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value '${'x'.repeat(257)}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256`,
    });
    await expect(
      once().send(new CreateFunctionCommand({ FunctionName: 'nocode', Role: 'arn:aws:iam::123456789012:role/app', Code: undefined as never })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: `${VALIDATION}Value null at 'code' failed to satisfy constraint: Member must not be null`,
    });
  });
});
