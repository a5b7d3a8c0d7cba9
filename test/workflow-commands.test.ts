/**
 * The runner's protocol, written without @actions/core: escaping, and outputs a value cannot break out of.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOutputFile } from '../scripts/local-runner.js';
import { appendSummary, escapeData, escapeProperty, formatCommand, setOutput } from '../src/workflow-commands.js';

describe('workflow commands', () => {
  it('escape a message and its properties as the runner unescapes them', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%')).toBe('a%3Ab%2Cc%25');
    expect(formatCommand('error', 'line one\n::set-output name=x::y', { file: 'a,b.yml', line: 3, col: undefined })).toBe(
      '::error file=a%2Cb.yml,line=3::line one%0A::set-output name=x::y',
    );
  });

  it('write a multi-line output as a heredoc that the value cannot end early', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-output-'));
    const file = join(dir, 'output');
    writeFileSync(file, '');
    const value = 'first\nEOF\nghadelimiter_x\nlast';
    setOutput('report', value, { GITHUB_OUTPUT: file });
    setOutput('ready', 'true', { GITHUB_OUTPUT: file });
    expect(parseOutputFile(readFileSync(file, 'utf8'))).toEqual({ report: value, ready: 'true' });
  });

  it('append to the job summary, and skip it outside a runner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-summary-'));
    const file = join(dir, 'summary');
    writeFileSync(file, '');
    appendSummary('### one', { GITHUB_STEP_SUMMARY: file });
    appendSummary('### two', { GITHUB_STEP_SUMMARY: file });
    appendSummary('### nowhere', {});
    expect(readFileSync(file, 'utf8')).toBe('### one\n### two\n');
  });
});
