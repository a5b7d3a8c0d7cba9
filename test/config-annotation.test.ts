/**
 * A config error at a line of a file becomes an annotation on that line (`::error file=…,line=…,col=…::`), so
 * GitHub shows it on the pull request that broke the config, not only in the step's log.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, UserError } from '../src/errors.js';
import { reportFailure } from '../src/run-action.js';
import { annotationAt, stdout as processStdout } from '../src/workflow-commands.js';
import { exampleWith } from './helpers/config-fixture.js';
import { runBundledAction } from './helpers/run-bundle.js';

const silent = { debug() {}, info() {}, warning() {}, error() {}, output() {}, startGroup() {}, endGroup() {} };

describe('annotationAt', () => {
  const workspace = join(tmpdir(), 'workspace');

  it('gives file (relative to the workspace, / separators), line and col', () => {
    expect(annotationAt({ file: join(workspace, '.github', 'gantry.yml'), line: 51, column: 12 }, workspace)).toEqual({
      file: '.github/gantry.yml',
      line: 51,
      col: 12,
    });
  });

  it('reads a relative file from the current directory, as the file was read', () => {
    expect(annotationAt({ file: '.github/gantry.yml', line: 3 }, process.cwd())).toEqual({ file: '.github/gantry.yml', line: 3, col: undefined });
  });

  it('gives nothing without a line, or for a file outside the workspace', () => {
    expect(annotationAt({ file: join(workspace, 'gantry.yml') }, workspace)).toEqual({});
    expect(annotationAt({ file: join(tmpdir(), 'elsewhere.yml'), line: 1 }, workspace)).toEqual({});
    expect(annotationAt({ file: workspace, line: 1 }, workspace)).toEqual({});
  });
});

describe('reportFailure', () => {
  let written: string[];
  beforeEach(() => {
    written = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    processStdout.resume();
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('annotates a config error at its file, line and column, with the one-line message', () => {
    const workspace = join(tmpdir(), 'workspace');
    const error = new ConfigError(
      { file: join(workspace, '.github/gantry.yml'), path: 'environments.prod.after', line: 51, column: 12 },
      'unknown environment "stage"',
    );
    reportFailure(error, silent, { GITHUB_WORKSPACE: workspace });
    expect(written.join('')).toBe(`::error file=.github/gantry.yml,line=51,col=12::${error.message}\n`);
    expect(process.exitCode).toBe(1);
  });

  it('leaves other errors, and a config error without a line, unplaced', () => {
    reportFailure(new ConfigError({ file: 'gantry.yml', path: 'environments.dev.prune.protect.0' }, 'names no function'), silent, {});
    reportFailure(new UserError('input "environment": is required'), silent, {});
    expect(written.join('')).toBe('::error::gantry.yml: environments.dev.prune.protect.0: names no function\n::error::input "environment": is required\n');
  });
});

describe('an action bundle with a broken config', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'gantry-annotation-'));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  it('fails the step with an annotation on the config line, relative to the workspace', async () => {
    mkdirSync(join(workspace, '.github'));
    const broken = exampleWith(/^( {4})after: qa$/m, '$1after: stage');
    const line = broken.split('\n').indexOf('    after: stage') + 1;
    writeFileSync(join(workspace, '.github', 'gantry.yml'), broken);
    const result = await runBundledAction(
      'resolve-environment',
      { environment: 'dev', config: join(workspace, '.github', 'gantry.yml') },
      { GITHUB_WORKSPACE: workspace },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^::error file=\\.github/gantry\\.yml,line=${line},col=\\d+::\\S+gantry\\.yml:${line}:\\d+: environments\\.prod\\.after: `, 'm'),
    );
  });
});
