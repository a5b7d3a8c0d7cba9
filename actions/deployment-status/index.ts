// Thin entry: all logic lives in src/ and is tested there.
import { deploymentStatusAction } from '../../src/deployment-status.js';
import { runAction } from '../../src/run-action.js';

await runAction((context) => deploymentStatusAction(context));
