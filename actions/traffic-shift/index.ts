// Generated from src/definitions/traffic-shift.ts by "npm run generate". The thin entry: parse the inputs, then
// load and run the action (src/run-action.ts); everything else lives in src/ and is tested there.
import { trafficShift } from '../../src/definitions/traffic-shift.js';
import { runDefinedAction } from '../../src/run-action.js';

await runDefinedAction(trafficShift);
