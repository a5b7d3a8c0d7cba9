/**
 * Property-style tests of the config: random valid configs resolve to unique, AWS-valid names in a single
 * promotion chain; random corruptions always yield one ConfigError line that names the file and a path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';

const labelArb = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);

const configArb = fc
  .record({
    project: labelArb,
    envNames: fc.uniqueArray(labelArb, { minLength: 1, maxLength: 5 }),
    functionNames: fc.uniqueArray(labelArb, { minLength: 1, maxLength: 4 }),
    accounts: fc.array(fc.stringMatching(/^\d{12}$/), { minLength: 5, maxLength: 5 }),
    keep: fc.integer({ min: 1, max: 99 }),
  })
  .map(({ project, envNames, functionNames, accounts, keep }) => ({
    version: 1,
    project,
    environments: Object.fromEntries(
      envNames.map((name, index) => [
        name,
        {
          ...(index === 0 ? {} : { after: envNames[index - 1] }),
          account: accounts[index],
          region: 'eu-west-1',
          terraform: { workingDirectory: `terraform/${name}` },
          functions: functionNames.map((fn) => ({ name: fn })),
          prune: { keep },
        },
      ]),
    ),
  }));

describe('config properties', () => {
  it('a valid config resolves to one chain with unique, AWS-valid derived names', () => {
    fc.assert(
      fc.property(configArb, fc.boolean(), (raw, shuffle) => {
        const entries = Object.entries(raw.environments);
        // Declaration order must not matter: only `after` defines the order.
        const declared = shuffle ? [...entries].reverse() : entries;
        const text = stringify({ ...raw, environments: Object.fromEntries(declared) });
        const config = parseConfig(text, 'gantry.yml');
        expect(config.order).toEqual(entries.map(([name]) => name));
        // Unique within each kind of resource of an account (AWS's own rule): a function may share its name with
        // a CodeBuild project or the capacity provider (a function called "cp" is orders-dev-cp, like the provider).
        const seen = new Set<string>();
        for (const env of config.environments.values()) {
          const { names } = env;
          const named: Array<[string, string]> = [
            ['capacity-provider', names.capacityProvider],
            ['codebuild', names.planProject],
            ['codebuild', names.applyProject],
            ...names.functions.map((fn): [string, string] => ['function', fn.functionName]),
          ];
          for (const [kind, name] of named) {
            expect(seen.has(`${env.account}/${kind}/${name}`)).toBe(false);
            seen.add(`${env.account}/${kind}/${name}`);
          }
          expect(names.planBucket).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
          expect(names.stateBucket).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
          expect(names.deployRole.length).toBeLessThanOrEqual(64);
          for (const fn of names.functions) expect(fn.functionName).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
          expect(names.capacityProviderArn).toMatch(
            /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:capacity-provider:[a-zA-Z0-9-_]+$/,
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it('any corruption yields exactly one line naming the file and the path', () => {
    const corruption = fc.oneof(
      fc.constant({ kind: 'unknown key' as const }),
      fc.constant({ kind: 'wrong type' as const }),
      fc.constant({ kind: 'cycle' as const }),
      fc.constant({ kind: 'gap' as const }),
    );
    fc.assert(
      fc.property(configArb, corruption, fc.nat(), (raw, { kind }, pick) => {
        const names = Object.keys(raw.environments);
        const target = names[pick % names.length]!;
        const envs = structuredClone(raw.environments) as Record<string, Record<string, unknown>>;
        let expectedPath: string;
        if (kind === 'unknown key') {
          envs[target]!.bogus = 1;
          expectedPath = `environments.${target}.bogus`;
        } else if (kind === 'wrong type') {
          envs[target]!.prune = { keep: 'many' };
          expectedPath = `environments.${target}.prune.keep`;
        } else if (kind === 'cycle') {
          envs[names[0]!]!.after = names[names.length - 1];
          expectedPath = names.length === 1 ? `environments.${names[0]}.after` : 'environments';
        } else {
          envs[target]!.after = 'missing';
          expectedPath = `environments.${target}.after`;
        }
        let message = '';
        try {
          parseConfig(stringify({ ...raw, environments: envs }), 'conf/gantry.yml');
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          message = (error as Error).message;
        }
        expect(message).not.toBe('');
        expect(message).not.toContain('\n');
        expect(message.startsWith('conf/gantry.yml:')).toBe(true);
        expect(message).toContain(`: ${expectedPath}: `);
      }),
      { numRuns: 150 },
    );
  });
});
