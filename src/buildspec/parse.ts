/**
 * Reads a CodeBuild buildspec (version 0.2) for the local runner. Every problem becomes one
 * {@link ConfigError} line: `file:line:col: path.in.file: what is expected`, like the config file's.
 *
 * Scalars are read with YAML's failsafe schema: CodeBuild treats every value as text, so `- false` is the
 * command `false` and `VERSION: 1.10` keeps its trailing zero.
 */
import { z } from 'zod';
import { type DescribedIssue, type IssueContext, parseYamlFile } from '../yaml-file.js';

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
const variableName = z
  .string({ error: 'expected a variable name' })
  .regex(VARIABLE_NAME, 'expected a variable name (letters, digits and "_", not starting with a digit)');
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
  const { data } = parseYamlFile(text, file, BuildspecSchema, {
    scalarsAsStrings: true,
    expected: 'schema',
    duplicateKey: () => 'duplicate key; each key may appear once',
    reword,
  });
  return resolve(data, file);
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

/** The buildspec's own wording on top of the shared one: keys CodeBuild knows but the runner does not, variable names, quoting. */
function reword(issue: z.core.$ZodIssue, described: DescribedIssue, { allowedKeysAt, describeValue }: IssueContext): string | undefined {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const [key] = issue.keys;
    // zod reports unrecognized_keys with at least one key; without one, the shared wording stands.
    if (key === undefined) return undefined;
    const where = path.length === 0 ? '' : path[0] === 'phases' && path.length === 2 ? 'phase' : String(path[0]);
    return UNSUPPORTED_KEYS[where]?.includes(key)
      ? `"${key}" is not supported by the local buildspec runner; supported here: ${allowedKeysAt(path).join(', ')}`
      : undefined;
  }
  if (issue.code === 'invalid_key') {
    return `${describeValue(path[path.length - 1])} is not a valid name: ${issue.issues[0]?.message ?? issue.message}`;
  }
  // `- echo a: b` is a mapping to YAML; the fix is quoting, which nobody guesses from "got a mapping".
  if (typeof issue.input === 'object' && typeof path[path.length - 1] === 'number') return `${described.problem}; quote an item that contains ": "`;
  return undefined;
}
