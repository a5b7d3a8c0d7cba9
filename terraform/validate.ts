/**
 * Real Terraform as the judge of the synthesized stacks: `terraform init -backend=false` and `terraform validate`
 * on every stack of one or more config files (`npm run validate:terraform`, scripts/validate-terraform.ts).
 *
 * Two ways to get the AWS provider:
 * - **mirror** (offline): a filesystem mirror of hashicorp/aws (`GANTRY_TERRAFORM_PROVIDER_MIRROR`, the
 *   directory holding `registry.terraform.io/hashicorp/aws/<version>/…`). Its version may be older than the
 *   pinned one: what the mirror's provider does not know (resource types such as `aws_lambda_capacity_provider`,
 *   attributes such as `aws_lambda_function.capacity_provider_config`) is taken out of a copy of the stack
 *   before `terraform validate` and checked instead against the committed schema extract of the pinned
 *   version (terraform/provider-schema/aws-<version>.json) by terraform/schema-check.ts. References to a
 *   resource taken out point at a `terraform_data` stand-in, after checking the attribute they read exists.
 * - **registry**: the pinned provider, downloaded by `terraform init` as usual (GitHub CI). Nothing is taken out.
 *
 * Every stack is validated where it would run: its copy sits at `<work>/<label>/<terraform.workingDirectory>`,
 * and the function packages it reads with `filebase64sha256("${path.module}/…")` get empty placeholders when
 * absent (validate checks the configuration, not the packages).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { DEFAULT_CONFIG_FILE } from '../src/config/load.js';
import { synthesize } from './app.js';
import { checkAttribute, checkBlockType, checkBody, hasMember, META_ARGUMENTS, type SchemaBlock, type SchemaFinding } from './schema-check.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** The environment variable naming the filesystem mirror for offline validation. */
export const MIRROR_ENV = 'GANTRY_TERRAFORM_PROVIDER_MIRROR';
export const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';
/** The example config and the second config every terraform/ change is validated with. */
export const VALIDATED_CONFIGS = [DEFAULT_CONFIG_FILE, 'test/fixtures/terraform-options/gantry.yml'];

export interface ProviderSchemaFile {
  provider: string;
  version: string;
  resource_schemas: Record<string, { block: SchemaBlock; partial?: string[] }>;
}

/** The committed extract of a provider version's schema (terraform/provider-schema/aws-<version>.json). */
export function loadSchemaExtract(version: string): ProviderSchemaFile {
  const file = join(here, 'provider-schema', `aws-${version}.json`);
  if (!existsSync(file))
    throw new Error(`no schema extract for hashicorp/aws ${version}: ${relative('.', file)} (generate it with scripts/provider-schema.ts)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ProviderSchemaFile;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  /** Where in the stack: `resource.aws_x.y`, or the file position. */
  where: string;
}

export interface StackValidation {
  /** `<config label>/<environment>` */
  label: string;
  config: string;
  environment: string;
  /** The stack copy that was validated. */
  directory: string;
  initMs: number;
  validateMs: number;
  diagnostics: Diagnostic[];
  /** Schema findings for what the mirror's provider does not know, against the pinned version's extract. */
  schemaFindings: SchemaFinding[];
  /** What was checked against the extract instead of the binary. */
  checkedAgainstExtract: string[];
  /** Package files that were missing and got an empty placeholder. */
  placeholders: string[];
}

export interface ValidationReport {
  mode: 'mirror' | 'registry';
  /** The provider version terraform ran with. */
  providerVersion: string;
  /** The version the stacks pin (and the extract describes). */
  pinnedVersion: string;
  synthMs: number;
  schemaMs: number;
  stacks: StackValidation[];
  ok: boolean;
}

export interface ValidateOptions {
  /** Config files, relative to `root`. */
  configs?: string[];
  root?: string;
  /** The filesystem mirror (mirror mode); registry mode when undefined and `registry` is true. */
  mirror?: string;
  registry?: boolean;
  /** Where the copies and plugin links go; a fresh temporary directory, removed at the end, by default. */
  workDir?: string;
  /** Where the provider binary's schema is cached; node_modules/.cache/gantry-terraform by default. */
  cacheDir?: string;
  terraform?: string;
  concurrency?: number;
}

/** The versions of hashicorp/aws a filesystem mirror holds (unpacked directories or packed zips), highest first. */
export function mirrorVersions(mirror: string): string[] {
  const dir = join(mirror, ...AWS_PROVIDER.split('/'));
  if (!existsSync(dir)) return [];
  const versions = new Set<string>();
  for (const entry of readdirSync(dir)) {
    const version = /^(\d+\.\d+\.\d+)$/.exec(entry)?.[1] ?? /^terraform-provider-aws_(\d+\.\d+\.\d+)_/.exec(entry)?.[1];
    if (version !== undefined) versions.add(version);
  }
  const key = (version: string) =>
    version
      .split('.')
      .map((part) => part.padStart(6, '0'))
      .join('.');
  return [...versions].sort((a, b) => key(b).localeCompare(key(a)));
}

async function terraform(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(binary, args, { env, maxBuffer: 256 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number | string; message: string };
    if (failed.code === 'ENOENT') throw new Error(`${binary} is not on PATH: validate:terraform needs Terraform (see docs/platform.md)`);
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message, code: typeof failed.code === 'number' ? failed.code : 1 };
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every string of a JSON value. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (isObject(value)) for (const [key, item] of Object.entries(value)) yield* [key, ...strings(item)];
}

/** Rewrites every string of a JSON value in place. */
function rewriteStrings(value: unknown, rewrite: (text: string) => string): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (Array.isArray(value)) return value.map((item) => rewriteStrings(item, rewrite));
  if (isObject(value)) for (const key of Object.keys(value)) value[key] = rewriteStrings(value[key], rewrite);
  return value;
}

interface ProviderSchemas {
  resource_schemas: Record<string, { block: SchemaBlock }>;
  data_source_schemas: Record<string, { block: SchemaBlock }>;
}

/** What the mirror's provider does not know, taken out of the stack and checked against the extract. */
export function stripUnknown(
  stack: Json,
  binary: ProviderSchemas,
  extract: ProviderSchemaFile,
): { findings: SchemaFinding[]; checked: string[]; removedTypes: Set<string> } {
  const findings: SchemaFinding[] = [];
  const checked: string[] = [];
  const removedTypes = new Set<string>();
  const version = `hashicorp/aws ${extract.version}`;

  const strip = (body: Json, known: SchemaBlock, pinned: SchemaBlock | undefined, path: string, topLevel: boolean) => {
    for (const key of Object.keys(body)) {
      if (key === '//' || (topLevel && META_ARGUMENTS.has(key))) continue;
      if (known.attributes?.[key] !== undefined) continue;
      const knownBlock = known.block_types?.[key];
      if (knownBlock !== undefined) {
        const items = Array.isArray(body[key]) ? (body[key] as unknown[]) : [body[key]];
        items.forEach((item, index) => {
          if (isObject(item))
            strip(item, knownBlock.block, pinned?.block_types?.[key]?.block, Array.isArray(body[key]) ? `${path}.${key}[${index}]` : `${path}.${key}`, false);
        });
        continue;
      }
      const attribute = pinned?.attributes?.[key];
      const blockType = pinned?.block_types?.[key];
      if (attribute !== undefined) findings.push(...checkAttribute(body[key], attribute, `${path}.${key}`));
      else if (blockType !== undefined) findings.push(...checkBlockType(body[key], blockType, `${path}.${key}`));
      else findings.push({ path: `${path}.${key}`, message: `unknown to the provider binary and not in the schema extract of ${version}` });
      checked.push(`${path}.${key}`);
      delete body[key];
    }
  };

  for (const kind of ['resource', 'data'] as const) {
    const blocks = stack[kind];
    if (!isObject(blocks)) continue;
    const schemas = kind === 'resource' ? binary.resource_schemas : binary.data_source_schemas;
    for (const [type, instances] of Object.entries(blocks)) {
      if (!isObject(instances)) continue;
      const known = schemas[type]?.block;
      const pinned = kind === 'resource' ? extract.resource_schemas[type] : undefined;
      for (const [name, body] of Object.entries(instances)) {
        if (!isObject(body)) continue;
        const path = `${kind}.${type}.${name}`;
        if (known !== undefined) {
          strip(body, known, pinned?.block, path, true);
        } else if (pinned !== undefined && pinned.partial === undefined) {
          findings.push(...checkBody(body, pinned.block, path, { topLevel: true }));
          checked.push(path);
        } else {
          findings.push({ path, message: `resource type unknown to the provider binary and not in the schema extract of ${version}` });
        }
      }
      if (known === undefined) {
        delete blocks[type];
        removedTypes.add(type);
      }
    }
  }

  // References to a resource taken out go to a terraform_data stand-in, once their attribute is known to exist.
  if (removedTypes.size > 0) {
    const standIns: Json = {};
    const pattern = new RegExp(`\\b(${[...removedTypes].join('|')})\\.([A-Za-z0-9_-]+)((?:\\[[^\\]]*\\])?)(?:\\.([A-Za-z0-9_]+))?`, 'g');
    rewriteStrings(stack, (text) =>
      text.replace(pattern, (_match, type: string, name: string, index: string, attribute: string | undefined) => {
        const standIn = `${type}__${name}`;
        standIns[standIn] = {};
        if (attribute !== undefined && !hasMember(extract.resource_schemas[type]?.block, attribute)) {
          findings.push({ path: `${type}.${name}.${attribute}`, message: `a reference to an attribute ${type} does not have in ${version}` });
        }
        return `terraform_data.${standIn}${attribute === undefined ? '' : `.output${index}`}`;
      }),
    );
    const resources = (stack.resource ?? {}) as Json;
    resources.terraform_data = { ...(resources.terraform_data as Json | undefined), ...standIns };
    stack.resource = resources;
  }
  return { findings, checked, removedTypes };
}

/** Empty placeholders for the files a stack reads from `${path.module}/…` that do not exist. */
function placeholders(stack: Json, directory: string, root: string): string[] {
  const created: string[] = [];
  for (const text of strings(stack)) {
    for (const match of text.matchAll(/\$\{path\.module\}\/([^"\\}$]+)/g)) {
      const file = resolve(directory, match[1] ?? '');
      if (!file.startsWith(root + sep) || existsSync(file)) continue;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, '');
      created.push(relative(root, file));
    }
  }
  return created;
}

function diagnosticsOf(output: string, fallback: string): Diagnostic[] {
  try {
    const parsed = JSON.parse(output) as {
      diagnostics?: Array<{
        severity: string;
        summary: string;
        detail?: string;
        snippet?: { context?: string };
        range?: { filename: string; start: { line: number } };
      }>;
    };
    return (parsed.diagnostics ?? []).map((diagnostic) => ({
      severity: diagnostic.severity === 'warning' ? 'warning' : 'error',
      summary: diagnostic.summary,
      detail: diagnostic.detail ?? '',
      where: diagnostic.snippet?.context ?? (diagnostic.range === undefined ? '' : `${diagnostic.range.filename}:${diagnostic.range.start.line}`),
    }));
  } catch {
    return [{ severity: 'error', summary: 'terraform validate failed', detail: fallback.trim(), where: '' }];
  }
}

/** The mirror provider's schema (`terraform providers schema -json` in a directory of its own), cached by the mirror entry's identity. */
async function binarySchema(binary: string, work: string, env: NodeJS.ProcessEnv, cacheDir: string, mirror: string, version: string): Promise<ProviderSchemas> {
  const entry = join(mirror, ...AWS_PROVIDER.split('/'), version);
  const stamp = existsSync(entry) ? Math.round(statSync(entry).mtimeMs) : 'packed';
  const cache = join(cacheDir, `aws-${version}-${stamp}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as ProviderSchemas;
  const directory = join(work, 'provider-schema');
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'main.tf.json'), JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version } } } }));
  const init = await terraform(binary, [`-chdir=${directory}`, 'init', '-backend=false', '-input=false', '-no-color'], env);
  if (init.code !== 0) throw new Error(`terraform init (provider schema) failed:\n${init.stderr.trim() || init.stdout.trim()}`);
  const result = await terraform(binary, [`-chdir=${directory}`, 'providers', 'schema', '-json'], env);
  if (result.code !== 0) throw new Error(`terraform providers schema failed: ${result.stderr.trim()}`);
  const schemas = (JSON.parse(result.stdout) as { provider_schemas: Record<string, ProviderSchemas> }).provider_schemas[AWS_PROVIDER];
  if (schemas === undefined) throw new Error(`terraform providers schema: no schema for ${AWS_PROVIDER}`);
  const kept = { resource_schemas: schemas.resource_schemas, data_source_schemas: schemas.data_source_schemas };
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cache, JSON.stringify(kept));
  return kept;
}

/** Synthesizes every stack of the configs and runs terraform init and validate on each. */
export async function validateStacks(options: ValidateOptions): Promise<ValidationReport> {
  const root = resolve(options.root ?? '.');
  const binary = options.terraform ?? 'terraform';
  const mode = options.mirror !== undefined ? 'mirror' : options.registry === true ? 'registry' : undefined;
  if (mode === undefined) throw new Error(`no provider source: set ${MIRROR_ENV} to a filesystem mirror, or pass registry`);
  const work = options.workDir ?? mkdtempSync(join(tmpdir(), 'gantry-validate-'));
  mkdirSync(work, { recursive: true });
  try {
    return await validateIn(work, root, binary, mode, options);
  } finally {
    if (options.workDir === undefined) rmSync(work, { recursive: true, force: true });
  }
}

async function validateIn(work: string, root: string, binary: string, mode: 'mirror' | 'registry', options: ValidateOptions): Promise<ValidationReport> {
  // Terraform's CLI config. Mirror mode: the mirror only (an unpacked mirror is linked, not copied). Registry
  // mode: a plugin cache, so the provider is downloaded once for every stack.
  const mirror = options.mirror === undefined ? undefined : resolve(options.mirror);
  const versions = mirror === undefined ? [] : mirrorVersions(mirror);
  if (mirror !== undefined && versions.length === 0) throw new Error(`${MIRROR_ENV}=${mirror}: no ${AWS_PROVIDER} in that filesystem mirror`);
  const cliConfig = join(work, 'terraform.rc');
  const pluginCache = join(work, 'plugin-cache');
  if (mirror === undefined) mkdirSync(pluginCache, { recursive: true });
  writeFileSync(
    cliConfig,
    [
      ...(mirror === undefined
        ? [`plugin_cache_dir = ${JSON.stringify(pluginCache)}`]
        : ['provider_installation {', '  filesystem_mirror {', `    path = ${JSON.stringify(mirror)}`, '  }', '}']),
      '',
    ].join('\n'),
  );
  const { TF_PLUGIN_CACHE_DIR: _ignored, ...inherited } = process.env;
  const env = { ...inherited, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };

  // Synthesize every config into its own tree, each stack at its working directory.
  const started = performance.now();
  const stacks: Array<{ label: string; config: string; environment: string; directory: string; base: string; json: Json }> = [];
  for (const [index, config] of (options.configs ?? [DEFAULT_CONFIG_FILE]).entries()) {
    const label = `${index + 1}-${basename(dirname(resolve(root, config)))}`;
    const result = await synthesize({ configFile: config, root, outdir: join(work, 'synth', label) });
    for (const stack of result.stacks) {
      const env = result.config.environments.get(stack.environment);
      if (env === undefined) throw new Error(`${config}: no environment ${stack.environment}`);
      const base = join(work, 'stacks', label);
      stacks.push({
        label: `${relative(root, isAbsolute(config) ? config : join(root, config))}/${stack.environment}`,
        config,
        environment: stack.environment,
        directory: join(base, env.terraform.workingDirectory),
        base,
        json: JSON.parse(readFileSync(stack.file, 'utf8')) as Json,
      });
    }
  }
  const synthMs = performance.now() - started;
  const pinnedVersion = ((stacks[0]?.json.terraform as Json | undefined)?.required_providers as Record<string, { version: string }> | undefined)?.aws?.version;
  if (pinnedVersion === undefined) throw new Error('the stacks pin no hashicorp/aws version');
  // The pinned version when the mirror has it, else the mirror's newest.
  const providerVersion = versions.includes(pinnedVersion) ? pinnedVersion : (versions[0] ?? pinnedVersion);
  const extract = mode === 'mirror' ? loadSchemaExtract(pinnedVersion) : undefined;

  const limit = pLimit(options.concurrency ?? 2);
  const prepare = async (stack: (typeof stacks)[number]) => {
    mkdirSync(stack.directory, { recursive: true });
    const copy = structuredClone(stack.json);
    if (mode === 'mirror') ((copy.terraform as Json).required_providers as Record<string, Json>).aws = { source: 'hashicorp/aws', version: providerVersion };
    const file = join(stack.directory, 'cdk.tf.json');
    writeFileSync(file, JSON.stringify(copy, null, 2));
    const initStarted = performance.now();
    const init = await terraform(binary, [`-chdir=${stack.directory}`, 'init', '-backend=false', '-input=false', '-no-color'], env);
    if (init.code !== 0) throw new Error(`${stack.label}: terraform init failed:\n${init.stderr.trim() || init.stdout.trim()}`);
    return { ...stack, copy, file, initMs: performance.now() - initStarted };
  };
  // Terraform's plugin cache is not safe for concurrent writers: with one (registry mode), one init at a time.
  const initLimit = mirror === undefined ? pLimit(1) : limit;
  const prepared = await Promise.all(stacks.map((stack) => initLimit(() => prepare(stack))));

  const schemaStarted = performance.now();
  const binarySchemas =
    mirror === undefined
      ? undefined
      : await binarySchema(binary, work, env, options.cacheDir ?? join(root, 'node_modules', '.cache', 'gantry-terraform'), mirror, providerVersion);
  const schemaMs = performance.now() - schemaStarted;

  const results = await Promise.all(
    prepared.map((stack) =>
      limit(async (): Promise<StackValidation> => {
        let schemaFindings: SchemaFinding[] = [];
        let checkedAgainstExtract: string[] = [];
        if (binarySchemas !== undefined && extract !== undefined) {
          const stripped = stripUnknown(stack.copy, binarySchemas, extract);
          schemaFindings = stripped.findings;
          checkedAgainstExtract = stripped.checked;
          writeFileSync(stack.file, JSON.stringify(stack.copy, null, 2));
        }
        const created = placeholders(stack.copy, stack.directory, stack.base);
        const validateStarted = performance.now();
        const validated = await terraform(binary, [`-chdir=${stack.directory}`, 'validate', '-json', '-no-color'], env);
        const validateMs = performance.now() - validateStarted;
        return {
          label: stack.label,
          config: stack.config,
          environment: stack.environment,
          directory: stack.directory,
          initMs: stack.initMs,
          validateMs,
          diagnostics: diagnosticsOf(validated.stdout, validated.stderr),
          schemaFindings,
          checkedAgainstExtract,
          placeholders: created,
        };
      }),
    ),
  );
  const ok = results.every((stack) => stack.schemaFindings.length === 0 && stack.diagnostics.every((diagnostic) => diagnostic.severity !== 'error'));
  return { mode, providerVersion, pinnedVersion, synthMs, schemaMs, stacks: results, ok };
}

/** The report as lines: one per stack, then every error and finding. */
export function formatReport(report: ValidationReport): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `terraform validate with hashicorp/aws ${report.providerVersion} (${report.mode === 'mirror' ? 'filesystem mirror' : 'registry'})` +
      (report.mode === 'mirror' && report.providerVersion !== report.pinnedVersion
        ? `; what it does not know is checked against the ${report.pinnedVersion} schema extract`
        : ''),
    `synth ${seconds(report.synthMs)}${report.mode === 'mirror' ? `, provider schema ${seconds(report.schemaMs)}` : ''}`,
  ];
  for (const stack of report.stacks) {
    const errors = stack.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length + stack.schemaFindings.length;
    const extract = stack.checkedAgainstExtract.length === 0 ? '' : `; ${stack.checkedAgainstExtract.length} checked against the extract`;
    lines.push(
      `${errors === 0 ? 'ok  ' : 'FAIL'} ${stack.label}: init ${seconds(stack.initMs)}, validate ${seconds(stack.validateMs)}${extract}${errors === 0 ? '' : `; ${errors} error(s)`}`,
    );
    for (const diagnostic of stack.diagnostics) {
      lines.push(
        `     terraform ${diagnostic.severity}: ${diagnostic.summary}${diagnostic.where === '' ? '' : ` (${diagnostic.where})`}: ${diagnostic.detail.replace(/\s+/g, ' ')}`,
      );
    }
    for (const finding of stack.schemaFindings) lines.push(`     schema ${report.pinnedVersion}: ${finding.path}: ${finding.message}`);
  }
  lines.push(report.ok ? `all ${report.stacks.length} stacks valid` : 'terraform validation failed');
  return lines.join('\n');
}
