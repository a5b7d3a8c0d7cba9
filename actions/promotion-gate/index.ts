// Thin entry: all logic lives in src/ and is tested there.
import { promotionGateAction } from '../../src/promotion-gate.js';
import { runAction } from '../../src/run-action.js';

await runAction((context) => promotionGateAction(context));
