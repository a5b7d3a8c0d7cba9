/**
 * Reads and validates the deployment config file. This is the only YAML reader for config in gantry.
 *
 * Every problem becomes one {@link ConfigError} line: `file:line:col: path.in.file: what is expected`.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigLocation } from '../errors.js';
import { deriveEnvironmentNames, type EnvironmentNames } from './naming.js';
import { promotionOrder } from './promotion-order.js';
import { ConfigSchema, type FunctionSettings, type RawConfig, type RawEnvironment } from './schema.js';

/** Where the actions and the CLI look for the config unless told otherwise. */
export const DEFAULT_CONFIG_FILE = '.github/gantry.yml';

export type ResolvedFunction = FunctionSettings & { functionName: string; functionArn: string; aliasArn: string };

export interface EnvironmentConfig extends Omit<RawEnvironment, 'names' | 'after' | 'functions'> {
  name: string;
  /** The environment a commit must reach first; undefined for the first environment. */
  previous: string | undefined;
  names: EnvironmentNames;
  functions: ResolvedFunction[];
}

export interface GantryConfig {
  file: string;
  project: string;
  github: RawConfig['github'];
  /** Environment names in promotion order. */
  order: string[];
  environments: ReadonlyMap<string, EnvironmentConfig>;
}

export async function loadConfig(file: string = DEFAULT_CONFIG_FILE): Promise<GantryConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'file not found; create it or point the config input at it' : `cannot read the file (${code ?? String(error)})`;
    throw new ConfigError({ file, path: '' }, problem, { cause: error });
  }
  return parseConfig(text, file);
}

/** Pure: config text in, validated and resolved config out (or a ConfigError). */
export function parseConfig(text: string, file: string): GantryConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const locate = (path: PropertyKey[], keyItself = false) => locateInDocument(doc, lineCounter, file, path, keyItself);

  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const [start] = yamlError.pos;
    const position = lineCounter.linePos(start);
    const problem =
      yamlError.code === 'DUPLICATE_KEY'
        ? `duplicate key ${JSON.stringify(duplicateKeyAt(text, start))}; each key (and each environment) may appear once`
        : `not valid YAML: ${firstLine(yamlError.message)}`;
    throw new ConfigError({ file, path: '', line: position.line, column: position.col }, problem);
  }

  const parsed = ConfigSchema.safeParse(doc.toJS() ?? {}, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0]!;
    const { path, keyItself, problem } = describeIssue(first);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    const location = locate(path, keyItself);
    throw new ConfigError(location, problem + more);
  }
  return resolveConfig(parsed.data, file, locate);
}

function resolveConfig(raw: RawConfig, file: string, locate: (path: PropertyKey[], keyItself?: boolean) => ConfigLocation): GantryConfig {
  const fail = (path: PropertyKey[], problem: string, keyItself = false): never => {
    throw new ConfigError(locate(path, keyItself), problem);
  };

  const result = promotionOrder(new Map(Object.entries(raw.environments).map(([name, env]) => [name, env.after])));
  if ('problem' in result) fail(result.path, result.problem);
  const { order } = result as { order: string[] };

  const environments = new Map<string, EnvironmentConfig>();
  // Names must be unique within an account and region: two environments sharing a project or provider
  // would deploy over each other.
  const claimed = new Map<string, string>();
  const claim = (env: RawEnvironment, kind: string, name: string, path: PropertyKey[]) => {
    const key = `${env.account}/${env.region}/${kind}/${name}`;
    const owner = claimed.get(key);
    if (owner !== undefined) fail(path, `${kind} name "${name}" is already used by ${owner} in account ${env.account} ${env.region}; names must be unique per account and region`);
    claimed.set(key, path.join('.'));
  };

  for (const name of order) {
    const env = raw.environments[name]!;
    const seen = new Set<string>();
    env.functions.forEach((fn, index) => {
      if (seen.has(fn.name)) fail(['environments', name, 'functions', index, 'name'], `duplicate function "${fn.name}"; each function appears once per environment`);
      seen.add(fn.name);
    });
    const names = deriveEnvironmentNames(raw.project, name, env);
    const base = ['environments', name];
    claim(env, 'capacity provider', names.capacityProvider, [...base, 'names', 'capacityProvider']);
    claim(env, 'CodeBuild project', names.planProject, [...base, 'names', 'planProject']);
    claim(env, 'CodeBuild project', names.applyProject, [...base, 'names', 'applyProject']);
    claim(env, 'IAM role', names.deployRole, [...base, 'names', 'deployRole']);
    names.functions.forEach((fn, index) => claim(env, 'function', fn.functionName, [...base, 'functions', index, 'name']));

    const { after, names: _overrides, functions, ...settings } = env;
    environments.set(name, {
      ...settings,
      name,
      previous: after,
      names,
      functions: functions.map((fn, index) => {
        const derived = names.functions[index]!;
        return { ...fn, functionName: derived.functionName, functionArn: derived.functionArn, aliasArn: derived.aliasArn };
      }),
    });
  }
  return { file, project: raw.project, github: raw.github, order, environments };
}

/** Looks an environment up by name; the error lists the environments the config has. */
export function findEnvironment(config: GantryConfig, name: string): EnvironmentConfig | undefined {
  return config.environments.get(name);
}

export function describeEnvironments(config: GantryConfig): string {
  return config.order.join(', ');
}

interface DescribedIssue {
  path: PropertyKey[];
  /** Point at the key (an unknown key) rather than its value. */
  keyItself: boolean;
  problem: string;
}

function describeIssue(issue: z.core.$ZodIssue): DescribedIssue {
  const path = [...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const [key] = issue.keys;
      const allowed = allowedKeysAt(path);
      const expected = allowed.length > 0 ? `; expected one of ${allowed.join(', ')}` : '';
      return { path: [...path, key!], keyItself: true, problem: `unknown key "${key}"${expected}` };
    }
    case 'invalid_type': {
      const expected = describeExpected(issue.expected, path);
      if (issue.input === undefined) return { path, keyItself: false, problem: `is required (expected ${expected})` };
      return { path, keyItself: false, problem: `expected ${expected}, got ${describeValue(issue.input)}` };
    }
    case 'invalid_value':
      return {
        path,
        keyItself: false,
        problem: `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}, got ${describeValue(issue.input)}`,
      };
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? 'at least' : 'at most';
      const limit = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const what = issue.origin === 'array' ? `${bound} ${limit} item${limit === '1' ? '' : 's'}` : issue.origin === 'string' ? `${bound} ${limit} characters` : `${bound} ${limit}`;
      return { path, keyItself: false, problem: `expected ${what}, got ${describeValue(issue.input)}` };
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      return { path, keyItself: true, problem: `${describeValue(path[path.length - 1])} is not a valid key: ${inner?.message ?? issue.message}` };
    }
    default: {
      const got = describeValue(issue.input);
      // A mapping or list as "got" says nothing; a scalar already quoted in the message needs no repeat.
      const mentionsInput =
        issue.input === undefined || typeof issue.input === 'object' || (String(issue.input) !== '' && issue.message.includes(String(issue.input)));
      return { path, keyItself: false, problem: mentionsInput ? issue.message : `${issue.message}, got ${got}` };
    }
  }
}

/** zod's type names in YAML's words; a mapping lists the keys it takes. */
function describeExpected(expected: string, path: PropertyKey[]): string {
  if (expected === 'object' || expected === 'record') {
    const keys = allowedKeysAt(path);
    return keys.length > 0 ? `a mapping with ${keys.join(', ')}` : 'a mapping';
  }
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'a whole number';
  return `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The keys the schema allows at a path, for "unknown key" messages. */
function allowedKeysAt(path: PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = ConfigSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const def: z.core.$ZodTypeDef | undefined = schema?._zod.def;
    if (def === undefined) return [];
    if (def.type === 'object') schema = (def as z.core.$ZodObjectDef).shape[String(segment)];
    else if (def.type === 'record') schema = (def as z.core.$ZodRecordDef).valueType;
    else if (def.type === 'array') schema = (def as z.core.$ZodArrayDef).element;
    else return [];
  }
  const def = unwrap(schema)?._zod.def;
  return def?.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    const def = current._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) current = def.in;
    else break;
  }
  return current;
}

/** Line and column of the deepest node on `path` that exists in the document. */
function locateInDocument(doc: Document, lineCounter: LineCounter, file: string, path: PropertyKey[], keyItself: boolean): ConfigLocation {
  const dotted = path.map(String).join('.');
  let node: Node | null = doc.contents;
  let offset = node?.range?.[0];
  for (const segment of path) {
    if (!isMap(node) && !(node !== null && 'items' in node)) break;
    const items = (node as { items: unknown[] }).items;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      const isLast = segment === path[path.length - 1];
      if (keyItself && isLast && isScalar(pair.key)) {
        offset = pair.key.range?.[0] ?? offset;
        break;
      }
      next = pair.value ?? pair.key;
    } else {
      next = items[Number(segment)];
    }
    if (next === undefined || next === null || typeof next !== 'object' || !('range' in next)) break;
    node = next as Node;
    offset = node.range?.[0] ?? offset;
  }
  if (offset === undefined) return { file, path: dotted };
  const position = lineCounter.linePos(offset);
  return { file, path: dotted, line: position.line, column: position.col };
}

function duplicateKeyAt(text: string, offset: number): string {
  const match = /^[^:\n]*/.exec(text.slice(offset));
  return (match?.[0] ?? '').trim().replace(/^["']|["']$/g, '');
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
