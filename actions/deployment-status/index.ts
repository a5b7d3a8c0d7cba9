// Generated from src/definitions/deployment-status.ts by "npm run generate". The thin entry: parse the inputs, then
// load and run the action (src/run-action.ts); everything else lives in src/ and is tested there.
import { deploymentStatus } from '../../src/definitions/deployment-status.js';
import { runDefinedAction } from '../../src/run-action.js';

await runDefinedAction(deploymentStatus);
