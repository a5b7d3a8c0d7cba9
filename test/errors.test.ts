import { describe, expect, it } from 'vitest';
import { ConfigError, describeError, InputError, OperationError, UsageError, UserError } from '../src/errors.js';

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
