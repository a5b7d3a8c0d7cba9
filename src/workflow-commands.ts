/**
 * The runner's own mechanisms for talking back, written directly: workflow commands on stdout (`::error::`,
 * `::group::`, `::stop-commands::`) and the environment files (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`).
 *
 * Why not @actions/core: it is the same few lines of protocol, but importing it loads @actions/http-client
 * and undici (~430 KB minified) for an OIDC helper gantry never calls, and every action would pay that before
 * it could even say that an input is missing. The formats below follow @actions/core 3.0.1
 * (lib/command.js `escapeData`/`escapeProperty`, lib/file-command.js `prepareKeyValueMessage`) and GitHub's
 * "Workflow commands for GitHub Actions" reference.
 *
 * Lines end in \n: the runner reads them with .NET's ReadLine, which ends a line at \n on every platform, so
 * node:os is not loaded for its EOL.
 */
// randomUUID comes from the global Web Crypto object (Node 19+): importing node:crypto would cost every start.
import { appendFileSync } from 'node:fs';

/** Escapes a command's message, as the runner unescapes it (`%`, CR and LF). */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property's value (also `:` and `,`, which separate properties). */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export type CommandProperties = Record<string, string | number | undefined>;

/** `::command prop=value,…::message`, one line. */
export function formatCommand(command: string, message: string, properties: CommandProperties = {}): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${command}${props === '' ? '' : ` ${props}`}::${escapeData(message)}`;
}

/** Writes a workflow command to stdout, where the runner reads it. */
export function issueCommand(command: string, message: string, properties?: CommandProperties): void {
  process.stdout.write(`${formatCommand(command, message, properties)}\n`);
}

/**
 * Sets a step output through the GITHUB_OUTPUT file (a heredoc with a random delimiter, so a value can hold
 * newlines and never ends the heredoc early). Outside a runner there is no file; the output is then written as
 * the deprecated `::set-output` command, which is what a local run of the action shows.
 */
export function setOutput(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_OUTPUT;
  if (file === undefined || file === '') {
    process.stdout.write('\n');
    issueCommand('set-output', value, { name });
    return;
  }
  const delimiter = `ghadelimiter_${globalThis.crypto.randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`output ${name} contains the heredoc delimiter`);
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`, 'utf8');
}

/** Appends Markdown to the job summary; outside a runner (no GITHUB_STEP_SUMMARY) there is nowhere to write it. */
export function appendSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return;
  appendFileSync(file, `${markdown}\n`, 'utf8');
}

/** Fails the step: an error annotation and exit code 1 once the process ends. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  issueCommand('error', message);
}
