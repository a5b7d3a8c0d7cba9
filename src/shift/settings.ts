/**
 * traffic-shift's inputs → typed settings. Pure: every problem is an InputError naming the input and the fix,
 * raised before any AWS call. Which functions the names mean is decided against the config (run.ts's caller).
 */
import type { EnvironmentTarget } from '../definition/common-inputs.js';
import type { InputValues, SettingsContext } from '../definition/define.js';
import { quote } from '../definition/input-types.js';
import type { trafficShiftInputs } from '../definitions/traffic-shift.js';
import type { ResumeMode } from './plan.js';

export interface ShiftSettings {
  target: EnvironmentTarget;
  /** Short names or Lambda function names from the config; empty: every function of the environment. */
  functions: string[];
  resume: ResumeMode;
  /** Between two reads of the guarding alarms. */
  pollMs: number;
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function toShiftSettings(values: InputValues<typeof trafficShiftInputs>, context: SettingsContext): ShiftSettings {
  const functions = [...new Set(values.functions ?? [])];
  for (const name of functions) {
    if (!FUNCTION_NAME.test(name)) {
      context.fail(
        'functions',
        `${quote(name)} is not a function: give a short name from the config (router) or its Lambda function name, without a qualifier`,
      );
    }
  }
  return {
    target: { configFile: values.config, environment: values.environment },
    functions,
    resume: values.resume,
    pollMs: values['poll-seconds'] * 1000,
  };
}
