/**
 * Generates every file that is derived from a definition, so that nothing is described twice:
 *   - per action (src/definitions/): `actions/<name>/action.yml`, the thin bundle entry `actions/<name>/index.ts`,
 *     and `actions/<name>/README.md` (inputs and outputs tables, usage);
 *   - between markers in hand-written docs ({@link DOC_SECTIONS}): the configuration reference (from the config
 *     schema) in docs/configuration.md, the CLI's commands in docs/cli.md, the index of the actions in
 *     docs/actions.md.
 * The CLI's options and --help are built from the same definitions at run time (scripts/cli/main.ts).
 *
 *   npm run generate            rewrite the generated files
 *   npm run generate -- --check fail, naming each file, when a committed file differs from what this generates
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type ActionDefinition, type InputSpec, type InputSpecs, inputsFor } from '../src/definition/define.js';
import { ACTIONS } from '../src/definitions/index.js';
import { COMMANDS } from './cli/main.js';
import { END as CONFIG_END, START as CONFIG_START, configReference } from './config-docs.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// biome-ignore lint/suspicious/noExplicitAny: the generator handles definitions of every input and settings type.
type AnyAction = ActionDefinition<InputSpecs, any>;

const TEXT_FORMAT = /^text/;

/**
 * What action.yml and the tables say about an input: its description, the inputs that may stand in for it, and
 * its format unless it is free text.
 */
function describeInput(spec: InputSpec): string {
  const unless = spec.requiredUnless === undefined ? '' : ` Required unless ${spec.requiredUnless.join(' or ')} is given.`;
  return TEXT_FORMAT.test(spec.type.format) ? `${spec.description}${unless}` : `${spec.description}${unless} Takes ${spec.type.format}.`;
}

function definitionFile(definition: AnyAction): string {
  return `src/definitions/${definition.name}.ts`;
}

export function actionYml(definition: AnyAction): string {
  const inputs = Object.fromEntries(
    inputsFor(definition.inputs, 'action').map(([name, spec]) => {
      const fallback = spec.actionDefault ?? spec.default;
      // A default the runner evaluates makes the input optional for GitHub, whatever the parser demands.
      const required = spec.required === true && spec.actionDefault === undefined;
      return [name, { description: describeInput(spec), required, ...(fallback === undefined ? {} : { default: fallback }) }];
    }),
  );
  const outputs = Object.fromEntries(Object.entries(definition.outputs).map(([name, spec]) => [name, { description: spec.description }]));
  const document = {
    name: `gantry ${definition.name}`,
    description: definition.description,
    author: 'gantry',
    branding: definition.branding,
    inputs,
    outputs,
    runs: { using: 'node24', main: 'dist/index.js' },
  };
  return `# Generated from ${definitionFile(definition)} by "npm run generate": edit the definition, not this file.\n${stringify(document, { lineWidth: 118, defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN' })}`;
}

export function actionEntry(definition: AnyAction): string {
  const exported = definition.name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  return [
    `// Generated from ${definitionFile(definition)} by "npm run generate". The thin entry: parse the inputs, then`,
    '// load and run the action (src/run-action.ts); everything else lives in src/ and is tested there.',
    `import { ${exported} } from '../../src/definitions/${definition.name}.js';`,
    "import { runDefinedAction } from '../../src/run-action.js';",
    '',
    `await runDefinedAction(${exported});`,
    '',
  ].join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The inputs and outputs tables of an action's README. */
export function actionTables(definition: AnyAction): string {
  const inputs = inputsFor(definition.inputs, 'action').map(([name, spec]) => {
    const value = spec.actionDefault ?? spec.default;
    // A literal default is code; a computed one (defaultText) is prose.
    const fallback = value === undefined ? cell(spec.defaultText ?? '') : `\`${cell(value)}\``;
    const required = spec.required === true && spec.actionDefault === undefined ? 'yes' : 'no';
    return `| \`${name}\` | ${required} | ${fallback} | ${cell(describeInput(spec))} |`;
  });
  const outputs = Object.entries(definition.outputs).map(([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`);
  return [
    '| Input | Required | Default | Description |',
    '| --- | --- | --- | --- |',
    ...inputs,
    '',
    '| Output | Description |',
    '| --- | --- |',
    ...outputs,
  ].join('\n');
}

export function actionReadme(definition: AnyAction): string {
  const inputs = inputsFor(definition.inputs, 'action');
  const required = inputs.filter(([, spec]) => spec.required === true && spec.actionDefault === undefined);
  // An action with no required input on its own (version-prune takes one of three scopes) shows its first.
  const example = (required.length > 0 ? required : inputs.slice(0, 1)).map(([name]) => `      ${name}: ...`);
  const cliName = definition.cli?.name;
  // codebuild-run is described with the buildspecs it runs; the others in docs/actions.md, under their names.
  const behaviour = definition.name === 'codebuild-run' ? 'codebuild.md' : 'actions.md';
  return [
    `<!-- Generated from ${definitionFile(definition)} by "npm run generate": edit the definition, not this file. -->`,
    `# gantry ${definition.name}`,
    '',
    definition.description,
    '',
    '```yaml',
    `    - uses: OWNER/gantry/actions/${definition.name}@<ref>`,
    ...(example.length === 0 ? [] : ['      with:', ...example.map((line) => `  ${line}`)]),
    '```',
    '',
    actionTables(definition),
    '',
    ...(cliName === undefined
      ? []
      : [`The same from a shell or a CodeBuild buildspec: \`gantry ${cliName}\` (\`gantry ${cliName} --help\` lists its options).`, '']),
    `How it behaves: [docs/${behaviour}](../../docs/${behaviour}#${definition.name}). The config file: [docs/configuration.md](../../docs/configuration.md).`,
    'The whole delivery, and how to adopt gantry: [the README](../../README.md).',
    '',
  ].join('\n');
}

function replaceBetween(text: string, start: string, end: string, body: string, file: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1 || to < from) throw new Error(`${file}: the markers ${start} … ${end} are missing`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

export const CLI_START = '<!-- cli-reference:start (generated by npm run generate) -->';
export const CLI_END = '<!-- cli-reference:end -->';

/** The CLI's commands, one row each, from the same definitions `gantry --help` reads. */
export function cliReference(): string {
  const rows = COMMANDS.map(({ cli, inputs }) => {
    const required = inputsFor(inputs, 'cli')
      .filter(([, spec]) => spec.required === true)
      .map(([name]) => ` --${name} …`)
      .join('');
    return `| \`gantry ${cli.name}${cli.positional === undefined ? '' : ` ${cli.positional}`}${required}\` | ${cell(cli.summary)} |`;
  });
  return [
    '| Command | What it does |',
    '| --- | --- |',
    ...rows,
    '',
    '`gantry <command> --help` lists every option of a command, with its format and default.',
  ].join('\n');
}

export const ACTIONS_INDEX_START = '<!-- actions-index:start (generated by npm run generate) -->';
export const ACTIONS_INDEX_END = '<!-- actions-index:end -->';

/** One row per action: its README (the inputs and outputs tables) and what it does. */
export function actionsIndex(): string {
  const rows = (ACTIONS as readonly AnyAction[]).map(
    (definition) => `| [\`${definition.name}\`](../actions/${definition.name}/README.md) | ${cell(definition.description)} |`,
  );
  return ['| Action (inputs and outputs) | What it does |', '| --- | --- |', ...rows].join('\n');
}

/** A generated section of a hand-written Markdown file: the text between its two markers. */
export interface DocSection {
  /** Relative to the repository root. */
  file: string;
  start: string;
  end: string;
  body: () => string;
}

/** Where each generated section lives; `npm run generate -- --check` checks each of these files. */
export const DOC_SECTIONS: readonly DocSection[] = [
  { file: 'docs/configuration.md', start: CONFIG_START, end: CONFIG_END, body: configReference },
  { file: 'docs/cli.md', start: CLI_START, end: CLI_END, body: cliReference },
  { file: 'docs/actions.md', start: ACTIONS_INDEX_START, end: ACTIONS_INDEX_END, body: actionsIndex },
];

/** `text`, the content of `file`, with each of its generated sections replaced. */
export function withGeneratedSections(file: string, text: string): string {
  let result = text;
  for (const section of DOC_SECTIONS.filter((candidate) => candidate.file === file)) {
    result = replaceBetween(result, section.start, section.end, section.body(), file);
  }
  return result;
}

/** Every generated file: path relative to the root → the content it must have. */
export async function generatedFiles(root: string = ROOT): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const definition of ACTIONS as readonly AnyAction[]) {
    files.set(`actions/${definition.name}/action.yml`, actionYml(definition));
    files.set(`actions/${definition.name}/index.ts`, actionEntry(definition));
    files.set(`actions/${definition.name}/README.md`, actionReadme(definition));
  }
  for (const file of new Set(DOC_SECTIONS.map((section) => section.file))) {
    files.set(file, withGeneratedSections(file, await readFile(join(root, file), 'utf8')));
  }
  return files;
}

/** Folders under actions/ that no definition makes (a renamed or deleted action): GitHub would still run them. */
export async function orphanActionFolders(root: string = ROOT): Promise<string[]> {
  const defined = new Set<string>((ACTIONS as readonly AnyAction[]).map((definition) => definition.name));
  const entries = await readdir(join(root, 'actions'), { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory() && entry.name !== 'dist' && !defined.has(entry.name)).map((entry) => `actions/${entry.name}`);
}

/** The generated files whose committed content differs from a fresh generation, and orphaned action folders. */
export async function staleGeneratedFiles(root: string = ROOT): Promise<string[]> {
  const stale: string[] = [];
  for (const [path, content] of await generatedFiles(root)) {
    const committed = await readFile(join(root, path), 'utf8').catch(() => undefined);
    if (committed !== content) stale.push(path);
  }
  return [...stale, ...(await orphanActionFolders(root)).map((folder) => `${folder} (no definition in src/definitions/: delete it)`)];
}

async function main(): Promise<void> {
  try {
    await generate(process.argv.includes('--check'));
  } catch (error) {
    // A missing README marker, say: one line, not a stack.
    console.error(`generate: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

async function generate(check: boolean): Promise<void> {
  if (check) {
    const stale = await staleGeneratedFiles();
    if (stale.length > 0) {
      console.error(`Generated files out of date: ${stale.join(', ')}. Run "npm run generate" and commit the result.`);
      process.exitCode = 1;
      return;
    }
    console.log('All generated files match their definitions.');
    return;
  }
  for (const [path, content] of await generatedFiles()) {
    await writeFile(join(ROOT, path), content);
    console.log(`wrote ${path}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
