/**
 * Benchmark: each action's committed bundle, its size and its cold start: from `node dist/index.js` to the
 * first request it sends (resolve-environment, and traffic-shift in an all-at-once environment, send none: to their exit), run as GitHub's runner runs it
 * against the sandbox. Median of a few runs.
 */

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { median } from '../../src/stats.js';
import { REPO_ROOT, startAction } from '../local-runner.js';
import { startSandbox } from '../sandbox/sandbox.js';
import { seedCodeBuildFromConfig, seedGitHubFromConfig, seedLambdaFromConfig } from '../sandbox/seed-config.js';

export interface BundleFigures {
  action: string;
  sizeKiB: number;
  coldStartMs: number;
  /** What the cold start was measured to. */
  until: string;
}

const CONFIG = join(REPO_ROOT, '.github', 'gantry.yml');
const SHA = `${'0'.repeat(39)}1`;

/** Inputs that make each action start its real work (and its first request). */
const INPUTS: Record<string, Record<string, string>> = {
  'resolve-environment': { environment: 'dev' },
  'promotion-gate': { environment: 'dev', mode: 'apply', 'github-token': 'sandbox-token', 'create-deployment': 'false' },
  'deployment-status': { 'deployment-id': '1', state: 'in_progress', 'github-token': 'sandbox-token' },
  'codebuild-run': { environment: 'dev', mode: 'plan', wait: 'false', comment: 'false', 'plan-store': '/tmp/gantry-bench-plans' },
  'capacity-warmup': { environment: 'dev' },
  'version-prune': { environment: 'dev' },
  // dev rolls out all at once: the action reads its config, finds nothing to shift and exits without a request
  // (a canary environment would hold the run for the canary's minutes).
  'traffic-shift': { environment: 'dev' },
};

/** Actions that send no request with the inputs above: timed to their exit. */
const UNTIL_EXIT = new Set(['resolve-environment', 'traffic-shift']);

export async function benchBundles(runs = 5): Promise<BundleFigures[]> {
  const sandbox = await startSandbox();
  try {
    const config = parseConfig(readFileSync(CONFIG, 'utf8'), CONFIG);
    seedLambdaFromConfig(sandbox.services.lambda, config, { versionsPerFunction: 2 });
    seedCodeBuildFromConfig(sandbox.services.codebuild, config);
    const repository = seedGitHubFromConfig(sandbox.services.github, config);
    sandbox.services.github.setBranch(repository.owner, repository.repo, 'main', SHA);
    const figures: BundleFigures[] = [];
    for (const [action, inputs] of Object.entries(INPUTS)) {
      const bundle = join(REPO_ROOT, 'actions', action, 'dist', 'index.js');
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        const seen = sandbox.server.requests.length;
        const started = performance.now();
        const child = await startAction(
          action,
          { config: CONFIG, ...inputs },
          {
            ...sandbox.env,
            GITHUB_REPOSITORY: repository.fullName,
            GITHUB_SHA: SHA,
            GITHUB_REF: 'refs/heads/main',
            GITHUB_EVENT_NAME: 'push',
            GITHUB_RUN_ID: `bench-${run}`,
          },
        );
        let firstRequestAt: number | undefined;
        const watch = setInterval(() => {
          if (firstRequestAt === undefined && sandbox.server.requests.length > seen) firstRequestAt = performance.now();
        }, 1);
        await child.result;
        clearInterval(watch);
        times.push((firstRequestAt ?? performance.now()) - started);
      }
      figures.push({
        action,
        sizeKiB: statSync(bundle).size / 1024,
        coldStartMs: median(times),
        until: UNTIL_EXIT.has(action) ? 'exit' : 'first request',
      });
    }
    return figures;
  } finally {
    await sandbox.stop();
  }
}

export function formatBundleFigures(figures: BundleFigures[]): string {
  return [
    '### Action bundles: size and cold start (`node dist/index.js` to its first request; median of 5)',
    '',
    '| Action | Bundle | Cold start | Until |',
    '| --- | ---: | ---: | --- |',
    ...figures.map((f) => `| ${f.action} | ${Math.round(f.sizeKiB)} KiB | ${Math.round(f.coldStartMs)} ms | ${f.until} |`),
  ].join('\n');
}
