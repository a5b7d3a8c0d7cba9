/**
 * deployment-status: reports the progress of the deployment the promotion gate created (in_progress, then
 * success or failure), so GitHub's environment page and the next environment's gate see the outcome.
 */
import { githubTokenInput } from '../definition/common-inputs.js';
import { defineAction, type InputSpecs } from '../definition/define.js';
import { choice, httpUrl, integer, text } from '../definition/input-types.js';

export const DEPLOYMENT_STATES = ['in_progress', 'queued', 'success', 'failure', 'error', 'inactive'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export const deploymentStatusInputs = {
  'deployment-id': {
    description: "The promotion gate's deployment-id output.",
    type: integer(1, Number.MAX_SAFE_INTEGER),
    required: true,
    hint: "to the promotion gate's deployment-id output",
  },
  state: { description: 'The state to report.', type: choice(DEPLOYMENT_STATES), required: true },
  'github-token': { ...githubTokenInput, description: 'Token that writes deployment statuses (deployments write).', required: true },
  'log-url': { description: "Link to the deployment's log. Defaults to this workflow run.", type: httpUrl() },
  'environment-url': { description: "Link to the deployed environment, shown on GitHub's environment page.", type: httpUrl() },
  // GitHub cuts descriptions at 140 characters; say so instead of losing the end silently.
  description: { description: 'Short description (at most 140 characters).', type: text(140) },
} as const satisfies InputSpecs;

export const deploymentStatus = defineAction({
  name: 'deployment-status',
  description:
    "Sets the status of the GitHub deployment created by promotion-gate (in_progress, success, failure, ...), so the environment page and the next environment's gate see the outcome.",
  branding: { icon: 'flag', color: 'green' },
  inputs: deploymentStatusInputs,
  outputs: { 'status-id': { description: 'Id of the deployment status created.' } },
  async run(inputs, context) {
    const { deploymentStatusAction } = await import('../deployment-status.js');
    await deploymentStatusAction(inputs, context);
  },
});
