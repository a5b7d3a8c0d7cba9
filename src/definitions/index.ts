/** Every action's definition, in the order the docs list them. */
import { capacityWarmup } from './capacity-warmup.js';
import { codebuildRun } from './codebuild-run.js';
import { deploymentStatus } from './deployment-status.js';
import { promotionGate } from './promotion-gate.js';
import { resolveEnvironment } from './resolve-environment.js';
import { trafficShift } from './traffic-shift.js';
import { versionPrune } from './version-prune.js';

export const ACTIONS = [resolveEnvironment, promotionGate, codebuildRun, deploymentStatus, capacityWarmup, trafficShift, versionPrune] as const;
