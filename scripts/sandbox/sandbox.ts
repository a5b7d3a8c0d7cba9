/**
 * The gantry sandbox: Lambda, CodeBuild, CloudWatch Logs and GitHub REST on one loopback port, sharing
 * one clock, one set of quotas and one fault injector. Tests, the demo and the benchmarks start it with
 * `startSandbox()`; `npm run sandbox` starts it by hand (main.ts).
 */
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
}

export interface GantryServices {
  [name: string]: LambdaService | CodeBuildService | LogsService | GitHubService;
  lambda: LambdaService;
  codebuild: CodeBuildService;
  logs: LogsService;
  github: GitHubService;
}

export type GantrySandbox = RunningSandbox<GantryServices>;

export async function startSandbox(options: GantrySandboxOptions = {}): Promise<GantrySandbox> {
  const codebuildOptions: CodeBuildOptions = { ...options.codebuild };
  const sandbox = await startSandboxWith<GantryServices>((core) => {
    const logs = new LogsService(core, options.logs);
    return {
      lambda: new LambdaService(core, options.lambda),
      codebuild: new CodeBuildService(core, logs.store, codebuildOptions),
      logs,
      github: new GitHubService(core),
    };
  }, options);
  // Executed builds reach the sandbox the way the container reaches AWS: through its environment.
  codebuildOptions.containerEnv = { ...sandbox.env, ...codebuildOptions.containerEnv };
  return sandbox;
}
