/**
 * The deployment config file's schema: the single source for validation, defaults and the README's
 * configuration reference (generated from the descriptions here by `npm run docs:config`).
 *
 * Names of AWS resources are not written here: they are derived by `naming.ts` from `project` and the
 * environment's name, and may be overridden once, under `environments.<env>.names`.
 */
import { z } from 'zod';

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** Lower-case DNS-like label: safe inside every AWS resource name gantry derives. */
const label = (what: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, `expected ${article(what)} ${what}: lower-case letters, digits and "-", starting with a letter, at most 20 characters`)
    .refine((value) => !value.endsWith('-') && !value.includes('--'), `expected ${article(what)} ${what} without a trailing or doubled "-"`);

export const ENVIRONMENT_NAME = label('environment name');

/** Paths inside the repository: relative, no `..`, so a buildspec can never leave its checkout. */
const repoPath = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('/') && !value.split('/').includes('..'), 'expected a path relative to the repository root, without ".."');

// Events a GitHub workflow can apply from. pull_request and pull_request_target are deliberately absent:
// code from a pull request is never applied (the reference platform's QA workflow did exactly that).
export const APPLY_EVENTS = [
  'push',
  'workflow_dispatch',
  'workflow_call',
  'workflow_run',
  'schedule',
  'release',
  'repository_dispatch',
  'merge_group',
] as const;

const applyEvent = z.string().refine((value): value is (typeof APPLY_EVENTS)[number] => (APPLY_EVENTS as readonly string[]).includes(value), {
  error: (issue) =>
    issue.input === 'pull_request' || issue.input === 'pull_request_target'
      ? `apply is never allowed from ${String(issue.input)}: plan on pull requests, apply from ${APPLY_EVENTS.slice(0, 2).join(' or ')}`
      : `expected one of ${APPLY_EVENTS.join(', ')}`,
});

const refPattern = z
  .string()
  .regex(
    /^refs\/(heads|tags)\/[A-Za-z0-9._/*-]+$/,
    'expected a full ref such as refs/heads/main or refs/tags/v* ("*" matches within one path segment, "**" across segments)',
  );

const iamActionNoWildcard = z
  .string()
  .regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, 'expected one IAM action such as "dynamodb:GetItem"; wildcards ("*") are not allowed');

const FunctionPermission = z
  .strictObject({
    actions: z.array(iamActionNoWildcard).min(1).describe('IAM actions the function may call, each named in full.'),
    resources: z
      .array(z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:/, 'expected an ARN (arn:aws:...)'))
      .min(1)
      .describe('ARNs the actions apply to.'),
  })
  .describe('One statement of the function execution role.');

/** A path inside another directory of the repository: relative, without `..`. */
const innerPath = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('/') && !value.split('/').includes('..'), 'expected a relative path without ".."');

const FunctionBuild = z
  .strictObject({
    source: repoPath
      .regex(/^\P{Cc}+$/u, 'expected a path without control characters')
      .optional()
      .describe("Directory of the function's source, relative to the repository root; the command runs there. `functions/<name>` unless set."),
    command: z
      .string()
      .optional()
      .describe(
        'Shell command (`sh -c`) run in `source` before zipping, such as `npm ci && node build.mjs`. Unless set: `npm ci --omit=dev` when `source` has a package-lock.json, nothing otherwise; `""` runs nothing.',
      ),
    directory: innerPath
      .optional()
      .describe(
        "What is zipped, relative to `source`: its files become the zip's root (a bundler's output directory such as `dist`). `source` itself unless set.",
      ),
  })
  .describe(
    'How `gantry package` builds the deployment package from source (the plan build runs it before terraform plan): the command, then a byte-reproducible zip of the directory (sorted entries, fixed times and permissions).',
  );

/**
 * Progressive delivery (docs/traffic-shift.md): how the traffic-shift action moves an alias from its stable
 * version to the new one, and the alarms that guard it. The same shape per environment and per function (a
 * function's keys override its environment's); what neither sets is resolved in rollout.ts, where the strategy's
 * default depends on the environment's place in the promotion order.
 */
export const ROLLOUT_LIMITS = { percent: { min: 1, max: 99 }, minutes: { min: 1, max: 120 }, bakeMinutes: { max: 120 } } as const;

const rolloutPercent = z.int().min(ROLLOUT_LIMITS.percent.min).max(ROLLOUT_LIMITS.percent.max).describe('Share of the traffic, in percent (1 to 99).');
const rolloutMinutes = z.int().min(ROLLOUT_LIMITS.minutes.min).max(ROLLOUT_LIMITS.minutes.max);

const CanaryStrategy = z
  .strictObject({
    percent: rolloutPercent.default(10).describe('Share of the traffic the new version gets first (1 to 99).'),
    minutes: rolloutMinutes.default(5).describe('How long that share is held, watched, before 100%.'),
  })
  .describe('Canary: `percent` of the traffic for `minutes`, then 100%.');

const LinearStrategy = z
  .strictObject({
    percent: rolloutPercent.default(10).describe('Share added at each step (1 to 99): 10 gives 10%, 20%, ... 90%, then 100%.'),
    everyMinutes: rolloutMinutes.default(1).describe('How long each step is held, watched, before the next.'),
  })
  .describe('Linear: `percent` more of the traffic every `everyMinutes`, then 100%.');

const StrategyChoice = z
  .strictObject({ canary: CanaryStrategy.optional(), linear: LinearStrategy.optional() })
  .refine((choice) => (choice.canary === undefined) !== (choice.linear === undefined), {
    error: 'expected exactly one of canary or linear, such as { canary: { percent: 10, minutes: 5 } }',
  });

export const RolloutStrategySchema = z.union([z.literal('all-at-once'), StrategyChoice], {
  error: 'expected all-at-once, { canary: { percent: 10, minutes: 5 } } or { linear: { percent: 10, everyMinutes: 1 } }',
});

const RolloutAlarms = z
  .strictObject({
    errors: z.int().min(1).max(1_000_000).optional().describe('Errors of the new version in one period that roll the shift back. Default 1.'),
    throttles: z.int().min(1).max(1_000_000).optional().describe('Throttled invocations of the new version in one period that roll the shift back. Default 1.'),
    p99DurationMs: z
      .int()
      .min(1)
      .max(900_000)
      .optional()
      .describe("The new version's p99 duration (ms) over one period that rolls the shift back. No duration alarm unless set."),
    periodSeconds: z
      .int()
      .min(60)
      .max(3600)
      .refine((seconds) => seconds % 60 === 0, 'expected a multiple of 60 seconds: Lambda publishes its metrics once a minute')
      .optional()
      .describe('Period of the guarding alarms, in seconds (a multiple of 60, at most 3600). Default 60.'),
    evaluationPeriods: z
      .int()
      .min(1)
      .max(10)
      .optional()
      .describe('Periods each guarding alarm evaluates (1 to 10); a step is held at least this many periods before its OK is trusted. Default 1.'),
  })
  .describe(
    'Thresholds of the alarms that guard a shift: terraform creates them on the new version behind the alias (dimensions FunctionName, Resource `<function>:<alias>`, ExecutedVersion).',
  );

export const RolloutSchema = z
  .strictObject({
    strategy: RolloutStrategySchema.optional().describe(
      'How the alias moves to a new version: `all-at-once` (terraform moves it on apply), `{ canary: { percent, minutes } }` or `{ linear: { percent, everyMinutes } }` (the traffic-shift action moves it, watching the alarms). Default: all-at-once in the first environment of the promotion order, `{ canary: { percent: 10, minutes: 5 } }` in every later one.',
    ),
    bakeMinutes: z
      .int()
      .min(0)
      .max(ROLLOUT_LIMITS.bakeMinutes.max)
      .optional()
      .describe('Minutes the alarms are still watched after 100%, before the shift succeeds (a canary or linear strategy). Default 5.'),
    alarms: RolloutAlarms.optional(),
  })
  .describe("Progressive delivery of new versions (docs/traffic-shift.md); a function's `rollout` overrides its environment's, key by key.");

export const FunctionSchema = z
  .strictObject({
    name: label('function name').describe('Short name of the function; the AWS function name is `<project>-<env>-<name>` unless `functionName` is set.'),
    functionName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an AWS Lambda function name: 1 to 64 letters, digits, "-" or "_"')
      .optional()
      .describe('Override of the derived AWS function name, for adopting an existing function.'),
    alias: z
      .string()
      .regex(/^(?!\d+$)[A-Za-z0-9_-]{1,128}$/, 'expected an alias name: letters, digits, "-" or "_", not all digits')
      .default('live')
      .describe('The alias that serves traffic; warmup invokes it and pruning never deletes what it points to.'),
    runtime: z
      .string()
      .regex(/^[a-z]+[0-9.]*(\.x)?$/, 'expected a Lambda runtime identifier such as nodejs22.x or python3.13')
      .default('nodejs22.x')
      .describe('Lambda runtime.'),
    handler: z.string().min(1).default('index.handler').describe('Handler entry point.'),
    memoryMb: z
      .int()
      .min(2048)
      .max(32768)
      .default(2048)
      .describe('Memory per execution environment in MB: at least 2048, and at least 1024 × `memoryGiBPerVcpu` (1 vCPU).'),
    memoryGiBPerVcpu: z.number().min(2).max(8).default(2).describe('ExecutionEnvironmentMemoryGiBPerVCpu: GiB of memory per vCPU (2 to 8).'),
    maxConcurrency: z
      .int()
      .min(1)
      .max(1600)
      .default(16)
      .describe('PerExecutionEnvironmentMaxConcurrency: concurrent requests one execution environment serves (1 to 1600).'),
    scaling: z
      .strictObject({
        minExecutionEnvironments: z.int().min(0).max(15000).default(1).describe('Execution environments kept ready (0 to 15000).'),
        maxExecutionEnvironments: z.int().min(0).max(15000).default(3).describe('Upper bound of execution environments (0 to 15000).'),
      })
      .refine((scaling) => scaling.minExecutionEnvironments <= scaling.maxExecutionEnvironments, {
        error: 'expected minExecutionEnvironments to be at most maxExecutionEnvironments',
      })
      .default({ minExecutionEnvironments: 1, maxExecutionEnvironments: 3 })
      .describe('Function scaling config applied to each published version after deploy.'),
    warmup: z
      .strictObject({
        payload: z.json().default({}).describe('JSON event sent by the smoke invocations (and the optional keep-alive schedule).'),
        invocations: z.int().min(1).max(1000).default(5).describe('Smoke invocations after each deploy.'),
        concurrency: z.int().min(1).max(100).default(5).describe('Smoke invocations in flight at once.'),
      })
      .default({ payload: {}, invocations: 5, concurrency: 5 })
      .describe('Post-deploy smoke test.'),
    permissions: z.array(FunctionPermission).default([]).describe('What the execution role grants beyond logging; no wildcard actions.'),
    package: repoPath
      .regex(/\.zip$/, 'expected a .zip deployment package')
      .regex(/^\P{Cc}+$/u, 'expected a path without control characters')
      .optional()
      .describe(
        'Deployment package: the zip `gantry package` builds (see `build`) and the terraform app deploys, relative to the repository root; `dist/functions/<name>.zip` unless set.',
      ),
    build: FunctionBuild.optional(),
    rollout: RolloutSchema.optional(),
  })
  // An execution environment gets memoryMb / 1024 / memoryGiBPerVcpu vCPUs; Lambda Managed Instances need at
  // least 1 vCPU and 2 GB (the 2 GB is memoryMb's minimum). AWS SAM, CapacityProviderConfig: "The memory ratio
  // per CPU can't exceed function's total memory".
  .superRefine((fn, ctx) => {
    if (fn.memoryMb < fn.memoryGiBPerVcpu * 1024) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryMb'],
        input: fn.memoryMb,
        message: `memoryMb ${fn.memoryMb} at memoryGiBPerVcpu ${fn.memoryGiBPerVcpu} gives less than 1 vCPU; an execution environment needs at least 1 vCPU: set memoryMb to at least ${fn.memoryGiBPerVcpu * 1024} or lower memoryGiBPerVcpu`,
      });
    }
  })
  .describe("A function that runs on the environment's capacity provider.");

const ResourceNames = z
  .strictObject({
    deployRole: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, 'expected an IAM role name (1 to 64 characters)')
      .optional()
      .describe('IAM role the workflows assume with OIDC.'),
    planProject: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'expected a CodeBuild project name (2 to 255 letters, digits, "-" or "_")')
      .optional()
      .describe('CodeBuild project that runs terraform plan.'),
    applyProject: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'expected a CodeBuild project name (2 to 255 letters, digits, "-" or "_")')
      .optional()
      .describe('CodeBuild project that runs terraform apply.'),
    capacityProvider: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a capacity provider name (1 to 64 letters, digits, "-" or "_")')
      .optional()
      .describe('The shared capacity provider.'),
  })
  .describe('Overrides of derived resource names, for adopting existing resources. Leave unset to use the derived names.');

export const DEFAULT_INSTANCE_TYPES = ['m6g.large', 'm6g.xlarge', 'm7g.large', 'm7g.xlarge'];

/** The one metric a capacity provider's target tracking policy can track (API_TargetTrackingScalingPolicy). */
export const CAPACITY_PROVIDER_CPU_METRIC = 'LambdaCapacityProviderAverageCPUUtilization';

const ScalingPolicy = z
  .strictObject({
    metric: z.enum([CAPACITY_PROVIDER_CPU_METRIC]).default(CAPACITY_PROVIDER_CPU_METRIC).describe('PredefinedMetricType: the metric tracked.'),
    targetValue: z.number().min(0).max(100).describe('TargetValue: the average CPU utilization (%) the instances are scaled to keep.'),
  })
  .describe('A target tracking scaling policy of the capacity provider.');

/**
 * Zone IDs name the same physical zone in every account; zone names (`us-east-1e`) are mapped to zones per
 * account, so excluding by name would exclude different zones in each environment's account (EC2 User Guide,
 * "AZ IDs for your AWS resources").
 */
const ZONE_NAME = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]$/;
const availabilityZoneId = z.string().refine((value) => /^[a-z]{2,5}\d-([a-z0-9]+-)?az\d+$/.test(value), {
  error: (issue) =>
    typeof issue.input === 'string' && ZONE_NAME.test(issue.input)
      ? `expected an availability zone ID such as use1-az3, not the zone name "${issue.input}": zone names map to different zones in each account (aws ec2 describe-availability-zones lists the IDs)`
      : 'expected an availability zone ID such as use1-az3',
});

const CapacityProviderSettings = z
  .strictObject({
    instanceTypes: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'expected an EC2 instance type such as m7g.large'))
      .min(1)
      .default(DEFAULT_INSTANCE_TYPES)
      .describe('Allowed instance types (arm64 Graviton).'),
    maxVcpu: z.int().min(2).max(15000).default(64).describe('Ceiling of vCPUs across the pool.'),
    scalingMode: z
      .enum(['Auto', 'Manual'])
      .default('Auto')
      .describe('Capacity provider scaling mode: `Auto` (Lambda scales the instances), or `Manual` with `scalingPolicies`.'),
    scalingPolicies: z.array(ScalingPolicy).max(10).default([]).describe('Target tracking policies of `scalingMode: Manual` (1 to 10), and only of it.'),
    vpc: z.enum(['dedicated', 'default']).default('dedicated').describe("Place the pool in a dedicated VPC (default) or the account's default VPC."),
    excludeAvailabilityZones: z
      .array(availabilityZoneId)
      .default([])
      .describe(
        'Availability zone IDs (such as `use1-az3`, not names such as `us-east-1e`, which map to different zones in each account) the pool must not use: zones the service does not support.',
      ),
    maxSubnets: z.int().min(1).max(16).optional().describe('Cap on the number of subnets (and so availability zones) used.'),
  })
  // Terraform accepts both, AWS does not: a Manual capacity provider scales only by its target tracking policies
  // (API_CapacityProviderScalingConfig, API_TargetTrackingScalingPolicy; the AWS CDK's ScalingOptions.manual
  // demands at least one), and Auto takes none.
  .superRefine((settings, ctx) => {
    if (settings.scalingMode === 'Manual' && settings.scalingPolicies.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['scalingMode'],
        input: settings.scalingMode,
        message:
          'scalingMode Manual needs scalingPolicies (such as [{ targetValue: 60 }]): Lambda scales a Manual capacity provider only by its target tracking policies',
      });
    } else if (settings.scalingMode === 'Auto' && settings.scalingPolicies.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['scalingPolicies'],
        input: settings.scalingPolicies,
        message: 'scalingPolicies apply only to scalingMode Manual; remove them or set scalingMode: Manual',
      });
    }
  })
  .describe('The shared capacity provider of the environment.');

const isoInstant = z.iso.datetime({ offset: true, error: 'expected a date and time with a zone, such as 2026-12-24T00:00:00Z' });
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a UTC time of day such as 18:00');

const FreezeWindow = z
  .strictObject({
    start: isoInstant.describe('First instant of the freeze (ISO 8601 with a zone).'),
    end: isoInstant.describe('First instant after the freeze.'),
    reason: z.string().min(1).default('change freeze').describe('Shown when an apply is refused.'),
  })
  .refine((window) => Date.parse(window.start) < Date.parse(window.end), { error: 'expected start before end' })
  .describe('A one-off freeze.');

const WeeklyFreeze = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).describe('Days of the week (UTC), e.g. [sat, sun].'),
    from: timeOfDay.default('00:00').describe('Start time on those days (UTC).'),
    to: timeOfDay.default('23:59').describe('End time on those days (UTC, inclusive minute).'),
    reason: z.string().min(1).default('weekly change freeze').describe('Shown when an apply is refused.'),
  })
  .describe('A freeze that repeats every week.');

const ApplyRules = z
  .strictObject({
    refs: z.array(refPattern).min(1).default(['refs/heads/main']).describe('Refs an apply may run from.'),
    events: z.array(applyEvent).min(1).default(['push', 'workflow_dispatch']).describe('Workflow events an apply may run from (never pull_request).'),
    freeze: z.array(FreezeWindow).default([]).describe('One-off freeze windows: no apply starts inside one.'),
    weeklyFreeze: z.array(WeeklyFreeze).default([]).describe('Weekly freeze windows (UTC): no apply starts inside one.'),
    maxChanges: z.int().min(0).optional().describe('Most resources one apply may add, change or destroy in total; a bigger plan is refused.'),
    maxDestroy: z.int().min(0).optional().describe('Most resources one apply may destroy (replacements count); a bigger plan is refused.'),
  })
  .describe('Where and when an apply may come from, and how big it may be.');

const scheduleExpression = z
  .string()
  .regex(
    /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$/,
    'expected an EventBridge schedule expression such as rate(5 minutes) or cron(23 4 * * ? *)',
  );

const KeepAliveSchedule = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Invoke each function's alias with its warmup payload on a schedule (EventBridge). Keeps the path exercised; it does not create capacity (see docs/platform.md).",
      ),
    expression: scheduleExpression.default('rate(5 minutes)').describe('When the keep-alive runs.'),
  })
  .describe('Scheduled keep-alive invocations.');

const PruneSchedule = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Run `gantry prune` in the environment's prune CodeBuild project on a schedule, so version hygiene does not depend on deploys."),
    expression: scheduleExpression.default('cron(23 4 * * ? *)').describe('When the scheduled prune runs.'),
    cli: z
      .string()
      .min(1)
      .optional()
      .describe(
        "GANTRY_CLI of the prune build: a command that runs the gantry CLI there, from the checkout's root (one the build image or the repository holds; gantry's own repository sets `node scripts/dist/gantry.js`, a path only it has). Unset, the build downloads the `gantry.js` asset of the gantry release `gantry synth` was installed from (its tarball), checked against the SHA-256 of the installed CLI; a gantry installed from a checkout or a `github:` reference names no release, and `gantry synth` then requires this key.",
      ),
  })
  .describe('Scheduled version pruning.');

export const DEFAULT_SCHEDULES = {
  keepAlive: { enabled: false, expression: 'rate(5 minutes)' },
  prune: { enabled: false, expression: 'cron(23 4 * * ? *)' },
};

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const Alarms = z
  .strictObject({
    errors: z.int().min(1).default(1).describe('Errors of one function within 5 minutes that raise its errors alarm.'),
    throttles: z.int().min(1).default(1).describe('Throttled invocations of one function within 5 minutes that raise its throttles alarm.'),
    cpuPercent: z
      .number()
      .min(1)
      .max(100)
      .default(80)
      .describe("Average CPU utilization (%) of the capacity provider's instances over 15 minutes that raises the CPU alarm."),
    versions: z
      .int()
      .min(1)
      .max(100)
      .default(90)
      .describe('Function versions on the capacity provider (hard limit 100) that raise the versions alarm; reported by the prune build.'),
  })
  .describe('Alarm thresholds.');

export const DEFAULT_OBSERVABILITY = {
  logRetentionDays: 30,
  alarmActions: [] as string[],
  alarms: { errors: 1, throttles: 1, cpuPercent: 80, versions: 90 },
};

const Observability = z
  .strictObject({
    logRetentionDays: z
      .int()
      .min(1)
      .max(3653)
      .refine(
        (days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days),
        `expected one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
      )
      .default(30)
      .describe('Days the build and function log groups keep their events.'),
    alarmActions: z
      .array(z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:/, 'expected an ARN (arn:aws:...)'))
      .default([])
      .describe('ARNs notified when an alarm fires or recovers (an SNS topic, say).'),
    alarms: Alarms.default(DEFAULT_OBSERVABILITY.alarms),
  })
  .describe('CloudWatch alarms, dashboard and log retention.');

export const EnvironmentSchema = z
  .strictObject({
    after: ENVIRONMENT_NAME.optional().describe(
      'The environment a commit must have been deployed to before this one. Exactly one environment has no `after`: the first.',
    ),
    account: z
      .string()
      .regex(/^\d{12}$/, 'expected a 12-digit AWS account id, quoted so YAML keeps leading zeros')
      .describe('AWS account id.'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1')
      .describe('AWS region.'),
    terraform: z
      .strictObject({
        workingDirectory: repoPath.describe('The one directory terraform runs in, relative to the repository root.'),
        varFile: repoPath.optional().describe('Variable file passed with -var-file, relative to the repository root.'),
      })
      .describe("Where the environment's terraform lives."),
    names: ResourceNames.default({}),
    capacityProvider: CapacityProviderSettings.default({
      instanceTypes: DEFAULT_INSTANCE_TYPES,
      maxVcpu: 64,
      scalingMode: 'Auto',
      scalingPolicies: [],
      vpc: 'dedicated',
      excludeAvailabilityZones: [],
    }),
    functions: z.array(FunctionSchema).min(1).describe('Functions deployed to this environment.'),
    prune: z
      .strictObject({
        keep: z.int().min(1).max(99).default(5).describe('Newest published versions kept per function, besides every protected version.'),
        protect: z
          .array(z.string().regex(/^[A-Za-z0-9_-]+:\d+$/, 'expected "<function name>:<version number>"'))
          .default([])
          .describe('Versions never deleted, as "<short function name>:<version>".'),
      })
      .default({ keep: 5, protect: [] })
      .describe('Version pruning.'),
    apply: ApplyRules.default({ refs: ['refs/heads/main'], events: ['push', 'workflow_dispatch'], freeze: [], weeklyFreeze: [] }),
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}).describe('Cost allocation tags added to every resource.'),
    schedules: z
      .strictObject({ keepAlive: KeepAliveSchedule.default(DEFAULT_SCHEDULES.keepAlive), prune: PruneSchedule.default(DEFAULT_SCHEDULES.prune) })
      .default(DEFAULT_SCHEDULES)
      .describe('Scheduled jobs of the terraform app; each is off until enabled here.'),
    observability: Observability.default(DEFAULT_OBSERVABILITY),
    rollout: RolloutSchema.optional(),
  })
  .describe('One deployment environment.');

export const ConfigSchema = z
  .strictObject({
    version: z.literal(1).describe('Config format version; always 1.'),
    project: label('project name').describe('Short name of the workload; the prefix of every derived resource name.'),
    github: z
      .strictObject({
        repository: z
          .string()
          .regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'expected a GitHub repository as "owner/name"')
          .optional()
          .describe(
            'The GitHub repository (`owner/name`) whose workflows may assume the deploy roles and whose code the CodeBuild projects check out. Required by the terraform app (`npm run synth`).',
          ),
        requiredChecks: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Check runs or commit statuses that must have succeeded on a commit before it is applied (e.g. test, security, lint); only those from `trustedApps` and `trustedStatusCreators` count.',
          ),
        trustedApps: z
          .array(z.int().min(1))
          .default([15368])
          .describe(
            "GitHub App ids whose check runs count as required checks. 15368 is GitHub Actions, whose check runs count only from a workflow run of this repository on the same commit; add another app's id to trust its check runs.",
          ),
        trustedStatusCreators: z
          .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/, 'expected a GitHub login such as ci-bot or my-app[bot]'))
          .default([])
          .describe('Logins whose commit statuses count as required checks. None by default: anyone who can push can post a status with any name.'),
        deployer: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/, 'expected a GitHub login such as github-actions[bot] or my-app[bot]')
          .default('github-actions[bot]')
          .describe(
            "Who creates the gate's deployments and their statuses (the login of the promotion-gate and deployment-status token): only its deployments of a commit to the previous environment, with its `success` status, count. `github-actions[bot]` for the workflow's token, `<app-slug>[bot]` for an app's.",
          ),
        environments: z
          .record(
            ENVIRONMENT_NAME,
            z
              .strictObject({
                approval: z
                  .enum(['required', 'none'])
                  .default('none')
                  .describe(
                    'required: the GitHub Environment must have required reviewers, "prevent self-review" and a deployment branch policy narrower than "any branch"; `gantry doctor` checks it, and so does the gate before an apply.',
                  ),
              })
              .describe("The GitHub Environment's settings gantry relies on."),
          )
          .default({})
          .describe('Per environment of the config: the GitHub Environment settings it needs, such as `prod: { approval: required }`.'),
      })
      .default({ requiredChecks: [], trustedApps: [15368], trustedStatusCreators: [], deployer: 'github-actions[bot]', environments: {} })
      .describe('GitHub settings.'),
    pullRequests: z
      .strictObject({
        environments: z
          .array(ENVIRONMENT_NAME)
          .optional()
          .describe(
            'Environments pull requests may plan (plan.yml): only these get a pull-request plan role, the only role `pull_request` tokens can assume. Default: every environment but the last in promotion order (so not prod). `[]`: no pull-request plans.',
          ),
      })
      .default({})
      .describe('Pull-request plans.'),
    environments: z
      .record(ENVIRONMENT_NAME, EnvironmentSchema)
      .refine((environments) => Object.keys(environments).length > 0, 'expected at least one environment')
      .describe('Deployment environments by name, chained into one promotion order by `after`.'),
  })
  .describe('gantry deployment config.');

export type RawConfig = z.output<typeof ConfigSchema>;
export type RawEnvironment = z.output<typeof EnvironmentSchema>;
export type FunctionSettings = z.output<typeof FunctionSchema>;
export type RawRollout = z.output<typeof RolloutSchema>;
export type RolloutStrategy = z.output<typeof RolloutStrategySchema>;
