import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import {
  actionInputSource,
  booleanInput,
  choiceInput,
  cliInputSource,
  integerInput,
  jsonInput,
  listInput,
  requiredString,
  secondsInput,
} from '../src/inputs.js';

const action = (env: Record<string, string>) => actionInputSource(env);

describe('input parsing', () => {
  it('reads INPUT_ variables the way @actions/core does and treats empty as unset', () => {
    const source = action({ 'INPUT_KEEP-VERSIONS': ' 3 ', INPUT_DRY_RUN: 'true', INPUT_EMPTY: '   ' });
    expect(source.get('keep-versions')).toBe('3');
    expect(source.get('dry run')).toBe('true');
    expect(source.get('empty')).toBeUndefined();
    expect(integerInput(source, 'empty', { min: 1, max: 5 }, 4)).toBe(4);
  });

  it('names the missing input and how to set it, for actions and for the CLI', () => {
    expect(() => requiredString(action({}), 'environment', 'dev')).toThrow(
      new InputError('input "environment"', `is required: set "environment" in the step's with: block (for example dev)`),
    );
    expect(() => requiredString(cliInputSource({}), 'environment')).toThrow('option --environment: is required: pass --environment');
  });

  it.each([
    ['true', true],
    ['True', true],
    ['FALSE', false],
  ])('accepts boolean %s', (raw, expected) => {
    expect(booleanInput(action({ INPUT_WAIT: raw }), 'wait', !expected)).toBe(expected);
  });

  it('rejects booleans that are not true or false', () => {
    expect(() => booleanInput(action({ INPUT_WAIT: 'yes' }), 'wait', true)).toThrow('input "wait": must be true or false, got "yes"');
  });

  it.each([
    ['abc', 'input "keep": must be a whole number from 1 to 100, got "abc"'],
    ['1.5', 'input "keep": must be a whole number from 1 to 100, got "1.5"'],
    ['0', 'input "keep": must be a whole number from 1 to 100, got 0'],
    ['101', 'input "keep": must be a whole number from 1 to 100, got 101'],
  ])('rejects integer %s', (raw, message) => {
    expect(() => integerInput(action({ INPUT_KEEP: raw }), 'keep', { min: 1, max: 100 })).toThrow(message);
  });

  it('parses seconds, choices, lists and JSON', () => {
    const source = action({ INPUT_TIMEOUT: '2.5', INPUT_MODE: 'apply', INPUT_FUNCTIONS: 'a, b\nc,,', INPUT_PAYLOAD: '{"ping":1}' });
    expect(secondsInput(source, 'timeout', { min: 1, max: 10 }, 5)).toBe(2.5);
    expect(choiceInput(source, 'mode', ['plan', 'apply'])).toBe('apply');
    expect(listInput(source, 'functions')).toEqual(['a', 'b', 'c']);
    expect(jsonInput(source, 'payload')).toEqual({ ping: 1 });
  });

  it('explains bad choices and bad JSON', () => {
    expect(() => choiceInput(action({ INPUT_MODE: 'destroy' }), 'mode', ['plan', 'apply'])).toThrow('input "mode": must be one of plan, apply, got "destroy"');
    expect(() => choiceInput(action({}), 'mode', ['plan', 'apply'])).toThrow(`input "mode": is required: set "mode" in the step's with: block to one of plan, apply`);
    expect(() => jsonInput(action({ INPUT_PAYLOAD: '{ping}' }), 'payload')).toThrow(/^input "payload": must be valid JSON \(/);
  });
});
