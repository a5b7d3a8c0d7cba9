/**
 * Reads a CodeBuild buildspec (version 0.2) for the local runner. Every problem becomes one
 * {@link ConfigError} line: `file:line:col: path.in.file: what is expected`, like the config file's.
 *
 * Scalars are read with YAML's failsafe schema: CodeBuild treats every value as text, so `- false` is the
 * command `false` and `VERSION: 1.10` keeps its trailing zero.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigLocation } from '../errors.js';

export type PhaseType = 'INSTALL' | 'PRE_BUILD' | 'BUILD' | 'POST_BUILD';
export const PHASE_TYPES: readonly PhaseType[] = ['INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD'];

export interface BuildspecPhase {
  commands: string[];
  finally: string[];
  onFailure: 'ABORT' | 'CONTINUE';
  /** Accepted for compatibility; the local runner uses whatever is on PATH. */
  runtimeVersions: Record<string, string>;
}

export interface BuildspecArtifacts {
  files: string[];
  baseDirectory?: string;
  discardPaths: boolean;
}

export interface ParsedBuildspec {
  file: string;
  version: '0.2';
  env: { shell: 'bash'; variables: Record<string, string>; exportedVariables: string[] };
  /** All four phases; one the buildspec leaves out has no commands. */
  phases: Record<PhaseType, BuildspecPhase>;
  artifacts?: BuildspecArtifacts;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const variableName = z.string({ error: 'expected a variable name' }).regex(VARIABLE_NAME, 'expected a variable name (letters, digits and "_", not starting with a digit)');
const stringList = z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' });

const phaseFields = {
  commands: stringList.optional(),
  finally: stringList.optional(),
  'on-failure': z.enum(['ABORT', 'CONTINUE'], { error: 'expected ABORT or CONTINUE' }).optional(),
};

const BuildspecSchema = z.strictObject({
  version: z.literal('0.2', { error: 'expected 0.2, the only buildspec version the local runner supports' }),
  env: z
    .strictObject({
      shell: z.literal('bash', { error: 'expected bash, the only shell the local runner supports' }).optional(),
      variables: z.record(variableName, z.string({ error: 'expected a string' }), { error: 'expected a mapping of NAME: value' }).optional(),
      'exported-variables': z.array(variableName, { error: 'expected a list of variable names' }).optional(),
    })
    .optional(),
  phases: z
    .strictObject({
      install: z
        .strictObject({
          'runtime-versions': z.record(z.string(), z.string({ error: 'expected a version' }), { error: 'expected a mapping of runtime: version' }).optional(),
          ...phaseFields,
        })
        .optional(),
      pre_build: z.strictObject(phaseFields).optional(),
      build: z.strictObject(phaseFields).optional(),
      post_build: z.strictObject(phaseFields).optional(),
    })
    .optional(),
  artifacts: z
    .strictObject({
      files: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of file patterns' }).min(1, 'expected at least one file pattern'),
      'base-directory': z.string({ error: 'expected a directory' }).optional(),
      'discard-paths': z.enum(['yes', 'no', 'true', 'false'], { error: 'expected yes or no' }).optional(),
    })
    .optional(),
});

type RawBuildspec = z.infer<typeof BuildspecSchema>;

// Keys real CodeBuild knows but the local runner cannot honour: naming them as such beats "unknown key".
const UNSUPPORTED_KEYS: Record<string, string[]> = {
  '': ['run-as', 'proxy', 'batch', 'reports', 'cache'],
  env: ['parameter-store', 'secrets-manager', 'git-credential-helper'],
  phase: ['run-as'],
  artifacts: ['name', 'exclude-paths', 'enable-symlinks', 's3-prefix', 'secondary-artifacts'],
};

const PHASE_KEYS: Record<PhaseType, 'install' | 'pre_build' | 'build' | 'post_build'> = {
  INSTALL: 'install',
  PRE_BUILD: 'pre_build',
  BUILD: 'build',
  POST_BUILD: 'post_build',
};

/** Pure: buildspec text in, validated buildspec out (or a one-line ConfigError). */
export function parseBuildspec(text: string, file = 'buildspec.yml'): ParsedBuildspec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, schema: 'failsafe', merge: true, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const position = lineCounter.linePos(yamlError.pos[0]);
    const problem = yamlError.code === 'DUPLICATE_KEY' ? 'duplicate key; each key may appear once' : `not valid YAML: ${yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
    throw new ConfigError({ file, path: '', line: position.line, column: position.col }, problem);
  }

  const parsed = BuildspecSchema.safeParse(doc.toJS() ?? {}, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const { path, keyItself, problem } = describeIssue(issues[0]!);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new ConfigError(locate(doc, lineCounter, file, path, keyItself), problem + more);
  }
  return resolve(parsed.data, file);
}

function resolve(raw: RawBuildspec, file: string): ParsedBuildspec {
  const phase = (type: PhaseType): BuildspecPhase => {
    const given = raw.phases?.[PHASE_KEYS[type]];
    return {
      commands: given?.commands ?? [],
      finally: given?.finally ?? [],
      onFailure: given?.['on-failure'] ?? 'ABORT',
      runtimeVersions: (given !== undefined && 'runtime-versions' in given ? given['runtime-versions'] : undefined) ?? {},
    };
  };
  const artifacts = raw.artifacts;
  return {
    file,
    version: '0.2',
    env: { shell: 'bash', variables: raw.env?.variables ?? {}, exportedVariables: raw.env?.['exported-variables'] ?? [] },
    phases: { INSTALL: phase('INSTALL'), PRE_BUILD: phase('PRE_BUILD'), BUILD: phase('BUILD'), POST_BUILD: phase('POST_BUILD') },
    ...(artifacts === undefined
      ? {}
      : {
          artifacts: {
            files: artifacts.files,
            ...(artifacts['base-directory'] === undefined ? {} : { baseDirectory: artifacts['base-directory'] }),
            discardPaths: artifacts['discard-paths'] === 'yes' || artifacts['discard-paths'] === 'true',
          },
        }),
  };
}

interface DescribedIssue {
  path: PropertyKey[];
  /** Point at the key (an unknown key) rather than its value. */
  keyItself: boolean;
  problem: string;
}

function describeIssue(issue: z.core.$ZodIssue): DescribedIssue {
  const path = [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const allowed = allowedKeysAt(path).join(', ');
    const where = path.length === 0 ? '' : path[0] === 'phases' && path.length === 2 ? 'phase' : String(path[0]);
    const problem = UNSUPPORTED_KEYS[where]?.includes(key)
      ? `"${key}" is not supported by the local buildspec runner; supported here: ${allowed}`
      : `unknown key "${key}"; expected one of ${allowed}`;
    return { path: [...path, key], keyItself: true, problem };
  }
  if (issue.code === 'invalid_key') {
    return { path, keyItself: true, problem: `${describeValue(path[path.length - 1])} is not a valid name: ${issue.issues[0]?.message ?? issue.message}` };
  }
  // Every schema but the mappings carries its own "expected ..." message; mappings list their keys.
  const expected = issue.code === 'invalid_type' && issue.expected === 'object' ? `expected a mapping with ${allowedKeysAt(path).join(', ')}` : issue.message;
  if (issue.input === undefined) return { path, keyItself: false, problem: `is required (${expected})` };
  // `- echo a: b` is a mapping to YAML; the fix is quoting, which nobody guesses from "got a mapping".
  const hint = typeof issue.input === 'object' && typeof path[path.length - 1] === 'number' ? '; quote an item that contains ": "' : '';
  return { path, keyItself: false, problem: `${expected}, got ${describeValue(issue.input)}${hint}` };
}

function describeValue(value: unknown): string {
  if (value === null || value === '') return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function allowedKeysAt(path: PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = BuildspecSchema;
  for (const segment of [...path, undefined]) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (segment === undefined) break;
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(segment)];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return [];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Line and column of the deepest node on `path` that the document has. */
function locate(doc: Document, lineCounter: LineCounter, file: string, path: PropertyKey[], keyItself: boolean): ConfigLocation {
  let node: unknown = doc.contents;
  let offset = isScalar(node) || isMap(node) || isSeq(node) ? node.range?.[0] : undefined;
  for (const [index, segment] of path.entries()) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined || !isScalar(pair.key)) break;
      const value = pair.value;
      // An empty value's range is wherever the next line starts; its key is where the reader looks.
      if ((keyItself && index === path.length - 1) || value === null || (isScalar(value) && value.source === '')) {
        offset = pair.key.range?.[0] ?? offset;
        break;
      }
      next = value;
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
    } else {
      break;
    }
    if (!(isScalar(next) || isMap(next) || isSeq(next)) || next.range === undefined || next.range === null) break;
    node = next;
    offset = next.range[0];
  }
  const dotted = path.map(String).join('.');
  if (offset === undefined) return { file, path: dotted };
  const position = lineCounter.linePos(offset);
  return { file, path: dotted, line: position.line, column: position.col };
}
