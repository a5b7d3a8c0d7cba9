/**
 * `npm run bench`: every benchmark, each comparing gantry with the loop it replaces in the same run, printed
 * as Markdown tables with ratios. Speed and call-count targets live here, never in timed tests.
 */
import { benchCodeBuildFollow, formatFollowFigures } from './codebuild-follow.js';

const sections: string[] = [];
sections.push(formatFollowFigures(await benchCodeBuildFollow()));
process.stdout.write(`${sections.join('\n\n')}\n`);
