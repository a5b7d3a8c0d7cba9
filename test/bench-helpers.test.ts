/**
 * The benchmark's own checks (scripts/bench): a benchmark that misjudges what a follower printed, or which
 * line of a step's output is its error, would report wrong figures. No timing here: speed targets live in
 * `npm run bench`.
 */
import { describe, expect, it } from 'vitest';
import { firstError, logCheck } from '../scripts/bench/codebuild-faults.js';
import { compareLines } from '../scripts/bench/codebuild-follow.js';

describe('codebuild-follow: the printed log against the stream', () => {
  const stream = ['a', 'b', 'c', 'd'];

  it('is exact only when every line is printed once, in order', () => {
    expect(compareLines(stream, stream)).toBeUndefined();
    expect(compareLines(['a', 'b', 'd'], stream)).toBe('1 missing, 0 repeated or unknown; line 3 printed "d", the stream has "c"');
    expect(compareLines(['a', 'b', 'b', 'c', 'd'], stream)).toBe('0 missing, 1 repeated or unknown; line 3 printed "b", the stream has "c"');
    expect(compareLines(['a', 'c', 'b', 'd'], stream)).toBe('0 missing, 0 repeated or unknown; line 2 printed "c", the stream has "b"');
    expect(compareLines(['a', 'b', 'c'], stream)).toBe('1 missing, 0 repeated or unknown; line 4 printed nothing, the stream has "d"');
  });
});

describe('codebuild-faults: reading a step', () => {
  it("finds the build's own lines in the output, once and in order, whatever surrounds them", () => {
    const lines = ['plan 1', 'plan 2', 'plan 3'];
    expect(logCheck('::group::BUILD\nplan 1\nplan 2  \n::endgroup::\nplan 3\n', lines)).toBe('all 3, once, in order');
    expect(logCheck('plan 1\nplan 3\n', lines)).toBe('**2 of 3**');
    expect(logCheck('plan 1\nplan 2\nplan 2\nplan 3\n', lines)).toBe('**3 of 3**, 1 repeated');
    expect(logCheck('plan 2\nplan 1\nplan 3\n', lines)).toBe('**3 of 3**, out of order');
  });

  it('takes the first error annotation as the runner reads it, else a thrown error, else the first warning', () => {
    const id = 'orders-dev-plan:0123abcd-0000-4000-8000-0123456789ab';
    expect(firstError(`info\n::warning::slow\n::error::stop of build ${id} failed: 100%25%0Adone\n::error::later`)).toBe(
      'stop of build orders-dev-plan:0123abcd… failed: 100% done',
    );
    expect(firstError('Warning: NodeVersionSupportWarning\nTypeError: boom\n')).toBe('TypeError: boom');
    expect(firstError('::warning::GetLogEvents is failing\n')).toBe('— (warning: GetLogEvents is failing)');
    expect(firstError('all good\n')).toBe('—');
    expect(firstError(`::error::${'x'.repeat(150)}`)).toHaveLength(100);
  });
});
