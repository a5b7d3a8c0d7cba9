// Thin entry: all logic lives in src/ and is tested there.
import { runAction } from '../../src/run-action.js';
import { resolveEnvironmentAction } from '../../src/resolve-environment.js';

await runAction(resolveEnvironmentAction);
