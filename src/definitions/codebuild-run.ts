/**
 * codebuild-run: runs an environment's terraform plan or apply in its CodeBuild project and follows it.
 */
import { LOG_MODES, RUN_MODES, toCodeBuildRunInputs } from '../codebuild/settings.js';
import { environmentTarget, githubTokenInput } from '../definition/common-inputs.js';
import { defineAction, type InputSpecs } from '../definition/define.js';
import { boolean, choice, pattern, text } from '../definition/input-types.js';
import { WORKFLOW_COMMIT_DEFAULT, WORKFLOW_COMMIT_NOTE } from '../github/run-context.js';
import { COMMIT_SHA, SHA256 } from '../patterns.js';

export const codebuildRunInputs = {
  environment: environmentTarget.environment,
  mode: {
    description: 'What the build runs; apply needs plan-sha256 from the plan step of the same commit.',
    type: choice(RUN_MODES),
    required: true,
    hint: 'plan or apply',
  },
  config: environmentTarget.config,
  'source-version': {
    description: `Commit the build checks out. ${WORKFLOW_COMMIT_NOTE}`,
    type: pattern(COMMIT_SHA, 'a full 40-character commit SHA'),
    defaultText: WORKFLOW_COMMIT_DEFAULT,
  },
  'plan-sha256': {
    description: "apply only: the plan step's plan-sha256 output. The build refuses a plan whose sha256 differs.",
    type: pattern(new RegExp(SHA256.source, 'i'), '64 hex digits (a sha256)'),
  },
  'plan-store': {
    description:
      "Where plans are kept between plan and apply (s3://bucket[/prefix], or an absolute directory for local runs). Defaults to the environment's plan bucket.",
    type: pattern(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|\/.*)$/, 's3://bucket[/prefix] or an absolute directory'),
  },
  project: {
    description: 'Override of the CodeBuild project from the config (a warning is logged when it differs).',
    type: pattern(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'a CodeBuild project name (letters, digits, "-" and "_")'),
  },
  'working-directory': { description: 'Override of the terraform working directory from the config, relative to the repository root.', type: text(1024) },
  'var-file': { description: 'Override of the terraform variable file from the config, relative to the repository root.', type: text(1024) },
  wait: { description: 'Follow the build to its end (true) or return as soon as it has started (false).', type: boolean(), default: 'true' },
  'log-follow': {
    description:
      "How the build's log is followed: live-tail (CloudWatch Logs Live Tail, billed per session-minute and holding one of the account's concurrent Live Tail sessions while the build runs; falls back to polling when refused) or poll (GetLogEvents only).",
    type: choice(LOG_MODES),
    default: 'live-tail',
  },
  comment: {
    description: 'On pull requests, write the plan as one comment per environment, updated on every push.',
    type: boolean(),
    default: 'true',
    only: 'action',
  },
  'github-token': { ...githubTokenInput, description: 'Token used for the pull request comment (needs pull-requests write).' },
} as const satisfies InputSpecs;

export const codebuildRun = defineAction({
  name: 'codebuild-run',
  description:
    "Runs an environment's terraform plan or apply in its CodeBuild project, streams the build log into the job log (one group per phase), stops the build if the workflow is cancelled, and applies only the reviewed plan.",
  branding: { icon: 'play-circle', color: 'blue' },
  inputs: codebuildRunInputs,
  outputs: {
    'build-id': { description: 'CodeBuild build id, set as soon as the build has started.' },
    'build-number': { description: "The build's number in its project, set as soon as the build has started." },
    'log-url': {
      description:
        "Link to the build's CloudWatch log, set as soon as CodeBuild names its log stream: at start, or while following once the build has created it (so with wait: false it may stay unset).",
    },
    status: {
      description:
        'Build status: IN_PROGRESS at start, then SUCCEEDED, FAILED, FAULT, TIMED_OUT or STOPPED (also when the step stopped the build; when that stop failed, the last status read).',
    },
    'plan-sha256': { description: "plan only: sha256 of the saved plan; pass it to the apply step's plan-sha256." },
    'plan-add': { description: 'plan only: resources to add.' },
    'plan-change': { description: 'plan only: resources to change in place.' },
    'plan-destroy': { description: 'plan only: resources to destroy.' },
    'plan-replace': { description: 'plan only: resources to replace (also counted in add and destroy).' },
    'applied-sha256': { description: 'apply only: sha256 of the plan that was applied.' },
    'comment-url': { description: 'Link to the pull request comment, when one was written.' },
  },
  settings: toCodeBuildRunInputs,
  async run(inputs, context) {
    const { codebuildRunAction } = await import('../codebuild-run.js');
    await codebuildRunAction(inputs, context);
  },
});
