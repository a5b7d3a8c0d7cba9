/**
 * `gantry doctor`: reads each GitHub Environment's protection rules and deployment branch policy through the
 * API and checks them against what the config relies on (src/gate/github-settings.ts, the same check the
 * gate makes before an apply). Fails closed, naming the missing setting, when an environment the config marks
 * `approval: required` is missing, has no required reviewer, allows self-review or lets any branch deploy.
 */
import { loadWorkspaceConfig } from '../../src/config/load.js';
import { configInput, environmentInput } from '../../src/definition/common-inputs.js';
import { defineCommand } from '../../src/definition/define.js';
import { pattern } from '../../src/definition/input-types.js';
import { UserError } from '../../src/errors.js';
import { checkEnvironmentSettings, type SettingFinding } from '../../src/gate/github-settings.js';

const REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
const MARK: Record<SettingFinding['status'], string> = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' };

export const doctorCommand = defineCommand({
  inputs: {
    config: configInput,
    environment: { ...environmentInput, description: 'Check only this environment (all of the config by default).', required: false },
    repository: {
      description: 'The GitHub repository whose environments are read.',
      type: pattern(REPOSITORY, 'owner/name'),
      defaultText: "the config's github.repository, else GITHUB_REPOSITORY",
    },
  },
  cli: {
    name: 'doctor',
    summary:
      "Check the GitHub Environments' settings the config relies on (required reviewers, prevent self-review, deployment branch policy) through the API, with GITHUB_TOKEN; exit 1 naming what is missing.",
    async run(inputs, io) {
      const config = await loadWorkspaceConfig(inputs.config, io.env);
      const names = inputs.environment === undefined ? config.order : [inputs.environment];
      for (const name of names) {
        if (!config.environments.has(name)) {
          throw new UserError(`${io.inputs.label('environment')}: unknown environment "${name}"; expected one of ${config.order.join(', ')}`);
        }
      }
      const fullName = inputs.repository ?? config.github.repository ?? io.env.GITHUB_REPOSITORY ?? '';
      const [owner = '', repo = ''] = fullName.split('/');
      if (!REPOSITORY.test(fullName)) {
        throw new UserError(`no GitHub repository: set github.repository in ${config.file}, GITHUB_REPOSITORY, or ${io.inputs.howToSet('repository')}`);
      }
      const token = io.env.GITHUB_TOKEN ?? io.env.GH_TOKEN;
      if (token === undefined || token === '') {
        throw new UserError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may read the repository's environments (actions: read)");
      }
      // Octokit is loaded only by the command that talks to GitHub, not by every start of the CLI.
      const [{ createGitHubClient }, { readEnvironmentProtection }] = await Promise.all([
        import('../../src/github/client.js'),
        import('../../src/gate/evidence.js'),
      ]);
      const client = createGitHubClient(token, io.env);

      const reports = await Promise.all(
        names.map(async (name) => {
          const environment = config.environments.get(name);
          const approval = config.github.environments[name]?.approval ?? 'none';
          const evidence = await readEnvironmentProtection(client, { owner, repo }, name);
          const findings: SettingFinding[] = evidence.ok
            ? checkEnvironmentSettings({ name, approval, refs: environment?.apply.refs ?? [] }, evidence.protection)
            : [{ status: approval === 'required' ? 'fail' : 'warn', setting: 'environment', detail: `could not read its settings: ${evidence.error}` }];
          return { name, approval, findings };
        }),
      );

      io.stdout(`${fullName}: the GitHub Environments' settings ${config.file} relies on`);
      for (const { name, approval, findings } of reports) {
        io.stdout(`${name} (approval: ${approval})`);
        for (const finding of findings) io.stdout(`  ${MARK[finding.status]}  ${finding.setting}: ${finding.detail}`);
      }
      const failed = reports.flatMap(({ name, findings }) =>
        findings.filter((finding) => finding.status === 'fail').map((finding) => `${name}: ${finding.setting}`),
      );
      if (failed.length > 0) {
        throw new UserError(
          `doctor: ${failed.length} setting${failed.length === 1 ? '' : 's'} missing (${failed.join(', ')}); the gate refuses applies there until fixed`,
        );
      }
      const warnings = reports.reduce((count, { findings }) => count + findings.filter((finding) => finding.status === 'warn').length, 0);
      io.logger.info(`doctor: every setting the config relies on is in place${warnings === 0 ? '' : ` (${warnings} warning${warnings === 1 ? '' : 's'})`}`);
    },
  },
});
