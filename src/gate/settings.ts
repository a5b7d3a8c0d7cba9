/**
 * promotion-gate's inputs → typed settings: the rules across inputs that the definition
 * (src/definitions/promotion-gate.ts) cannot express per input. Pure but for reading the run's event file when sha
 * is unset (the default commit, src/github/run-context.ts).
 */
import type { EnvironmentTarget } from '../definition/common-inputs.js';
import type { InputValues, SettingsContext } from '../definition/define.js';
import type { promotionGateInputs } from '../definitions/promotion-gate.js';
import { commitInput } from '../github/run-context.js';
import type { GateMode } from './rules.js';

interface CommonGateInputs {
  target: EnvironmentTarget;
  sha: string;
  plan?: { add: number; change: number; destroy: number };
  createDeployment: boolean;
}

/** An apply is decided from GitHub's records, so it always has a token; a plan needs none. */
export type GateInputs = CommonGateInputs &
  ({ mode: Extract<GateMode, 'plan'>; githubToken?: string } | { mode: Extract<GateMode, 'apply'>; githubToken: string });

export function toGateInputs(values: InputValues<typeof promotionGateInputs>, context: SettingsContext): GateInputs {
  // The same default as codebuild-run's source-version: a pull request's gate decides on the commit its plan builds.
  const sha = commitInput(values.sha, 'sha', context);
  const { 'plan-add': add, 'plan-change': change, 'plan-destroy': destroy, 'github-token': githubToken } = values;
  const given = [add, change, destroy].filter((count) => count !== undefined).length;
  if (given !== 0 && given !== 3) {
    context.fail('plan-add', "plan-add, plan-change and plan-destroy go together: pass all three (the plan step's outputs) or none");
  }
  const common: CommonGateInputs = {
    target: { configFile: values.config, environment: values.environment },
    sha,
    ...(add !== undefined && change !== undefined && destroy !== undefined ? { plan: { add, change, destroy } } : {}),
    createDeployment: values['create-deployment'],
  };
  if (values.mode === 'plan') return { ...common, mode: 'plan', ...(githubToken === undefined ? {} : { githubToken }) };
  if (githubToken === undefined) {
    context.fail('github-token', `is required for mode apply: the gate reads deployments and checks; ${context.howToSet('github-token')}`);
  }
  return { ...common, mode: 'apply', githubToken };
}
