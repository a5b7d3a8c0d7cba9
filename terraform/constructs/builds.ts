/**
 * The environment's CodeBuild side: the plan and apply projects the codebuild-run action starts, the prune
 * project the schedule starts, the one log group all three write to (with retention), their least-privilege
 * roles, and the bucket plans wait in between plan and apply (encrypted, versioned, never public).
 *
 * Each project owns its buildspec, the one in buildspecs/: the action sends no buildspec override, and every
 * role that may start a build is denied one (build-permissions.ts, startBuildStatements), so a build runs
 * exactly what terraform set here, whoever starts it.
 */

import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js';
import { CodebuildProject, type CodebuildProjectEnvironmentEnvironmentVariable } from '@cdktn/provider-aws/lib/codebuild-project/index.js';
import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktn/provider-aws/lib/s3-bucket-versioning/index.js';
import { Construct } from 'constructs';
import type { CliDownload } from '../../src/codebuild/start-request.js';
import type { EnvironmentConfig, GantryConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { terraformPinEnv } from '../../src/terraform/pin.js';
import type { Boundaries } from './boundary.js';
import { buildLogStatements, pruneStatements, readStatements, stateReadStatements, stateStatements, writeStatements } from './build-permissions.js';
import type { StackContext } from './context.js';
import { policyDocument, Role, type Statement, serviceTrust } from './iam.js';

/** The build image: Amazon Linux on Graviton, with bash, curl, unzip, node and the AWS CLI the buildspecs use. */
export const BUILD_IMAGE = 'aws/codebuild/amazonlinux-aarch64-standard:3.0';
export const BUILD_COMPUTE = 'BUILD_GENERAL1_SMALL';
/** Days a stored plan is kept (a plan older than this is never applied anyway). */
export const PLAN_RETENTION_DAYS = 30;

export class Builds extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  readonly planBucket: S3Bucket;
  readonly pruneProject: CodebuildProject;

  constructor(scope: Construct, id: string, ctx: StackContext, boundaries: Boundaries) {
    super(scope, id);
    const { names, arn } = ctx;

    this.logGroup = new CloudwatchLogGroup(this, 'logs', { name: names.buildLogGroup, retentionInDays: ctx.env.observability.logRetentionDays });
    this.planBucket = this.#planBucket(ctx);

    const planObjects = arn.object(names.planBucket, `${names.planKeyPrefix}*`);
    const plan = new Role(this, 'plan-role', {
      name: names.planBuildRole,
      description: `CodeBuild ${names.planProject}: terraform plan of ${ctx.env.name} (read-only, writes the plan)`,
      assumeRolePolicy: serviceTrust('codebuild.amazonaws.com', arn.account),
      statements: [
        ...buildLogStatements(ctx),
        ...stateStatements(ctx, false),
        ...readStatements(ctx),
        { Sid: 'StorePlan', Action: ['s3:PutObject'], Resource: [planObjects] },
      ],
      boundary: boundaries.pipeline,
    });
    const apply = new Role(this, 'apply-role', {
      name: names.applyBuildRole,
      description: `CodeBuild ${names.applyProject}: terraform apply of ${ctx.env.name}'s reviewed plan`,
      assumeRolePolicy: serviceTrust('codebuild.amazonaws.com', arn.account),
      statements: [
        ...buildLogStatements(ctx),
        ...stateStatements(ctx, true),
        ...readStatements(ctx),
        ...writeStatements(ctx),
        { Sid: 'FetchPlan', Action: ['s3:GetObject'], Resource: [planObjects] },
      ],
      boundary: boundaries.pipeline,
    });
    const prune = new Role(this, 'prune-role', {
      name: names.pruneBuildRole,
      description: `CodeBuild ${names.pruneProject}: gantry prune of ${ctx.env.name}'s function versions`,
      assumeRolePolicy: serviceTrust('codebuild.amazonaws.com', arn.account),
      statements: [...buildLogStatements(ctx), ...pruneStatements(ctx)],
      boundary: boundaries.pipeline,
    });

    const environment = [{ name: 'GANTRY_ENVIRONMENT', value: ctx.env.name }];
    // The Terraform pin is the project's, like its buildspec: the install phase fetches and verifies exactly
    // this version in every build, whatever starts it.
    const terraform = [...environment, ...Object.entries(terraformPinEnv()).map(([name, value]) => ({ name, value }))];
    this.#project(ctx, 'plan', names.planProject, plan, ctx.buildspecs.plan, terraform, 60);
    if (ctx.config.pullRequestEnvironments.includes(ctx.env.name)) {
      // Pull-request plans: the same buildspec, read-only. Its role reads the state but can write neither the
      // state, its lock file nor a stored plan; the buildspec plans with -lock=false and stores nothing.
      const prPlan = new Role(this, 'pr-plan-role', {
        name: names.prPlanBuildRole,
        description: `CodeBuild ${names.prPlanProject}: read-only terraform plan of ${ctx.env.name} for pull requests`,
        assumeRolePolicy: serviceTrust('codebuild.amazonaws.com', arn.account),
        statements: [...buildLogStatements(ctx), ...stateReadStatements(ctx), ...readStatements(ctx)],
        boundary: boundaries.pipeline,
      });
      this.#project(ctx, 'pr-plan', names.prPlanProject, prPlan, ctx.buildspecs.plan, [...terraform, { name: 'GANTRY_PLAN_READ_ONLY', value: 'true' }], 60);
    }
    this.#project(ctx, 'apply', names.applyProject, apply, ctx.buildspecs.apply, terraform, 90);
    this.pruneProject = this.#project(
      ctx,
      'prune',
      names.pruneProject,
      prune,
      ctx.buildspecs.prune,
      [...environment, { name: 'GANTRY_CONFIG', value: ctx.configPath }, ...Object.entries(ctx.pruneCli).map(([name, value]) => ({ name, value }))],
      30,
      pruneSourceVersion(ctx.env.apply.refs),
    );
  }

  #project(
    ctx: StackContext,
    id: string,
    name: string,
    role: Role,
    buildspec: string,
    variables: CodebuildProjectEnvironmentEnvironmentVariable[],
    timeoutMinutes: number,
    sourceVersion?: string,
  ): CodebuildProject {
    return new CodebuildProject(this, id, {
      name,
      description: `gantry ${id} for ${ctx.config.project} ${ctx.env.name}`,
      serviceRole: role.role.arn,
      buildTimeout: timeoutMinutes,
      queuedTimeout: 60,
      source: { type: 'GITHUB', location: `https://github.com/${ctx.repository}.git`, gitCloneDepth: 1, buildspec, reportBuildStatus: false },
      ...(sourceVersion === undefined ? {} : { sourceVersion }),
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: {
        computeType: BUILD_COMPUTE,
        image: BUILD_IMAGE,
        type: 'ARM_CONTAINER',
        imagePullCredentialsType: 'CODEBUILD',
        environmentVariable: variables.map((variable) => ({ ...variable, type: 'PLAINTEXT' })),
      },
      logsConfig: {
        cloudwatchLogs: { status: 'ENABLED', groupName: this.logGroup.name, streamName: id },
        s3Logs: { status: 'DISABLED' },
      },
      dependsOn: [this.logGroup, ...role.grants],
    });
  }

  #planBucket(ctx: StackContext): S3Bucket {
    const { names, arn } = ctx;
    const bucket = new S3Bucket(this, 'plans', { bucket: names.planBucket });
    new S3BucketOwnershipControls(this, 'plans-ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketPublicAccessBlock(this, 'plans-public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'plans-encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    new S3BucketVersioningA(this, 'plans-versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketLifecycleConfiguration(this, 'plans-lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-plans',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: PLAN_RETENTION_DAYS }],
          noncurrentVersionExpiration: [{ noncurrentDays: PLAN_RETENTION_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    // Plans hold variable values in clear: only over TLS. (A deny lists the actions it denies, like every grant.)
    const denied: Statement = {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetObjectVersion', 's3:DeleteObjectVersion', 's3:ListBucket', 's3:ListBucketVersions'],
      Resource: [arn.bucket(names.planBucket), arn.object(names.planBucket, '*')],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    };
    new S3BucketPolicy(this, 'plans-policy', { bucket: bucket.id, policy: policyDocument([denied]) });
    return bucket;
  }
}

/** The branch the scheduled prune checks out: the first plain branch an apply may come from, else main. */
export function pruneSourceVersion(refs: string[]): string {
  return refs.find((ref) => ref.startsWith('refs/heads/') && !ref.includes('*')) ?? 'refs/heads/main';
}

/**
 * How the prune build (buildspecs/prune.yml) gets the gantry CLI: `schedules.prune.cli` as GANTRY_CLI when the
 * environment sets it; otherwise the CLI of the release the synthesizing gantry was installed from (`release`,
 * from its release stamp), as GANTRY_CLI_URL and GANTRY_CLI_SHA256, the variables the codebuild-run action sends
 * the plan and apply builds. With neither the build would have no CLI: a config error. Pure.
 */
export function pruneCliVariables(config: GantryConfig, env: EnvironmentConfig, release: CliDownload | undefined): Record<string, string> {
  const { cli } = env.schedules.prune;
  if (cli !== undefined) return { GANTRY_CLI: cli };
  if (release !== undefined) return { GANTRY_CLI_URL: release.url, GANTRY_CLI_SHA256: release.sha256 };
  throw new ConfigError(
    { file: config.file, path: `environments.${env.name}.schedules.prune.cli` },
    'is not set, and this gantry was not installed from a release tarball (a checkout or a github: install), so the prune build cannot download a pinned CLI: set schedules.prune.cli to a command that runs the gantry CLI in the prune build (one its image or its source holds), or install gantry from a release tarball',
  );
}
