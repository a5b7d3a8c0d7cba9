// Thin entry: all logic lives in src/ and is tested there.
import { capacityWarmupAction } from '../../src/capacity-warmup.js';
import { runAction } from '../../src/run-action.js';

await runAction((context) => capacityWarmupAction(context));
