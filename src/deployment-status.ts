/**
 * deployment-status: reports the progress of the deployment the promotion gate created (in_progress, then
 * success or failure), so GitHub's environment page and the next environment's gate see the outcome.
 */
import { InputError } from './errors.js';
import { createGitHubClient, type GitHubClient } from './github/client.js';
import { readRunContext } from './github/run-context.js';
import { choiceInput, integerInput, optionalString, requiredString, type InputSource } from './inputs.js';
import type { ActionContext } from './run-action.js';

export const DEPLOYMENT_STATES = ['in_progress', 'queued', 'success', 'failure', 'error', 'inactive'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export interface DeploymentStatusInputs {
  deploymentId: number;
  state: DeploymentState;
  githubToken: string;
  logUrl?: string;
  environmentUrl?: string;
  description?: string;
}

export function parseDeploymentStatusInputs(source: InputSource): DeploymentStatusInputs {
  const deploymentId = integerInput(source, 'deployment-id', { min: 1, max: Number.MAX_SAFE_INTEGER });
  if (deploymentId === undefined) throw new InputError(source.label('deployment-id'), `is required: ${source.howToSet('deployment-id')} to the promotion gate's deployment-id output`);
  const state = choiceInput(source, 'state', DEPLOYMENT_STATES);
  const githubToken = requiredString(source, 'github-token');
  const urls: Record<string, string | undefined> = { 'log-url': optionalString(source, 'log-url'), 'environment-url': optionalString(source, 'environment-url') };
  for (const [name, value] of Object.entries(urls)) {
    if (value !== undefined && !/^https?:\/\/\S+$/.test(value)) throw new InputError(source.label(name), `must be an http(s) URL, got "${value}"`);
  }
  const description = optionalString(source, 'description');
  // GitHub cuts descriptions at 140 characters; say so instead of losing the end silently.
  if (description !== undefined && description.length > 140) throw new InputError(source.label('description'), `must be at most 140 characters, got ${description.length}`);
  return {
    deploymentId,
    state,
    githubToken,
    ...(urls['log-url'] === undefined ? {} : { logUrl: urls['log-url'] }),
    ...(urls['environment-url'] === undefined ? {} : { environmentUrl: urls['environment-url'] }),
    ...(description === undefined ? {} : { description }),
  };
}

export async function deploymentStatusAction(context: ActionContext, deps: { github?: GitHubClient } = {}): Promise<void> {
  const inputs = parseDeploymentStatusInputs(context.inputs);
  const run = readRunContext(context.env);
  if (run.owner === '' || run.repo === '') throw new InputError('GITHUB_REPOSITORY', 'is not set: run the action inside a workflow');
  const client = deps.github ?? createGitHubClient(inputs.githubToken, context.env);
  const logUrl = inputs.logUrl ?? (run.runUrl === '' ? undefined : run.runUrl);
  const { data } = await client.rest.repos.createDeploymentStatus({
    owner: run.owner,
    repo: run.repo,
    deployment_id: inputs.deploymentId,
    state: inputs.state,
    ...(logUrl === undefined ? {} : { log_url: logUrl }),
    ...(inputs.environmentUrl === undefined ? {} : { environment_url: inputs.environmentUrl }),
    ...(inputs.description === undefined ? {} : { description: inputs.description }),
    // A success marks the environment's older successful deployments inactive, as GitHub's UI expects.
    auto_inactive: true,
  });
  context.setOutput('status-id', data.id);
  context.logger.info(`deployment #${inputs.deploymentId}: ${inputs.state}`);
}
