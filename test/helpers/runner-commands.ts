/**
 * What GitHub's runner would do with a step's stdout: the workflow commands it obeys, in order. A model of
 * actions/runner (src/Runner.Worker/ActionCommandManager.cs `TryProcessCommand`, src/Runner.Common/ActionCommand.cs
 * `TryParseV2` and `TryParse`), so a test can show that nothing in a build log is obeyed:
 *
 * - lines end at \n, \r\n or a bare \r (.NET's ReadLine);
 * - `::command props::data`: after .NET's TrimStart, which also drops U+0085, U+00A0, U+2028 and the rest of
 *   Unicode's white space;
 * - the legacy `##[command props]data`, anywhere in the line;
 * - command names compare without regard to case; only registered ones count;
 * - `::stop-commands::<token>` stops everything until a command named `<token>` (either form).
 */

/**
 * A build log line in each form that reaches the runner as a command when printed as it is: at the start, after
 * spaces, `##[...]` in mid-line, after an embedded newline, after a bare carriage return, after U+0085.
 */
export const INJECTED_LINES = [
  '::add-mask::at-line-start',
  '   ::set-output name=status::after-spaces',
  'Terraform said ##[set-output name=status]mid-line',
  'harmless first line\n::set-output name=status::after-a-newline',
  'harmless until the carriage return\r::set-output name=status::after-a-bare-CR',
  '\u0085::set-output name=status::after-U+0085',
];

/** The commands the runner registers (its IActionCommandExtension implementations). */
export const RUNNER_COMMANDS = [
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'warning',
  'error',
  'notice',
  'debug',
  'group',
  'endgroup',
  'echo',
] as const;

export interface ObeyedCommand {
  command: string;
  data: string;
  /** The line it came from. */
  line: string;
}

/** .NET's char.IsWhiteSpace, which String.TrimStart() uses. */
const DOTNET_WHITESPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** The runner's line split (StreamReader.ReadLine): \r\n, \n or \r. */
export function runnerLines(output: string): string[] {
  const lines = output.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function parse(line: string, registered: ReadonlySet<string>): { command: string; data: string } | undefined {
  // TryParseV2
  const trimmed = line.replace(DOTNET_WHITESPACE, '');
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2);
    if (end >= 0) {
      const info = trimmed.slice(2, end);
      const space = info.indexOf(' ');
      const name = space < 0 ? info : info.slice(0, space);
      if (registered.has(name.toLowerCase())) return { command: name, data: trimmed.slice(end + 2) };
    }
  }
  // TryParse (the ##[ form), tried when V2 did not match
  const prefix = line.indexOf('##[');
  if (prefix < 0) return undefined;
  const close = line.indexOf(']', prefix);
  if (close < 0) return undefined;
  const info = line.slice(prefix + 3, close);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (!name || !registered.has(name.toLowerCase())) return undefined;
  return { command: name, data: line.slice(close + 1) };
}

/** The commands the runner obeys in `output`, stop-commands and their resume tokens left out. */
export function obeyedCommands(output: string): ObeyedCommand[] {
  const registered = new Set<string>([...RUNNER_COMMANDS, 'stop-commands']);
  const obeyed: ObeyedCommand[] = [];
  let stopToken: string | undefined;
  for (const line of runnerLines(output)) {
    const parsed = parse(line, registered);
    if (parsed === undefined) continue;
    const name = parsed.command.toLowerCase();
    if (stopToken !== undefined) {
      if (name === stopToken) {
        registered.delete(stopToken);
        stopToken = undefined;
      }
      continue;
    }
    if (name === 'stop-commands') {
      // The runner refuses an empty token or one that is a command's name (ValidateStopToken).
      const token = parsed.data.toLowerCase();
      if (token === '' || registered.has(token)) throw new Error(`the runner would refuse the stop-commands token ${JSON.stringify(parsed.data)}`);
      stopToken = token;
      registered.add(token);
      continue;
    }
    obeyed.push({ command: name, data: parsed.data, line });
  }
  return obeyed;
}
