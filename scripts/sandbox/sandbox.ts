/**
 * The gantry sandbox: Lambda, CodeBuild, CloudWatch Logs, CloudWatch (alarms and metrics, fed by the Lambda
 * sandbox's invocations) and GitHub REST on one loopback port, sharing one clock, one set of quotas and one
 * fault injector. Tests, the demo and the benchmarks start it with
 * `startSandbox()`; `npm run sandbox` starts it by hand (main.ts).
 */
import { type CloudWatchOptions, CloudWatchService } from './cloudwatch/service.js';
import { type CodeBuildOptions, CodeBuildService } from './codebuild/service.js';
import { type RunningSandbox, type SandboxOptions, startSandboxWith } from './frame.js';
import { GitHubService } from './github/service.js';
import { type LambdaOptions, LambdaService } from './lambda/service.js';
import { type LogsOptions, LogsService } from './logs/service.js';

export interface GantrySandboxOptions extends SandboxOptions {
  lambda?: LambdaOptions;
  codebuild?: CodeBuildOptions;
  /** Ingestion delay and Live Tail quotas (defaults: AWS's documented values; see logs/store.ts, logs/live-tail.ts). */
  logs?: LogsOptions;
  cloudwatch?: CloudWatchOptions;
}

export interface GantryServices {
  [name: string]: LambdaService | CodeBuildService | LogsService | CloudWatchService | GitHubService;
  lambda: LambdaService;
  codebuild: CodeBuildService;
  logs: LogsService;
  /** Alarms and metrics; AWS/Lambda metrics flow from `lambda`'s invocations. */
  cloudwatch: CloudWatchService;
  github: GitHubService;
}

export type GantrySandbox = RunningSandbox<GantryServices>;

export async function startSandbox(options: GantrySandboxOptions = {}): Promise<GantrySandbox> {
  const codebuildOptions: CodeBuildOptions = { ...options.codebuild };
  const sandbox = await startSandboxWith<GantryServices>((core) => {
    const logs = new LogsService(core, options.logs);
    const lambda = new LambdaService(core, options.lambda);
    const cloudwatch = new CloudWatchService(core, options.cloudwatch);
    cloudwatch.publishLambdaMetrics(lambda);
    return {
      lambda,
      codebuild: new CodeBuildService(core, logs.store, codebuildOptions),
      logs,
      cloudwatch,
      github: new GitHubService(core),
    };
  }, options);
  // Executed builds reach the sandbox the way the container reaches AWS: through its environment.
  codebuildOptions.containerEnv = { ...sandbox.env, ...codebuildOptions.containerEnv };
  return sandbox;
}
