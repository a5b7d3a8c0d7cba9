// Thin entry: all logic lives in src/ and is tested there.
import { runAction } from '../../src/run-action.js';
import { versionPruneAction } from '../../src/version-prune.js';

await runAction((context) => versionPruneAction(context));
