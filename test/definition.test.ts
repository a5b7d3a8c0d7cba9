/**
 * One definition per action: the input types, the shared parser, and the files generated from the definitions.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { orphanActionFolders, staleGeneratedFiles } from '../scripts/generate.js';
import { defineCommand, parseInputs } from '../src/definition/define.js';
import { boolean, choice, decimal, integer, json, list, pattern, seconds, text } from '../src/definition/input-types.js';
import { ACTIONS } from '../src/definitions/index.js';
import { actionInputSource, cliInputSource } from '../src/inputs.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

const command = defineCommand({
  inputs: {
    environment: { description: 'Environment.', type: pattern(/^[a-z]+$/, 'an environment name'), required: true, hint: 'for example dev' },
    keep: { description: 'Versions to keep.', type: integer(1, 100), default: '5' },
    wait: { description: 'Wait.', type: boolean(), default: 'true' },
    timeout: { description: 'Timeout.', type: seconds(1, 10) },
    rate: { description: 'Rate.', type: decimal(0, 100, 'requests per second', { exclusiveMin: true }) },
    mode: { description: 'Mode.', type: choice(['plan', 'apply'] as const) },
    functions: { description: 'Functions.', type: list() },
    payload: { description: 'Payload.', type: json() },
    note: { description: 'Note.', type: text(10) },
    secret: { description: 'Action only.', type: text(), only: 'action' },
  },
  cli: { name: 'test', summary: 'A test command.', run: async () => 0 },
});

const fromAction = (env: Record<string, string>) => parseInputs(command, actionInputSource(env), {}, 'action');
const fromCli = (values: Record<string, string | string[]>) => parseInputs(command, cliInputSource(values), {}, 'cli');

describe('parseInputs', () => {
  it('reads INPUT_ variables the way the runner sets them, applies defaults and treats empty as unset', () => {
    const values = fromAction({
      INPUT_ENVIRONMENT: 'dev',
      INPUT_KEEP: '',
      INPUT_TIMEOUT: '2.5',
      INPUT_FUNCTIONS: 'a, b\nc\n\na',
      INPUT_PAYLOAD: '{ "ping": 1 }',
    });
    expect(values).toEqual({
      environment: 'dev',
      keep: 5,
      wait: true,
      timeout: 2.5,
      rate: undefined,
      mode: undefined,
      functions: ['a', 'b', 'c'],
      payload: '{"ping":1}',
      note: undefined,
      secret: undefined,
    });
  });

  it('names the missing input and how to set it, for actions and for the CLI', () => {
    expect(() => fromAction({})).toThrow(`input "environment": is required: set "environment" in the step's with: block (for example dev)`);
    expect(() => fromCli({})).toThrow('option --environment: is required: pass --environment (for example dev)');
  });

  it.each([
    ['true', true],
    ['True', true],
    ['FALSE', false],
    ['false', false],
  ])('accepts the boolean %s', (raw, expected) => {
    expect(fromAction({ INPUT_ENVIRONMENT: 'dev', INPUT_WAIT: raw }).wait).toBe(expected);
  });

  it.each([
    [{ INPUT_WAIT: 'yes' }, 'input "wait": must be true or false, got "yes"'],
    [{ INPUT_KEEP: 'x' }, 'input "keep": must be a whole number from 1 to 100, got "x"'],
    [{ INPUT_KEEP: '101' }, 'input "keep": must be a whole number from 1 to 100, got 101'],
    [{ INPUT_KEEP: '0' }, 'input "keep": must be a whole number from 1 to 100, got 0'],
    [{ INPUT_TIMEOUT: '11' }, 'input "timeout": must be a number of seconds from 1 to 10, got "11"'],
    [{ INPUT_RATE: '0' }, 'input "rate": must be requests per second, a number above 0 and at most 100, got "0"'],
    [{ INPUT_RATE: '-5' }, 'input "rate": must be requests per second, a number above 0 and at most 100, got "-5"'],
    [{ INPUT_MODE: 'destroy' }, 'input "mode": must be one of plan, apply, got "destroy"'],
    [{ INPUT_NOTE: 'x'.repeat(11) }, 'input "note": must be at most 10 characters, got 11'],
    [{ INPUT_ENVIRONMENT: 'Dev' }, 'input "environment": must be an environment name, got "Dev"'],
  ])('refuses %o in one line naming the input', (env, message) => {
    const thrown = (() => {
      try {
        fromAction({ INPUT_ENVIRONMENT: 'dev', ...env });
      } catch (error) {
        return error as Error;
      }
      return undefined;
    })();
    expect(thrown?.message).toBe(message);
    expect(thrown?.message).not.toContain('\n');
  });

  it('explains broken JSON and cuts a long value short in the message', () => {
    expect(() => fromAction({ INPUT_ENVIRONMENT: 'dev', INPUT_PAYLOAD: '{ping}' })).toThrow(/^input "payload": must be valid JSON \(/);
    const huge = `A${'x'.repeat(100_000)}`;
    const message = (() => {
      try {
        fromAction({ INPUT_ENVIRONMENT: huge });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message.length).toBeLessThan(300);
    expect(message).toContain('(100001 characters)');
  });

  it('names a missing input before it parses any value, and names the inputs that may stand in for it', () => {
    // Prepare: a malformed value that parsing would refuse, and an input required unless another is given.
    const either = defineCommand({
      inputs: {
        environment: { description: 'e', type: pattern(/^[a-z]+$/, 'an environment name'), requiredUnless: ['functions'], hint: 'for example dev' },
        functions: { description: 'f', type: list({ regex: /^[a-z]+$/, what: 'names' }) },
        keep: { description: 'k', type: integer(1, 100) },
      },
      cli: { name: 'either', summary: 'test', run: async () => 0 },
    });
    const parse = (env: NodeJS.ProcessEnv) => parseInputs(either, actionInputSource(env), env, 'action');
    // Act / Assess: the missing input is named, not the malformed one; either input will do.
    expect(() => parse({ INPUT_KEEP: 'x' })).toThrow(
      `input "environment": is required: set "environment" in the step's with: block (for example dev), or give input "functions"`,
    );
    expect(parse({ INPUT_FUNCTIONS: 'a,b' })).toMatchObject({ environment: undefined, functions: ['a', 'b'] });
  });

  it.each(ACTIONS.map((definition) => [definition.name, definition] as const))(
    '%s: every requiredUnless names an input of the action and of the CLI',
    (_, definition) => {
      const inputs = definition.inputs as Record<string, { requiredUnless?: readonly string[]; only?: string }>;
      for (const [name, spec] of Object.entries(inputs)) {
        for (const other of spec.requiredUnless ?? []) {
          expect(inputs[other], `${name}.requiredUnless names ${other}`).toBeDefined();
          expect(inputs[other]?.only, `${other} must exist where ${name} does`).toBeUndefined();
        }
      }
    },
  );

  it('offers action-only inputs in actions only', () => {
    expect(fromAction({ INPUT_ENVIRONMENT: 'dev', INPUT_SECRET: 's' }).secret).toBe('s');
    expect(fromCli({ environment: 'dev', secret: 's' }).secret).toBeUndefined();
  });
});

describe('the action definitions', () => {
  it('generate the committed action.yml, entries, action READMEs and the generated sections of docs/ (npm run generate to fix)', async () => {
    expect(await staleGeneratedFiles()).toEqual([]);
  });

  it.each(ACTIONS.map((definition) => [definition.name, definition] as const))(
    '%s: action.yml runs the committed bundle and lists every input',
    (name, definition) => {
      const yml = parse(readFileSync(join(REPO_ROOT, 'actions', name, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown>; runs: unknown };
      expect(yml.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
      const actionInputs = Object.entries(definition.inputs)
        .filter(([, spec]) => spec.only !== 'cli')
        .map(([input]) => input);
      expect(Object.keys(yml.inputs)).toEqual(actionInputs);
    },
  );
});

describe('the drift checks', () => {
  it('name an action folder that no definition makes, so a renamed action does not linger runnable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gantry-orphans-'));
    for (const folder of ['actions/dist', 'actions/resolve-environment', 'actions/old-action']) mkdirSync(join(root, folder), { recursive: true });
    expect(await orphanActionFolders(root)).toEqual(['actions/old-action']);
  });
});
