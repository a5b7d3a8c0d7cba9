/**
 * capacity-warmup: after a deploy, makes each function "warm" in the Managed Instances sense: its alias's
 * versions Active, its scaling config applied, and the alias proven to answer. See src/warmup/warmup.ts.
 */
import { environmentTarget } from '../definition/common-inputs.js';
import { defineAction, type InputSpecs } from '../definition/define.js';
import { boolean, integer, json, list, pattern, seconds } from '../definition/input-types.js';
import { toWarmupSettings } from '../warmup/settings.js';

export const capacityWarmupInputs = {
  ...environmentTarget,
  functions: {
    description: "Functions to warm instead of the environment's: a short name from the config (router) or a Lambda function name, optionally with :alias.",
    type: list(),
  },
  'capacity-provider': {
    description: "Warm every function with a version on this capacity provider (name or ARN) instead of the environment's functions.",
    type: pattern(/^([A-Za-z0-9_-]{1,64}|arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:capacity-provider:[A-Za-z0-9_-]{1,64})$/, 'a capacity provider name or ARN'),
  },
  payload: { description: 'JSON event for the smoke invocations; overrides warmup.payload of every function.', type: json() },
  invocations: { description: 'Smoke invocations per function; overrides warmup.invocations.', type: integer(1, 1000) },
  concurrency: { description: 'Smoke invocations in flight at once per function; overrides warmup.concurrency.', type: integer(1, 100) },
  'timeout-seconds': {
    description: 'Per function, how long its versions may take to be Active and its scaling config to be applied.',
    // Versions on Managed Instances take minutes to get their execution environments; an hour is the ceiling.
    type: seconds(1, 3600),
    default: '600',
  },
  'check-provider': { description: "Also check that each function's capacity provider is Active, and report its state.", type: boolean(), default: 'false' },
} as const satisfies InputSpecs;

export const capacityWarmup = defineAction({
  name: 'capacity-warmup',
  description:
    'After a deploy to Lambda Managed Instances: waits until the versions each alias routes to are Active, applies the configured scaling config and waits until it is applied, smoke-invokes the alias and reports latency.',
  branding: { icon: 'thermometer', color: 'orange' },
  inputs: capacityWarmupInputs,
  outputs: {
    report: { description: 'JSON: per function the versions and their state, time to ready, scaling, invocations, p50/p95/max latency and errors.' },
    ready: { description: 'true when every function is Active, scaled as configured and answered every smoke invocation; false otherwise.' },
    'p95-ms': { description: 'The worst p95 smoke-invoke latency across functions, in milliseconds (empty when nothing was invoked).' },
  },
  settings: toWarmupSettings,
  async run(settings, context) {
    const { capacityWarmupAction } = await import('../capacity-warmup.js');
    await capacityWarmupAction(settings, context);
  },
  cli: {
    name: 'warmup',
    summary: 'Wait for Active versions, apply the scaling config, smoke-invoke each alias; prints the JSON report.',
    async run(settings, io) {
      const { warmupCommand } = await import('../capacity-warmup.js');
      return warmupCommand(settings, io);
    },
  },
});
