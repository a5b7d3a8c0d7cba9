/**
 * The one way gantry reads a YAML file against a zod schema: the deployment config and the CodeBuild
 * buildspec both go through {@link parseYamlFile}.
 *
 * Every problem becomes one {@link ConfigError} line, `file:line:col: path.in.file: what is expected`: a YAML
 * syntax error or duplicate key where the parser stopped, otherwise the first schema issue at the node it
 * concerns, followed by "(and N more problems)" when there are others. The returned `locate` points later,
 * semantic checks at a node in the same way.
 *
 * A hostile file costs little and shows little: duplicate keys are found in one pass (the parser's own check
 * compares every key with every earlier one), an error raised while building the data (an alias bomb, an
 * alias without its anchor) is located like the rest, and a problem quotes at most the offending token, cut to
 * 60 characters; a file that is one bare value (an environment dump, a key file) is not quoted at all.
 */
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigLocation } from './errors.js';

/** Where a path in the file is: its value, or with `keyItself` the key naming it. */
export type Locate = (path: readonly PropertyKey[], keyItself?: boolean) => ConfigLocation;

/** One schema issue in the file's words. */
export interface DescribedIssue {
  path: PropertyKey[];
  /** Point at the key (an unknown key) rather than its value. */
  keyItself: boolean;
  problem: string;
}

/** What a {@link YamlFileOptions.reword} hook may use to build its own wording. */
export interface IssueContext {
  /** The keys the schema allows in the mapping at `path`; none when it is not a mapping with fixed keys. */
  allowedKeysAt(path: readonly PropertyKey[]): string[];
  /** A value as problems show it: `"five"`, `a list`, `a mapping`, ... */
  describeValue(value: unknown): string;
}

export interface YamlFileOptions {
  /**
   * Read every scalar as a string (YAML's failsafe schema), as CodeBuild does: `- false` is the text `false`
   * and `1.10` keeps its trailing zero. An empty value (`key:`) then reads as "", is described as "an empty
   * value", and is located at its key (the value itself has no text to point at).
   */
  scalarsAsStrings?: boolean;
  /**
   * How a problem says what was expected. `derived` (the default) words it from the issue in YAML's terms
   * ("expected a number", "expected at least 1 item"); `schema` uses each schema's own `error` message (every
   * schema then carries one, such as "expected a list of strings"). Either way a mapping lists its keys.
   */
  expected?: 'derived' | 'schema';
  /** The problem for a key that appears twice in one mapping. */
  duplicateKey?: (key: string) => string;
  /** Rewords the problem for an issue; undefined keeps the described one. "(and N more problems)" is added after. */
  reword?: (issue: z.core.$ZodIssue, described: DescribedIssue, context: IssueContext) => string | undefined;
}

export interface YamlFile<T> {
  data: T;
  locate: Locate;
}

/** Pure: YAML text in, data valid against `schema` out (or a one-line ConfigError). */
export function parseYamlFile<Schema extends z.ZodType>(text: string, file: string, schema: Schema, options: YamlFileOptions = {}): YamlFile<z.output<Schema>> {
  const scalarsAsStrings = options.scalarsAsStrings ?? false;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    ...(scalarsAsStrings ? { schema: 'failsafe' } : {}),
    merge: true,
    // The parser's own check compares each key with every earlier one of its mapping: 40,000 keys took 42 s.
    // firstDuplicateKey below does the same in one pass.
    uniqueKeys: false,
    prettyErrors: false,
  });
  const locate: Locate = (path, keyItself = false) => locateInDocument(doc, lineCounter, file, path, keyItself, scalarsAsStrings);
  const at = (offset: number): ConfigLocation => {
    const position = lineCounter.linePos(offset);
    return { file, path: '', line: position.line, column: position.col };
  };

  // The first problem in the file: a syntax error or a duplicate key, whichever comes first.
  const yamlError = doc.errors[0];
  const duplicate = firstDuplicateKey(doc);
  if (duplicate !== undefined && (yamlError === undefined || duplicate.offset <= yamlError.pos[0])) {
    throw new ConfigError(at(duplicate.offset), (options.duplicateKey ?? defaultDuplicateKey)(duplicate.key));
  }
  if (yamlError !== undefined) throw new ConfigError(at(yamlError.pos[0]), `not valid YAML: ${cut(firstLine(yamlError.message), 160)}`);

  const data = buildData(doc, at);
  const parsed = schema.safeParse(data ?? {}, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const [first] = issues;
    if (first === undefined) throw new Error(`${file}: the schema rejected the file without reporting an issue`);
    // A file that is one bare value is someone else's file (an environment dump, a key): none of it is quoted.
    const bare = data !== null && data !== undefined && typeof data !== 'object';
    const context: IssueContext = {
      allowedKeysAt: (path) => allowedKeysAt(schema, path),
      describeValue: (value) => (bare && value === data ? 'a single value, not key: value lines (not shown)' : describeValue(value, scalarsAsStrings)),
    };
    const described = describeIssue(first, options.expected ?? 'derived', context);
    const problem = options.reword?.(first, described, context) ?? described.problem;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new ConfigError(locate(described.path, described.keyItself), problem + more);
  }
  return { data: parsed.data, locate };
}

function defaultDuplicateKey(key: string): string {
  return `duplicate key ${quoteToken(key)}; each key may appear once`;
}

/** A token of the file (a key, a value) as a problem quotes it: JSON-quoted, so on one line, and cut to 60 characters. */
export function quoteToken(token: string): string {
  return cut(JSON.stringify(token), 60);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * The first key in the file that repeats one before it in the same mapping, by the parser's own rule (scalar
 * keys with the same value; a mapping or alias used as a key is never the same as another): one pass, a Set per
 * mapping. A merge key (`<<`) may repeat: each is a distinct value.
 */
function firstDuplicateKey(doc: Document): { key: string; offset: number } | undefined {
  let first: { key: string; offset: number } | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (!seen.has(key.value)) {
          seen.add(key.value);
          continue;
        }
        const offset = key.range?.[0] ?? 0;
        if (first === undefined || offset < first.offset) first = { key: String(key.value), offset };
        break;
      }
    },
  });
  return first;
}

/**
 * The document's data. The parser raises some problems only while building it (an alias without its anchor,
 * aliases that expand too far, a merge of something that is not a mapping) and says nothing of where; then it
 * is built again with every node noting a failure inside it, which stops at the same node, so the problem is
 * located like any other.
 */
function buildData(doc: Document, at: (offset: number) => ConfigLocation): unknown {
  try {
    return doc.toJS();
  } catch (error) {
    let failedAt: number | undefined;
    visit(doc, {
      Node(_key, node) {
        const target = node as unknown as Record<'toJSON' | 'resolve', ((...args: unknown[]) => unknown) | undefined>;
        for (const method of ['toJSON', 'resolve'] as const) {
          const original = target[method];
          if (typeof original !== 'function') continue;
          target[method] = (...args: unknown[]) => {
            try {
              return original.apply(node, args);
            } catch (inner) {
              // The innermost node sees the failure first.
              failedAt ??= node.range?.[0];
              throw inner;
            }
          };
        }
      },
    });
    try {
      doc.toJS();
    } catch {
      // The same failure, now located.
    }
    throw new ConfigError(at(failedAt ?? 0), buildProblem(error), { cause: error });
  }
}

/** The parser's message for a problem found while building the data, in the file's words. */
function buildProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('Excessive alias count'))
    return "too many aliases: expanding them would make the file's data too large (YAML's guard against resource exhaustion); write the values out";
  const unresolved = /^Unresolved alias \(the anchor must be set before the alias\): (.*)$/s.exec(message);
  if (unresolved !== undefined && unresolved !== null) {
    const name = cut(unresolved[1] ?? '', 40);
    return `alias *${name} has no anchor (&${name}) before it`;
  }
  if (message.startsWith('Merge sources must be maps')) return 'a merge key (<<) takes a mapping, an alias of one, or a list of them';
  return `not valid YAML: ${cut(firstLine(message), 160)}`;
}

function describeIssue(issue: z.core.$ZodIssue, style: 'derived' | 'schema', context: IssueContext): DescribedIssue {
  const path = [...issue.path];
  const { allowedKeysAt, describeValue } = context;
  if (issue.code === 'unrecognized_keys') {
    const [key] = issue.keys;
    if (key === undefined) throw new Error('zod reported unrecognized_keys without naming a key');
    const allowed = allowedKeysAt(path);
    const expected = allowed.length > 0 ? `; expected one of ${allowed.join(', ')}` : '';
    return { path: [...path, key], keyItself: true, problem: `unknown key ${quoteToken(key)}${expected}` };
  }
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    return { path, keyItself: true, problem: `${describeValue(path[path.length - 1])} is not a valid key: ${inner?.message ?? issue.message}` };
  }
  if (style === 'schema') {
    // Mappings carry no message of their own; they list their keys.
    const expected =
      issue.code === 'invalid_type' && issue.expected === 'object' ? `expected ${describeExpected(issue.expected, path, context)}` : issue.message;
    if (issue.input === undefined) return { path, keyItself: false, problem: `is required (${expected})` };
    return { path, keyItself: false, problem: `${expected}, got ${describeValue(issue.input)}` };
  }
  switch (issue.code) {
    case 'invalid_type': {
      const expected = describeExpected(issue.expected, path, context);
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
      const what =
        issue.origin === 'array'
          ? `${bound} ${limit} item${limit === '1' ? '' : 's'}`
          : issue.origin === 'string'
            ? `${bound} ${limit} characters`
            : `${bound} ${limit}`;
      return { path, keyItself: false, problem: `expected ${what}, got ${describeValue(issue.input)}` };
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
function describeExpected(expected: string, path: PropertyKey[], context: IssueContext): string {
  if (expected === 'object' || expected === 'record') {
    const keys = context.allowedKeysAt(path);
    return keys.length > 0 ? `a mapping with ${keys.join(', ')}` : 'a mapping';
  }
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'a whole number';
  return `a ${expected}`;
}

function describeValue(value: unknown, scalarsAsStrings: boolean): string {
  if (scalarsAsStrings && (value === null || value === '')) return 'an empty value';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The keys the schema allows at a path, for "unknown key" messages. */
function allowedKeysAt(root: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = root;
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

/** Through optional, default, nullable, pipe and the like to the schema that says what the value is. */
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
function locateInDocument(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  path: readonly PropertyKey[],
  keyItself: boolean,
  emptyValueAtKey: boolean,
): ConfigLocation {
  // Keys come from the file: one that is long or holds spaces or control characters is quoted and cut.
  const dotted = path.map((segment) => (/^[\x21-\x7e]{1,40}$/.test(String(segment)) ? String(segment) : quoteToken(String(segment)))).join('.');
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const [index, segment] of path.entries()) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined || !isScalar(pair.key)) break;
      const value = pair.value;
      // A missing value has no node; an empty one's range is just past the colon, so the key is the better mark.
      if ((keyItself && index === path.length - 1) || value === null || (emptyValueAtKey && isScalar(value) && value.source === '')) {
        offset = pair.key.range?.[0] ?? offset;
        break;
      }
      next = value;
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
    } else {
      break;
    }
    // An alias is marked where it stands; the path does not follow it to its anchor.
    if (!isNode(next) || next.range === undefined || next.range === null) break;
    node = next;
    offset = next.range[0];
  }
  if (offset === undefined) return { file, path: dotted };
  const position = lineCounter.linePos(offset);
  return { file, path: dotted, line: position.line, column: position.col };
}

function firstLine(message: string): string {
  const [first = message] = message.split('\n');
  return first.replace(/ at line \d+, column \d+:?$/, '');
}
