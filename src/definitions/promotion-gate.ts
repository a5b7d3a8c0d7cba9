/**
 * promotion-gate: may this commit be planned or applied in this environment? Decides from the config file
 * and GitHub's own records, fails closed, and for an allowed apply creates the GitHub deployment.
 */
import { environmentTarget, githubTokenInput } from '../definition/common-inputs.js';
import { defineAction, type InputSpecs } from '../definition/define.js';
import { boolean, choice, integer, pattern } from '../definition/input-types.js';
import { toGateInputs } from '../gate/settings.js';
import { WORKFLOW_COMMIT_DEFAULT, WORKFLOW_COMMIT_NOTE } from '../github/run-context.js';
import { COMMIT_SHA } from '../patterns.js';

const COUNT = integer(0, 1_000_000);

export const promotionGateInputs = {
  environment: { ...environmentTarget.environment, description: 'Environment name from the config file (for example qa).' },
  mode: {
    description: 'What is decided; apply is refused on pull_request events in every environment.',
    type: choice(['plan', 'apply'] as const),
    required: true,
    hint: 'plan or apply',
  },
  config: environmentTarget.config,
  sha: {
    description: `Commit to decide on: the one codebuild-run builds. ${WORKFLOW_COMMIT_NOTE}`,
    type: pattern(COMMIT_SHA, 'a full 40-character commit SHA'),
    defaultText: WORKFLOW_COMMIT_DEFAULT,
  },
  'github-token': {
    ...githubTokenInput,
    description:
      "Token that reads deployments, checks, workflow runs, the commit's place in history and the environment's protection rules, and creates the deployment (deployments write; actions, checks, contents and statuses read). Its identity is the config's github.deployer.",
  },
  'plan-add': { description: "The plan's resources to add (codebuild-run plan-add), for the environment's maxChanges limit.", type: COUNT },
  'plan-change': { description: "The plan's resources to change (codebuild-run plan-change).", type: COUNT },
  'plan-destroy': { description: "The plan's resources to destroy (codebuild-run plan-destroy), for the maxDestroy limit.", type: COUNT },
  'create-deployment': {
    description: 'When allowed for apply, create the GitHub deployment (true), or only check (false: an early check before planning).',
    type: boolean(),
    default: 'true',
  },
} as const satisfies InputSpecs;

export const promotionGate = defineAction({
  name: 'promotion-gate',
  description:
    "Decides whether a commit may be planned or applied in an environment, from the config file and GitHub's own records (the commit on an allowed branch or tag, deployments of the commit to the previous environment by the deployer, required checks from GitHub Actions jobs of the repository, the environment's protection rules). Fails closed. For an allowed apply it creates the GitHub deployment the later steps report on.",
  branding: { icon: 'shield', color: 'green' },
  inputs: promotionGateInputs,
  outputs: {
    allowed: { description: 'true or false. The step also fails when false.' },
    reason: { description: 'One line saying why, naming the missing evidence when refused.' },
    environment: { description: 'The environment decided on.' },
    mode: { description: 'plan or apply.' },
    'deployment-id': { description: 'The GitHub deployment created for an allowed apply (pass it to deployment-status).' },
  },
  settings: toGateInputs,
  async run(inputs, context) {
    const { promotionGateAction } = await import('../promotion-gate.js');
    await promotionGateAction(inputs, context);
  },
});
