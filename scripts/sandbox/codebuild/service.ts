/**
 * The sandbox's CodeBuild service (AWS JSON 1.1, target prefix `CodeBuild_20161006`): StartBuild,
 * BatchGetBuilds, StopBuild, BatchGetProjects and ListBuildsForProject, writing build logs to the Logs
 * sandbox. Projects are created with `createProject`; a project with a `sourceDir` executes its buildspec
 * for real, any other follows a script (`scriptNextBuild`, or a plain successful default). As in CodeBuild, a
 * build names its log (group, stream, ARN, console link) only once its log stream exists (`logsLocation`).
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBuildspec, runBuildspec } from '../../../src/buildspec/runner.js';
import { UserError } from '../../../src/errors.js';
import { required } from '../../assert.js';
import type { SandboxCore } from '../frame.js';
import { SANDBOX_REGION } from '../frame.js';
import type { LogsStore } from '../logs/store.js';
import { Json11Service, json11Ok as ok, parseJsonBody, type SandboxRequest, type SandboxResponse, ServiceError } from '../protocol.js';
import {
  advanceScripted,
  agentLine,
  type BuildRecord,
  type BuildScript,
  defaultScript,
  endPhase,
  enterPhase,
  type LogWriter,
  PRE_PHASES,
  recordRunnerPhase,
  statusAfter,
  stopBuild,
} from './build.js';

const ACCOUNT = '123456789012';
/** StartBuild's idempotency token is honoured for 5 minutes. */
const IDEMPOTENCY_WINDOW_MS = 5 * 60_000;

export interface ProjectSettings {
  /** The project's buildspec: inline YAML or a path relative to the source (default `buildspec.yml`). */
  buildspec?: string;
  /** Executes builds for real from a copy of this directory (a fresh checkout per build). */
  sourceDir?: string;
  /** Where executed builds put their artifacts (S3 in real use). */
  artifactsDir?: string;
  environmentVariables?: { name: string; value: string; type?: string }[];
  timeoutInMinutes?: number;
  /** CloudWatch Logs group (project `logsConfig.cloudWatchLogs.groupName`); `/aws/codebuild/<project>` by default. */
  logGroupName?: string;
  /**
   * The project's `logsConfig.cloudWatchLogs.streamName`: "the prefix of the stream name" (CodeBuild API
   * Reference, CloudWatchLogsConfig). A build's stream is `<prefix>/<build UUID>`, or the UUID alone without one.
   */
  logStreamPrefix?: string;
  serviceRole?: string;
}

interface Project extends Required<Pick<ProjectSettings, 'buildspec' | 'timeoutInMinutes'>> {
  name: string;
  arn: string;
  settings: ProjectSettings;
  created: number;
  builds: string[];
  nextNumber: number;
  scripts: BuildScript[];
}

export interface CodeBuildOptions {
  /**
   * Variables every executed build sees, as the container's own environment: the sandbox passes its
   * endpoints so that a buildspec calling the gantry CLI or the AWS SDK reaches the sandbox.
   */
  containerEnv?: Record<string, string>;
  /** Keep executed builds' work directories (for debugging). */
  keepWorkDirs?: boolean;
}

const invalid = (message: string) => new ServiceError(400, 'InvalidInputException', message);
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export class CodeBuildService extends Json11Service {
  readonly name = 'codebuild';
  readonly builds = new Map<string, BuildRecord>();
  readonly #projects = new Map<string, Project>();
  readonly #tokens = new Map<string, { buildId: string; requestKey: string; at: number }>();

  constructor(
    private readonly core: SandboxCore,
    private readonly logs: LogsStore,
    readonly options: CodeBuildOptions = {},
  ) {
    super('CodeBuild_20161006', 'InternalFailure', 'An internal error occurred.');
    const previous = logs.beforeRead;
    logs.beforeRead = () => {
      previous();
      this.#advanceAll();
    };
  }

  createProject(name: string, settings: ProjectSettings = {}): void {
    this.#projects.set(name, {
      name,
      arn: `arn:aws:codebuild:${SANDBOX_REGION}:${ACCOUNT}:project/${name}`,
      buildspec: settings.buildspec ?? 'buildspec.yml',
      timeoutInMinutes: settings.timeoutInMinutes ?? 60,
      settings,
      created: this.core.clock.now(),
      builds: [],
      nextNumber: 1,
      scripts: [],
    });
  }

  /** The next build of `project` follows this script instead of executing or the default script. */
  scriptNextBuild(project: string, script: BuildScript): void {
    this.#project(project).scripts.push(script);
  }

  /** A build as the sandbox holds it, advanced to now. */
  build(id: string): BuildRecord {
    const build = this.builds.get(id);
    if (build === undefined) throw new Error(`no sandbox build ${id}`);
    this.#advance(build);
    return build;
  }

  /** Resolves when an executed build has finished (scripted builds finish by the clock). */
  async settled(id: string): Promise<BuildRecord> {
    await this.builds.get(id)?.done;
    return this.build(id);
  }

  quotaFor(operation: string): string | undefined {
    return `codebuild-${operation}`;
  }

  async handle(operation: string, request: SandboxRequest): Promise<SandboxResponse> {
    const body = parseJsonBody(request);
    this.#advanceAll();
    switch (operation) {
      case 'StartBuild':
        return ok({ build: this.#shape(this.#startBuild(body)) });
      case 'BatchGetBuilds':
        return ok(this.#batchGetBuilds(body));
      case 'StopBuild': {
        const build = this.#existing(stringField(body, 'id'));
        stopBuild(build, this.core.clock.now(), this.#logWriter(build));
        return ok({ build: this.#shape(build) });
      }
      case 'BatchGetProjects':
        return ok(this.#batchGetProjects(body));
      case 'ListBuildsForProject': {
        const project = this.#project(stringField(body, 'projectName'));
        return ok({ ids: [...project.builds].reverse() });
      }
      default:
        throw invalid(`The sandbox does not implement ${operation}`);
    }
  }

  #startBuild(body: Record<string, unknown>): BuildRecord {
    const project = this.#project(stringField(body, 'projectName'));
    const { idempotencyToken, ...rest } = body;
    const requestKey = JSON.stringify(rest);
    const now = this.core.clock.now();
    if (typeof idempotencyToken === 'string') {
      const previous = this.#tokens.get(idempotencyToken);
      if (previous !== undefined && now - previous.at < IDEMPOTENCY_WINDOW_MS) {
        if (previous.requestKey !== requestKey) {
          throw invalid('Idempotency token was used with different request parameters');
        }
        return required(this.builds.get(previous.buildId), `build ${previous.buildId}`);
      }
    }
    const overrides = parseVariables(body.environmentVariablesOverride);
    const timeout = body.timeoutInMinutesOverride;
    if (timeout !== undefined && (typeof timeout !== 'number' || timeout < 5 || timeout > 2160)) {
      throw invalid('timeoutInMinutesOverride must be between 5 and 2160');
    }
    const sourceVersion = typeof body.sourceVersion === 'string' ? body.sourceVersion : undefined;
    const uuid = randomUUID();
    const id = `${project.name}:${uuid}`;
    const variables = new Map<string, { name: string; value: string; type: string }>();
    for (const variable of [...parseVariables(project.settings.environmentVariables), ...overrides]) variables.set(variable.name, variable);
    const build: BuildRecord = {
      id,
      arn: `arn:aws:codebuild:${SANDBOX_REGION}:${ACCOUNT}:build/${id}`,
      buildNumber: project.nextNumber++,
      projectName: project.name,
      startTime: now,
      buildStatus: 'IN_PROGRESS',
      phases: [],
      ...(sourceVersion === undefined ? {} : { sourceVersion, resolvedSourceVersion: resolveSourceVersion(sourceVersion) }),
      buildspec: typeof body.buildspecOverride === 'string' ? body.buildspecOverride : project.buildspec,
      buildspecOverridden: typeof body.buildspecOverride === 'string',
      environmentVariables: [...variables.values()],
      exportedEnvironmentVariables: [],
      logGroupName: project.settings.logGroupName ?? `/aws/codebuild/${project.name}`,
      // The stream is named after the build's UUID (the part of the id after `<project>:`), under the project's
      // prefix: CodeBuild API Reference, CloudWatchLogsConfig.streamName ("the prefix of the stream name") and
      // the User Guide's BatchGetBuilds example (`streamName` = the build id's UUID). Streams of prefixed
      // projects read `<prefix>/<uuid>` (e.g. DefangLabs/pulumi-defang issue #523 parses
      // `<service>-image/<service>_<etag>/<build_id>`).
      logStreamName: project.settings.logStreamPrefix === undefined ? uuid : `${project.settings.logStreamPrefix}/${uuid}`,
      logsConfig: {
        ...(project.settings.logGroupName === undefined ? {} : { groupName: project.settings.logGroupName }),
        ...(project.settings.logStreamPrefix === undefined ? {} : { streamName: project.settings.logStreamPrefix }),
      },
      timeoutInMinutes: typeof timeout === 'number' ? timeout : project.timeoutInMinutes,
      initiator: 'gantry-sandbox',
      requestKey,
    };
    this.builds.set(id, build);
    project.builds.push(id);
    if (typeof idempotencyToken === 'string') this.#tokens.set(idempotencyToken, { buildId: id, requestKey, at: now });
    const script = project.scripts.shift();
    const { sourceDir } = project.settings;
    if (script === undefined && sourceDir !== undefined) {
      build.done = this.#execute(build, project, sourceDir);
    } else {
      build.script = { pending: [...(script ?? defaultScript()).phases], currentEnds: now, lines: [] };
      build.exportedEnvironmentVariables = Object.entries(script?.exportedVariables ?? {}).map(([name, value]) => ({ name, value }));
      this.#advance(build);
    }
    return build;
  }

  /** Runs the buildspec for real in a fresh copy of the project's source, as the CodeBuild agent would. */
  async #execute(build: BuildRecord, project: Project, sourceDir: string): Promise<void> {
    const log = this.#logWriter(build);
    const now = () => this.core.clock.now();
    const abort = new AbortController();
    build.abort = abort;
    // StartBuild answers with the build as submitted: the container is provisioned, and its agent creates the
    // log stream, only after the response (the CodeBuild User Guide's start-build output is at SUBMITTED).
    enterPhase(build, 'SUBMITTED', now(), log);
    await new Promise((resolve) => setImmediate(resolve));
    if (build.buildStatus !== 'IN_PROGRESS') return; // stopped before it was provisioned
    for (const phase of PRE_PHASES.slice(1)) enterPhase(build, phase, now(), log);
    log(agentLine(now(), 'Running on CodeBuild On-demand (gantry sandbox)'), now());
    const workDir = mkdtempSync(join(tmpdir(), `gantry-codebuild-${build.buildNumber}-`));
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        abort.abort();
      },
      this.core.clock.toReal(build.timeoutInMinutes * 60_000),
    );
    try {
      cpSync(sourceDir, workDir, { recursive: true });
      let text: string;
      let file: string;
      try {
        ({ text, file } = readBuildspec(build.buildspec, workDir));
        parseBuildspec(text, file);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        endPhase(build, 'FAILED', now(), log, { statusCode: 'YAML_FILE_ERROR', message });
        log(agentLine(now(), `Phase context status code: YAML_FILE_ERROR Message: ${message}`), now());
        this.#finish(build, log);
        return;
      }
      const result = await runBuildspec({
        buildspec: text,
        file,
        sourceDir: workDir,
        env: this.#buildEnv(build, workDir),
        ...(project.settings.artifactsDir === undefined ? {} : { artifactsDir: project.settings.artifactsDir }),
        now,
        signal: abort.signal,
        onLine: (line) => {
          if (build.buildStatus === 'IN_PROGRESS') log(line.text, now());
        },
        onPhase: (phase) => {
          if (build.buildStatus !== 'IN_PROGRESS') return;
          // The runner reports the abort as STOPPED; when the timeout caused it, CodeBuild says TIMED_OUT.
          const timeoutContext = { statusCode: 'BUILD_TIMED_OUT', message: `Build has timed out. ${build.timeoutInMinutes} mins` };
          recordRunnerPhase(
            build,
            timedOut && phase.phaseStatus === 'STOPPED' ? { ...phase, phaseStatus: 'TIMED_OUT', contexts: [timeoutContext] } : phase,
            log,
          );
        },
      });
      if (build.buildStatus !== 'IN_PROGRESS') return; // StopBuild already completed it
      build.exportedEnvironmentVariables = result.exportedVariables;
      enterPhase(build, 'UPLOAD_ARTIFACTS', now(), log);
      if (result.artifactsError !== undefined) {
        const [statusCode = 'CLIENT_ERROR', message = ''] = result.artifactsError.split(': ');
        endPhase(build, 'FAILED', now(), log, { statusCode, message });
      }
      this.#finish(build, log);
    } catch (error) {
      // The sandbox itself failed (copying the source, spawning the shell): CodeBuild calls that a FAULT.
      if (build.buildStatus === 'IN_PROGRESS') {
        endPhase(build, 'FAULT', now(), log, { statusCode: 'CLIENT_ERROR', message: error instanceof Error ? error.message : String(error) });
        this.#finish(build, log);
      }
    } finally {
      clearTimeout(timer);
      if (this.options.keepWorkDirs !== true) rmSync(workDir, { recursive: true, force: true });
    }
  }

  #finish(build: BuildRecord, log: LogWriter): void {
    const now = this.core.clock.now();
    const current = build.phases.at(-1);
    if (current !== undefined && current.phaseStatus === undefined) endPhase(build, 'SUCCEEDED', now, log);
    enterPhase(build, 'FINALIZING', now, log);
    endPhase(build, 'SUCCEEDED', now, log);
    enterPhase(build, 'COMPLETED', now, log);
    build.buildStatus = statusAfter(build);
  }

  #buildEnv(build: BuildRecord, workDir: string): Record<string, string> {
    const env: Record<string, string> = {
      ...this.options.containerEnv,
      AWS_REGION: SANDBOX_REGION,
      AWS_DEFAULT_REGION: SANDBOX_REGION,
      CODEBUILD_BUILD_ID: build.id,
      CODEBUILD_BUILD_ARN: build.arn,
      CODEBUILD_BUILD_NUMBER: String(build.buildNumber),
      CODEBUILD_INITIATOR: build.initiator,
      CODEBUILD_LOG_PATH: build.logStreamName,
      CODEBUILD_START_TIME: String(build.startTime),
      CODEBUILD_SRC_DIR: workDir,
      ...(build.sourceVersion === undefined ? {} : { CODEBUILD_SOURCE_VERSION: build.sourceVersion }),
      ...(build.resolvedSourceVersion === undefined ? {} : { CODEBUILD_RESOLVED_SOURCE_VERSION: build.resolvedSourceVersion }),
    };
    // PARAMETER_STORE and SECRETS_MANAGER values would be resolved by CodeBuild; the sandbox has neither,
    // so their names are passed through as values.
    for (const variable of build.environmentVariables) env[variable.name] = variable.value;
    return env;
  }

  #batchGetBuilds(body: Record<string, unknown>) {
    const ids = body.ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100 || !ids.every((id) => typeof id === 'string')) {
      throw invalid('ids must be a list of 1 to 100 build ids');
    }
    const builds = [];
    const buildsNotFound = [];
    for (const id of ids as string[]) {
      const build = this.builds.get(id);
      if (build === undefined) buildsNotFound.push(id);
      else builds.push(this.#shape(build));
    }
    return { builds, buildsNotFound };
  }

  #batchGetProjects(body: Record<string, unknown>) {
    const names = body.names;
    if (!Array.isArray(names) || names.length === 0 || names.length > 100) throw invalid('names must be a list of 1 to 100 project names');
    const projects = [];
    const projectsNotFound = [];
    for (const name of names as string[]) {
      const project = this.#projects.get(name);
      if (project === undefined) {
        projectsNotFound.push(name);
        continue;
      }
      projects.push({
        name: project.name,
        arn: project.arn,
        source: { type: 'GITHUB', buildspec: project.buildspec },
        environment: this.#environment(parseVariables(project.settings.environmentVariables)),
        serviceRole: project.settings.serviceRole ?? `arn:aws:iam::${ACCOUNT}:role/${project.name}`,
        timeoutInMinutes: project.timeoutInMinutes,
        created: seconds(project.created),
        logsConfig: {
          cloudWatchLogs: {
            status: 'ENABLED',
            ...(project.settings.logGroupName === undefined ? {} : { groupName: project.settings.logGroupName }),
            ...(project.settings.logStreamPrefix === undefined ? {} : { streamName: project.settings.logStreamPrefix }),
          },
          s3Logs: { status: 'DISABLED' },
        },
      });
    }
    return { projects, projectsNotFound };
  }

  #environment(variables: { name: string; value: string; type: string }[]) {
    return {
      type: 'LINUX_CONTAINER',
      image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0',
      computeType: 'BUILD_GENERAL1_SMALL',
      environmentVariables: variables,
      privilegedMode: false,
      imagePullCredentialsType: 'CODEBUILD',
    };
  }

  /** The Build structure as BatchGetBuilds returns it (timestamps in epoch seconds, as JSON 1.1 sends them). */
  #shape(build: BuildRecord) {
    this.#advance(build);
    const complete = build.buildStatus !== 'IN_PROGRESS';
    return {
      id: build.id,
      arn: build.arn,
      buildNumber: build.buildNumber,
      startTime: seconds(build.startTime),
      ...(build.endTime === undefined ? {} : { endTime: seconds(build.endTime) }),
      currentPhase: build.phases.at(-1)?.phaseType ?? 'SUBMITTED',
      buildStatus: build.buildStatus,
      ...(build.sourceVersion === undefined ? {} : { sourceVersion: build.sourceVersion }),
      ...(build.resolvedSourceVersion === undefined ? {} : { resolvedSourceVersion: build.resolvedSourceVersion }),
      projectName: build.projectName,
      phases: build.phases.map((phase) => ({
        phaseType: phase.phaseType,
        ...(phase.phaseStatus === undefined ? {} : { phaseStatus: phase.phaseStatus }),
        startTime: seconds(phase.startTime),
        ...(phase.endTime === undefined ? {} : { endTime: seconds(phase.endTime), durationInSeconds: Math.round((phase.endTime - phase.startTime) / 1000) }),
        ...(phase.contexts === undefined ? {} : { contexts: phase.contexts }),
      })),
      source: { type: 'GITHUB', buildspec: build.buildspec },
      environment: this.#environment(build.environmentVariables),
      serviceRole: `arn:aws:iam::${ACCOUNT}:role/${build.projectName}`,
      logs: logsLocation(build),
      timeoutInMinutes: build.timeoutInMinutes,
      queuedTimeoutInMinutes: 480,
      buildComplete: complete,
      initiator: build.initiator,
      ...(complete && build.exportedEnvironmentVariables.length > 0 ? { exportedEnvironmentVariables: build.exportedEnvironmentVariables } : {}),
    };
  }

  #advanceAll(): void {
    for (const build of this.builds.values()) this.#advance(build);
  }

  #advance(build: BuildRecord): void {
    if (build.script !== undefined && build.buildStatus === 'IN_PROGRESS') advanceScripted(build, this.core.clock.now(), this.#logWriter(build));
  }

  /**
   * Build logs go to the stream the agent creates (CreateLogStream) before its first line, when the container
   * is up and the source download starts. From then on BatchGetBuilds names the stream (`logsLocation`).
   */
  #logWriter(build: BuildRecord): LogWriter {
    return (text, at) => {
      if (build.logStreamCreatedAt === undefined) {
        this.logs.createStream(build.logGroupName, build.logStreamName);
        build.logStreamCreatedAt = at;
      }
      for (const line of text.split('\n')) this.logs.append(build.logGroupName, build.logStreamName, line, at);
    };
  }

  #project(name: string): Project {
    const project = this.#projects.get(name);
    if (project === undefined) {
      throw new ServiceError(400, 'ResourceNotFoundException', `Project cannot be found: arn:aws:codebuild:${SANDBOX_REGION}:${ACCOUNT}:project/${name}`);
    }
    return project;
  }

  #existing(id: string): BuildRecord {
    const build = this.builds.get(id);
    if (build === undefined) throw new ServiceError(400, 'ResourceNotFoundException', `Build ${id} does not exist`);
    return build;
  }
}

/**
 * The Build's `logs` (LogsLocation) at this moment. Real CodeBuild has no usable names until the build's log
 * stream exists: "The CloudWatch Logs stream is created during the PROVISIONING phase of a build and the ARN
 * [and the deeplink] will not be valid until it is created" (CodeBuild API Reference, LogsLocation,
 * cloudWatchLogsArn and deepLink). What it returns meanwhile, as reported from StartBuild and BatchGetBuilds
 * responses: no groupName or streamName, `deepLink` ending `#logEvent:group=null;stream=null` and
 * `cloudWatchLogsArn` `arn:aws:logs:<region>:<account>:log-group:null:log-stream:null`
 * (dark-mechanicum/aws-codebuild issue #39, the `logs` of a StartBuild response as a user quoted it; aws-actions/aws-codebuild-run-build
 * issue #98 and its `logName`, which treats that ARN as "no log yet" and reads the names again from each
 * BatchGetBuilds, test/code-build-test.js "return undefined when the group and stream are null").
 * `cloudWatchLogs` (the project's CloudWatchLogsConfig: status, and groupName/streamName prefix when set) is
 * there from the start: dark-mechanicum/aws-codebuild reads `logs.cloudWatchLogs.status` from the StartBuild
 * response. Once the stream exists: the names, `deepLink`
 * `https://console.aws.amazon.com/cloudwatch/home?region=<region>#logEvent:group=<group>;stream=<stream>` and the
 * stream's ARN (the User Guide's batch-get-builds output; API Reference, LogsLocation.cloudWatchLogsArn format).
 * The sandbox's agent creates the stream when it enters DOWNLOAD_SOURCE (real agents start at the very end of
 * PROVISIONING): a client must take the names from the first BatchGetBuilds that has them, whatever the phase.
 * A build stopped before its container started never gets a stream, so its names stay null.
 */
export function logsLocation(build: Pick<BuildRecord, 'logGroupName' | 'logStreamName' | 'logsConfig' | 'logStreamCreatedAt'>) {
  const link = `https://console.aws.amazon.com/cloudwatch/home?region=${SANDBOX_REGION}#logEvent:`;
  const arn = (group: string, stream: string) => `arn:aws:logs:${SANDBOX_REGION}:${ACCOUNT}:log-group:${group}:log-stream:${stream}`;
  const config = { cloudWatchLogs: { status: 'ENABLED', ...build.logsConfig }, s3Logs: { status: 'DISABLED' } };
  if (build.logStreamCreatedAt === undefined) {
    return { deepLink: `${link}group=null;stream=null`, cloudWatchLogsArn: arn('null', 'null'), ...config };
  }
  return {
    groupName: build.logGroupName,
    streamName: build.logStreamName,
    deepLink: `${link}group=${build.logGroupName};stream=${build.logStreamName}`,
    cloudWatchLogsArn: arn(build.logGroupName, build.logStreamName),
    ...config,
  };
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '')
    throw invalid(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  return value;
}

const VARIABLE_TYPES = ['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER'];

function parseVariables(value: unknown): { name: string; value: string; type: string }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('environmentVariablesOverride must be a list');
  return value.map((entry: Record<string, unknown>) => {
    if (typeof entry.name !== 'string' || entry.name === '' || typeof entry.value !== 'string') {
      throw invalid('Environment variable name and value must be set');
    }
    const type = entry.type ?? 'PLAINTEXT';
    if (typeof type !== 'string' || !VARIABLE_TYPES.includes(type)) throw invalid(`Invalid environment variable type ${String(type)}`);
    return { name: entry.name, value: entry.value, type };
  });
}

/** A commit SHA resolves to itself; a branch or tag to a stable made-up SHA. */
function resolveSourceVersion(version: string): string {
  if (/^[0-9a-f]{40}$/.test(version)) return version;
  let hash = 0n;
  for (const char of version) hash = (hash * 131n + BigInt(char.charCodeAt(0))) % (1n << 160n);
  return hash.toString(16).padStart(40, '0');
}

/** buildspecOverride and the project's buildspec are inline YAML or a path in the source. */
function readBuildspec(buildspec: string, workDir: string): { text: string; file: string } {
  if (buildspec.includes('\n')) return { text: buildspec, file: 'buildspec' };
  try {
    return { text: readFileSync(join(workDir, buildspec), 'utf8'), file: buildspec };
  } catch (cause) {
    throw new UserError(`YAML_FILE_ERROR: cannot read buildspec ${buildspec} in the source: ${(cause as Error).message}`, { cause });
  }
}
