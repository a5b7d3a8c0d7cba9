/**
 * codebuild-run: runs an environment's terraform plan or apply in its CodeBuild project and follows it.
 *
 * Flow: inputs → settings (pure) → StartBuild request (pure) → start, outputs at once → follow the log
 * → outcome: plan summary (job summary, PR comment) or applied plan, and a failed step for a failed build.
 * The build is never left running behind a failed step: on cancellation (even while StartBuild is in flight)
 * and when the follower gives up, it is stopped before the step ends, and a stop that fails is reported as one.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { type Build, type CodeBuildClient, StartBuildCommand, type StartBuildCommandInput, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { createCodeBuildClient, createLogsClient } from './aws/clients.js';
import { buildConsoleLink, buildFailure, describeFailure, exportedVariables, isComplete, usableLogLink } from './codebuild/build-status.js';
import { type FollowOptions, type FollowResult, followBuild, type LogLine } from './codebuild/follow-build.js';
import type { PollSchedule } from './codebuild/poll-schedule.js';
import { type CodeBuildRunInputs, type ResolvedRun, resolveRun } from './codebuild/settings.js';
import { type CliDownload, cliReleaseSource, explainStartFailure, type StartContext, startBuildRequest } from './codebuild/start-request.js';
import { loadEnvironment } from './config/environment-input.js';
import type { ActionContext } from './definition/define.js';
import { describeAwsError, describeError, OperationError } from './errors.js';
import { optionalGantryFile } from './gantry-files.js';
import { createGitHubClient, type GitHubClient } from './github/client.js';
import { isPullRequestEvent, type RunContext, readRunContext } from './github/run-context.js';
import { COMMENT_MAX_CHARS, markerLine, upsertStickyComment } from './github/sticky-comment.js';
import { workspaceRoot } from './read-user-file.js';
import { type PlanSummary, planSummaryFromExported, renderPlanMarkdown } from './terraform/plan-summary.js';
import { GANTRY_VERSION } from './version.js';

/** Seams for tests and the benchmark; the action itself builds everything from its inputs and environment. */
export interface CodeBuildRunDeps {
  codebuild?: CodeBuildClient;
  logs?: CloudWatchLogsClient;
  github?: GitHubClient;
  schedule?: PollSchedule;
  onLine?: (line: LogLine) => void;
  /** The log follower; src/codebuild/follow-build.ts by default. */
  follow?: (started: Build, options: FollowOptions) => Promise<FollowResult>;
}

/** GitHub kills a cancelled step about 10 s after SIGINT; StopBuild must be sent well before. */
const STOP_TIMEOUT_MS = 5_000;

export async function codebuildRunAction(inputs: CodeBuildRunInputs, context: ActionContext, deps: CodeBuildRunDeps = {}): Promise<void> {
  // First of all: a cancel that arrives while StartBuild is in flight must still stop the build it starts.
  const cancelled = context.cancellation();
  const { config, environment } = await loadEnvironment(inputs.target, context.inputs, context.env);
  const runContext = readRunContext(context.env);
  const run = pullRequestRun(resolveRun(inputs, environment, workspaceRoot(context.env)), inputs, runContext, config.pullRequestEnvironments);
  const { logger } = context;
  warnAboutOverrides(inputs, run, logger);

  const cli = cliDownload(context.env, logger);
  const request = startBuildRequest({
    inputs,
    run,
    context: runContext,
    ...(cli === undefined ? {} : { cli }),
  });
  const codebuild = deps.codebuild ?? createCodeBuildClient({ region: environment.region });
  const logs = deps.logs ?? createLogsClient({ region: environment.region });
  // One attempt: the SDK counts StartLiveTail's LimitExceededException (the account's session quota) as
  // throttling and would retry it for a minute; the follower falls back to polling at once instead.
  const liveTailLogs = deps.logs ?? createLogsClient({ region: environment.region, maxAttempts: 1 });

  if (cancelled.aborted) throw new OperationError(`workflow cancelled: no build of ${run.project} was started`);
  const started = await startBuild(codebuild, request, cancelled, logger, startContext(inputs, run, runContext, context));
  // Outputs first: a later step (or a person) can find and stop the build even if this step dies.
  context.setOutput('build-id', started.id);
  context.setOutput('build-number', started.buildNumber ?? '');
  context.setOutput('status', started.buildStatus ?? 'IN_PROGRESS');
  logger.info(
    `${run.mode} for ${environment.name} at ${inputs.sourceVersion.slice(0, 12)}: ${run.project} build #${started.buildNumber ?? '?'} (${started.id})`,
  );
  const noteLog = logLinkOnce(context);
  noteLog(started);
  const stop = (build: Build) => stopBuild(codebuild, build, environment.region);
  if (cancelled.aborted) await failStopped(context, started, 'workflow cancelled', await stop(started));
  if (!inputs.wait) return;

  // Whatever ends the following (a denied or expired credential, a build that vanished), the build must not
  // run on behind a failed step: it is stopped, and the step says both what failed and how the stop went.
  const followed = await (deps.follow ?? followBuild)(started, {
    codebuild,
    logs,
    liveTailLogs,
    logMode: inputs.logFollow,
    logger,
    signal: cancelled,
    onBuild: noteLog,
    ...(deps.schedule === undefined ? {} : { schedule: deps.schedule }),
    ...(deps.onLine === undefined ? {} : { onLine: deps.onLine }),
  }).catch(async (error: unknown) => failStopped(context, started, `could not follow the build (${followFailure(error)})`, await stop(started)));
  const build = followed.build;
  noteLog(build);
  if (followed.outcome === 'cancelled') await failStopped(context, build, 'workflow cancelled', await stop(build));
  if (followed.outcome === 'abandoned') {
    await failStopped(context, build, `gave up following the build (${followed.reason})`, await stop(build));
  }

  context.setOutput('status', build.buildStatus ?? '');
  const failure = buildFailure(build);
  if (run.mode === 'plan') await reportPlan(context, deps, { inputs, run, runContext, build });
  else await reportApply(context, { inputs, run, runContext, build });
  if (failure !== undefined) throw new OperationError(describeFailure(build));
}

/**
 * Sends StartBuild and lets it complete even if the workflow is cancelled meanwhile: it carries an idempotency
 * token, and an aborted call may still have started a build nobody would know the id of. The caller stops it.
 */
async function startBuild(
  codebuild: CodeBuildClient,
  request: StartBuildCommandInput,
  cancelled: AbortSignal,
  logger: ActionContext['logger'],
  explain: StartContext,
): Promise<Build & { id: string }> {
  const onCancel = () => logger.warning(`workflow cancelled while StartBuild of ${request.projectName} is in flight: the build it starts will be stopped`);
  cancelled.addEventListener('abort', onCancel, { once: true });
  try {
    const { build } = await codebuild.send(new StartBuildCommand(request));
    if (build?.id === undefined) throw new OperationError(`StartBuild for ${request.projectName} returned no build`);
    return { ...build, id: build.id };
  } catch (error) {
    throw explainStartFailure(error, explain) ?? error;
  } finally {
    cancelled.removeEventListener('abort', onCancel);
  }
}

function startContext(inputs: CodeBuildRunInputs, run: ResolvedRun, runContext: RunContext, context: ActionContext): StartContext {
  const { names } = run.environment;
  const pullRequest = run.mode === 'plan' && isPullRequestEvent(runContext);
  const configured = run.mode === 'apply' ? names.applyProject : pullRequest ? names.prPlanProject : names.planProject;
  return {
    project: run.project,
    ...(inputs.project === undefined ? {} : { projectInput: context.inputs.label('project') }),
    configuredProject: configured,
    kind: run.mode === 'apply' ? 'apply project' : pullRequest ? 'pull-request plan project' : 'plan project',
    environment: run.environment.name,
    configFile: inputs.target.configFile,
    region: run.environment.region,
    role:
      run.mode === 'apply'
        ? { arn: names.deployRoleArn, output: 'role-arn' }
        : pullRequest
          ? { arn: names.planRoleArn, output: 'plan-role-arn' }
          : { arn: names.refRoleArn, output: 'ref-role-arn' },
  };
}

/**
 * Sets `log-url` and prints the "CodeBuild log:" line from the first view of the build that names its log
 * (CodeBuild names it only once the build has created its log stream), once.
 */
function logLinkOnce(context: ActionContext): (build: Build) => void {
  let known = false;
  return (build) => {
    if (known) return;
    const link = usableLogLink(build);
    if (link === undefined) return;
    known = true;
    context.setOutput('log-url', link);
    context.logger.info(`CodeBuild log: ${link}`);
  };
}

type StopOutcome = { stopped: true; build?: Build } | { stopped: false; error: string; consoleLink: string };

/** Stops the build; a failure is reported back, never thrown, so the caller can say what happened. */
async function stopBuild(codebuild: CodeBuildClient, build: Build, region: string): Promise<StopOutcome> {
  const command = new StopBuildCommand({ id: build.id });
  // The SDK retries a failing StopBuild until the deadline aborts it: the last answer says why it failed.
  let lastError: unknown;
  command.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        lastError = error;
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'gantryLastStopError' },
  );
  const deadline = AbortSignal.timeout(STOP_TIMEOUT_MS);
  try {
    const stopped = await codebuild.send(command, { abortSignal: deadline });
    return { stopped: true, ...(stopped.build === undefined ? {} : { build: stopped.build }) };
  } catch (error) {
    const seconds = STOP_TIMEOUT_MS / 1000;
    const reason = !deadline.aborted
      ? describeAwsError(error)
      : lastError === undefined
        ? `no answer within ${seconds} s`
        : `${describeAwsError(lastError)} (still failing after ${seconds} s)`;
    return { stopped: false, error: reason, consoleLink: buildConsoleLink(build, region) };
  }
}

/** Fails the step after stopping the build: `status` is STOPPED, or what is known when the stop did not work. */
async function failStopped(context: ActionContext, build: Build, why: string, outcome: StopOutcome): Promise<never> {
  if (!outcome.stopped) {
    context.setOutput('status', build.buildStatus ?? 'IN_PROGRESS');
    throw new OperationError(`${why}: stop requested for build ${build.id} and failed: ${outcome.error}; stop it at ${outcome.consoleLink}`);
  }
  const after = outcome.build;
  if (after !== undefined && isComplete(after) && after.buildStatus !== 'STOPPED') {
    // It ended on its own before the stop arrived.
    context.setOutput('status', after.buildStatus ?? '');
    throw new OperationError(`${why}: build ${build.id} had already ended ${after.buildStatus}`);
  }
  context.setOutput('status', 'STOPPED');
  throw new OperationError(`${why}: stopped build ${build.id}`);
}

/** Why following failed, with the fix when it is the role session running out before the build. */
function followFailure(error: unknown): string {
  const text = describeAwsError(error);
  if (error instanceof Error && /^ExpiredToken/.test(error.name)) {
    return `${text}; the role session ended before the build: raise role-duration-seconds of configure-aws-credentials (the deploy role allows 14400)`;
  }
  return text;
}

/**
 * A pull request's plan runs in the read-only pull-request plan project (its role writes neither state, lock
 * nor stored plans; the plan-only role can start nothing else), and only in pullRequests.environments.
 */
export function pullRequestRun(run: ResolvedRun, inputs: CodeBuildRunInputs, runContext: RunContext, allowed: string[]): ResolvedRun {
  if (!isPullRequestEvent(runContext) || run.mode !== 'plan') return run;
  if (!allowed.includes(run.environment.name)) {
    throw new OperationError(
      `pull requests may not plan ${run.environment.name}: it is not in pullRequests.environments (${allowed.join(', ') || 'none'}) of the config`,
    );
  }
  return inputs.project === undefined ? { ...run, project: run.environment.names.prPlanProject } : run;
}

function warnAboutOverrides(inputs: CodeBuildRunInputs, run: ResolvedRun, logger: ActionContext['logger']): void {
  const { names, terraform } = run.environment;
  const configured = run.mode === 'plan' ? names.planProject : names.applyProject;
  if (inputs.project !== undefined && inputs.project !== configured) {
    logger.warning(`input "project" overrides the config: running ${inputs.project} instead of ${configured}`);
  }
  if (inputs.workingDirectory !== undefined && inputs.workingDirectory !== terraform.workingDirectory) {
    logger.warning(`input "working-directory" overrides the config: terraform runs in ${inputs.workingDirectory} instead of ${terraform.workingDirectory}`);
  }
}

interface RunOutcome {
  inputs: CodeBuildRunInputs;
  run: ResolvedRun;
  runContext: RunContext;
  build: Build;
}

async function reportPlan(context: ActionContext, deps: CodeBuildRunDeps, outcome: RunOutcome): Promise<void> {
  const { build, run, inputs } = outcome;
  const summary = planSummaryFromExported(exportedVariables(build));
  const failure = buildFailure(build);
  if (summary !== undefined) {
    context.setOutput('plan-sha256', summary.sha256);
    context.setOutput('plan-add', summary.add);
    context.setOutput('plan-change', summary.change);
    context.setOutput('plan-destroy', summary.destroy);
    context.setOutput('plan-replace', summary.replace);
  } else if (failure === undefined) {
    throw new OperationError(`plan build ${build.id} succeeded but exported no GANTRY_PLAN_SHA256: is the project running gantry's terraform-plan buildspec?`);
  }
  const markdown = planMarkdown(summary, outcome, COMMENT_MAX_CHARS - markerLine(commentMarker(run)).length - 1);
  await context.appendSummary(markdown);
  if (!inputs.comment || !isPullRequestEvent(outcome.runContext)) return;
  const token = inputs.githubToken;
  if (token === undefined) {
    context.logger.warning('no github-token: skipping the pull request comment (set github-token, or comment: false)');
    return;
  }
  try {
    const client = deps.github ?? createGitHubClient(token, context.env);
    const { action, url } = await upsertStickyComment(client, {
      owner: outcome.runContext.owner,
      repo: outcome.runContext.repo,
      issueNumber: outcome.runContext.pullRequest,
      marker: commentMarker(run),
      body: markdown,
    });
    context.setOutput('comment-url', url);
    context.logger.info(`plan comment ${action}: ${url}`);
  } catch (error) {
    // A fork's read-only token cannot comment; the plan itself is still good and in the job summary.
    context.logger.warning(`could not write the pull request comment: ${describeError(error)}`);
  }
}

const commentMarker = (run: ResolvedRun) => `gantry:plan:${run.environment.name}`;

function planMarkdown(summary: (PlanSummary & { sha256: string }) | undefined, outcome: RunOutcome, maxChars: number): string {
  const { build, run, inputs } = outcome;
  const logUrl = usableLogLink(build);
  const failure = buildFailure(build);
  if (failure !== undefined || summary === undefined) {
    // A failed plan replaces the previous plan's comment: an old "Plan: ..." must not look current.
    const reason = failure === undefined ? 'no plan was exported' : `${failure.status} in ${failure.phase}: ${failure.message}`;
    const text = [
      `### Terraform plan: ${run.environment.name}`,
      '',
      `:x: The plan for \`${inputs.sourceVersion.slice(0, 12)}\` did not complete: ${reason}`,
      '',
      logUrl === undefined ? `Build ${build.id}` : `[Build log](${logUrl})`,
    ].join('\n');
    return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
  }
  return renderPlanMarkdown(
    summary,
    {
      environment: run.environment.name,
      commit: inputs.sourceVersion,
      ...(logUrl === undefined ? {} : { logUrl }),
      ...(build.id === undefined ? {} : { buildId: build.id }),
    },
    maxChars,
  );
}

async function reportApply(context: ActionContext, outcome: RunOutcome): Promise<void> {
  const { build, run, inputs } = outcome;
  const { planSha256 } = inputs;
  if (planSha256 === undefined) throw new OperationError('mode apply without plan-sha256: the settings require it, so the reviewed plan is unknown');
  const applied = exportedVariables(build).GANTRY_APPLIED_SHA256;
  if (applied !== undefined && applied !== '') context.setOutput('applied-sha256', applied);
  const failure = buildFailure(build);
  const logUrl = usableLogLink(build);
  const log = logUrl === undefined ? `build ${build.id}` : `[build log](${logUrl})`;
  await context.appendSummary(
    [
      `### Terraform apply: ${run.environment.name}`,
      '',
      failure === undefined
        ? `Applied the reviewed plan \`${planSha256.slice(0, 16)}…\` of \`${inputs.sourceVersion.slice(0, 12)}\` (${log}).`
        : `:x: Nothing applied or the apply failed: ${failure.status} in ${failure.phase}: ${failure.message} (${log}).`,
    ].join('\n'),
  );
}

/**
 * Where a build can fetch this version's CLI when its image has none (`GANTRY_CLI` unset): the `gantry.js` asset
 * of the gantry release the action runs (never the repository being deployed), with the SHA-256 of the action's
 * own copy, which the build checks. When the action does not run from a release there is no download, and the
 * log says that the project's GANTRY_CLI must name the CLI.
 */
function cliDownload(env: NodeJS.ProcessEnv, logger: ActionContext['logger']): CliDownload | undefined {
  const file = optionalGantryFile('scripts/dist/gantry.js');
  // A remote action has GITHUB_ACTION_*; inside gantry's reusable workflows the action runs from a checkout of
  // gantry (./.gantry/actions/...), and the workflow names the repository and commit it checked out instead.
  const source = cliReleaseSource(
    { repository: env.GITHUB_ACTION_REPOSITORY || env.GANTRY_ACTION_REPOSITORY, ref: env.GITHUB_ACTION_REF || env.GANTRY_ACTION_REF },
    GANTRY_VERSION,
  );
  if ('reason' in source || file === undefined) {
    const reason = 'reason' in source ? source.reason : "the action's checkout has no scripts/dist/gantry.js";
    logger.info(`CodeBuild gets no gantry CLI download: ${reason}; the project's GANTRY_CLI must run the CLI (see docs/release.md)`);
    return undefined;
  }
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  logger.info(`CodeBuild downloads the gantry CLI ${GANTRY_VERSION} from ${source.url} unless the project sets GANTRY_CLI (sha256 ${sha256})`);
  return { url: source.url, sha256 };
}
