import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type BuildspecResult, runBuildspec } from '../../src/buildspec/runner.js';
import { defineCommand } from '../../src/definition/define.js';
import { list, text } from '../../src/definition/input-types.js';
import { InputError } from '../../src/errors.js';
import { readUserFile } from '../../src/read-user-file.js';

export const buildspecRun = defineCommand({
  inputs: {
    'source-dir': { description: 'Directory the commands start in (CODEBUILD_SRC_DIR).', type: text(4096), defaultText: 'the current directory' },
    env: {
      description: "NAME=VALUE for the build, over the buildspec's env.variables; repeat for more.",
      type: list({ regex: /^[A-Za-z_][A-Za-z0-9_]*=/, what: 'NAME=VALUE pairs', linesOnly: true }),
    },
    'artifacts-dir': { description: 'Copy the artifacts of a successful build into this directory.', type: text(4096) },
  },
  cli: {
    name: 'buildspec run',
    summary: "Run a CodeBuild buildspec (version 0.2) here, in one bash session, with CodeBuild's phase rules.",
    positional: '<buildspec file>',
    async run(inputs, io, file) {
      const env = Object.fromEntries((inputs.env ?? []).map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]));
      const sourceDir = resolve(inputs['source-dir'] ?? process.cwd());
      if (
        !(await stat(sourceDir).then(
          (info) => info.isDirectory(),
          () => false,
        ))
      ) {
        throw new InputError(io.inputs.label('source-dir'), `${sourceDir} is not a directory`);
      }
      const artifactsDir = inputs['artifacts-dir'];

      const text = await readUserFile(file);

      // The shell runs in its own process group, out of reach of the terminal's Ctrl-C: pass it on.
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let result: BuildspecResult;
      try {
        result = await runBuildspec({
          buildspec: text,
          file,
          sourceDir,
          env,
          ...(artifactsDir === undefined ? {} : { artifactsDir: resolve(artifactsDir) }),
          signal: abort.signal,
          onLine: (line) => io.logger.info(`[${line.phase}] ${line.text}`),
        });
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
      io.stdout(summarize(result, artifactsDir));
      return result.status === 'SUCCEEDED' ? 0 : 1;
    },
  },
});

function summarize(result: BuildspecResult, artifactsDir: string | undefined): string {
  const rows = result.phases.map((phase) => [
    phase.phaseType,
    phase.phaseStatus,
    phase.endTime === undefined ? '' : `${((phase.endTime - phase.startTime) / 1000).toFixed(1)}s`,
    phase.contexts.map((context) => context.message).join('; '),
  ]);
  const table = [['PHASE', 'STATUS', 'DURATION', 'CONTEXT'], ...rows];
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
  const lines = table.map((row) =>
    row
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd(),
  );
  lines.push('', `Build ${result.status}`);
  if (result.exportedVariables.length > 0) {
    lines.push('', 'Exported variables:', ...result.exportedVariables.map((variable) => `  ${variable.name}=${variable.value}`));
  }
  if (artifactsDir !== undefined && result.status === 'SUCCEEDED') {
    lines.push('', `Artifacts (${result.artifacts.length}) in ${artifactsDir}:`, ...result.artifacts.map((path) => `  ${path}`));
  }
  return lines.join('\n');
}
