/**
 * deployment-status: reports the progress of the deployment the promotion gate created (in_progress, then
 * success or failure), so GitHub's environment page and the next environment's gate see the outcome.
 */
import type { ActionContext, InputValues } from './definition/define.js';
import type { deploymentStatusInputs } from './definitions/deployment-status.js';
import { InputError } from './errors.js';
import { createGitHubClient, type GitHubClient } from './github/client.js';
import { readRunContext } from './github/run-context.js';

export async function deploymentStatusAction(
  values: InputValues<typeof deploymentStatusInputs>,
  context: ActionContext,
  deps: { github?: GitHubClient } = {},
): Promise<void> {
  const inputs = {
    deploymentId: values['deployment-id'],
    state: values.state,
    githubToken: values['github-token'],
    logUrl: values['log-url'],
    environmentUrl: values['environment-url'],
    description: values.description,
  };
  const run = readRunContext(context.env);
  if (run.owner === '' || run.repo === '') throw new InputError('GITHUB_REPOSITORY', 'is not set: run the action inside a workflow');
  let client = deps.github;
  if (client === undefined) {
    // Required in action.yml, so the parser has checked it; the type cannot know that this runs as the action.
    if (inputs.githubToken === undefined) throw new InputError(context.inputs.label('github-token'), `is required: ${context.inputs.howToSet('github-token')}`);
    client = createGitHubClient(inputs.githubToken, context.env);
  }
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
