/**
 * Pruning while a traffic shift holds its canary: the alias routes to two versions, the stable one as its
 * primary and the new one by weight, and version-prune (the committed bundle, deleting for real, keep 0 with
 * force, so that nothing is kept for being new) keeps both, each for its alias. The shift can then still roll
 * back: the version it rolls back to is still there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { expect, it } from 'vitest';
import { SANDBOX_REGION } from '../scripts/sandbox/frame.js';
import { startSandbox } from '../scripts/sandbox/sandbox.js';
import { applyGuardAlarms, seedLambdaFromConfig } from '../scripts/sandbox/seed-config.js';
import { awsClientConfig } from '../src/aws/clients.js';
import { parseConfig } from '../src/config/load.js';
import { cliInputSource } from '../src/inputs.js';
import { MemoryLogger } from '../src/logger.js';
import type { PruneReport } from '../src/prune/report.js';
import { shiftPort } from '../src/shift/adapter.js';
import { runShift } from '../src/shift/run.js';
import { shiftRun } from '../src/traffic-shift.js';
import { EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { runBundledAction } from './helpers/run-bundle.js';
import { until } from './helpers/sandbox-control.js';

/** qa holds a 10% canary for an hour: far longer than the prune takes, so the shift is still holding it then. */
const TEXT = exampleWith(
  '    prune: { keep: 5 }',
  '    prune: { keep: 5 }\n    rollout: { strategy: { canary: { percent: 10, minutes: 60 } }, bakeMinutes: 0 }',
);

it('keeps both versions of an alias a traffic shift is moving, and the shift can still roll back to the stable one', async () => {
  const config = parseConfig(TEXT, EXAMPLE_CONFIG_FILE);
  const qa = config.environments.get('qa')!;
  // Real speed: the bundled prune runs in another process, on real time.
  const sandbox = await startSandbox({ clockSpeed: 1 });
  try {
    const { lambda, cloudwatch } = sandbox.services;
    seedLambdaFromConfig(lambda, config, { versionsPerFunction: 6 }); // versions 1–6, live → 6
    // The apply: version 7 published, the alias left on 6, the guarding alarms on 7.
    for (const fn of qa.functions) {
      lambda.updateFunctionCode(fn.functionName, `${fn.functionName}@7`);
      lambda.publishVersion(fn.functionName, { instant: true });
      applyGuardAlarms(cloudwatch, qa, fn, '7');
    }

    const client = {
      ...awsClientConfig({ region: SANDBOX_REGION }),
      endpoint: sandbox.url,
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    };
    const port = shiftPort({
      lambda: { controlPlane: new LambdaClient(client), getFunction: new LambdaClient(client), invoke: new LambdaClient(client) },
      cloudwatch: new CloudWatchClient(client),
    });
    const cancel = new AbortController();
    const run = shiftRun(
      { target: { configFile: EXAMPLE_CONFIG_FILE, environment: 'qa' }, functions: [], resume: 'continue', pollMs: 1_000 },
      qa,
      cliInputSource({}),
    );
    const shifting = runShift(run, { port, clock: sandbox.clock, logger: new MemoryLogger(), signal: cancel.signal });
    const alias = (fn: string) => lambda.state.currentAlias(lambda.state.function(fn), 'live')!;
    expect(await until(() => qa.functions.every((fn) => alias(fn.functionName).weights['7'] === 0.1))).toBe(true);

    const file = join(mkdtempSync(join(tmpdir(), 'gantry-shift-prune-')), 'gantry.yml');
    writeFileSync(file, TEXT);
    const prune = await runBundledAction(
      'version-prune',
      { environment: 'qa', config: file, keep: '0', force: 'true', 'dry-run': 'false' },
      { ...sandbox.env, GITHUB_WORKSPACE: dirname(file) },
    );
    expect(prune.code).toBe(0);
    const report = JSON.parse(prune.outputs.report!) as PruneReport;
    for (const fn of qa.functions) {
      const pruned = report.functions.find((entry) => entry.function === fn.functionName)!;
      expect(Object.fromEntries(pruned.kept.map((kept) => [kept.version, kept.reasons]))).toEqual({ '6': ['alias:live'], '7': ['weighted-alias:live'] });
      expect(pruned.deleted).toEqual(['1', '2', '3', '4', '5']);
      expect([...lambda.state.function(fn.functionName).versions.keys()].sort()).toEqual(['6', '7']);
      expect(alias(fn.functionName)).toMatchObject({ functionVersion: '6', weights: { '7': 0.1 } });
    }

    // The shift is still holding its canary; cancelled, it rolls back to 6, which the prune kept.
    cancel.abort(new Error('workflow cancelled (SIGINT)'));
    const shift = await shifting;
    expect(shift.outcome).toBe('rolled-back');
    for (const fn of qa.functions) expect(alias(fn.functionName)).toMatchObject({ functionVersion: '6', weights: {} });
  } finally {
    await sandbox.stop();
  }
});
