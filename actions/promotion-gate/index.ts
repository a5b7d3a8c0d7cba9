// Generated from src/definitions/promotion-gate.ts by "npm run generate". The thin entry: parse the inputs, then
// load and run the action (src/run-action.ts); everything else lives in src/ and is tested there.
import { promotionGate } from '../../src/definitions/promotion-gate.js';
import { runDefinedAction } from '../../src/run-action.js';

await runDefinedAction(promotionGate);
