/**
 * traffic-shift: after capacity-warmup, moves each function's alias from its stable version to the new one step
 * by step (canary or linear, from the config's rollout), watching the guarding alarms and smoke-invoking the new
 * version between steps; rolls back at once on an alarm, a failed smoke invocation or a cancelled workflow. See
 * src/shift/run.ts and docs/traffic-shift.md.
 */
import { environmentTarget } from '../definition/common-inputs.js';
import { defineAction, type InputSpecs } from '../definition/define.js';
import { choice, list, seconds } from '../definition/input-types.js';
import { toShiftSettings } from '../shift/settings.js';

export const RESUME_MODES = ['continue', 'rollback'] as const;

export const trafficShiftInputs = {
  ...environmentTarget,
  functions: {
    description: "Functions to shift instead of the environment's: short names from the config (router) or their Lambda function names.",
    type: list(),
  },
  resume: {
    description:
      'What to do with an alias a previous run left part-way to the same version: continue (from the step it reached, held again in full) or rollback (back to the stable version; the step fails).',
    type: choice(RESUME_MODES),
    default: 'continue',
  },
  'poll-seconds': {
    description: "Seconds between two reads of the guarding alarms' states: the longest an alarm in ALARM waits before the rollback starts.",
    type: seconds(1, 60),
    default: '10',
  },
} as const satisfies InputSpecs;

export const trafficShift = defineAction({
  name: 'traffic-shift',
  description:
    "After capacity-warmup: moves each function's alias from its stable version to the new one by the config's rollout (canary or linear, then a bake at 100%), watching the guarding CloudWatch alarms and smoke-invoking the new version between steps. On an alarm, a failed smoke invocation or a cancelled workflow, back to 100% stable at once; the step fails naming the alarm and the step reached.",
  branding: { icon: 'trending-up', color: 'blue' },
  inputs: trafficShiftInputs,
  outputs: {
    outcome: {
      description:
        'complete (every alias on its new version), rolled-back (every alias back on its stable version) or stopped (an alias changed by someone else, or a rollback that failed, was left as it is: see the step log).',
    },
    steps: { description: 'JSON: per function the stable and new version, the strategy, the step reached and the decision at each step.' },
    'rollback-reason': { description: 'Why the shift rolled back or stopped, in one line; empty when it completed.' },
  },
  settings: toShiftSettings,
  async run(settings, context) {
    const { trafficShiftAction } = await import('../traffic-shift.js');
    await trafficShiftAction(settings, context);
  },
  cli: {
    name: 'shift',
    summary: "Move each function's alias to its new version by the config's rollout, watching the alarms; prints the JSON report.",
    async run(settings, io) {
      const { shiftCommand } = await import('../traffic-shift.js');
      return shiftCommand(settings, io);
    },
  },
});
