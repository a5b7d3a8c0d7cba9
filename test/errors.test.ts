import { describe, expect, it } from 'vitest';
import { ConfigError, describeError, GantryError, InputError, OperationError, UsageError, UserError } from '../src/errors.js';

describe('error classes', () => {
  it('separate what the user fixes from what failed, and keep the cause', () => {
    const sdkError = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    const failure = new OperationError('Could not delete orders-dev-router:3', { cause: sdkError });
    expect(failure).not.toBeInstanceOf(UserError);
    expect(failure.cause).toBe(sdkError);
    expect(failure.name).toBe('OperationError');
    expect(describeError(failure)).toBe('Could not delete orders-dev-router:3: caused by: Rate exceeded');

    for (const error of [new InputError('input "keep"', 'bad'), new ConfigError({ file: 'f.yml', path: 'a.b' }, 'bad'), new UsageError('bad')]) {
      expect(error).toBeInstanceOf(UserError);
    }
  });

  it('formats config locations with and without a position', () => {
    expect(new ConfigError({ file: 'f.yml', path: 'a.b', line: 3, column: 7 }, 'expected x').message).toBe('f.yml:3:7: a.b: expected x');
    expect(new ConfigError({ file: 'f.yml', path: '' }, 'file not found').message).toBe('f.yml: file not found');
  });

  it('does not repeat a cause already in the message', () => {
    const inner = new Error('boom');
    expect(describeError(new OperationError('step failed: boom', { cause: inner }))).toBe('step failed: boom');
    expect(describeError('plain')).toBe('plain');
  });
});

describe('error classes across bundles', () => {
  // An action's entry and the work it imports are bundled apart, each with its own copy of src/errors.ts
  // (scripts/bundle.ts). A second instance of the module stands for the work's copy.
  it("knows the other copy's errors by kind, and only by their own kind", async () => {
    // Prepare
    const secondCopy = '../src/errors.ts?the-work-bundle';
    const other = (await import(/* @vite-ignore */ secondCopy)) as typeof import('../src/errors.js');
    expect(other.InputError).not.toBe(InputError);
    // Act
    const input = new other.InputError('input "keep"', 'must be a number');
    const config = new other.ConfigError({ file: 'gantry.yml', path: 'environments', line: 3 }, 'is missing');
    const failed = new other.OperationError('StartBuild failed');
    // Assess
    expect([input instanceof InputError, input instanceof UserError, input instanceof GantryError, input instanceof ConfigError]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect([config instanceof ConfigError, config instanceof UserError, config instanceof OperationError]).toEqual([true, true, false]);
    expect([failed instanceof OperationError, failed instanceof UserError, failed instanceof Error]).toEqual([true, false, true]);
    expect([input.name, config.name, failed.name]).toEqual(['InputError', 'ConfigError', 'OperationError']);
  });

  it('leaves a subclass without a kind of its own an ordinary class', () => {
    // Prepare: a module's private error, as src/shift/adapter.ts has one
    class AliasMoved extends OperationError {}
    // Act
    const moved = new AliasMoved('the alias moved');
    const other = new OperationError('something else');
    // Assess
    expect([moved instanceof AliasMoved, moved instanceof OperationError, other instanceof AliasMoved]).toEqual([true, true, false]);
    expect(moved.name).toBe('AliasMoved');
  });
});
