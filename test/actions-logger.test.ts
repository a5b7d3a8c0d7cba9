/**
 * The Actions logger against GitHub's runner (modelled in helpers/runner-commands.ts): a line of someone else's
 * output is never obeyed as a workflow command, in any of the forms the runner reads, while gantry's own
 * commands (groups, annotations) still are.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ActionsLogger } from '../src/actions-logger.js';
import { CommandStream, stdout as processStdout, setFailed } from '../src/workflow-commands.js';
import { INJECTED_LINES, obeyedCommands } from './helpers/runner-commands.js';

let written: string[];
beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  // The process's stream is shared: a region a test left open would swallow the next test's first lines.
  processStdout.resume();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const stdout = () => written.join('');

describe('ActionsLogger.output: build log lines are never workflow commands', () => {
  it.each(INJECTED_LINES.map((line) => [JSON.stringify(line), line]))('%s is printed, not obeyed', (_name, line) => {
    const logger = new ActionsLogger();
    logger.output(line);
    logger.info('gantry: done');
    expect(obeyedCommands(stdout())).toEqual([]);
    expect(stdout()).toContain(line);
  });

  it('all six in one phase group: only gantry’s own commands are obeyed, each group opened and closed', () => {
    const logger = new ActionsLogger();
    logger.startGroup('BUILD');
    for (const line of INJECTED_LINES) logger.output(line);
    logger.endGroup();
    logger.startGroup('POST_BUILD');
    logger.output('::error::forged annotation');
    logger.endGroup();
    logger.warning('a warning of gantry’s own');
    setFailed('the build failed');
    expect(obeyedCommands(stdout()).map(({ command, data }) => `${command}:${data}`)).toEqual([
      'group:BUILD',
      'endgroup:',
      'group:POST_BUILD',
      'endgroup:',
      'warning:a warning of gantry’s own',
      'error:the build failed',
    ]);
  });

  it('any line, whatever it holds, is obeyed as nothing (property)', () => {
    const fragment = fc.constantFrom('::', '##[', ']', '\n', '\r', '\r\n', '\u0085', '\u2028', ' ', 'set-output name=x', 'add-mask', 'stop-commands', 'error');
    const line = fc.array(fc.oneof(fragment, fc.string({ maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        written = [];
        const logger = new ActionsLogger();
        logger.startGroup('BUILD');
        for (const text of lines) logger.output(text);
        logger.endGroup();
        expect(obeyedCommands(stdout()).map(({ command }) => command)).toEqual(['group', 'endgroup']);
      }),
    );
  });

  it('gantry’s own info text that looks like a command is not obeyed either', () => {
    const logger = new ActionsLogger();
    logger.info('plan comment updated: https://github.com/o/r/pull/1\n::set-output name=x::y');
    logger.info('text with ##[add-mask]secret in it');
    expect(obeyedCommands(stdout())).toEqual([]);
  });
});

describe('CommandStream: stop-commands regions', () => {
  const stream = (tokens: string[]) => {
    const out: string[] = [];
    const queue = [...tokens];
    const commands = new CommandStream({
      write: (text) => out.push(text),
      newToken: () => {
        const token = queue.shift();
        if (token === undefined) throw new Error('test ran out of tokens');
        return token;
      },
    });
    return { commands, text: () => out.join('') };
  };

  it('opens one region for consecutive lines, ends it before a command of its own, and opens the next with a fresh token', () => {
    const { commands, text } = stream(['tok-a', 'tok-b']);
    commands.untrusted('one');
    commands.untrusted('two');
    commands.command('::group::BUILD');
    commands.untrusted('three');
    commands.resume();
    commands.resume();
    expect(text()).toBe('::stop-commands::tok-a\none\ntwo\n::tok-a::\n::group::BUILD\n::stop-commands::tok-b\nthree\n::tok-b::\n');
  });

  it('a line holding the open region’s token, in any case and either form, does not end it early', () => {
    const { commands, text } = stream(['tok-a', 'tok-b', 'tok-c']);
    commands.untrusted('before');
    commands.untrusted('::TOK-A::\n::set-output name=status::forged');
    commands.untrusted('##[tok-b]::add-mask::forged');
    commands.resume();
    expect(obeyedCommands(text())).toEqual([]);
    expect(text()).toContain('::TOK-A::\n::set-output name=status::forged');
    expect(text().match(/::stop-commands::/g)).toHaveLength(3);
  });

  it('never opens a region with a token the line holds', () => {
    const { commands, text } = stream(['tok-a', 'tok-b']);
    commands.untrusted('::tok-a::');
    commands.resume();
    expect(text()).toBe('::stop-commands::tok-b\n::tok-a::\n::tok-b::\n');
    expect(obeyedCommands(text())).toEqual([]);
  });

  it('draws a random UUID token by default, a new one per region', () => {
    const out: string[] = [];
    const commands = new CommandStream({ write: (text) => out.push(text) });
    commands.untrusted('a');
    commands.command('::endgroup::');
    commands.untrusted('b');
    commands.resume();
    const tokens = [...out.join('').matchAll(/::stop-commands::(.+)\n/g)].map((match) => match[1]);
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('prints gantry’s own text as it is unless the runner could read a command in it', () => {
    const { commands, text } = stream(['tok-a']);
    commands.text('CodeBuild log: https://console.aws.amazon.com/x');
    commands.text('odd but ours: a::b');
    commands.resume();
    expect(text()).toBe('CodeBuild log: https://console.aws.amazon.com/x\n::stop-commands::tok-a\nodd but ours: a::b\n::tok-a::\n');
  });
});
