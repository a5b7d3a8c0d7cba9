// Thin entry: all logic lives in src/ and is tested there.
import { codebuildRunAction } from '../../src/codebuild-run.js';
import { runAction } from '../../src/run-action.js';

await runAction((context) => codebuildRunAction(context));
