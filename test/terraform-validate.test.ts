/**
 * Real Terraform as the judge of terraform/: every stack of the example config and of the second config
 * (test/fixtures/terraform-options/gantry.yml) goes through `terraform init -backend=false` and
 * `terraform validate` with the AWS provider from the filesystem mirror in GANTRY_TERRAFORM_PROVIDER_MIRROR;
 * what that provider version does not know is checked against the committed schema extract of the pinned
 * version. Around it: the template escaping of literal strings, the schema check itself, the extract against
 * the provider bindings generated from the same version, and the committed working-directory copies against
 * a fresh synth.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TERRAFORM_PIN } from '../src/terraform/pin.js';
import { checkWorkingDirectories, type SynthResult, synthesize } from '../terraform/app.js';
import { escapeTemplateString, scanTemplate, templateFindings } from '../terraform/escape.js';
import { checkBody, type SchemaBlock } from '../terraform/schema-check.js';
import { formatReport, loadSchemaExtract, MIRROR_ENV, stripUnknown, VALIDATED_CONFIGS, validateStacks } from '../terraform/validate.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

const tmp = mkdtempSync(join(tmpdir(), 'gantry-terraform-validate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Json = Record<string, unknown>;
let synthesized: Array<{ config: string; result: SynthResult }>;
const stacks = () =>
  synthesized.flatMap(({ config, result }) =>
    result.stacks.map((stack) => ({ label: `${config}/${stack.environment}`, json: JSON.parse(readFileSync(stack.file, 'utf8')) as Json })),
  );

beforeAll(async () => {
  synthesized = await Promise.all(
    VALIDATED_CONFIGS.map(async (config, index) => ({
      config,
      result: await synthesize({ configFile: config, root: REPO_ROOT, outdir: join(tmp, `synth-${index}`) }),
    })),
  );
});

describe('literal strings are escaped for Terraform templates, in one place', () => {
  it('escapes ${ and %{ of a literal, never a cdktn token marker', () => {
    expect(escapeTemplateString('[ -n "${!name:-}" ] && echo "${X%/}" %{ if }')).toBe('[ -n "$${!name:-}" ] && echo "$${X%/}" %%{ if }');
    expect(escapeTemplateString('arn:${TfToken[TOKEN.12]}:x ${a}')).toBe('arn:${TfToken[TOKEN.12]}:x $${a}');
    expect(escapeTemplateString('no templates $HOME 100%')).toBe('no templates $HOME 100%');
    expect(() => escapeTemplateString('cost$${TfToken[TOKEN.1]}')).toThrow(/directly before a Terraform reference/);
  });

  it('no synthesized string of any stack has an unescaped template sequence that is not a reference or function call', () => {
    const all = stacks();
    expect(all.map((stack) => stack.label)).toHaveLength(5);
    for (const { label, json } of all) expect(templateFindings(json), label).toEqual([]);
  });

  it('the buildspecs reach Terraform escaped and read back as the files in buildspecs/', () => {
    const json = stacks()[0]?.json ?? {};
    const projects = Object.values((json.resource as Record<string, Record<string, Json>>).aws_codebuild_project ?? {});
    const texts = projects.map((project) => (project.source as { buildspec: string }).buildspec);
    // The first environment (dev) is one pull requests may plan: its read-only pull-request plan project has the plan buildspec too.
    expect(texts).toHaveLength(4);
    const unescaped = (text: string) => text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
    const files = ['terraform-plan.yml', 'terraform-plan.yml', 'terraform-apply.yml', 'prune.yml'].map((file) =>
      readFileSync(join(REPO_ROOT, 'buildspecs', file), 'utf8'),
    );
    expect(texts.map(unescaped).sort()).toEqual([...files].sort());
    expect(texts.join('\n')).toContain('$${!name:-}');
  });

  it('the scan finds unescaped text and accepts what cdktn writes', () => {
    const buildspec = readFileSync(join(REPO_ROOT, 'buildspecs', 'terraform-apply.yml'), 'utf8');
    expect(scanTemplate(buildspec).length).toBeGreaterThan(5);
    expect(scanTemplate('echo %{ if x }')).toHaveLength(1);
    expect(scanTemplate('${GANTRY_TERRAFORM_VERSION}')).toHaveLength(1);
    const types = new Set(['aws_iam_role', 'aws_subnet']);
    for (const text of [
      '${aws_iam_role.role_1.arn}',
      '${aws_subnet.subnet_E4[*].id}',
      'arn:${aws_iam_role.role_1.arn}:*',
      '${filebase64sha256("${path.module}/../../dist/functions/router.zip")}',
      '${slice(sort(data.aws_subnets.x.ids), 0, min(2, length(data.aws_subnets.x.ids)))}',
      '${element(data.aws_availability_zones.zones.names, count.index)}',
      'literal $${x} and %%{y}',
    ]) {
      expect(scanTemplate(text, types), text).toEqual([]);
    }
  });
});

describe('the schema check enforces what Terraform enforces in JSON', () => {
  const block: SchemaBlock = {
    attributes: {
      name: { type: 'string', required: true },
      arn: { type: 'string', computed: true },
      instance_requirements: {
        type: [
          'list',
          ['object', { architectures: ['list', 'string'], allowed_instance_types: ['list', 'string'], excluded_instance_types: ['list', 'string'] }],
        ],
        optional: true,
        computed: true,
        max_items: 1,
      },
      count_of: { type: 'number', optional: true },
    },
    block_types: {
      vpc_config: { nesting_mode: 'list', min_items: 1, max_items: 1, block: { attributes: { subnet_ids: { type: ['set', 'string'], required: true } } } },
      timeouts: { nesting_mode: 'single', block: { attributes: { create: { type: 'string', optional: true } } } },
    },
  };
  const valid = {
    name: 'p',
    instance_requirements: [{ architectures: ['arm64'], allowed_instance_types: ['m7g.large'], excluded_instance_types: null }],
    vpc_config: [{ subnet_ids: '${aws_subnet.x[*].id}' }],
    timeouts: { create: '30m' },
    depends_on: ['aws_iam_role.x'],
    '//': { metadata: {} },
  };
  const messages = (body: Json) => checkBody(body, block, 'resource.t.x', { topLevel: true }).map((finding) => `${finding.path}: ${finding.message}`);

  it('accepts a body the schema describes, with expressions for values known later', () => {
    expect(messages(valid)).toEqual([]);
    expect(messages({ ...valid, count_of: '${length(var.x)}' })).toEqual([]);
  });

  it('every key of a list(object) element, null when unset; no other key', () => {
    expect(messages({ ...valid, instance_requirements: [{ architectures: ['arm64'], allowed_instance_types: ['m7g.large'] }] })).toEqual([
      'resource.t.x.instance_requirements[0]: attribute "excluded_instance_types" is required (every key of the object type, null when unset)',
    ]);
    expect(messages({ ...valid, instance_requirements: [{ ...valid.instance_requirements[0], cpu: 2 }] })[0]).toMatch(/unsupported attribute "cpu"/);
    expect(messages({ ...valid, instance_requirements: [valid.instance_requirements[0], valid.instance_requirements[0]] })[0]).toMatch(/at most 1 element/);
  });

  it('unknown arguments, missing required ones, computed-only ones set, block limits and types', () => {
    expect(messages({ ...valid, colour: 'red' })).toEqual(['resource.t.x.colour: unsupported argument: the schema has no attribute or block of this name']);
    const { name: _name, vpc_config: _vpc, ...rest } = valid;
    expect(messages(rest)).toEqual(['resource.t.x: missing required argument "name"', 'resource.t.x: missing required block "vpc_config" (at least 1)']);
    expect(messages({ ...valid, arn: 'arn:x' })).toEqual(['resource.t.x.arn: is computed by the provider and cannot be set']);
    expect(messages({ ...valid, vpc_config: [{ subnet_ids: ['a'] }, { subnet_ids: ['b'] }] })).toEqual([
      'resource.t.x.vpc_config: at most 1 block(s), found 2',
    ]);
    expect(messages({ ...valid, vpc_config: [{ subnet_ids: ['a'], extra: 1 }] })).toEqual([
      'resource.t.x.vpc_config[0].extra: unsupported argument: the schema has no attribute or block of this name',
    ]);
    expect(messages({ ...valid, count_of: 'many' })).toEqual(['resource.t.x.count_of: expected a number, found string "many"']);
    expect(messages({ ...valid, timeouts: [{ create: '1m' }] })[0]).toMatch(/expected one block/);
  });

  it('takes out what the provider binary does not know, checks it against the extract, and points references at a stand-in', () => {
    const extract = loadSchemaExtract('6.66.0');
    const binary = {
      resource_schemas: { aws_lambda_function: { block: { attributes: { function_name: { type: 'string', required: true } } } as SchemaBlock } },
      data_source_schemas: {},
    };
    const stack: Json = {
      resource: {
        aws_lambda_capacity_provider: {
          cp: {
            name: 'p',
            instance_requirements: [{ architectures: ['arm64'], allowed_instance_types: ['m7g.large'] }],
            permissions_config: [{ capacity_provider_operator_role_arn: 'arn:aws:iam::1:role/x' }],
            vpc_config: [{ subnet_ids: ['s'], security_group_ids: ['g'] }],
          },
        },
        aws_lambda_function: {
          fn: {
            function_name: 'f',
            capacity_provider_config: [
              { lambda_managed_instances_capacity_provider_config: [{ capacity_provider_arn: '${aws_lambda_capacity_provider.cp.arn}' }] },
            ],
            snap_start: [{ apply_on: 'None' }],
            depends_on: ['aws_lambda_capacity_provider.cp'],
          },
        },
        aws_unknown_thing: { x: {} },
      },
      output: { arn: { value: '${aws_lambda_capacity_provider.cp.arn}' }, bad: { value: '${aws_lambda_capacity_provider.cp.colour}' } },
    };
    const { findings, checked, removedTypes } = stripUnknown(stack, binary, extract);
    expect([...removedTypes].sort()).toEqual(['aws_lambda_capacity_provider', 'aws_unknown_thing']);
    expect(checked).toEqual([
      'resource.aws_lambda_capacity_provider.cp',
      'resource.aws_lambda_function.fn.capacity_provider_config',
      'resource.aws_lambda_function.fn.snap_start',
    ]);
    expect(findings.map((finding) => `${finding.path}: ${finding.message}`)).toEqual([
      'resource.aws_lambda_capacity_provider.cp.instance_requirements[0]: attribute "excluded_instance_types" is required (every key of the object type, null when unset)',
      'resource.aws_lambda_function.fn.snap_start: unknown to the provider binary and not in the schema extract of hashicorp/aws 6.66.0',
      'resource.aws_unknown_thing.x: resource type unknown to the provider binary and not in the schema extract of hashicorp/aws 6.66.0',
      'aws_lambda_capacity_provider.cp.colour: a reference to an attribute aws_lambda_capacity_provider does not have in hashicorp/aws 6.66.0',
    ]);
    const resource = stack.resource as Record<string, Record<string, Json>>;
    expect(resource.aws_lambda_function?.fn).toEqual({ function_name: 'f', depends_on: ['terraform_data.aws_lambda_capacity_provider__cp'] });
    expect(resource.terraform_data).toEqual({ aws_lambda_capacity_provider__cp: {} });
    expect((stack.output as Record<string, Json>).arn).toEqual({ value: '${terraform_data.aws_lambda_capacity_provider__cp.output}' });
  });
});

describe('the schema extract (terraform/provider-schema/) agrees with the provider bindings of the same version', () => {
  /** How @cdktn/provider-aws writes each argument of a block: nested block, list of objects, or a plain value. */
  function bindingArguments(body: string): Map<string, { kind: 'block' | 'objects' | 'value'; fn?: string }> {
    const args = new Map<string, { kind: 'block' | 'objects' | 'value'; fn?: string }>();
    for (const match of body.matchAll(/^\s+(\w+): (.*),$/gm)) {
      const [, name = '', expression = ''] = match;
      const mapped = /^cdktn\.listMapper\((\w+ToTerraform), (true|false)\)/.exec(expression);
      const single = /^(\w+ToTerraform)\(/.exec(expression);
      if (mapped?.[1] !== undefined && !mapped[1].startsWith('cdktn.')) args.set(name, { kind: mapped[2] === 'true' ? 'block' : 'objects', fn: mapped[1] });
      else if (single?.[1] !== undefined) args.set(name, { kind: 'block', fn: single[1] });
      else args.set(name, { kind: 'value' });
    }
    return args;
  }
  const structBody = (source: string, fn: string) => {
    const start = source.indexOf(`function ${fn}(struct) {`);
    expect(start, fn).toBeGreaterThan(-1);
    const body = source.slice(start, source.indexOf('\n}\n', start));
    return body.slice(body.lastIndexOf('return {'));
  };

  function compare(source: string, args: ReturnType<typeof bindingArguments>, block: SchemaBlock, path: string, partial?: string[]): void {
    const configurable = new Map<string, 'block' | 'objects' | 'value'>();
    for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
      if (attribute.computed === true && attribute.optional !== true && attribute.required !== true) continue;
      const objects = Array.isArray(attribute.type) && (attribute.type[0] === 'list' || attribute.type[0] === 'set') && Array.isArray(attribute.type[1]);
      configurable.set(name, objects ? 'objects' : 'value');
    }
    for (const name of Object.keys(block.block_types ?? {})) configurable.set(name, 'block');
    if (partial === undefined) expect([...configurable.keys()].sort(), path).toEqual([...args.keys()].filter((name) => name !== 'id').sort());
    for (const [name, kind] of configurable) {
      const binding = args.get(name);
      expect(binding?.kind, `${path}.${name}`).toBe(kind);
      if (binding?.fn === undefined) continue;
      const nested = bindingArguments(structBody(source, binding.fn));
      if (kind === 'block') compare(source, nested, block.block_types?.[name]?.block ?? {}, `${path}.${name}`);
      if (kind === 'objects') {
        const type = block.attributes?.[name]?.type as [string, ['object', Record<string, unknown>]];
        expect([...nested.keys()].sort(), `${path}.${name}`).toEqual(Object.keys(type[1][1]).sort());
      }
    }
  }

  it.each(Object.keys(loadSchemaExtract('6.66.0').resource_schemas))('%s', (resource) => {
    const extract = loadSchemaExtract('6.66.0');
    expect(extract.version).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'terraform', 'provider-schema', 'aws-6.66.0.json'), 'utf8')).version);
    const schema = extract.resource_schemas[resource]!;
    const module = join(REPO_ROOT, 'node_modules', '@cdktn', 'provider-aws', 'lib', resource.replace(/^aws_/, '').replace(/_/g, '-'), 'index.js');
    const source = readFileSync(module, 'utf8');
    // The bindings name the provider version they were generated from in every documentation link.
    expect(source).toContain(`registry.terraform.io/providers/hashicorp/aws/${extract.version}/docs/resources/${resource.replace(/^aws_/, '')}`);
    const start = source.indexOf('synthesizeAttributes() {');
    const body = source.slice(start, source.indexOf('\n    }\n', start));
    compare(source, bindingArguments(body), schema.block, resource, schema.partial);
  });

  it('is the version the stacks pin', () => {
    const json = stacks()[0]?.json ?? {};
    const pinned = ((json.terraform as Json).required_providers as Record<string, { version: string }>).aws?.version;
    expect(loadSchemaExtract(pinned ?? 'none').version).toBe(pinned);
  });
});

describe('the committed working-directory copies', () => {
  it('match a fresh synth of the example config (npm run synth -- --working-directories)', async () => {
    expect(await checkWorkingDirectories({ root: REPO_ROOT })).toEqual([]);
  });
});

describe('on GitHub (ci.yml)', () => {
  it('a job checks the copies and validates every environment with the pinned Terraform and the provider from the registry', () => {
    const ci = parse(readFileSync(join(REPO_ROOT, '.github', 'workflows', 'ci.yml'), 'utf8')) as { jobs: Record<string, { steps: Json[] }> };
    const steps = ci.jobs.terraform?.steps ?? [];
    const setup = steps.find((step) => String(step.uses ?? '').startsWith('hashicorp/setup-terraform@'));
    expect(setup?.with).toEqual({ terraform_version: TERRAFORM_PIN.version, terraform_wrapper: false });
    expect(steps.map((step) => step.run).filter(Boolean)).toEqual(['npm ci', 'npm run synth:check', 'npm run validate:terraform -- --registry']);
  });
});

const IMAGE_MIRROR = '/opt/tf-plugins';

describe('terraform validate (npm run validate:terraform)', () => {
  // The variable, else the mirror this machine image carries (what .ci/run sets): `npm test` as the README writes
  // it then validates here too. Only a machine with neither skips, saying so.
  const mirror = process.env[MIRROR_ENV] || (existsSync(join(IMAGE_MIRROR, 'registry.terraform.io', 'hashicorp', 'aws')) ? IMAGE_MIRROR : undefined);

  it('passes for every stack of the example config and the second config, with the schema extract for what the provider binary does not know', async (context) => {
    if (mirror === undefined || mirror === '') {
      context.skip(`${MIRROR_ENV} is not set: terraform validate did not run (no filesystem mirror of hashicorp/aws)`);
      return;
    }
    const report = await validateStacks({ configs: VALIDATED_CONFIGS, root: REPO_ROOT, mirror, workDir: join(tmp, 'validate') });
    const text = formatReport(report);
    expect(report.stacks.map((stack) => stack.label)).toHaveLength(5);
    expect(report.ok, text).toBe(true);
    if (report.providerVersion !== report.pinnedVersion) {
      for (const stack of report.stacks)
        expect(
          stack.checkedAgainstExtract.some((path) => path.startsWith('resource.aws_lambda_capacity_provider.')),
          stack.label,
        ).toBe(true);
    }

    // The same copies with one wrong value: the provider binary really reads them.
    const [first] = report.stacks;
    const file = join(first!.directory, 'cdk.tf.json');
    const copy = JSON.parse(readFileSync(file, 'utf8')) as { resource: Record<string, Record<string, Json>> };
    const [group] = Object.values(copy.resource.aws_cloudwatch_log_group ?? {});
    group!.retention_in_days = 'a month';
    writeFileSync(file, JSON.stringify(copy));
    const env = { ...process.env, TF_CLI_CONFIG_FILE: join(tmp, 'validate', 'terraform.rc'), CHECKPOINT_DISABLE: '1' };
    let output = '';
    try {
      output = execFileSync('terraform', [`-chdir=${first!.directory}`, 'validate', '-json', '-no-color'], { env, encoding: 'utf8' });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    const result = JSON.parse(output) as { valid: boolean; diagnostics: Array<{ summary: string }> };
    expect(result.valid).toBe(false);
    expect(result.diagnostics.map((diagnostic) => diagnostic.summary)).toContain('Incorrect attribute value type');
  });
});
