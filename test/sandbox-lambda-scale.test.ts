/**
 * The Lambda sandbox with a large account (issue 20): the seed helper spreads functions over capacity providers
 * so the 100-versions-per-provider limit holds, and the listings that page by key (ListFunctions,
 * ListVersionsByFunction, ListFunctionVersionsByCapacityProvider) are kept in order as versions are published and
 * deleted, instead of being rebuilt and sorted on every call. Driven by the real SDK client; what is checked is
 * what a caller sees (every item once, in Lambda's order, across pages and changes between pages), never how long
 * anything takes: the speed is `npm run bench`'s business (sandbox.seed, prune.scale.sandbox-cpu).
 */

import { spawn } from 'node:child_process';
import {
  DeleteFunctionCommand,
  type LambdaClient,
  ListFunctionsCommand,
  type ListFunctionsCommandOutput,
  ListFunctionVersionsByCapacityProviderCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandboxWith } from '../scripts/sandbox/frame.js';
import { seedLambda } from '../scripts/sandbox/lambda/seed.js';
import { LambdaService } from '../scripts/sandbox/lambda/service.js';
import { createLambdaClient } from '../src/aws/clients.js';

const saved = { ...process.env };
let sandbox: RunningSandbox<{ lambda: LambdaService }> | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  process.env = { ...saved };
});

/** No quota: these tests page through thousands of items. */
async function start() {
  const started = await startSandboxWith((core) => ({ lambda: new LambdaService(core) }), {
    quotas: { 'lambda-control-plane': { ratePerSecond: 1e9 }, 'lambda-capacity-provider-read': { ratePerSecond: 1e9 } },
  });
  sandbox = started;
  Object.assign(process.env, started.env);
  return { lambda: started.services.lambda, client: createLambdaClient({ region: 'eu-west-1', retryMode: 'standard' }) };
}

const arn = (name: string, version?: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}${version === undefined ? '' : `:${version}`}`;

async function providerPages(client: LambdaClient, provider: string, maxItems?: number, between?: (page: number) => Promise<void>): Promise<string[][]> {
  const pages: string[][] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: provider, Marker: marker, MaxItems: maxItems }));
    pages.push((page.FunctionVersions ?? []).map((item) => item.FunctionArn ?? ''));
    marker = page.NextMarker;
    if (marker !== undefined) await between?.(pages.length);
  } while (marker !== undefined);
  return pages;
}

describe('sandbox Lambda at scale: seeding over capacity providers', () => {
  it('spreads a fleet so that no provider holds more than its 100 versions, and each provider lists exactly its own', async () => {
    const { lambda, client } = await start();
    const seeded = seedLambda(lambda, {
      capacityProvider: 'fleet-cp',
      namePrefix: 'fleet',
      functions: 250,
      versionsPerFunction: 10,
      functionsPerCapacityProvider: 'fill',
    });
    expect(seeded.capacityProviderArns).toHaveLength(25);
    expect(seeded.capacityProviderArns[0]).toBe('arn:aws:lambda:eu-west-1:123456789012:capacity-provider:fleet-cp-000');
    for (const providerArn of seeded.capacityProviderArns) expect(lambda.state.versionCountOnCapacityProvider(providerArn)).toBe(100);

    const pages = await providerPages(client, 'fleet-cp-003');
    expect(pages.map((page) => page.length)).toEqual([50, 50]);
    const expected = Array.from({ length: 10 }, (_, f) => `fleet-${String(30 + f).padStart(3, '0')}`).flatMap((name) =>
      Array.from({ length: 10 }, (_, v) => arn(name, String(v + 1))),
    );
    expect(pages.flat()).toEqual(expected);

    // The provider is full: one more version is refused with Lambda's exception; a function elsewhere still publishes.
    lambda.updateFunctionCode('fleet-030', 'fleet-030@11');
    await expect(client.send(new PublishVersionCommand({ FunctionName: 'fleet-030' }))).rejects.toMatchObject({
      name: 'FunctionVersionsPerCapacityProviderLimitExceededException',
    });
    await client.send(new DeleteFunctionCommand({ FunctionName: 'fleet-031', Qualifier: '1' }));
    expect(lambda.state.versionCountOnCapacityProvider(seeded.capacityProviderArns[3] ?? '')).toBe(99);
    await expect(client.send(new PublishVersionCommand({ FunctionName: 'fleet-030' }))).resolves.toMatchObject({ Version: '11' });
  });

  it('puts a given number of functions on each provider, and all on one without the option', async () => {
    const { lambda } = await start();
    expect(
      seedLambda(lambda, { capacityProvider: 'a', functions: 5, versionsPerFunction: 2, functionsPerCapacityProvider: 2 }).capacityProviderArns,
    ).toHaveLength(3);
    const one = seedLambda(lambda, { capacityProvider: 'b', namePrefix: 'b', functions: 5, versionsPerFunction: 2 });
    expect(one.capacityProviderArns).toEqual([one.capacityProviderArn]);
    expect(lambda.state.versionCountOnCapacityProvider(one.capacityProviderArn)).toBe(10);
  });
});

describe('sandbox Lambda at scale: listings kept in order as the account changes', () => {
  it('lists every version on a provider once, in order, while versions are published and deleted between pages', async () => {
    const { lambda, client } = await start();
    lambda.options.maxVersionsPerCapacityProvider = 1_000;
    seedLambda(lambda, { capacityProvider: 'cp', functions: 6, versionsPerFunction: 20, aliases: [] });
    const pages = await providerPages(client, 'cp', 25, async (page) => {
      if (page === 1) {
        // Before the marker (fn-0's first 25 versions are listed): deleted and published there, nothing shifts.
        await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-0', Qualifier: '3' }));
        // After the marker: a deleted version is not listed, a new one is.
        await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-4', Qualifier: '7' }));
        await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-5', ZipFile: new TextEncoder().encode('new') }));
        await client.send(new PublishVersionCommand({ FunctionName: 'fn-5' }));
      }
      // The whole of fn-2 deleted while the listing is in it (page 2 ends at fn-2:10): the listing goes on with fn-3.
      if (page === 2) await client.send(new DeleteFunctionCommand({ FunctionName: 'fn-2' }));
    });
    const listed = pages.flat();
    const versions = (name: string, from: number, to: number, skip?: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i)
        .filter((v) => v !== skip)
        .map((v) => arn(name, String(v)));
    expect(listed).toEqual([
      ...versions('fn-0', 1, 20),
      ...versions('fn-1', 1, 20),
      ...versions('fn-2', 1, 10),
      ...versions('fn-3', 1, 20),
      ...versions('fn-4', 1, 20, 7),
      ...versions('fn-5', 1, 21),
    ]);
    expect(lambda.state.versionCountOnCapacityProvider(lambda.state.capacityProvider('cp').arn)).toBe(6 * 20 - 20 - 2 + 1);
  });

  it('pages ListVersionsByFunction and ListFunctions (every version) in Lambda’s order across deletions', async () => {
    const { lambda, client } = await start();
    lambda.options.maxVersionsPerCapacityProvider = 1_000;
    seedLambda(lambda, { capacityProvider: 'cp', functions: 3, versionsPerFunction: 40, aliases: [] });
    lambda.publishVersion('fn-1', { publishTo: 'LATEST_PUBLISHED', instant: true });
    for (const version of ['1', '2', '39']) lambda.state.deleteVersion('fn-1', version);

    const versions: string[] = [];
    let marker: string | undefined;
    do {
      const page = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'fn-1', Marker: marker, MaxItems: 15 }));
      versions.push(...(page.Versions ?? []).map((v) => v.Version ?? ''));
      marker = page.NextMarker;
    } while (marker !== undefined);
    expect(versions).toEqual([
      '$LATEST',
      ...Array.from({ length: 40 }, (_, i) => String(i + 1)).filter((v) => !['1', '2', '39'].includes(v)),
      '$LATEST.PUBLISHED',
    ]);

    const all: string[] = [];
    marker = undefined;
    do {
      const page: ListFunctionsCommandOutput = await client.send(new ListFunctionsCommand({ FunctionVersion: 'ALL', Marker: marker }));
      all.push(...(page.Functions ?? []).map((f) => `${f.FunctionName}:${f.Version}`));
      marker = page.NextMarker;
    } while (marker !== undefined);
    const numbered = (name: string, skip: string[] = []) =>
      Array.from({ length: 40 }, (_, i) => `${name}:${i + 1}`).filter((item) => !skip.some((v) => item === `${name}:${v}`));
    expect(all).toEqual([
      'fn-0:$LATEST',
      ...numbered('fn-0'),
      'fn-1:$LATEST',
      ...numbered('fn-1', ['1', '2', '39']),
      'fn-1:$LATEST.PUBLISHED',
      'fn-2:$LATEST',
      ...numbered('fn-2'),
    ]);
  });

  it('counts a provider’s versions through every change: $LATEST.PUBLISHED replaced, a function deleted', async () => {
    const { lambda } = await start();
    const { capacityProviderArn } = seedLambda(lambda, { capacityProvider: 'cp', functions: 2, versionsPerFunction: 3 });
    lambda.publishVersion('fn-0', { publishTo: 'LATEST_PUBLISHED', instant: true });
    lambda.updateFunctionCode('fn-0', 'again');
    lambda.publishVersion('fn-0', { publishTo: 'LATEST_PUBLISHED', instant: true });
    expect(lambda.state.versionCountOnCapacityProvider(capacityProviderArn)).toBe(7);
    expect(lambda.state.versionsOnCapacityProvider(capacityProviderArn).map(({ fn, version }) => `${fn.name}:${version.version}`)).toEqual([
      'fn-0:1',
      'fn-0:2',
      'fn-0:3',
      'fn-0:$LATEST.PUBLISHED',
      'fn-1:1',
      'fn-1:2',
      'fn-1:3',
    ]);
    lambda.state.deleteFunction('fn-0');
    expect(lambda.state.versionCountOnCapacityProvider(capacityProviderArn)).toBe(3);
    expect(lambda.state.versionsOnCapacityProvider(capacityProviderArn).map(({ fn }) => fn.name)).toEqual(['fn-1', 'fn-1', 'fn-1']);
  });
});

describe('npm run sandbox -- --functions N --versions M', () => {
  it('adds a fleet spread over capacity providers of 100 versions, and says so', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sandbox/main.ts', '--port', '0', '--functions', '250', '--versions', '100'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('export GITHUB_REPOSITORY=')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${output}`)));
      });
      expect(output).toMatch(
        /^# {3}fleet: 250 functions \(fleet-000 … fleet-249\) × 100 versions on 250 capacity providers \(fleet-cp-000 …\), seeded in [\d.]+ s$/m,
      );
      // The config's functions share their environment's provider: 100 versions between its two functions.
      expect(output).toContain('#   dev: orders-dev-router, orders-dev-worker on orders-dev-cp (50 versions each: the provider holds 100)');
      const exports = Object.fromEntries([...output.matchAll(/^export (\w+)=(.*)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']));
      Object.assign(process.env, exports);
      const client = createLambdaClient({ region: 'eu-west-1', retryMode: 'standard' });
      expect(await providerPages(client, 'fleet-cp-249')).toEqual([
        Array.from({ length: 50 }, (_, v) => arn('fleet-249', String(v + 1))),
        Array.from({ length: 50 }, (_, v) => arn('fleet-249', String(v + 51))),
      ]);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
