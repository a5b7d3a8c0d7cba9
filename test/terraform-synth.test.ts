/**
 * The terraform app (terraform/): synthesized for the example config and for a config that turns every option
 * on, then read back as Terraform JSON: every block is well formed and every reference names a resource or
 * data source the stack declares. Real `terraform validate` runs in test/terraform-validate.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type BuildspecLine, runBuildspec } from '../src/buildspec/runner.js';
import { type GantryConfig, loadConfig, parseConfig } from '../src/config/load.js';
import { boundedName } from '../src/config/naming.js';
import { ConfigError, OperationError } from '../src/errors.js';
import { installedRelease, releaseStamp } from '../src/release-stamp.js';
import { environmentOutputs } from '../src/resolve-environment.js';
import { TERRAFORM_PIN, terraformPinEnv } from '../src/terraform/pin.js';
import { STACK_FILE, type SynthResult, synthesize } from '../terraform/app.js';
import { ROLE_PERMISSION_WRITES } from '../terraform/constructs/boundary.js';
import { pruneCliVariables } from '../terraform/constructs/builds.js';
import { CAPACITY_PROVIDER_OBJECT_ATTRIBUTES } from '../terraform/constructs/capacity-provider.js';
import { FUNCTION_TIMEOUTS, packageFromWorkingDirectory } from '../terraform/constructs/functions.js';
import { refSubjects } from '../terraform/constructs/github-oidc.js';
import {
  MANAGED_POLICY_LIMIT,
  mergeStatements,
  policyDocument,
  policySize,
  RESOURCELESS_ACTIONS,
  ROLE_INLINE_POLICY_LIMIT,
} from '../terraform/constructs/iam.js';
import {
  ALLOWED_IAM_ACTIONS,
  CODEBUILD_OVERRIDE_CONDITION_KEYS,
  CODEBUILD_PROTECTED_VARIABLES,
  CODEBUILD_VARIABLE_NAMES_CONDITION_KEY,
  IAM_ACTIONS,
} from '../terraform/constructs/iam-actions.js';
import { escapeTemplateString } from '../terraform/escape.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

type Block = Record<string, unknown>;
interface StackJson {
  terraform: { backend: { s3: Block }; required_providers: { aws: { source: string; version: string } }; required_version: string };
  provider: { aws: Block[] };
  resource: Record<string, Record<string, Block>>;
  data?: Record<string, Record<string, Block>>;
  output?: Record<string, Block>;
}
interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource?: string[];
  Principal?: Record<string, string>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const tmp = mkdtempSync(join(tmpdir(), 'gantry-terraform-synth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const stackOf = (result: SynthResult, environment: string): StackJson =>
  JSON.parse(readFileSync(result.stacks.find((stack) => stack.environment === environment)!.file, 'utf8')) as StackJson;
const resources = (stack: StackJson, type: string): Block[] => Object.values(stack.resource[type] ?? {});
const one = (stack: StackJson, type: string, where: (block: Block) => boolean = () => true): Block => {
  const found = resources(stack, type).filter(where);
  expect(found, `${type}: exactly one`).toHaveLength(1);
  return found[0]!;
};
const named = (field: string, value: string) => (block: Block) => block[field] === value;
/** Where a JSON value holds null: `aws_x.name.attr.0.key`. */
function nullPaths(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => nullPaths(item, path === '' ? key : `${path}.${key}`));
}
/** The only nulls of a stack: unset keys of the capacity provider's list(object) attributes. */
const NULL_ALLOWED =
  /^aws_lambda_capacity_provider\.[^.]+\.(instance_requirements\.0\.excluded_instance_types|capacity_provider_scaling_config\.0\.scaling_policies)$/;
const policy = (text: unknown): PolicyStatement[] => (JSON.parse(text as string) as { Statement: PolicyStatement[] }).Statement;
/** The inline policy of the role with this name. */
function rolePolicy(stack: StackJson, roleName: string): PolicyStatement[] {
  const [key] = Object.entries(stack.resource.aws_iam_role!).find(([, role]) => role.name === roleName)!;
  return policy(one(stack, 'aws_iam_role_policy', (block) => block.role === `\${aws_iam_role.${key}.id}`).policy);
}
const actionsOf = (statements: PolicyStatement[]) => statements.flatMap((statement) => statement.Action);
/** Every IAM policy document of the stack: trust policies, inline policies, bucket policies, permissions boundaries. */
function policyDocuments(stack: StackJson): Array<{ where: string; statements: PolicyStatement[] }> {
  const documents: Array<{ where: string; statements: PolicyStatement[] }> = [];
  for (const [type, field] of [
    ['aws_iam_role', 'assume_role_policy'],
    ['aws_iam_role_policy', 'policy'],
    ['aws_s3_bucket_policy', 'policy'],
    ['aws_iam_policy', 'policy'],
  ] as const) {
    for (const [key, block] of Object.entries(stack.resource[type] ?? {})) documents.push({ where: `${type}.${key}`, statements: policy(block[field]) });
  }
  return documents;
}

let example: SynthResult;
let config: GantryConfig;

/** A config with every option of the terraform app turned on. */
function optionsConfig(): string {
  const fn = (name: string) => ({
    name,
    memoryMb: 4096,
    memoryGiBPerVcpu: 4,
    maxConcurrency: 32,
    warmup: { payload: { ping: name } },
    scaling: { minExecutionEnvironments: 0, maxExecutionEnvironments: 4 },
  });
  return stringify({
    version: 1,
    project: 'shop',
    github: { repository: 'acme/shop' },
    environments: {
      test: {
        account: '444444444444',
        region: 'us-east-1',
        terraform: { workingDirectory: 'infra' },
        names: { deployRole: 'legacy-deployer' },
        capacityProvider: {
          vpc: 'default',
          excludeAvailabilityZones: ['use1-az3'],
          maxSubnets: 2,
          instanceTypes: ['c7g.large'],
          scalingMode: 'Manual',
          scalingPolicies: [{ targetValue: 60 }],
          maxVcpu: 16,
        },
        functions: [{ ...fn('api'), functionName: 'legacy-api', package: 'build/api.zip', alias: 'current' }],
        apply: { refs: ['refs/heads/release/**'] },
        schedules: { keepAlive: { enabled: true }, prune: { enabled: true, expression: 'rate(6 hours)', cli: 'node tools/gantry.js' } },
        observability: {
          logRetentionDays: 90,
          alarmActions: ['arn:aws:sns:us-east-1:444444444444:alerts'],
          alarms: { errors: 5, throttles: 3, cpuPercent: 70, versions: 80 },
        },
        tags: { team: 'checkout' },
      },
      live: {
        after: 'test',
        account: '444444444444',
        region: 'us-east-1',
        terraform: { workingDirectory: 'infra/live' },
        functions: [fn('api')],
      },
    },
  });
}
let options: SynthResult;
let optionsLoaded: Awaited<ReturnType<typeof loadConfig>>;
/** The release the options config is synthesized as (its live environment names no prune CLI). */
const OPTIONS_RELEASE = releaseStamp('acme/gantry', '1.4.2');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
/** The checkout's CLI bundle: what a release of it attaches as gantry.js. */
const CLI_SHA256 = sha256(readFileSync(join(REPO_ROOT, 'scripts', 'dist', 'gantry.js')));

beforeAll(async () => {
  example = await synthesize({ configFile: EXAMPLE_CONFIG_FILE, outdir: join(tmp, 'example'), root: REPO_ROOT });
  config = await loadConfig(EXAMPLE_CONFIG_FILE);
  const root = join(tmp, 'options-repo');
  mkdirSync(join(root, 'deploy'), { recursive: true });
  writeFileSync(join(root, 'deploy', 'gantry.yml'), optionsConfig());
  options = await synthesize({ configFile: 'deploy/gantry.yml', root, workingDirectories: true, release: OPTIONS_RELEASE });
  optionsLoaded = await loadConfig(join(root, 'deploy', 'gantry.yml'));
});

describe('npm run synth', () => {
  it('writes Terraform JSON for every environment of the example config, in promotion order', () => {
    expect(example.stacks.map((stack) => stack.environment)).toEqual(['dev', 'qa', 'prod']);
    for (const stack of example.stacks) {
      expect(stack.file).toBe(join(tmp, 'example', 'stacks', stack.environment, STACK_FILE));
      const json = JSON.parse(readFileSync(stack.file, 'utf8')) as StackJson;
      expect(Object.keys(json.resource).length).toBeGreaterThan(20);
    }
  });

  it('is structurally valid: well-formed blocks, and every reference names something the stack declares', () => {
    for (const result of [example, options]) {
      for (const { environment, file } of result.stacks) {
        const stack = JSON.parse(readFileSync(file, 'utf8')) as StackJson;
        const declared = new Set<string>();
        for (const [type, blocks] of Object.entries(stack.resource)) {
          expect(type, environment).toMatch(/^aws_[a-z0-9_]+$/);
          for (const [name, block] of Object.entries(blocks)) {
            expect(typeof block, `${type}.${name}`).toBe('object');
            declared.add(`${type}.${name}`);
          }
        }
        for (const [type, blocks] of Object.entries(stack.data ?? {})) for (const name of Object.keys(blocks)) declared.add(`data.${type}.${name}`);
        const text = JSON.stringify({ resource: stack.resource, data: stack.data, output: stack.output });
        expect(text).not.toContain('TfToken');
        // null only where Terraform requires it: the unset keys of the capacity provider's object attributes.
        for (const path of nullPaths(stack.resource)) expect(path, environment).toMatch(NULL_ALLOWED);
        const references = [...text.matchAll(/\$\{[^}]*?\b((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)/g)].map((match) => match[1]!);
        expect(references.length).toBeGreaterThan(10);
        for (const reference of references) expect(declared, `${environment}: ${reference}`).toContain(reference);
      }
    }
  });

  it('keeps the state in S3 with a native lock file per environment, and pins Terraform and the provider', () => {
    for (const name of config.order) {
      const { names, region, account } = config.environments.get(name)!;
      const stack = stackOf(example, name);
      expect(stack.terraform.backend.s3).toEqual({ bucket: names.stateBucket, key: names.stateKey, region, encrypt: true, use_lockfile: true });
      expect(stack.terraform.required_version).toBe(`>= ${TERRAFORM_PIN.version}, < 2.0.0`);
      expect(stack.terraform.required_providers.aws.source).toBe('hashicorp/aws');
      expect(stack.provider.aws[0]).toMatchObject({ region, allowed_account_ids: [account] });
      // The state bucket is bootstrap: no stack manages it.
      expect(resources(stack, 'aws_s3_bucket').map((bucket) => bucket.bucket)).not.toContain(names.stateBucket);
    }
  });

  it('tags everything for cost allocation: the provider default tags plus the config tags', () => {
    expect(stackOf(example, 'dev').provider.aws[0]!.default_tags).toEqual([{ tags: { project: 'orders', environment: 'dev', 'managed-by': 'gantry' } }]);
    expect(stackOf(example, 'prod').provider.aws[0]!.default_tags).toEqual([
      { tags: { project: 'orders', environment: 'prod', 'managed-by': 'gantry', 'cost-center': 'platform' } },
    ]);
    expect(stackOf(options, 'test').provider.aws[0]!.default_tags).toEqual([
      { tags: { project: 'shop', environment: 'test', 'managed-by': 'gantry', team: 'checkout' } },
    ]);
  });
});

describe('every name is the one the actions look up (the naming module)', () => {
  it.each(['dev', 'qa', 'prod'])('%s', (name) => {
    const env = config.environments.get(name)!;
    const outputs = environmentOutputs(config, env);
    const stack = stackOf(example, name);
    one(stack, 'aws_lambda_capacity_provider', named('name', outputs['capacity-provider']!));
    one(stack, 'aws_codebuild_project', named('name', outputs['plan-project']!));
    one(stack, 'aws_codebuild_project', named('name', outputs['apply-project']!));
    one(stack, 'aws_codebuild_project', named('name', env.names.pruneProject));
    one(stack, 'aws_cloudwatch_log_group', named('name', outputs['log-group']!));
    one(stack, 'aws_s3_bucket', named('bucket', outputs['plan-bucket']!));
    expect(outputs['role-arn']).toBe(`arn:aws:iam::${env.account}:role/${env.names.deployRole}`);
    one(stack, 'aws_iam_role', named('name', env.names.deployRole));
    for (const fn of JSON.parse(outputs.functions!) as Array<{ functionName: string; alias: string }>) {
      one(stack, 'aws_lambda_function', named('function_name', fn.functionName));
      const [key] = Object.entries(stack.resource.aws_lambda_function!).find(([, block]) => block.function_name === fn.functionName)!;
      one(stack, 'aws_lambda_alias', (alias) => alias.name === fn.alias && alias.function_name === `\${aws_lambda_function.${key}.function_name}`);
    }
    // Every CodeBuild project writes to the one log group the actions read.
    for (const project of resources(stack, 'aws_codebuild_project')) {
      const logs = (project.logs_config as { cloudwatch_logs: Block }).cloudwatch_logs;
      const [groupKey] = Object.entries(stack.resource.aws_cloudwatch_log_group!).find(([, group]) => group.name === outputs['log-group'])!;
      expect(logs.group_name).toBe(`\${aws_cloudwatch_log_group.${groupKey}.name}`);
    }
  });

  it('an overridden name is used as is (the deploy role and a function of the options config)', () => {
    const stack = stackOf(options, 'test');
    one(stack, 'aws_iam_role', named('name', 'legacy-deployer'));
    one(stack, 'aws_lambda_function', named('function_name', 'legacy-api'));
    one(stack, 'aws_lambda_alias', named('name', 'current'));
  });
});

/**
 * The object-typed attributes of a resource type, read from its bindings (generated from the pinned provider's
 * schema): a property whose type is a struct and whose doc does not say "block" is an attribute of type
 * object/list(object), and Terraform requires every key of such an object in JSON syntax. Returns, per
 * attribute path (`a`, `a.b` for one nested in another), the keys the object must have.
 */
function objectAttributes(type: string): Map<string, string[]> {
  const source = readFileSync(
    join(REPO_ROOT, 'node_modules', '@cdktn', 'provider-aws', 'lib', type.replace(/^aws_/, '').replace(/_/g, '-'), 'index.d.ts'),
    'utf8',
  );
  const interfaces = new Map<string, string>();
  for (const match of source.matchAll(/export interface (\w+)[^{]*\{/g)) {
    let depth = 1;
    let end = match.index + match[0].length;
    for (; depth > 0 && end < source.length; end++) depth += source[end] === '{' ? 1 : source[end] === '}' ? -1 : 0;
    interfaces.set(match[1]!, source.slice(match.index + match[0].length, end));
  }
  const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const members = (body: string) =>
    [...body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*?)\*\/\s*readonly (\w+)\??: ([^;]+);/g)].map(([, doc, name, typeText]) => ({
      doc: doc!,
      name: name!,
      typeText: typeText!,
    }));
  const found = new Map<string, string[]>();
  const visit = (body: string, path: string, inObject: boolean) => {
    for (const member of members(body)) {
      const struct = [...member.typeText.matchAll(/\w+/g)].map(([word]) => word).find((word) => interfaces.has(word) && word !== 'IResolvable');
      if (struct === undefined) continue;
      const attribute = inObject || !member.doc.includes(' block');
      const memberPath = path === '' ? snake(member.name) : `${path}.${snake(member.name)}`;
      const structBody = interfaces.get(struct)!;
      if (attribute)
        found.set(
          memberPath,
          members(structBody)
            .map((inner) => snake(inner.name))
            .sort(),
        );
      visit(structBody, memberPath, attribute);
    }
  };
  const config = /constructor\(scope: Construct, id: string, config\??: (\w+)\)/.exec(source)?.[1];
  const body = config === undefined ? undefined : interfaces.get(config);
  if (body === undefined) throw new Error(`no config interface in the bindings of ${type}`);
  visit(body, '', false);
  return found;
}

describe('object-typed attributes are written whole, as Terraform requires in JSON syntax', () => {
  it('every such attribute of every resource of every stack has every key of its object type', () => {
    const checked = new Set<string>();
    for (const result of [example, options]) {
      for (const { environment } of result.stacks) {
        const stack = stackOf(result, environment);
        for (const [type, blocks] of Object.entries(stack.resource)) {
          const attributes = objectAttributes(type);
          for (const [name, block] of Object.entries(blocks)) {
            const check = (value: unknown, path: string) => {
              for (const element of Array.isArray(value) ? value : [value]) {
                expect(Object.keys(element as object).sort(), `${environment} ${type}.${name}.${path}`).toEqual(attributes.get(path));
                checked.add(`${type}.${path}`);
                for (const [key, inner] of Object.entries(element as object))
                  if (inner !== null && attributes.has(`${path}.${key}`)) check(inner, `${path}.${key}`);
              }
            };
            for (const path of attributes.keys()) if (!path.includes('.') && block[path] !== undefined) check(block[path], path);
          }
        }
      }
    }
    // What the provider source says (capacity_provider.go at v6.66.0), found in the bindings and written whole.
    expect(objectAttributes('aws_lambda_capacity_provider')).toEqual(
      new Map(Object.entries(CAPACITY_PROVIDER_OBJECT_ATTRIBUTES).map(([path, keys]) => [path, [...keys].sort()])),
    );
    expect([...checked].sort()).toEqual([
      'aws_lambda_capacity_provider.capacity_provider_scaling_config',
      'aws_lambda_capacity_provider.capacity_provider_scaling_config.scaling_policies',
      'aws_lambda_capacity_provider.instance_requirements',
    ]);
  });
});

describe('the capacity provider', () => {
  it('arm64, the default instance types, scaling mode and max vCPU from the config, its own operator role', () => {
    for (const [name, maxVcpu] of [
      ['dev', 64],
      ['prod', 128],
    ] as const) {
      const stack = stackOf(example, name);
      const provider = one(stack, 'aws_lambda_capacity_provider');
      // Whole objects: list(object) attributes, every key present, null where unset.
      expect(provider.instance_requirements).toEqual([
        { architectures: ['arm64'], allowed_instance_types: ['m6g.large', 'm6g.xlarge', 'm7g.large', 'm7g.xlarge'], excluded_instance_types: null },
      ]);
      expect(provider.capacity_provider_scaling_config).toEqual([{ scaling_mode: 'Auto', max_vcpu_count: maxVcpu, scaling_policies: null }]);
      const operatorName = config.environments.get(name)!.names.capacityProviderOperatorRole;
      const [operatorKey, operator] = Object.entries(stack.resource.aws_iam_role!).find(([, role]) => role.name === operatorName)!;
      expect(policy(operator.assume_role_policy)).toEqual([
        expect.objectContaining({ Action: ['sts:AssumeRole'], Principal: { Service: 'lambda.amazonaws.com' } }),
      ]);
      expect(provider.permissions_config).toEqual([{ capacity_provider_operator_role_arn: `\${aws_iam_role.${operatorKey}.arn}` }]);
      one(
        stack,
        'aws_iam_role_policy_attachment',
        (attachment) =>
          attachment.policy_arn === 'arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator' && attachment.role === `\${aws_iam_role.${operatorKey}.name}`,
      );
    }
    const custom = one(stackOf(options, 'test'), 'aws_lambda_capacity_provider');
    expect(custom.instance_requirements).toEqual([{ architectures: ['arm64'], allowed_instance_types: ['c7g.large'], excluded_instance_types: null }]);
    expect(custom.capacity_provider_scaling_config).toEqual([
      {
        scaling_mode: 'Manual',
        max_vcpu_count: 16,
        scaling_policies: [{ predefined_metric_type: 'LambdaCapacityProviderAverageCPUUtilization', target_value: 60 }],
      },
    ]);
  });

  it('a dedicated VPC by default: one private subnet per available zone, no internet route, its own security group', () => {
    const stack = stackOf(example, 'dev');
    const vpc = one(stack, 'aws_vpc');
    expect(vpc).toMatchObject({ enable_dns_support: true, enable_dns_hostnames: true });
    const zones = Object.entries(stack.data!.aws_availability_zones!);
    expect(zones).toHaveLength(1);
    expect(zones[0]![1]).toMatchObject({ state: 'available', exclude_zone_ids: [] });
    expect(zones[0]![1].exclude_names).toBeUndefined();
    const subnet = one(stack, 'aws_subnet');
    expect(subnet.count).toBe(`\${min(16, length(data.aws_availability_zones.${zones[0]![0]}.names))}`);
    expect(subnet.map_public_ip_on_launch).toBe(false);
    expect(resources(stack, 'aws_internet_gateway')).toHaveLength(0);
    expect(resources(stack, 'aws_nat_gateway')).toHaveLength(0);
    expect(
      resources(stack, 'aws_vpc_endpoint')
        .map((endpoint) => endpoint.service_name)
        .sort(),
    ).toEqual(['com.amazonaws.eu-west-1.dynamodb', 'com.amazonaws.eu-west-1.logs', 'com.amazonaws.eu-west-1.s3']);
    const [subnetKey] = Object.keys(stack.resource.aws_subnet!);
    const [groupKey] = Object.entries(stack.resource.aws_security_group!).find(([, group]) => group.name === 'orders-dev-cp')!;
    expect(one(stack, 'aws_lambda_capacity_provider').vpc_config).toEqual([
      { subnet_ids: `\${aws_subnet.${subnetKey}[*].id}`, security_group_ids: [`\${aws_security_group.${groupKey}.id}`] },
    ]);
  });

  it('or the default VPC, without the excluded zones (by zone ID), capped at maxSubnets', () => {
    const stack = stackOf(options, 'test');
    expect(resources(stack, 'aws_vpc')).toHaveLength(0);
    expect(resources(stack, 'aws_subnet')).toHaveLength(0);
    const [zonesKey, zones] = Object.entries(stack.data!.aws_availability_zones!)[0]!;
    // By zone ID: zone names map to different zones in each account.
    expect(zones.exclude_zone_ids).toEqual(['use1-az3']);
    const [vpcKey] = Object.keys(stack.data!.aws_vpc!);
    expect(Object.values(stack.data!.aws_vpc!)[0]).toMatchObject({ default: true });
    const [subnetsKey, subnets] = Object.entries(stack.data!.aws_subnets!)[0]!;
    expect(subnets.filter).toEqual([
      { name: 'vpc-id', values: [`\${data.aws_vpc.${vpcKey}.id}`] },
      { name: 'default-for-az', values: ['true'] },
      { name: 'availability-zone', values: `\${data.aws_availability_zones.${zonesKey}.names}` },
    ]);
    const vpcConfig = (one(stack, 'aws_lambda_capacity_provider').vpc_config as Block[])[0]!;
    expect(vpcConfig.subnet_ids).toBe(`\${slice(sort(data.aws_subnets.${subnetsKey}.ids), 0, min(2, length(data.aws_subnets.${subnetsKey}.ids)))}`);
  });

  it('has no inbound rule open to the world (none at all on the instances)', () => {
    for (const result of [example, options]) {
      for (const { environment } of result.stacks) {
        const stack = stackOf(result, environment);
        for (const group of resources(stack, 'aws_security_group')) expect(group.ingress, environment).toBeUndefined();
        for (const rule of resources(stack, 'aws_vpc_security_group_ingress_rule')) {
          expect(rule.cidr_ipv4).toBeUndefined();
          expect(rule.cidr_ipv6).toBeUndefined();
          expect(rule.referenced_security_group_id).toMatch(/^\$\{aws_security_group\./);
        }
        expect(resources(stack, 'aws_security_group_rule')).toHaveLength(0);
        const [instancesKey] = Object.entries(stack.resource.aws_security_group!).find(
          ([, group]) => group.name === `${result.config.project}-${environment}-cp`,
        )!;
        expect(
          resources(stack, 'aws_vpc_security_group_ingress_rule').filter((rule) => rule.security_group_id === `\${aws_security_group.${instancesKey}.id}`),
        ).toHaveLength(0);
      }
    }
  });
});

describe('the functions', () => {
  it("run on the capacity provider with the config's memory per vCPU and concurrency, arm64, published, behind the alias", () => {
    for (const name of config.order) {
      const env = config.environments.get(name)!;
      const stack = stackOf(example, name);
      const [providerKey] = Object.keys(stack.resource.aws_lambda_capacity_provider!);
      for (const fn of env.functions) {
        const [key, block] = Object.entries(stack.resource.aws_lambda_function!).find(([, candidate]) => candidate.function_name === fn.functionName)!;
        expect(block).toMatchObject({ architectures: ['arm64'], publish: true, memory_size: fn.memoryMb, runtime: fn.runtime, handler: fn.handler });
        expect(block.capacity_provider_config).toEqual({
          lambda_managed_instances_capacity_provider_config: {
            capacity_provider_arn: `\${aws_lambda_capacity_provider.${providerKey}.arn}`,
            execution_environment_memory_gib_per_vcpu: fn.memoryGiBPerVcpu,
            per_execution_environment_max_concurrency: fn.maxConcurrency,
          },
        });
        expect(block.filename).toBe(`\${path.module}/../../../dist/functions/${fn.name}.zip`);
        expect(block.source_code_hash).toBe(`\${filebase64sha256("\${path.module}/../../../dist/functions/${fn.name}.zip")}`);
        one(stack, 'aws_lambda_alias', (alias) => alias.name === 'live' && alias.function_version === `\${aws_lambda_function.${key}.version}`);
        const scaling = one(
          stack,
          'aws_lambda_function_scaling_config',
          (candidate) => candidate.function_name === `\${aws_lambda_function.${key}.function_name}`,
        );
        expect(scaling.qualifier).toBe(`\${aws_lambda_function.${key}.version}`);
        // The new version's scaling config before the old one's is reset, and the alias moves in between.
        expect(scaling.lifecycle).toEqual({ create_before_destroy: true });
        const [scalingKey] = Object.entries(stack.resource.aws_lambda_function_scaling_config!).find(([, candidate]) => candidate === scaling)!;
        expect(one(stack, 'aws_lambda_alias', (alias) => alias.function_version === `\${aws_lambda_function.${key}.version}`).depends_on).toEqual([
          `aws_lambda_function_scaling_config.${scalingKey}`,
        ]);
        // The provider's acceptance tests give a function on a capacity provider 30 minutes to create.
        expect(block.timeouts).toEqual({ create: '30m', update: '30m' });
        expect(FUNCTION_TIMEOUTS.create).toBe('30m');
        expect(scaling.function_scaling_config).toEqual([
          { min_execution_environments: fn.scaling.minExecutionEnvironments, max_execution_environments: fn.scaling.maxExecutionEnvironments },
        ]);
        one(stack, 'aws_cloudwatch_log_group', (group) => group.name === `/aws/lambda/${fn.functionName}` && group.retention_in_days === 30);
      }
    }
    // Per environment: prod's router scales 2..6, dev's 1..2.
    const prodRouter = one(stackOf(example, 'prod'), 'aws_lambda_function_scaling_config', (block) => String(block.function_name).includes('router'));
    expect(prodRouter.function_scaling_config).toEqual([{ min_execution_environments: 2, max_execution_environments: 6 }]);
    const custom = one(stackOf(options, 'test'), 'aws_lambda_function');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform expression, as the synthesized JSON holds it.
    expect(custom).toMatchObject({ memory_size: 4096, filename: '${path.module}/../build/api.zip' });
  });

  it('each runs as a role with only its log group and what the config grants', () => {
    const dev = config.environments.get('dev')!;
    const stack = stackOf(example, 'dev');
    const [router, worker] = dev.names.functions;
    expect(rolePolicy(stack, router!.executionRole)).toEqual([
      {
        Effect: 'Allow',
        Sid: 'OwnLogGroup',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/orders-dev-router:log-stream:*`],
      },
      {
        Effect: 'Allow',
        Sid: 'Config0',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: ['arn:aws:dynamodb:eu-west-1:111111111111:table/orders-dev'],
      },
    ]);
    expect(actionsOf(rolePolicy(stack, worker!.executionRole))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});

describe('the CodeBuild projects', () => {
  const buildspec = (name: string) => readFileSync(join(REPO_ROOT, 'buildspecs', name), 'utf8');

  it('plan, apply and prune use the buildspecs of buildspecs/, check out the repository, log to the one log group with retention', () => {
    const env = config.environments.get('qa')!;
    const stack = stackOf(example, 'qa');
    for (const [project, file, stream] of [
      [env.names.planProject, 'terraform-plan.yml', 'plan'],
      [env.names.applyProject, 'terraform-apply.yml', 'apply'],
      [env.names.pruneProject, 'prune.yml', 'prune'],
    ] as const) {
      const block = one(stack, 'aws_codebuild_project', named('name', project));
      expect(block.source).toEqual({
        type: 'GITHUB',
        location: 'https://github.com/acme/orders.git',
        git_clone_depth: 1,
        buildspec: escapeTemplateString(buildspec(file)),
        report_build_status: false,
      });
      expect((block.logs_config as { cloudwatch_logs: Block }).cloudwatch_logs).toMatchObject({ status: 'ENABLED', stream_name: stream });
      expect(block.environment).toMatchObject({ type: 'ARM_CONTAINER' });
    }
    one(stack, 'aws_cloudwatch_log_group', (group) => group.name === '/aws/codebuild/orders-qa' && group.retention_in_days === 30);
    one(stackOf(options, 'test'), 'aws_cloudwatch_log_group', (group) => group.name === '/aws/codebuild/shop-test' && group.retention_in_days === 90);
  });

  it('the prune project gives its buildspec the environment, the config and the CLI', () => {
    const variables = (stack: StackJson, project: string) =>
      Object.fromEntries(
        ((one(stack, 'aws_codebuild_project', named('name', project)).environment as Block).environment_variable as Block[]).map((variable) => [
          variable.name,
          variable.value,
        ]),
      );
    expect(variables(stackOf(example, 'dev'), 'orders-dev-prune')).toEqual({
      GANTRY_ENVIRONMENT: 'dev',
      GANTRY_CONFIG: '.github/gantry.yml',
      GANTRY_CLI: 'node scripts/dist/gantry.js',
    });
    expect(variables(stackOf(options, 'test'), 'shop-test-prune')).toEqual({
      GANTRY_ENVIRONMENT: 'test',
      GANTRY_CONFIG: 'deploy/gantry.yml',
      GANTRY_CLI: 'node tools/gantry.js',
    });
    // No schedules.prune.cli: the CLI of the release the synth runs as, checked against its bundle's bytes.
    expect(variables(stackOf(options, 'live'), 'shop-live-prune')).toEqual({
      GANTRY_ENVIRONMENT: 'live',
      GANTRY_CONFIG: 'deploy/gantry.yml',
      GANTRY_CLI_URL: 'https://github.com/acme/gantry/releases/download/v1.4.2/gantry.js',
      GANTRY_CLI_SHA256: CLI_SHA256,
    });
    expect(one(stackOf(example, 'dev'), 'aws_codebuild_project', named('name', 'orders-dev-prune')).source_version).toBe('refs/heads/main');
  });

  it('the plan and apply projects own the Terraform pin their install phase verifies (the action sends none)', () => {
    const variables = (project: string) =>
      Object.fromEntries(
        ((one(stackOf(example, 'dev'), 'aws_codebuild_project', named('name', project)).environment as Block).environment_variable as Block[]).map(
          (variable) => [variable.name, variable.value],
        ),
      );
    for (const project of ['orders-dev-plan', 'orders-dev-apply']) {
      expect(variables(project)).toEqual({ GANTRY_ENVIRONMENT: 'dev', ...terraformPinEnv() });
    }
    expect(variables('orders-dev-pr-plan')).toEqual({ GANTRY_ENVIRONMENT: 'dev', ...terraformPinEnv(), GANTRY_PLAN_READ_ONLY: 'true' });
  });

  it('least-privilege roles: plan reads and stores its plan, apply writes within the environment, prune only prunes', () => {
    const stack = stackOf(example, 'dev');
    const plan = rolePolicy(stack, 'orders-dev-plan-build');
    const apply = rolePolicy(stack, 'orders-dev-apply-build');
    const prune = rolePolicy(stack, 'orders-dev-prune-build');
    expect(plan.find((statement) => statement.Action.includes('s3:PutObject') && statement.Resource![0]!.includes('plans'))!.Resource).toEqual([
      'arn:aws:s3:::orders-dev-111111111111-plans/dev/*',
    ]);
    // The plan build never changes the state, and changes nothing else.
    expect(plan.find((statement) => statement.Resource!.includes('arn:aws:s3:::orders-dev-111111111111-tfstate/orders/dev/terraform.tfstate'))!.Action).toEqual(
      ['s3:GetObject'],
    );
    expect(
      actionsOf(plan)
        .filter((action) => /:(Create|Delete|Update|Put|Attach|Pass)/.test(action))
        .sort(),
    ).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObject', 's3:PutObject', 's3:PutObject'].sort());
    expect(actionsOf(apply)).toEqual(
      expect.arrayContaining([
        'lambda:CreateCapacityProvider',
        'lambda:PublishVersion',
        'iam:PassRole',
        'codebuild:UpdateProject',
        'lambda:PassCapacityProvider',
      ]),
    );
    // There is no DeleteFunctionScalingConfig: the scaling config's delete is a PutFunctionScalingConfig.
    expect(actionsOf(apply)).not.toContain('lambda:DeleteFunctionScalingConfig');
    expect(apply.find((statement) => statement.Action.includes('lambda:PassCapacityProvider'))!.Resource).toEqual([
      'arn:aws:lambda:eu-west-1:111111111111:capacity-provider:orders-dev-cp',
    ]);
    // Every build checks its source out through the account's CodeConnections connection.
    for (const role of [plan, apply, prune]) {
      expect(role.find((statement) => statement.Action.includes('codeconnections:GetConnectionToken'))).toMatchObject({
        Action: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection'],
        Resource: ['arn:aws:codeconnections:*:111111111111:connection/*'],
      });
    }
    const passRole = apply.find((statement) => statement.Action.includes('iam:PassRole'))!;
    expect(passRole.Resource).toEqual(['arn:aws:iam::111111111111:role/orders-dev-*', 'arn:aws:iam::111111111111:role/orders-dev-gantry-deploy']);
    expect(passRole.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'codebuild.amazonaws.com', 'events.amazonaws.com'] },
    });
    expect(actionsOf(prune).sort()).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'codeconnections:GetConnectionToken',
        'codeconnections:GetConnection',
        'lambda:GetFunction',
        'lambda:GetAlias',
        'lambda:ListAliases',
        'lambda:ListVersionsByFunction',
        'lambda:ListProvisionedConcurrencyConfigs',
        'lambda:DeleteFunction',
        'lambda:GetCapacityProvider',
        'lambda:ListFunctionVersionsByCapacityProvider',
        'lambda:ListEventSourceMappings',
      ].sort(),
    );
    expect(prune.find((statement) => statement.Action.includes('lambda:DeleteFunction'))!.Resource).toEqual([
      'arn:aws:lambda:eu-west-1:111111111111:function:orders-dev-router:*',
      'arn:aws:lambda:eu-west-1:111111111111:function:orders-dev-worker:*',
    ]);
    // No role of dev names another environment's resources.
    for (const document of policyDocuments(stack))
      expect(JSON.stringify(document.statements), document.where).not.toMatch(/orders-(qa|prod)|222222222222|333333333333/);
  });

  it('the plan bucket is encrypted, versioned, owner-enforced, never public and TLS-only', () => {
    const stack = stackOf(example, 'dev');
    const [bucketKey] = Object.entries(stack.resource.aws_s3_bucket!).find(([, bucket]) => bucket.bucket === 'orders-dev-111111111111-plans')!;
    const of = (type: string) => one(stack, type, (block) => block.bucket === `\${aws_s3_bucket.${bucketKey}.id}`);
    expect(of('aws_s3_bucket_server_side_encryption_configuration').rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, bucket_key_enabled: true },
    ]);
    expect(of('aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(of('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(of('aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(policy(of('aws_s3_bucket_policy').policy)).toEqual([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });
});

describe('the GitHub OIDC role of each environment', () => {
  // The attack: a job on main or on a pushed v* tag (outside the environment, so without its reviewers), or a
  // pull request, assumes the role that can start the apply project. AWS must refuse: the apply path trusts
  // exactly the environment's subject, for every environment of every config.
  it('the deploy role (the apply path) trusts exactly repo:<repo>:environment:<env>, for every environment', () => {
    for (const [cfg, app] of [
      [config, example],
      [optionsLoaded, options],
    ] as const) {
      for (const name of cfg.order) {
        const env = cfg.environments.get(name)!;
        const stack = stackOf(app, name);
        const role = one(stack, 'aws_iam_role', named('name', env.names.deployRole));
        // Apply build (90 min) and traffic shift (up to 120 min) in one job.
        expect(role.max_session_duration).toBe(14_400);
        const repository = cfg.github.repository!;
        expect(policy(role.assume_role_policy)).toEqual([
          {
            Effect: 'Allow',
            Sid: 'GitHubActionsEnvironment',
            Action: ['sts:AssumeRoleWithWebIdentity'],
            Principal: { Federated: `arn:aws:iam::${env.account}:oidc-provider/token.actions.githubusercontent.com` },
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': [`repo:${repository}:environment:${name}`],
              },
            },
          },
        ]);
        expect(String(role.assume_role_policy)).not.toMatch(/:ref:|pull_request|StringLike/);
        // Of the GitHub roles, only the deploy role may start the apply project.
        const others = [env.names.refRole, ...(cfg.pullRequestEnvironments.includes(name) ? [env.names.planRole] : [])];
        for (const other of others) {
          expect(JSON.stringify(rolePolicy(stack, other)), other).not.toContain(`project/${env.names.applyProject}"`);
        }
      }
    }
  });

  it('a ref role for jobs on apply.refs outside the environment (deploy plan, prune): plan builds and prune, never apply', () => {
    for (const [name, refs] of [
      ['dev', ['refs/heads/main']],
      ['prod', ['refs/heads/main', 'refs/tags/v*']],
    ] as const) {
      const env = config.environments.get(name)!;
      const stack = stackOf(example, name);
      const role = one(stack, 'aws_iam_role', named('name', env.names.refRole));
      expect(env.names.refRoleArn).toBe(`arn:aws:iam::${env.account}:role/orders-${name}-gantry-ref`);
      const [trust] = policy(role.assume_role_policy);
      expect(trust!.Condition).toEqual(
        refs.some((ref) => ref.includes('*'))
          ? {
              StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
              StringLike: { 'token.actions.githubusercontent.com:sub': refs.map((ref) => `repo:acme/orders:ref:${ref}`) },
            }
          : {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': refs.map((ref) => `repo:acme/orders:ref:${ref}`),
              },
            },
      );
      const statements = rolePolicy(stack, env.names.refRole);
      const allowed = statements.filter((statement) => statement.Effect !== 'Deny');
      expect(allowed.find((statement) => statement.Action.includes('codebuild:StartBuild'))!.Resource).toEqual([
        `arn:aws:codebuild:${env.region}:${env.account}:project/${env.names.planProject}`,
      ]);
      expect(statements.filter((statement) => statement.Action.includes('lambda:DeleteFunction'))[0]!.Resource).toEqual(
        env.names.functions.map((fn) => `${fn.functionArn}:*`),
      );
    }
    expect(refSubjects('acme/shop', ['refs/heads/release/**', 'refs/heads/main'])).toEqual([
      'repo:acme/shop:ref:refs/heads/release/*',
      'repo:acme/shop:ref:refs/heads/main',
    ]);
  });

  it('has a plan-only role for pull-request plans: trusted for pull_request tokens only, can only run the plan project', () => {
    const env = config.environments.get('qa')!;
    const stack = stackOf(example, 'qa');
    const role = one(stack, 'aws_iam_role', named('name', env.names.planRole));
    expect(env.names.planRoleArn).toBe('arn:aws:iam::222222222222:role/orders-qa-gantry-plan');
    const [trust] = policy(role.assume_role_policy);
    expect(trust!.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': ['repo:acme/orders:pull_request'],
      },
    });
    const statements = rolePolicy(stack, env.names.planRole);
    expect([...new Set(actionsOf(statements))].sort()).toEqual([
      'codebuild:BatchGetBuilds',
      'codebuild:StartBuild',
      'codebuild:StopBuild',
      'logs:FilterLogEvents',
      'logs:GetLogEvents',
      'logs:StartLiveTail',
    ]);
    expect(JSON.stringify(statements)).not.toContain(env.names.applyProject);
    // It starts only the read-only pull-request plan project, never the plan project of pushes to main.
    expect(statements.filter((statement) => statement.Effect !== 'Deny' && statement.Action.includes('codebuild:StartBuild'))).toEqual([
      expect.objectContaining({ Resource: ['arn:aws:codebuild:eu-west-1:222222222222:project/orders-qa-pr-plan'] }),
    ]);
    // That project's role reads the state, and can write neither the state, its lock file nor a stored plan.
    const project = one(stack, 'aws_codebuild_project', named('name', env.names.prPlanProject));
    expect((project.environment as Block).environment_variable as Block[]).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'GANTRY_PLAN_READ_ONLY', value: 'true' })]),
    );
    const build = rolePolicy(stack, env.names.prPlanBuildRole);
    const s3Writes = build.filter((statement) => statement.Action.some((action) => /^s3:(Put|Delete)/.test(action)));
    expect(s3Writes).toEqual([]);
    expect(build.find((statement) => statement.Sid === 'StateRead')).toMatchObject({
      Action: ['s3:GetObject'],
      Resource: [`arn:aws:s3:::${env.names.stateBucket}/${env.names.stateKey}`],
    });
    expect(JSON.stringify(build)).not.toContain('.tflock');
    expect(JSON.stringify(build)).not.toContain(`${env.names.planBucket}/`);
    expect(resources(stackOf(example, 'prod'), 'aws_codebuild_project').map((block) => block.name)).not.toContain('orders-prod-pr-plan');
    // The deploy role, which can start the apply project, never trusts a pull request.
    const deploy = one(stack, 'aws_iam_role', named('name', env.names.deployRole));
    expect(String(deploy.assume_role_policy)).not.toContain('pull_request');
    // Pull requests may plan all but the last environment by default: prod has no role a pull_request token can assume.
    expect(config.pullRequestEnvironments).toEqual(['dev', 'qa']);
    const prod = stackOf(example, 'prod');
    for (const role of resources(prod, 'aws_iam_role')) expect(String(role.assume_role_policy), String(role.name)).not.toContain('pull_request');
    expect(resources(prod, 'aws_iam_role').map((role) => role.name)).not.toContain('orders-prod-gantry-plan');
  });

  // The attack: StartBuild with buildspecOverride (or another image, service role, privileged mode, source) runs
  // arbitrary commands as the project's role. Every role that may start a build is denied each override.
  it('every role that may start a build is denied overriding the buildspec, source, image, privileged mode and service role', () => {
    expect(CODEBUILD_OVERRIDE_CONDITION_KEYS).toEqual(
      expect.arrayContaining([
        'codebuild:source.buildspec',
        'codebuild:source.location',
        'codebuild:environment.image',
        'codebuild:environment.privilegedMode',
        'codebuild:serviceRole',
      ]),
    );
    const starters: string[] = [];
    const stacks = [...config.order.map((name) => stackOf(example, name)), ...optionsLoaded.order.map((name) => stackOf(options, name))];
    for (const stack of stacks) {
      for (const [key, role] of Object.entries(stack.resource.aws_iam_role!)) {
        const inline = resources(stack, 'aws_iam_role_policy').filter((block) => block.role === `\${aws_iam_role.${key}.id}`);
        if (inline.length === 0) continue;
        const statements = rolePolicy(stack, String(role.name));
        const started = statements.filter((statement) => statement.Effect !== 'Deny' && statement.Action.includes('codebuild:StartBuild'));
        if (started.length === 0) continue;
        starters.push(String(role.name));
        const projects = started.flatMap((statement) => statement.Resource ?? []);
        for (const key of CODEBUILD_OVERRIDE_CONDITION_KEYS) {
          const denies = statements.filter(
            (statement) =>
              statement.Effect === 'Deny' &&
              statement.Action.includes('codebuild:StartBuild') &&
              JSON.stringify(statement.Condition) === JSON.stringify({ Null: { [key]: 'false' } }),
          );
          expect(denies.flatMap((statement) => statement.Resource ?? []).sort(), `${String(role.name)} ${key}`).toEqual([...projects].sort());
        }
        // Nor may it override what the project owns: the Terraform pin, the CLI, the read-only mode.
        const pinned = statements.filter(
          (statement) =>
            statement.Effect === 'Deny' &&
            JSON.stringify(statement.Condition) ===
              JSON.stringify({ 'ForAnyValue:StringEquals': { [CODEBUILD_VARIABLE_NAMES_CONDITION_KEY]: [...CODEBUILD_PROTECTED_VARIABLES] } }),
        );
        expect(pinned.flatMap((statement) => statement.Resource ?? []).sort(), String(role.name)).toEqual([...projects].sort());
      }
    }
    expect(starters).toEqual(expect.arrayContaining(['orders-prod-gantry-deploy', 'orders-prod-gantry-ref', 'orders-qa-gantry-plan', 'shop-test-schedules']));
  });

  it('may only start and read its own builds and logs, warm up and prune its own functions, read its own plans', () => {
    const env = config.environments.get('dev')!;
    const statements = rolePolicy(stackOf(example, 'dev'), env.names.deployRole);
    const by = (sid: string) => statements.find((statement) => (statement as { Sid?: string }).Sid === sid)!;
    expect(by('RunOwnApplyBuilds')).toMatchObject({
      Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
      Resource: ['arn:aws:codebuild:eu-west-1:111111111111:project/orders-dev-apply'],
    });
    expect(by('ReadOwnBuildLogs')).toMatchObject({
      Action: ['logs:GetLogEvents', 'logs:FilterLogEvents'],
      Resource: [
        'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/codebuild/orders-dev',
        'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/codebuild/orders-dev:log-stream:*',
      ],
    });
    expect(by('WarmupAndPruneOwnFunctions').Resource).toEqual(env.names.functions.flatMap((fn) => [fn.functionArn, `${fn.functionArn}:*`]));
    // Versions only (qualified ARNs), never a whole function.
    expect(statements.filter((statement) => statement.Action.includes('lambda:DeleteFunction'))).toEqual([
      { Effect: 'Allow', Sid: 'PruneOwnVersions', Action: ['lambda:DeleteFunction'], Resource: env.names.functions.map((fn) => `${fn.functionArn}:*`) },
    ]);
    expect(by('ReadOwnCapacityProvider').Resource).toEqual([env.names.capacityProviderArn]);
    expect(by('ReadOwnPlanObjects').Resource).toEqual(['arn:aws:s3:::orders-dev-111111111111-plans/dev/*']);
    const services = new Set(actionsOf(statements).map((action) => action.split(':')[0]));
    expect([...services].sort()).toEqual(['codebuild', 'lambda', 'logs', 's3']);
  });

  // The codebuild-run action follows a build's log by CloudWatch Logs Live Tail. StartLiveTail authorizes against
  // the log-group resource type only, ARN `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`
  // (Service Authorization Reference, CloudWatch Logs): granted on the build log group, nothing wider.
  it('the roles that run the codebuild-run action, and only they, may Live Tail the build log group, and only it', () => {
    for (const [cfg, app] of [
      [config, example],
      [optionsLoaded, options],
    ] as const) {
      for (const name of cfg.order) {
        const env = cfg.environments.get(name)!;
        const stack = stackOf(app, name);
        const tailing: Record<string, PolicyStatement[]> = {};
        for (const [key, role] of Object.entries(stack.resource.aws_iam_role!)) {
          const inline = resources(stack, 'aws_iam_role_policy').filter((block) => block.role === `\${aws_iam_role.${key}.id}`);
          const statements = inline.flatMap((block) => policy(block.policy)).filter((statement) => statement.Action.includes('logs:StartLiveTail'));
          if (statements.length > 0) tailing[String(role.name)] = statements;
        }
        const runners = [env.names.deployRole, env.names.refRole, ...(cfg.pullRequestEnvironments.includes(name) ? [env.names.planRole] : [])];
        expect(Object.keys(tailing).sort(), name).toEqual([...runners].sort());
        const logGroup = `arn:aws:logs:${env.region}:${env.account}:log-group:${env.names.buildLogGroup}`;
        for (const role of runners) {
          expect(tailing[role], `${name} ${role}`).toEqual([
            { Effect: 'Allow', Sid: 'TailOwnBuildLog', Action: ['logs:StartLiveTail'], Resource: [logGroup, `${logGroup}:*`] },
          ]);
        }
      }
    }
    expect(config.environments.get('dev')!.names.buildLogGroup).toBe('/aws/codebuild/orders-dev');
  });

  it('the OIDC provider is created once per account, by its first environment', () => {
    for (const name of config.order)
      one(stackOf(example, name), 'aws_iam_openid_connect_provider', (provider) => provider.url === 'https://token.actions.githubusercontent.com');
    one(stackOf(options, 'test'), 'aws_iam_openid_connect_provider');
    expect(resources(stackOf(options, 'live'), 'aws_iam_openid_connect_provider')).toHaveLength(0);
    const trust = policy(one(stackOf(options, 'live'), 'aws_iam_role', named('name', 'shop-live-gantry-deploy')).assume_role_policy);
    expect(trust[0]!.Principal).toEqual({ Federated: 'arn:aws:iam::444444444444:oidc-provider/token.actions.githubusercontent.com' });
  });
});

describe('no IAM policy of any stack has a wildcard action', () => {
  it('every action is named in full; "*" resources only for actions without a resource type', () => {
    let checked = 0;
    for (const result of [example, options]) {
      for (const { environment } of result.stacks) {
        for (const { where, statements } of policyDocuments(stackOf(result, environment))) {
          for (const statement of statements) {
            for (const action of statement.Action) {
              expect(action, `${environment} ${where}`).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
              checked++;
            }
            // A permissions boundary grants nothing; it caps what the roles' own policies name (boundary.ts).
            if (statement.Resource?.includes('*') && !where.startsWith('aws_iam_policy.'))
              for (const action of statement.Action) expect(RESOURCELESS_ACTIONS, `${where}: ${action} on *`).toContain(action);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(() => policyDocument([{ Action: ['s3:*'], Resource: ['arn:aws:s3:::b'] }])).toThrow('IAM action "s3:*" is not one action named in full');
    expect(() => policyDocument([{ Action: ['lambda:GetFunction'], Resource: ['*'] }])).toThrow('granted on "*"');
  });
});

describe('the IAM actions gantry grants', () => {
  /** The actions of the config's function `permissions`: the config's grants, not gantry's. */
  const configActions = (result: SynthResult) =>
    new Set(
      [...result.config.environments.values()].flatMap((env) => env.functions.flatMap((fn) => fn.permissions.flatMap((permission) => permission.actions))),
    );

  it('are each in the allowlist checked against the Service Authorization Reference, and none is a wildcard', () => {
    const seen = new Set<string>();
    for (const result of [example, options]) {
      const fromConfig = configActions(result);
      for (const { environment } of result.stacks) {
        for (const { where, statements } of policyDocuments(stackOf(result, environment))) {
          for (const action of statements.flatMap((statement) => statement.Action)) {
            expect(action, `${environment} ${where}`).not.toMatch(/[*?]/);
            if (fromConfig.has(action)) continue;
            expect(ALLOWED_IAM_ACTIONS, `${environment} ${where}: ${action} is not in terraform/constructs/iam-actions.ts`).toContain(action);
            seen.add(action);
          }
        }
      }
    }
    // Nothing listed that no policy names: the list is what gantry grants, not what it might.
    expect([...ALLOWED_IAM_ACTIONS].filter((action) => !seen.has(action))).toEqual([]);
    for (const [prefix, service] of Object.entries(IAM_ACTIONS)) {
      expect(service.reference, prefix).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_[a-z0-9]+\.html$/);
      expect([...service.actions].sort(), prefix).toEqual([...new Set(service.actions)]);
    }
  });

  it('no role policy or boundary is over the IAM size quotas', () => {
    for (const result of [example, options]) {
      for (const { environment } of result.stacks) {
        const stack = stackOf(result, environment);
        for (const block of resources(stack, 'aws_iam_role_policy'))
          expect(policySize(block.policy as string), `${environment} ${String(block.name)}`).toBeLessThanOrEqual(ROLE_INLINE_POLICY_LIMIT);
        for (const block of resources(stack, 'aws_iam_policy'))
          expect(policySize(block.policy as string), `${environment} ${String(block.name)}`).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
      }
    }
    expect(
      mergeStatements([
        { Sid: 'A', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/*'] },
        { Sid: 'B', Action: ['s3:PutObject', 's3:GetObject'], Resource: ['arn:aws:s3:::b/*'] },
        { Sid: 'C', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::b'] },
      ]),
    ).toEqual([
      { Sid: 'A', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::b/*'] },
      { Sid: 'C', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::b'] },
    ]);
  });
});

describe('permissions boundaries: the apply build cannot make itself an administrator', () => {
  const boundaryOf = (stack: StackJson, name: string) => policy(one(stack, 'aws_iam_policy', named('name', name)).policy);
  /** Whether a boundary allows an action on a resource (IAM's `*` matches anything, also across `:` and `/`). */
  const allows = (statements: PolicyStatement[], action: string, resource: string) =>
    statements.some(
      (statement) =>
        statement.Effect === 'Allow' &&
        statement.Action.includes(action) &&
        (statement.Resource ?? []).some((pattern) =>
          new RegExp(
            `^${pattern
              .split('*')
              .map((part) => part.replace(/[.?+^$(){}|[\]\\/]/g, '\\$&'))
              .join('.*')}$`,
          ).test(resource),
        ),
    );

  it('every role carries one of the two boundaries the stack defines', () => {
    for (const result of [example, options]) {
      for (const { environment } of result.stacks) {
        const stack = stackOf(result, environment);
        const boundaries = Object.fromEntries(
          Object.entries(stack.resource.aws_iam_policy!).map(([key, block]) => [`\${aws_iam_policy.${key}.arn}`, block.name]),
        );
        // The plan summary knows a boundary by its address (src/terraform/plan-summary.ts).
        for (const key of Object.keys(stack.resource.aws_iam_policy!)) expect(key).toMatch(/^boundaries_/);
        expect(Object.values(boundaries).sort(), environment).toEqual([
          `${result.config.project}-${environment}-gantry-boundary`,
          `${result.config.project}-${environment}-workload-boundary`,
        ]);
        for (const role of resources(stack, 'aws_iam_role')) {
          const boundary = boundaries[role.permissions_boundary as string];
          expect(boundary, `${environment} ${String(role.name)}`).toBeDefined();
          const workload = /-exec$|-cp-operator$/.test(role.name as string);
          expect(boundary, String(role.name)).toBe(`${result.config.project}-${environment}-${workload ? 'workload' : 'gantry'}-boundary`);
        }
      }
    }
  });

  it("each boundary allows every action of the roles that carry it, on the roles' resources", () => {
    for (const result of [example, options]) {
      for (const { environment } of result.stacks) {
        const stack = stackOf(result, environment);
        const keyOf = (name: string) => Object.entries(stack.resource.aws_iam_policy!).find(([, block]) => block.name === name)![0];
        for (const [roleKey, role] of Object.entries(stack.resource.aws_iam_role!)) {
          const boundaryName = Object.values(stack.resource.aws_iam_policy!).find(
            (block) => role.permissions_boundary === `\${aws_iam_policy.${keyOf(block.name as string)}.arn}`,
          )!.name as string;
          const boundary = boundaryOf(stack, boundaryName);
          const inline = resources(stack, 'aws_iam_role_policy').find((block) => block.role === `\${aws_iam_role.${roleKey}.id}`);
          for (const statement of inline === undefined ? [] : policy(inline.policy))
            for (const action of statement.Action)
              for (const resource of statement.Resource ?? [])
                expect(
                  allows(boundary, action, resource) || allows(boundary, action, '*'),
                  `${environment} ${String(role.name)}: ${action} on ${resource}`,
                ).toBe(true);
        }
      }
    }
  });

  it('the apply role writes permissions only to bounded roles, and can neither change a boundary nor remove one', () => {
    const env = config.environments.get('dev')!;
    const stack = stackOf(example, 'dev');
    const apply = rolePolicy(stack, env.names.applyBuildRole);
    const bounded = { StringEquals: { 'iam:PermissionsBoundary': [env.names.boundaries.pipelineArn, env.names.boundaries.workloadArn] } };
    for (const action of ROLE_PERMISSION_WRITES) {
      const granting = apply.filter((statement) => statement.Action.includes(action));
      expect(granting, action).toHaveLength(1);
      expect(granting[0]!.Condition, action).toEqual(bounded);
    }
    const forbidden = [
      'iam:DeleteRolePermissionsBoundary',
      'iam:CreatePolicy',
      'iam:CreatePolicyVersion',
      'iam:SetDefaultPolicyVersion',
      'iam:DeletePolicy',
      'iam:DeletePolicyVersion',
    ];
    for (const { statements } of policyDocuments(stack)) for (const action of forbidden) expect(actionsOf(statements)).not.toContain(action);
    // The pipeline boundary carries the same condition: rewriting its own policy gets the apply role nothing more.
    const pipeline = boundaryOf(stack, env.names.boundaries.pipeline);
    for (const action of ROLE_PERMISSION_WRITES) {
      const granting = pipeline.filter((statement) => statement.Action.includes(action));
      expect(
        granting.map((statement) => statement.Condition),
        action,
      ).toEqual([bounded]);
    }
    // Only this environment's roles, functions, projects and buckets, where a write would lead to more privileges.
    expect(allows(pipeline, 'lambda:UpdateFunctionCode', 'arn:aws:lambda:eu-west-1:111111111111:function:orders-dev-router')).toBe(true);
    expect(allows(pipeline, 'lambda:UpdateFunctionCode', 'arn:aws:lambda:eu-west-1:111111111111:function:admin-tool')).toBe(false);
    expect(allows(pipeline, 'codebuild:StartBuild', 'arn:aws:codebuild:eu-west-1:111111111111:project/other-project')).toBe(false);
    expect(allows(pipeline, 'iam:PassRole', 'arn:aws:iam::111111111111:role/Admin')).toBe(false);
    expect(allows(pipeline, 'iam:UpdateAssumeRolePolicy', 'arn:aws:iam::111111111111:role/Admin')).toBe(false);
    expect(allows(pipeline, 's3:PutObject', 'arn:aws:s3:::someone-elses-bucket/key')).toBe(false);
  });

  it('the workload boundary allows the operator managed policy, own log streams and the config permissions only', () => {
    const env = config.environments.get('dev')!;
    const workload = boundaryOf(stackOf(example, 'dev'), env.names.boundaries.workload);
    expect([...new Set(actionsOf(workload))].sort()).toEqual(
      [
        ...new Set([
          'ec2:RunInstances',
          'ec2:CreateTags',
          'ec2:AttachNetworkInterface',
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeCapacityReservations',
          'ec2:DescribeInstances',
          'ec2:DescribeInstanceStatus',
          'ec2:DescribeInstanceTypeOfferings',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:RunInstances',
          'ec2:CreateNetworkInterface',
          'ec2:RunInstances',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
        ]),
      ].sort(),
    );
    expect(workload.find((statement) => statement.Action.includes('logs:PutLogEvents'))!.Resource).toEqual([
      'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/orders-dev-*:log-stream:*',
    ]);
    expect(workload.find((statement) => statement.Action.includes('dynamodb:GetItem'))!.Resource).toEqual([
      'arn:aws:dynamodb:eu-west-1:111111111111:table/orders-dev',
    ]);
  });
});

describe('schedules', () => {
  it('are off by default', () => {
    for (const name of config.order) {
      expect(resources(stackOf(example, name), 'aws_cloudwatch_event_rule')).toHaveLength(0);
      expect(resources(stackOf(example, name), 'aws_lambda_permission')).toHaveLength(0);
    }
  });

  it("keep-alive: invokes each alias with its warmup payload on the configured rate, allowed by the alias's resource policy", () => {
    const stack = stackOf(options, 'test');
    const [ruleKey, rule] = Object.entries(stack.resource.aws_cloudwatch_event_rule!).find(([, candidate]) => candidate.name === 'shop-test-api-keepalive')!;
    expect(rule.schedule_expression).toBe('rate(5 minutes)');
    const [aliasKey] = Object.keys(stack.resource.aws_lambda_alias!);
    const target = one(stack, 'aws_cloudwatch_event_target', (candidate) => candidate.rule === `\${aws_cloudwatch_event_rule.${ruleKey}.name}`);
    expect(target).toMatchObject({ arn: `\${aws_lambda_alias.${aliasKey}.arn}`, input: JSON.stringify({ ping: 'api' }) });
    expect(one(stack, 'aws_lambda_permission')).toMatchObject({
      action: 'lambda:InvokeFunction',
      function_name: 'legacy-api',
      qualifier: 'current',
      principal: 'events.amazonaws.com',
      source_arn: `\${aws_cloudwatch_event_rule.${ruleKey}.arn}`,
    });
  });

  it('prune: starts the prune project on the configured schedule, with a role that may start only that', () => {
    const stack = stackOf(options, 'test');
    const [ruleKey, rule] = Object.entries(stack.resource.aws_cloudwatch_event_rule!).find(([, candidate]) => candidate.name === 'shop-test-prune')!;
    expect(rule.schedule_expression).toBe('rate(6 hours)');
    const [projectKey] = Object.entries(stack.resource.aws_codebuild_project!).find(([, project]) => project.name === 'shop-test-prune')!;
    const [roleKey] = Object.entries(stack.resource.aws_iam_role!).find(([, role]) => role.name === 'shop-test-schedules')!;
    expect(one(stack, 'aws_cloudwatch_event_target', (candidate) => candidate.rule === `\${aws_cloudwatch_event_rule.${ruleKey}.name}`)).toMatchObject({
      arn: `\${aws_codebuild_project.${projectKey}.arn}`,
      role_arn: `\${aws_iam_role.${roleKey}.arn}`,
    });
    const schedules = rolePolicy(stack, 'shop-test-schedules');
    expect(schedules.filter((statement) => statement.Effect === 'Allow')).toEqual([
      { Effect: 'Allow', Sid: 'StartPrune', Action: ['codebuild:StartBuild'], Resource: ['arn:aws:codebuild:us-east-1:444444444444:project/shop-test-prune'] },
    ]);
    // The rest: one Deny per override condition key (checked with every other build-starting role above).
    expect(schedules.filter((statement) => statement.Effect === 'Deny')).toHaveLength(CODEBUILD_OVERRIDE_CONDITION_KEYS.length + 1);
    expect(resources(stackOf(options, 'live'), 'aws_cloudwatch_event_rule')).toHaveLength(0);
  });

  it('the prune buildspec reports the versions left on each capacity provider in the line the metric filter reads', async () => {
    const source = join(tmp, 'prune-source');
    mkdirSync(source, { recursive: true });
    const cli = join(source, 'fake-gantry');
    const report = { dryRun: false, capacityProviders: [{ name: 'orders-dev-cp', arn: 'arn', versionsBefore: 97, versionsAfter: 12, limit: 100 }] };
    writeFileSync(cli, `#!/usr/bin/env bash\nif [ "$1" = --version ]; then echo 0.1.0; exit 0; fi\necho "args: $*" >&2\necho '${JSON.stringify(report)}'\n`);
    chmodSync(cli, 0o755);
    const lines: BuildspecLine[] = [];
    const result = await runBuildspec({
      buildspec: readFileSync(join(REPO_ROOT, 'buildspecs', 'prune.yml'), 'utf8'),
      sourceDir: source,
      env: { GANTRY_ENVIRONMENT: 'dev', GANTRY_CONFIG: '.github/gantry.yml', GANTRY_CLI: cli, HOME: source },
      onLine: (line) => lines.push(line),
    });
    expect(result.phases.map((phase) => `${phase.phaseType}:${phase.phaseStatus}`)).toContain('POST_BUILD:SUCCEEDED');
    const texts = lines.map((line) => line.text);
    expect(texts).toContain('args: prune --environment dev --config .github/gantry.yml --dry-run=false');
    const metricLine = texts.find((text) => text.startsWith('{"gantryMetric"'))!;
    const filter = one(stackOf(example, 'dev'), 'aws_cloudwatch_log_metric_filter');
    expect(filter.pattern).toBe('{ $.gantryMetric = "CapacityProviderFunctionVersions" }');
    expect(JSON.parse(metricLine)).toEqual({ gantryMetric: 'CapacityProviderFunctionVersions', capacityProvider: 'orders-dev-cp', value: 12 });
  });
});

describe('observability', () => {
  it("alarms on each function's errors and throttles, the provider's CPU and its versions near 100, with the config's thresholds and actions", () => {
    const stack = stackOf(example, 'dev');
    const alarm = (name: string) => one(stack, 'aws_cloudwatch_metric_alarm', named('alarm_name', name));
    expect(alarm('orders-dev-router-errors')).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'Errors',
      dimensions: { FunctionName: 'orders-dev-router' },
      threshold: 1,
    });
    expect(alarm('orders-dev-worker-throttles')).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'Throttles',
      dimensions: { FunctionName: 'orders-dev-worker' },
      threshold: 1,
    });
    expect(alarm('orders-dev-cp-cpu')).toMatchObject({ metric_name: 'CPUUtilization', dimensions: { CapacityProviderName: 'orders-dev-cp' }, threshold: 80 });
    expect(alarm('orders-dev-cp-versions')).toMatchObject({
      namespace: 'Gantry',
      metric_name: 'CapacityProviderFunctionVersions',
      dimensions: { CapacityProviderName: 'orders-dev-cp' },
      threshold: 90,
    });
    expect(resources(stack, 'aws_cloudwatch_metric_alarm')).toHaveLength(6);
    const custom = stackOf(options, 'test');
    for (const [name, threshold] of [
      ['shop-test-api-errors', 5],
      ['shop-test-api-throttles', 3],
      ['shop-test-cp-cpu', 70],
      ['shop-test-cp-versions', 80],
    ] as const) {
      expect(one(custom, 'aws_cloudwatch_metric_alarm', named('alarm_name', name))).toMatchObject({
        threshold,
        alarm_actions: ['arn:aws:sns:us-east-1:444444444444:alerts'],
        ok_actions: ['arn:aws:sns:us-east-1:444444444444:alerts'],
      });
    }
  });

  it('one dashboard per environment, of the capacity provider, each function and the alarms', () => {
    const dashboard = one(stackOf(example, 'prod'), 'aws_cloudwatch_dashboard');
    expect(dashboard.dashboard_name).toBe('orders-prod');
    const body = JSON.parse(dashboard.dashboard_body as string) as {
      widgets: Array<{ type: string; properties: { metrics?: unknown[][]; alarms?: string[] } }>;
    };
    const metrics = JSON.stringify(body.widgets.flatMap((widget) => widget.properties.metrics ?? []));
    for (const expected of [
      '"CPUUtilization","CapacityProviderName","orders-prod-cp"',
      '"vCPUAvailable"',
      '"Errors","FunctionName","orders-prod-router"',
      '"Throttles","FunctionName","orders-prod-worker"',
      '"CapacityProviderFunctionVersions"',
    ]) {
      expect(metrics).toContain(expected);
    }
    // Six of the environment, and the four guarding the traffic shift of prod's two functions (errors, throttles).
    expect(body.widgets.find((widget) => widget.type === 'alarm')!.properties.alarms).toHaveLength(10);
    expect(body.widgets.find((widget) => widget.type === 'alarm')!.properties.alarms).toContain(
      'arn:aws:cloudwatch:eu-west-1:333333333333:alarm:orders-prod-router-shift-errors',
    );
  });
});

describe('progressive delivery (traffic-shift)', () => {
  /** prod: a linear rollout with a p99 duration alarm over 2 periods of 120 s; the worker all at once. */
  let shifted: SynthResult;
  let shiftedConfig: GantryConfig;
  beforeAll(async () => {
    const root = join(tmp, 'shift-repo');
    mkdirSync(join(root, 'deploy'), { recursive: true });
    const text = exampleWith(
      '    tags:\n      cost-center: platform',
      '    tags:\n      cost-center: platform\n    rollout:\n      strategy: { linear: { percent: 20, everyMinutes: 3 } }\n      alarms: { errors: 2, p99DurationMs: 1500, periodSeconds: 120, evaluationPeriods: 2 }',
    ).replace('      - *worker\n    prune: { keep: 10 }', '      - <<: *worker\n        rollout: { strategy: all-at-once }\n    prune: { keep: 10 }');
    writeFileSync(join(root, 'deploy', 'gantry.yml'), text);
    shifted = await synthesize({ configFile: 'deploy/gantry.yml', root });
    shiftedConfig = await loadConfig(join(root, 'deploy', 'gantry.yml'));
  });

  it('guards each shifted function with alarms on its new version behind the alias, named by the naming module; none deployed all at once', () => {
    const stack = stackOf(example, 'prod');
    const [routerKey] = Object.entries(stack.resource.aws_lambda_function!).find(([, block]) => block.function_name === 'orders-prod-router')!;
    const names = config.environments.get('prod')!.names.functions[0]!;
    const alarm = (name: string) => one(stack, 'aws_cloudwatch_metric_alarm', named('alarm_name', name));
    expect(alarm(names.shiftAlarms.errors)).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'Errors',
      // Static: the function and its alias. Known at apply: the version this apply publishes.
      dimensions: { FunctionName: 'orders-prod-router', Resource: 'orders-prod-router:live', ExecutedVersion: `\${aws_lambda_function.${routerKey}.version}` },
      statistic: 'Sum',
      period: 60,
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      treat_missing_data: 'notBreaching',
    });
    expect(alarm(names.shiftAlarms.throttles)).toMatchObject({ metric_name: 'Throttles', threshold: 1 });
    // No p99 alarm unless a threshold is configured; none at all in dev, deployed all at once.
    expect(resources(stack, 'aws_cloudwatch_metric_alarm').filter((block) => String(block.alarm_name).includes('-shift-'))).toHaveLength(4);
    expect(resources(stackOf(example, 'dev'), 'aws_cloudwatch_metric_alarm').filter((block) => String(block.alarm_name).includes('-shift-'))).toEqual([]);

    const custom = stackOf(shifted, 'prod');
    const customNames = shiftedConfig.environments.get('prod')!.names.functions;
    expect(one(custom, 'aws_cloudwatch_metric_alarm', named('alarm_name', customNames[0]!.shiftAlarms.p99Duration))).toMatchObject({
      metric_name: 'Duration',
      extended_statistic: 'p99',
      threshold: 1500,
      period: 120,
      evaluation_periods: 2,
      comparison_operator: 'GreaterThanThreshold',
    });
    expect(one(custom, 'aws_cloudwatch_metric_alarm', named('alarm_name', customNames[0]!.shiftAlarms.errors)).threshold).toBe(2);
    expect(resources(custom, 'aws_cloudwatch_metric_alarm').filter((block) => String(block.alarm_name).includes('orders-prod-worker-shift'))).toEqual([]);
  });

  it('leaves the alias of a shifted function to the action: terraform ignores its version and weights; all at once, it follows the publish', () => {
    const alias = (stack: StackJson, fn: string) =>
      one(stack, 'aws_lambda_alias', (block) => String(block.function_name).includes(`functions_${fn}_`) && block.name === 'live');
    for (const environment of ['qa', 'prod']) {
      expect(alias(stackOf(example, environment), 'router').lifecycle).toEqual({ ignore_changes: ['function_version', 'routing_config'] });
    }
    expect(alias(stackOf(example, 'dev'), 'router').lifecycle).toBeUndefined();
    expect(alias(stackOf(shifted, 'prod'), 'router').lifecycle).toEqual({ ignore_changes: ['function_version', 'routing_config'] });
    expect(alias(stackOf(shifted, 'prod'), 'worker').lifecycle).toBeUndefined();
  });

  it('lets the deploy role update exactly the shifted aliases and read exactly their guarding alarms', () => {
    const prod = config.environments.get('prod')!;
    const statements = rolePolicy(stackOf(example, 'prod'), prod.names.deployRole);
    const by = (sid: string) => statements.find((statement) => statement.Sid === sid);
    expect(by('ShiftOwnAliases')).toEqual({
      Effect: 'Allow',
      Sid: 'ShiftOwnAliases',
      Action: ['lambda:GetAlias', 'lambda:UpdateAlias'],
      Resource: prod.names.functions.map((fn) => fn.aliasArn),
    });
    expect(by('WatchOwnShiftAlarms')).toEqual({
      Effect: 'Allow',
      Sid: 'WatchOwnShiftAlarms',
      Action: ['cloudwatch:DescribeAlarms'],
      Resource: prod.names.functions
        .flatMap((fn) => [fn.shiftAlarms.errors, fn.shiftAlarms.throttles])
        .map((name) => `arn:aws:cloudwatch:eu-west-1:333333333333:alarm:${name}`),
    });
    // UpdateAlias nowhere else in the role; the roles of dev, which deploys all at once, get neither.
    expect(statements.filter((statement) => statement.Action.includes('lambda:UpdateAlias'))).toHaveLength(1);
    const dev = rolePolicy(stackOf(example, 'dev'), config.environments.get('dev')!.names.deployRole);
    expect(actionsOf(dev)).not.toContain('lambda:UpdateAlias');
    expect(actionsOf(dev)).not.toContain('cloudwatch:DescribeAlarms');
    // The custom prod shifts only its router.
    const custom = rolePolicy(stackOf(shifted, 'prod'), shiftedConfig.environments.get('prod')!.names.deployRole);
    expect(custom.find((statement) => statement.Sid === 'ShiftOwnAliases')!.Resource).toEqual([
      'arn:aws:lambda:eu-west-1:333333333333:function:orders-prod-router:live',
    ]);
    expect(custom.find((statement) => statement.Sid === 'WatchOwnShiftAlarms')!.Resource).toHaveLength(3);
    expect(ALLOWED_IAM_ACTIONS.has('lambda:UpdateAlias') && ALLOWED_IAM_ACTIONS.has('cloudwatch:DescribeAlarms')).toBe(true);
  });
});

describe("the prune build's CLI: schedules.prune.cli, else the release gantry was installed from, else a config error", () => {
  const NO_CLI =
    'is not set, and this gantry was not installed from a release tarball (a checkout or a github: install), so the prune build cannot download a pinned CLI: set schedules.prune.cli to a command that runs the gantry CLI in the prune build (one its image or its source holds), or install gantry from a release tarball';
  const download = { url: 'https://github.com/acme/gantry/releases/download/v1.4.2/gantry.js', sha256: 'a'.repeat(64) };
  /** The example config with no environment setting schedules.prune.cli. */
  const withoutCli = () => {
    const text = EXAMPLE_CONFIG.replace(/^ {4}schedules: \{ prune: \{ cli: [^}]*\} \}.*\n/gm, '');
    expect(text).not.toContain('schedules');
    return text;
  };
  const pruneVariables = (result: SynthResult, environment: string) => {
    const project = one(stackOf(result, environment), 'aws_codebuild_project', named('name', `orders-${environment}-prune`));
    return Object.fromEntries(((project.environment as Block).environment_variable as Block[]).map((variable) => [variable.name, variable.value]));
  };

  it('the command the environment sets, whatever gantry was installed from', () => {
    const dev = config.environments.get('dev')!;
    expect(dev.schedules.prune.cli).toBe('node scripts/dist/gantry.js');
    expect(pruneCliVariables(config, dev, undefined)).toEqual({ GANTRY_CLI: 'node scripts/dist/gantry.js' });
    expect(pruneCliVariables(config, dev, download)).toEqual({ GANTRY_CLI: 'node scripts/dist/gantry.js' });
  });

  it("unset: the installed release's gantry.js and its SHA-256; without a release, the config error naming the file and the key", () => {
    const bare = parseConfig(withoutCli(), '/repo/.github/gantry.yml');
    const qa = bare.environments.get('qa')!;
    expect(qa.schedules.prune).toEqual({ enabled: false, expression: 'cron(23 4 * * ? *)' });
    expect(pruneCliVariables(bare, qa, download)).toEqual({ GANTRY_CLI_URL: download.url, GANTRY_CLI_SHA256: download.sha256 });
    expect(() => pruneCliVariables(bare, qa, undefined)).toThrow(ConfigError);
    expect(() => pruneCliVariables(bare, qa, undefined)).toThrow(`/repo/.github/gantry.yml: environments.qa.schedules.prune.cli: ${NO_CLI}`);
  });

  it('synthesized from this checkout, which is no release: one line naming the first environment, and no stack written', async () => {
    const root = join(tmp, 'no-prune-cli');
    mkdirSync(join(root, '.github'), { recursive: true });
    writeFileSync(join(root, '.github', 'gantry.yml'), withoutCli());
    const error = await synthesize({ root, outdir: join(root, 'out') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${join(root, '.github', 'gantry.yml')}: environments.dev.schedules.prune.cli: ${NO_CLI}`);
    expect(existsSync(join(root, 'out', 'stacks'))).toBe(false);
  });

  it('synthesized as a release: every prune project downloads that release, checked against the bundle synth runs with', async () => {
    const root = join(tmp, 'released-prune-cli');
    mkdirSync(join(root, '.github'), { recursive: true });
    writeFileSync(join(root, '.github', 'gantry.yml'), withoutCli());
    const released = await synthesize({ root, outdir: join(root, 'out'), release: OPTIONS_RELEASE });
    for (const environment of ['dev', 'qa', 'prod']) {
      expect(pruneVariables(released, environment), environment).toEqual({
        GANTRY_ENVIRONMENT: environment,
        GANTRY_CONFIG: '.github/gantry.yml',
        GANTRY_CLI_URL: 'https://github.com/acme/gantry/releases/download/v1.4.2/gantry.js',
        GANTRY_CLI_SHA256: CLI_SHA256,
      });
    }
    // The example config sets the CLI in each environment, so its stacks are those of a checkout or a release alike.
    expect(pruneVariables(example, 'prod')).toEqual({
      GANTRY_ENVIRONMENT: 'prod',
      GANTRY_CONFIG: '.github/gantry.yml',
      GANTRY_CLI: 'node scripts/dist/gantry.js',
    });
  });

  describe('installedRelease: the release stamp next to the installed CLI bundle', () => {
    /** An installed package's scripts/dist with a CLI bundle (and a stamp); returns its terraform app's path. */
    function installed(name: string, stamp?: string): string {
      const dist = join(tmp, 'installed', name, 'node_modules', '@gantry-deploy', 'gantry', 'scripts', 'dist');
      mkdirSync(dist, { recursive: true });
      writeFileSync(join(dist, 'gantry.js'), `// the CLI of ${name}\n`);
      writeFileSync(join(dist, 'terraform-app.js'), '');
      if (stamp !== undefined) writeFileSync(join(dist, 'release.json'), stamp);
      return join(dist, 'terraform-app.js');
    }

    it("from a release tarball: the stamp's repository and version name the asset, the checksum is the installed bundle's", () => {
      const from = installed('tarball', '{\n  "repository": "acme/gantry",\n  "version": "2.0.0-rc.1",\n  "tag": "v2.0.0-rc.1"\n}\n');
      expect(installedRelease(from)).toEqual({
        file: join(tmp, 'installed', 'tarball', 'node_modules', '@gantry-deploy', 'gantry', 'scripts', 'dist', 'release.json'),
        stamp: { repository: 'acme/gantry', version: '2.0.0-rc.1', tag: 'v2.0.0-rc.1' },
        download: { url: 'https://github.com/acme/gantry/releases/download/v2.0.0-rc.1/gantry.js', sha256: sha256(Buffer.from('// the CLI of tarball\n')) },
      });
    });

    it('from git or a checkout (this one included): no release', () => {
      expect(installedRelease(installed('git'))).toBeUndefined();
      expect(installedRelease(join(REPO_ROOT, 'terraform', 'app.ts'))).toBeUndefined();
    });

    it('a stamp that is not one, or names no release, is refused naming its file', () => {
      const file = (name: string) => join(tmp, 'installed', name, 'node_modules', '@gantry-deploy', 'gantry', 'scripts', 'dist', 'release.json');
      const partial = installed('partial', '{"repository": "acme/gantry"}');
      expect(() => installedRelease(partial)).toThrow(OperationError);
      expect(() => installedRelease(partial)).toThrow(
        `${file('partial')}: expected {"repository", "version", "tag"} (strings); reinstall gantry from its release tarball`,
      );
      expect(() => installedRelease(installed('truncated', '{"repository": '))).toThrow(`${file('truncated')}: not JSON (`);
      expect(() => installedRelease(installed('other-tag', '{"repository": "acme/gantry", "version": "1.4.2", "tag": "v1.4.3"}'))).toThrow(
        `${file('other-tag')} names no gantry release a build can download the CLI of (tag v1.4.3 is not v1.4.2); reinstall gantry from its release tarball`,
      );
    });
  });
});

describe('bad config', () => {
  it('fails synth with the config error', async () => {
    const file = join(tmp, 'bad.yml');
    const text = exampleWith('region: eu-west-1', 'region: mars');
    writeFileSync(file, text);
    let expected = '';
    try {
      parseConfig(text, file);
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(expected).toMatch(/:14:13: environments\.dev\.region: expected an AWS region such as eu-west-1, got "mars"$/);
    const error = await synthesize({ configFile: file, outdir: join(tmp, 'bad-out'), root: tmp }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(expected);
    expect(existsSync(join(tmp, 'bad-out', 'stacks'))).toBe(false);
  });

  it('needs github.repository, naming it', async () => {
    const file = join(tmp, 'no-repository.yml');
    writeFileSync(file, EXAMPLE_CONFIG.replace(/^ {2}repository: .*\n/m, ''));
    await expect(synthesize({ configFile: file, outdir: join(tmp, 'no-repository-out'), root: tmp })).rejects.toThrow(
      `${file}: github.repository: is required by the terraform app: the GitHub repository ("owner/name") whose workflows may assume the deploy roles and whose code CodeBuild checks out`,
    );
  });

  it('npm run synth prints the one-line error and exits 1', () => {
    const file = join(tmp, 'bad-cli.yml');
    const text = exampleWith('name: worker', 'name: Worker');
    writeFileSync(file, text);
    const expected = (() => {
      try {
        parseConfig(text, file);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected the config to be invalid');
    })();
    expect(expected).toContain('environments.dev.functions.1.name: expected a function name');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'terraform', 'main.ts'), '--config', file, '--out', join(tmp, 'cli-out')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(expected);
    expect(run.stdout).toBe('');
  });
});

describe('helpers', () => {
  it('the package path climbs from the working directory to the repository root', () => {
    expect(packageFromWorkingDirectory('terraform/environments/dev', { name: 'router' })).toBe('../../../dist/functions/router.zip');
    expect(packageFromWorkingDirectory('./infra/', { name: 'api', package: 'build/api.zip' })).toBe('../build/api.zip');
  });

  it('long role names are cut to 64 characters, kept unique', () => {
    const long = `${'a'.repeat(20)}-${'b'.repeat(20)}-${'c'.repeat(20)}-exec`;
    expect(boundedName(long, 64)).toHaveLength(64);
    expect(boundedName(long, 64)).not.toBe(boundedName(`${long}x`, 64));
    expect(boundedName('short', 64)).toBe('short');
  });

  it('--working-directories copies each stack to its terraform.workingDirectory', () => {
    for (const stack of options.stacks) {
      expect(stack.copiedTo).toBe(join(tmp, 'options-repo', stack.environment === 'test' ? 'infra' : 'infra/live', STACK_FILE));
      expect(readFileSync(stack.copiedTo!, 'utf8')).toBe(readFileSync(stack.file, 'utf8'));
    }
  });
});
