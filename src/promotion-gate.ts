/**
 * promotion-gate: may this commit be planned or applied in this environment? Decides from the config file
 * and GitHub's own records (deployments, check runs, commit statuses, where the commit is, the environment's
 * protection rules), counting only records from trusted producers; fails closed, reports every rule with its
 * evidence, and for an allowed apply creates the GitHub deployment the later steps report on.
 */
import { loadEnvironment } from './config/environment-input.js';
import type { GantryConfig } from './config/load.js';
import type { ActionContext } from './definition/define.js';
import { UserError } from './errors.js';
import { readChecks, readDeployments, readEnvironmentProtection, readReachability } from './gate/evidence.js';
import { evaluateGate, type GateDecision, type GateFacts, type RuleResult } from './gate/rules.js';
import type { GateInputs } from './gate/settings.js';
import { createGitHubClient, type GitHubClient } from './github/client.js';
import { readRunContext } from './github/run-context.js';

/** The gate said no: the step fails with the reason, one line, no stack. */
export class GateDeniedError extends UserError {
  static override readonly kind: string = 'GateDeniedError';
}

export interface GateDeps {
  github?: GitHubClient;
  now?: () => Date;
}

export async function promotionGateAction(inputs: GateInputs, context: ActionContext, deps: GateDeps = {}): Promise<void> {
  const { config, environment } = await loadEnvironment(inputs.target, context.inputs);
  const run = readRunContext(context.env);
  context.setOutput('environment', environment.name);
  context.setOutput('mode', inputs.mode);
  context.setOutput('allowed', 'false');

  const facts: GateFacts = {
    environment,
    mode: inputs.mode,
    eventName: run.eventName,
    ref: run.ref,
    sha: inputs.sha,
    requiredChecks: config.github.requiredChecks,
    trust: {
      repository: run.repository,
      apps: config.github.trustedApps,
      statusCreators: config.github.trustedStatusCreators,
      deployer: config.github.deployer,
    },
    approval: config.github.environments[environment.name]?.approval ?? 'none',
    now: (deps.now ?? (() => new Date()))(),
    final: inputs.createDeployment,
    ...(inputs.plan === undefined ? {} : { plan: inputs.plan }),
  };
  let client: GitHubClient | undefined;
  if (inputs.mode === 'apply') {
    const github = deps.github ?? createGitHubClient(inputs.githubToken, context.env);
    if (run.owner === '' || run.repo === '') throw new GateDeniedError('GITHUB_REPOSITORY is not set: the gate only decides inside a workflow run');
    client = github;
    const repository = { owner: run.owner, repo: run.repo };
    const [previousDeployments, checks, reachability, protection] = await Promise.all([
      environment.previous === undefined ? Promise.resolve(undefined) : readDeployments(client, repository, inputs.sha, environment.previous),
      readChecks(client, repository, inputs.sha, config.github.requiredChecks),
      readReachability(client, repository, inputs.sha, environment.apply.refs),
      facts.approval === 'required' ? readEnvironmentProtection(client, repository, environment.name) : Promise.resolve(undefined),
    ]);
    if (previousDeployments !== undefined) facts.previousDeployments = previousDeployments;
    facts.checks = checks;
    facts.reachability = reachability;
    if (protection !== undefined) facts.protection = protection;
  }

  const decision = evaluateGate(facts);
  await context.appendSummary(gateSummary(config, facts, decision));
  context.setOutput('reason', decision.reason);
  for (const rule of decision.rules) context.logger.info(`${rule.status.padEnd(4)} ${rule.rule}: ${rule.detail}`);
  if (!decision.allowed) throw new GateDeniedError(decision.reason);

  if (inputs.mode === 'apply' && inputs.createDeployment && client !== undefined) {
    const { data } = await client.rest.repos.createDeployment({
      owner: run.owner,
      repo: run.repo,
      ref: inputs.sha,
      environment: environment.name,
      task: 'deploy',
      auto_merge: false,
      // The gate has just checked the required checks itself, with the config's names; GitHub's own check
      // would also count this very run's checks, still in progress, and refuse.
      required_contexts: [],
      description: `gantry apply of ${inputs.sha.slice(0, 12)} to ${environment.name}`,
      production_environment: config.order.at(-1) === environment.name,
      transient_environment: false,
      payload: { gantry: { environment: environment.name, sha: inputs.sha, run: run.runUrl } },
    });
    if (!('id' in data)) throw new GateDeniedError(`GitHub did not create the deployment: ${data.message ?? 'no reason given'}`);
    context.setOutput('deployment-id', data.id);
    context.logger.info(`created deployment #${data.id} of ${inputs.sha.slice(0, 12)} to ${environment.name}`);
    const creator = data.creator?.login;
    if (creator !== undefined && creator.toLowerCase() !== config.github.deployer.toLowerCase()) {
      context.logger.warning(
        `deployment #${data.id} was made by ${creator}, not by github.deployer (${config.github.deployer}): the next environment's gate will not count it; set github.deployer to the token's login`,
      );
    }
  }
  context.setOutput('allowed', 'true');
  context.logger.info(decision.reason);
}

const ICON: Record<RuleResult['status'], string> = { pass: '✅ pass', fail: '❌ fail', skip: '➖ skip' };

export function gateSummary(config: GantryConfig, facts: GateFacts, decision: GateDecision): string {
  const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `### Promotion gate: ${facts.mode} ${facts.environment.name} ${decision.allowed ? '✅ allowed' : '❌ refused'}`,
    '',
    `Commit \`${facts.sha}\`, event \`${facts.eventName || '(none)'}\`, ref \`${facts.ref || '(none)'}\`; promotion order ${config.order.join(' → ')}.`,
    '',
    '| Rule | Result | Detail | Evidence |',
    '| --- | --- | --- | --- |',
    ...decision.rules.map((rule) => `| ${rule.rule} | ${ICON[rule.status]} | ${escapeCell(rule.detail)} | ${escapeCell(rule.evidence ?? '')} |`),
    '',
  ].join('\n');
}
