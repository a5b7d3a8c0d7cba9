import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../scripts/cli/main.js';
import { type BuildspecLine, type BuildspecRunOptions, type PhaseResult, parseBuildspec, runBuildspec } from '../src/buildspec/runner.js';
import { ConfigError } from '../src/errors.js';
import { MemoryLogger } from '../src/logger.js';
import { until } from './helpers/sandbox-control.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-buildspec-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function run(buildspec: string, options: Partial<BuildspecRunOptions> = {}) {
  const lines: BuildspecLine[] = [];
  const phaseEvents: PhaseResult[] = [];
  const result = await runBuildspec({
    buildspec,
    sourceDir: options.sourceDir ?? tempDir(),
    onLine: (line) => lines.push(line),
    onPhase: (phase) => phaseEvents.push(phase),
    ...options,
  });
  const output = (phase?: string) => lines.filter((line) => phase === undefined || line.phase === phase).map((line) => line.text);
  return { result, lines, phaseEvents, output, statuses: result.phases.map((phase) => `${phase.phaseType}:${phase.phaseStatus}`) };
}

describe('runBuildspec', () => {
  it('runs the four phases in order, reporting absent ones, and streams lines with their phase', async () => {
    let clock = 1000;
    const { result, lines, phaseEvents, statuses } = await run(
      ['version: 0.2', 'phases:', '  build:', '    commands:', '      - echo one', '      - echo two >&2', '  install:', '    commands: [echo first]'].join(
        '\n',
      ),
      { now: () => (clock += 10) },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:SUCCEEDED', 'BUILD:SUCCEEDED', 'POST_BUILD:SUCCEEDED']);
    expect(lines).toEqual([
      { phase: 'INSTALL', text: 'first', stream: 'stdout' },
      { phase: 'BUILD', text: 'one', stream: 'stdout' },
      { phase: 'BUILD', text: 'two', stream: 'stderr' },
    ]);
    expect(phaseEvents.map((phase) => `${phase.phaseType}:${phase.phaseStatus}`)).toEqual([
      'INSTALL:IN_PROGRESS',
      'INSTALL:SUCCEEDED',
      'PRE_BUILD:IN_PROGRESS',
      'PRE_BUILD:SUCCEEDED',
      'BUILD:IN_PROGRESS',
      'BUILD:SUCCEEDED',
      'POST_BUILD:IN_PROGRESS',
      'POST_BUILD:SUCCEEDED',
    ]);
    expect(result.phases[0]).toEqual({ phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED', startTime: 1010, endTime: 1020, contexts: [] });
  });

  it('keeps one shell session: directory, exported and plain variables carry across phases', async () => {
    const sourceDir = tempDir();
    mkdirSync(join(sourceDir, 'app'));
    const { result, output } = await run(
      [
        'version: 0.2',
        'phases:',
        '  install:',
        '    commands:',
        '      - cd app',
        '      - export X=1; PLAIN=2',
        '      - printf "no newline"',
        '  build:',
        '    commands:',
        '      - echo "dir=$(basename "$PWD") X=$X PLAIN=$PLAIN src=$CODEBUILD_SRC_DIR"',
        '      - true', // plain YAML would read a boolean; CodeBuild, and the runner, read the command
      ].join('\n'),
      { sourceDir },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(output('INSTALL')).toEqual(['no newline']);
    expect(output('BUILD')).toEqual([`dir=app X=1 PLAIN=2 src=${sourceDir}`]);
  });

  it('runs POST_BUILD and finally after a failing BUILD, with CODEBUILD_BUILD_SUCCEEDING=0', async () => {
    const { result, output, statuses } = await run(
      [
        'version: 0.2',
        'phases:',
        '  build:',
        '    commands:',
        '      - echo "before $CODEBUILD_BUILD_SUCCEEDING"',
        '      - export STATE=kept; exit 3',
        '      - echo never',
        '    finally:',
        '      - echo "finally $CODEBUILD_BUILD_SUCCEEDING"',
        '  post_build:',
        '    commands:',
        '      - echo "post $CODEBUILD_BUILD_SUCCEEDING $STATE"',
      ].join('\n'),
    );
    expect(result.status).toBe('FAILED');
    expect(statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:SUCCEEDED', 'BUILD:FAILED', 'POST_BUILD:SUCCEEDED']);
    expect(result.phases[2]!.contexts).toEqual([
      { statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: export STATE=kept; exit 3. Reason: exit status 3' },
    ]);
    expect(output('BUILD')).toEqual(['before 1', 'finally 0']);
    // `exit` ended the first shell; the session goes on from its last saved state.
    expect(output('POST_BUILD')).toEqual(['post 0 ']);
  });

  it('fails a phase whose finally fails, and skips BUILD and POST_BUILD after a failed INSTALL', async () => {
    const { result, output, statuses } = await run(
      ['version: 0.2', 'phases:', '  install:', '    commands: [echo ok]', '    finally: [false, echo never]', '  build:', '    commands: [echo build]'].join(
        '\n',
      ),
    );
    expect(result.status).toBe('FAILED');
    expect(statuses).toEqual(['INSTALL:FAILED']);
    expect(result.phases[0]!.contexts[0]!.message).toBe('Error while executing command: false. Reason: exit status 1');
    expect(output()).toEqual(['ok']);
  });

  it('goes on after a failed phase with on-failure CONTINUE; the build still fails', async () => {
    const { result, output, statuses } = await run(
      [
        'version: 0.2',
        'phases:',
        '  pre_build:',
        '    on-failure: CONTINUE',
        '    commands: ["test -f missing", echo skipped]',
        '  build:',
        '    commands: [echo "build $CODEBUILD_BUILD_SUCCEEDING"]',
      ].join('\n'),
    );
    expect(result.status).toBe('FAILED');
    expect(statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:FAILED', 'BUILD:SUCCEEDED', 'POST_BUILD:SUCCEEDED']);
    expect(output()).toEqual(['build 0']);
  });

  it('reads exported variables from the shell in declared order, missing ones empty', async () => {
    const { result } = await run(
      [
        'version: 0.2',
        'env:',
        '  variables: { VERSION: 1.10 }',
        '  exported-variables: [IMAGE, MISSING, VERSION]',
        'phases:',
        '  build:',
        '    commands: ["IMAGE=\'repo:tag with space\'"]',
      ].join('\n'),
    );
    expect(result.exportedVariables).toEqual([
      { name: 'IMAGE', value: 'repo:tag with space' },
      { name: 'MISSING', value: '' },
      { name: 'VERSION', value: '1.10' },
    ]);
  });

  it("passes a clean environment: PATH, HOME, buildspec variables under the caller's overrides", async () => {
    process.env.GANTRY_TEST_LEAK = 'leaked';
    try {
      const { output } = await run(
        [
          'version: 0.2',
          'env:',
          '  variables:',
          '    FROM_SPEC: spec',
          '    OVERRIDDEN: spec',
          'phases:',
          '  build:',
          '    commands:',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, run by the buildspec's shell.
          '      - echo "$FROM_SPEC $OVERRIDDEN ${GANTRY_TEST_LEAK:-clean} ${HOME:+home} ${PATH:+path}"',
        ].join('\n'),
        { env: { OVERRIDDEN: 'caller' } },
      );
      expect(output()).toEqual(['spec caller clean home path']);
    } finally {
      delete process.env.GANTRY_TEST_LEAK;
    }
  });

  it('copies artifacts relative to base-directory, flattened with discard-paths', async () => {
    const sourceDir = tempDir();
    const buildspec = (extra: string) =>
      [
        'version: 0.2',
        'phases:',
        '  build:',
        '    commands:',
        '      - mkdir -p out/lib/deep && touch out/a.zip out/lib/b.js out/lib/deep/c.js out/readme.md',
        'artifacts:',
        extra,
      ].join('\n');

    const nested = tempDir();
    const first = await run(buildspec('  base-directory: out\n  files: ["*.zip", "lib/**/*"]'), { sourceDir, artifactsDir: nested });
    expect(first.result.artifacts).toEqual(['a.zip', 'lib/b.js', 'lib/deep/c.js']);
    expect(readFileSync(join(nested, 'lib/deep/c.js'), 'utf8')).toBe('');

    const flat = tempDir();
    const second = await run(buildspec('  discard-paths: yes\n  files: ["out/**/*.js"]'), { sourceDir, artifactsDir: flat });
    expect(second.result.artifacts).toEqual(['b.js', 'c.js']);

    const failed = await run(buildspec('  files: ["**/*"]').replace('readme.md', 'readme.md; false'), { sourceDir, artifactsDir: tempDir() });
    expect(failed.result.artifacts).toEqual([]);

    // No file matching fails the build, as CodeBuild's UPLOAD_ARTIFACTS does.
    const unmatched = await run(buildspec('  files: ["*.tfplan"]'), { sourceDir, artifactsDir: tempDir() });
    expect(unmatched.result.status).toBe('FAILED');
    expect(unmatched.result.artifactsError).toBe('CLIENT_ERROR: no matching artifact paths found');
  });

  it('stops on abort: the shell and its children are killed, the current phase and the build are STOPPED', async () => {
    const controller = new AbortController();
    const pidFile = join(tempDir(), 'sleep.pid');
    const { result, statuses, output } = await run(
      ['version: 0.2', 'phases:', '  build:', '    commands:', `      - sleep 30 & echo $! > ${pidFile}; echo started; wait`, '    finally: [echo never]'].join(
        '\n',
      ),
      {
        signal: controller.signal,
        onLine: (line) => {
          if (line.text === 'started') controller.abort();
        },
      },
    );
    expect(result.status).toBe('STOPPED');
    expect(statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:SUCCEEDED', 'BUILD:STOPPED']);
    expect(output('BUILD')).not.toContain('never');
    // The build's own child is gone too (killed with the shell's process group), not left sleeping.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(await until(() => !alive())).toBe(true);
  });
});

describe('parseBuildspec', () => {
  function errorOf(text: string): string {
    try {
      parseBuildspec(text, 'buildspec.yml');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  }

  it.each([
    ['wrong version', 'version: 0.1\nphases: {}', 'buildspec.yml:1:10: version: expected 0.2, the only buildspec version the local runner supports, got "0.1"'],
    [
      'missing version',
      'phases:\n  build:\n    commands: [make]',
      'buildspec.yml:1:1: version: is required (expected 0.2, the only buildspec version the local runner supports)',
    ],
    ['unknown top-level key', 'version: 0.2\nstages: {}', 'buildspec.yml:2:1: stages: unknown key "stages"; expected one of version, env, phases, artifacts'],
    [
      'unsupported CodeBuild key',
      'version: 0.2\ncache:\n  paths: [x]',
      'buildspec.yml:2:1: cache: "cache" is not supported by the local buildspec runner; supported here: version, env, phases, artifacts',
    ],
    [
      'commands not a list',
      'version: 0.2\nphases:\n  build:\n    commands: make all',
      'buildspec.yml:4:15: phases.build.commands: expected a list of strings, got "make all"',
    ],
    [
      'command with ": "',
      'version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b',
      'buildspec.yml:5:9: phases.build.commands.0: expected a string, got a mapping; quote an item that contains ": "',
    ],
    [
      'unknown phase',
      'version: 0.2\nphases:\n  prebuild: {}',
      'buildspec.yml:3:3: phases.prebuild: unknown key "prebuild"; expected one of install, pre_build, build, post_build',
    ],
    [
      'empty phase',
      'version: 0.2\nphases:\n  build:\n',
      'buildspec.yml:3:3: phases.build: expected a mapping with commands, finally, on-failure, got an empty value',
    ],
    [
      'bad on-failure',
      'version: 0.2\nphases:\n  build:\n    on-failure: RETRY',
      'buildspec.yml:4:17: phases.build.on-failure: expected ABORT or CONTINUE, got "RETRY"',
    ],
    [
      'bad exported name',
      'version: 0.2\nenv:\n  exported-variables: [OK, "bad-name"]',
      'buildspec.yml:3:28: env.exported-variables.1: expected a variable name (letters, digits and "_", not starting with a digit), got "bad-name"',
    ],
    ['not YAML', 'version: 0.2\nphases: [unclosed', 'buildspec.yml:2:18: not valid YAML: '],
  ])('%s', (_name, text, expected) => {
    const message = errorOf(text);
    if (expected.endsWith(': ')) expect(message.startsWith(expected)).toBe(true);
    else expect(message).toBe(expected);
    expect(message).not.toContain('\n');
  });

  it('fills absent phases and defaults', () => {
    const spec = parseBuildspec(
      'version: "0.2"\nphases:\n  install:\n    runtime-versions: { nodejs: 20 }\nartifacts:\n  files: ["**/*"]\n  discard-paths: no',
      'b.yml',
    );
    expect(spec.phases.INSTALL).toEqual({ commands: [], finally: [], onFailure: 'ABORT', runtimeVersions: { nodejs: '20' } });
    expect(spec.phases.POST_BUILD.commands).toEqual([]);
    expect(spec.artifacts).toEqual({ files: ['**/*'], discardPaths: false });
  });
});

describe('gantry buildspec run', () => {
  async function cli(args: string[]) {
    const logger = new MemoryLogger();
    let stdout = '';
    const code = await runCli(['buildspec', 'run', ...args], { stdout: (text) => (stdout += `${text}\n`), logger, env: {} });
    return { code, stdout, log: logger.lines };
  }

  it('exits 0 on success with phase lines, a summary table and exported variables', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'buildspec.yml'),
      'version: 0.2\nenv:\n  exported-variables: [GREETING]\nphases:\n  build:\n    commands: [echo "$GREETING=$MODE"]\n',
    );
    const result = await cli([join(dir, 'buildspec.yml'), '--source-dir', dir, '--env', 'GREETING=hi', '--env', 'MODE=a=b']);
    expect(result.code).toBe(0);
    expect(result.log).toEqual(['[BUILD] hi=a=b']);
    expect(result.stdout).toMatch(/^PHASE\s+STATUS\s+DURATION\s+CONTEXT\nINSTALL\s+SUCCEEDED/);
    expect(result.stdout).toContain('Build SUCCEEDED');
    expect(result.stdout).toContain('  GREETING=hi');
  });

  it('exits 1 on a failed build, a missing file or an invalid buildspec, and 2 on a bad --env', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fail.yml'), 'version: 0.2\nphases:\n  build:\n    commands: ["exit 4"]\n');
    const failed = await cli([join(dir, 'fail.yml'), '--source-dir', dir]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('BUILD       FAILED');
    expect(failed.stdout).toContain('Error while executing command: exit 4. Reason: exit status 4');

    const badEnv = await cli([join(dir, 'fail.yml'), '--env', 'NOVALUE']);
    // A malformed option is bad usage (2); a failed build, a missing file or a bad buildspec is a failure (1).
    expect(badEnv).toMatchObject({ code: 2, log: ['error: option --env: must list NAME=VALUE pairs, got "NOVALUE"'] });

    const missing = await cli([join(dir, 'nope.yml')]);
    expect(missing).toMatchObject({ code: 1, log: [`error: ${join(dir, 'nope.yml')}: file not found`] });

    writeFileSync(join(dir, 'bad.yml'), 'version: 0.3\n');
    const invalid = await cli([join(dir, 'bad.yml')]);
    expect(invalid.code).toBe(1);
    expect(invalid.log).toEqual([
      `error: ${join(dir, 'bad.yml')}:1:10: version: expected 0.2, the only buildspec version the local runner supports, got "0.3"`,
    ]);
  });
});
