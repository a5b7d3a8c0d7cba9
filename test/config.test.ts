import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';

const FILE = '.github/gantry.yml';

function errorOf(text: string): string {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('the example config', () => {
  it('loads with environments in promotion order and derived names', async () => {
    const config = await loadConfig(EXAMPLE_CONFIG_FILE);
    expect(config.order).toEqual(['dev', 'qa', 'prod']);
    const prod = config.environments.get('prod')!;
    expect(prod.previous).toBe('qa');
    expect(prod.names.capacityProvider).toBe('orders-prod-cp');
    expect(prod.names.planProject).toBe('orders-prod-plan');
    expect(prod.names.deployRoleArn).toBe('arn:aws:iam::333333333333:role/orders-prod-gantry-deploy');
    expect(prod.functions.map((fn) => fn.functionName)).toEqual(['orders-prod-router', 'orders-prod-worker']);
    // The YAML merge key overrides scaling for prod only.
    expect(prod.functions[0]!.scaling).toEqual({ minExecutionEnvironments: 2, maxExecutionEnvironments: 6 });
    expect(config.environments.get('qa')!.functions[0]!.scaling).toEqual({ minExecutionEnvironments: 1, maxExecutionEnvironments: 2 });
    // Defaults come from the schema.
    expect(config.environments.get('dev')!.capacityProvider.instanceTypes).toEqual(['m6g.large', 'm6g.xlarge', 'm7g.large', 'm7g.xlarge']);
    expect(config.environments.get('dev')!.functions[1]!.alias).toBe('live');
  });
});

describe('schedules.prune.cli', () => {
  it('is optional, with no default: the terraform app decides where an unset one comes from', () => {
    // Prepare: the example config, which sets it in each environment, and the same without it.
    const unset = EXAMPLE_CONFIG.replace(/^ {4}schedules: .*\n/gm, '');
    // Act
    const withCli = parseConfig(EXAMPLE_CONFIG, FILE);
    const withoutCli = parseConfig(unset, FILE);
    // Assess
    for (const name of withCli.order) {
      expect(withCli.environments.get(name)!.schedules.prune, name).toEqual({
        enabled: false,
        expression: 'cron(23 4 * * ? *)',
        cli: 'node scripts/dist/gantry.js',
      });
      expect(withoutCli.environments.get(name)!.schedules.prune, name).toEqual({ enabled: false, expression: 'cron(23 4 * * ? *)' });
      expect('cli' in withoutCli.environments.get(name)!.schedules.prune, name).toBe(false);
    }
  });

  it('is refused empty, naming where', () => {
    const text = exampleWith('    schedules: { prune: { cli: node scripts/dist/gantry.js } } #', '    schedules: { prune: { cli: "" } } #');
    expect(errorOf(text)).toBe(`${FILE}:32:32: environments.dev.schedules.prune.cli: expected at least 1 characters, got ""`);
  });
});

describe('a broken config yields one line: file:line:col: path: what is expected', () => {
  // Each case: [what is broken, config text, the exact error line].
  const cases: Array<[string, string, string]> = [
    [
      'unknown key',
      exampleWith('    prune: { keep: 3 }', '    prune: { keep: 3, kep: 4 }'),
      `${FILE}:31:23: environments.dev.prune.kep: unknown key "kep"; expected one of keep, protect`,
    ],
    ['wrong type', exampleWith('prune: { keep: 5 }', 'prune: { keep: five }'), `${FILE}:46:20: environments.qa.prune.keep: expected a number, got "five"`],
    [
      'duplicate environment',
      `${EXAMPLE_CONFIG}\n  dev:\n    account: "1"\n`,
      `${FILE}:72:3: duplicate key "dev"; each key (and each environment) may appear once`,
    ],
    [
      'cycle in the order',
      exampleWith('  dev:\n', '  dev:\n    after: prod\n'),
      `${FILE}:12:3: environments: the promotion order is a cycle (qa → prod → dev → qa); exactly one environment must have no "after"`,
    ],
    [
      'gap: unknown previous',
      exampleWith('after: qa', 'after: stage'),
      `${FILE}:53:12: environments.prod.after: unknown environment "stage"; expected one of dev, qa, prod`,
    ],
    [
      'gap: two first environments',
      exampleWith('    after: dev\n', ''),
      `${FILE}:38:5: environments.qa: more than one environment has no "after" (dev, qa), leaving a gap in the promotion order; set "after" on all but the first`,
    ],
    [
      'environment without a project (empty entry)',
      exampleWith(/ {2}qa:[\s\S]*?(?= {2}prod:)/, '  qa:\n'),
      `${FILE}:37:6: environments.qa: expected a mapping with after, account, region, terraform, names, capacityProvider, functions, prune, apply, tags, schedules, observability, rollout, got null`,
    ],
    [
      'environment without a project (empty name)',
      exampleWith('    prune: { keep: 3 }', '    prune: { keep: 3 }\n    names: { planProject: "" }'),
      `${FILE}:32:27: environments.dev.names.planProject: expected a CodeBuild project name (2 to 255 letters, digits, "-" or "_"), got ""`,
    ],
    [
      'missing required block',
      exampleWith('    terraform:\n      workingDirectory: terraform/environments/qa\n', ''),
      `${FILE}:38:5: environments.qa.terraform: is required (expected a mapping with workingDirectory, varFile)`,
    ],
    [
      'bad region',
      exampleWith('region: eu-west-1', 'region: mars'),
      `${FILE}:14:13: environments.dev.region: expected an AWS region such as eu-west-1, got "mars"`,
    ],
    [
      'apply from pull_request',
      exampleWith('events: [workflow_dispatch]', 'events: [pull_request]'),
      `${FILE}:68:16: environments.prod.apply.events.0: apply is never allowed from pull_request: plan on pull requests, apply from push or workflow_dispatch`,
    ],
    [
      'unknown top-level key',
      `${EXAMPLE_CONFIG}extra: 1\n`,
      `${FILE}:71:1: extra: unknown key "extra"; expected one of version, project, github, pullRequests, environments`,
    ],
    [
      'not YAML',
      exampleWith('version: 1', 'version: [1'),
      `${FILE}:5:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ],
    [
      'names clash in one account',
      exampleWith('account: "222222222222"', 'account: "111111111111"').replace(
        '    prune: { keep: 5 }',
        '    prune: { keep: 5 }\n    names: { capacityProvider: orders-dev-cp }',
      ),
      `${FILE}:47:32: environments.qa.names.capacityProvider: capacity provider name "orders-dev-cp" is already used by environments.dev.names.capacityProvider in account 111111111111 eu-west-1; names must be unique per account and region`,
    ],
    [
      'min above max',
      exampleWith(
        'scaling: { minExecutionEnvironments: 1, maxExecutionEnvironments: 2 }',
        'scaling: { minExecutionEnvironments: 3, maxExecutionEnvironments: 2 }',
      ),
      `${FILE}:22:18: environments.dev.functions.0.scaling: expected minExecutionEnvironments to be at most maxExecutionEnvironments (and 1 more problem)`,
    ],
    [
      'wildcard IAM action',
      exampleWith('dynamodb:PutItem', 'dynamodb:*'),
      `${FILE}:25:41: environments.dev.functions.0.permissions.0.actions.1: expected one IAM action such as "dynamodb:GetItem"; wildcards ("*") are not allowed, got "dynamodb:*" (and 2 more problems)`,
    ],
    [
      'duplicate function',
      exampleWith('      - *worker\n    prune: { keep: 5 }', '      - *router\n    prune: { keep: 5 }'),
      `${FILE}:45:9: environments.qa.functions.1.name: duplicate function "router"; each function appears once per environment`,
    ],
  ];

  it.each(cases)('%s', (_what, text, expected) => {
    const message = errorOf(text);
    expect(message).toBe(expected);
    expect(message).not.toContain('\n');
  });

  it('names the file when it does not exist', async () => {
    await expect(loadConfig('/nonexistent/gantry.yml')).rejects.toThrow(
      '/nonexistent/gantry.yml: file not found; create it, or give its path as the config input (--config on the CLI)',
    );
  });

  it('counts further problems without listing them', () => {
    const message = errorOf(exampleWith('region: eu-west-1', 'region: mars').replace('prune: { keep: 5 }', 'prune: { keep: 0 }'));
    expect(message).toMatch(/environments\.dev\.region: .* \(and 1 more problem\)$/);
  });
});

describe('capacity provider and memory settings that Terraform accepts but AWS does not are refused', () => {
  /** `file:line:col` of the first character of `needle` in `text` (1-based, as the errors give it). */
  const at = (text: string, needle: string): string => {
    const index = text.indexOf(needle);
    if (index < 0) throw new Error(`not in the text: ${needle}`);
    const before = text.slice(0, index);
    return `${FILE}:${before.split('\n').length}:${index - before.lastIndexOf('\n')}`;
  };
  const prodCapacity = (lines: string) => exampleWith('    capacityProvider:\n      maxVcpu: 128\n', `    capacityProvider:\n      maxVcpu: 128\n${lines}`);

  it('Manual scaling without scaling policies', () => {
    const text = prodCapacity('      scalingMode: Manual\n');
    expect(errorOf(text)).toBe(
      `${at(text, 'Manual\n')}: environments.prod.capacityProvider.scalingMode: scalingMode Manual needs scalingPolicies (such as [{ targetValue: 60 }]): Lambda scales a Manual capacity provider only by its target tracking policies`,
    );
  });

  it('scaling policies without Manual scaling', () => {
    const text = prodCapacity('      scalingPolicies: [{ targetValue: 60 }]\n');
    expect(errorOf(text)).toBe(
      `${at(text, '[{ targetValue')}: environments.prod.capacityProvider.scalingPolicies: scalingPolicies apply only to scalingMode Manual; remove them or set scalingMode: Manual`,
    );
  });

  it('Manual scaling with target tracking policies is accepted', () => {
    const config = parseConfig(
      prodCapacity(
        '      scalingMode: Manual\n      scalingPolicies: [{ targetValue: 60 }, { metric: LambdaCapacityProviderAverageCPUUtilization, targetValue: 75 }]\n',
      ),
      FILE,
    );
    expect(config.environments.get('prod')!.capacityProvider).toMatchObject({
      scalingMode: 'Manual',
      scalingPolicies: [
        { metric: 'LambdaCapacityProviderAverageCPUUtilization', targetValue: 60 },
        { metric: 'LambdaCapacityProviderAverageCPUUtilization', targetValue: 75 },
      ],
    });
    expect(config.environments.get('dev')!.capacityProvider.scalingPolicies).toEqual([]);
  });

  it('memory that gives an execution environment less than 1 vCPU', () => {
    const text = exampleWith(
      '        name: worker\n        maxConcurrency: 8\n',
      '        name: worker\n        maxConcurrency: 8\n        memoryMb: 3072\n        memoryGiBPerVcpu: 4\n',
    );
    // The worker is a YAML anchor: the same problem again in qa and prod.
    expect(errorOf(text)).toBe(
      `${at(text, '3072')}: environments.dev.functions.1.memoryMb: memoryMb 3072 at memoryGiBPerVcpu 4 gives less than 1 vCPU; an execution environment needs at least 1 vCPU: set memoryMb to at least 4096 or lower memoryGiBPerVcpu (and 2 more problems)`,
    );
    expect(() => parseConfig(text.replace('memoryMb: 3072', 'memoryMb: 4096'), FILE)).not.toThrow();
  });

  it('availability zones given by name, not by zone ID', () => {
    const text = prodCapacity('      excludeAvailabilityZones: [euw1-az3, eu-west-1c]\n');
    expect(errorOf(text)).toBe(
      `${at(text, 'eu-west-1c')}: environments.prod.capacityProvider.excludeAvailabilityZones.1: expected an availability zone ID such as use1-az3, not the zone name "eu-west-1c": zone names map to different zones in each account (aws ec2 describe-availability-zones lists the IDs)`,
    );
    const junk = prodCapacity('      excludeAvailabilityZones: [zone-b]\n');
    expect(errorOf(junk)).toBe(
      `${at(junk, 'zone-b')}: environments.prod.capacityProvider.excludeAvailabilityZones.0: expected an availability zone ID such as use1-az3, got "zone-b"`,
    );
    const ids = parseConfig(prodCapacity('      excludeAvailabilityZones: [euw1-az3, usw2-lax1-az1]\n'), FILE);
    expect(ids.environments.get('prod')!.capacityProvider.excludeAvailabilityZones).toEqual(['euw1-az3', 'usw2-lax1-az1']);
  });
});
