/**
 * The commands the terraform buildspecs call: summarize a plan, record its metadata (with the function packages
 * built for it), list and verify the plan and its packages before apply.
 */

import { stat } from 'node:fs/promises';
import { environmentInput } from '../../src/definition/common-inputs.js';
import { defineCommand, type InputSpec } from '../../src/definition/define.js';
import { choice, pattern, text } from '../../src/definition/input-types.js';
import { InputError, UserError } from '../../src/errors.js';
import { COMMIT_SHA, SHA256 } from '../../src/patterns.js';
import { readUserFile } from '../../src/read-user-file.js';
import { TERRAFORM_PIN } from '../../src/terraform/pin.js';
import { type PlanMetadata, packageRecords, readPlanMetadata, sha256File, TERRAFORM_VERSION_PATTERN, verifyPlan } from '../../src/terraform/plan-integrity.js';
import { type PlanSummary, planExportedVariables, renderPlanMarkdown, summarizePlan } from '../../src/terraform/plan-summary.js';

// Digests and commits compare in lower case, the way git and sha256sum print them: accept either, lower it.
const caseless = (regex: RegExp) => new RegExp(regex.source, 'i');
const environment = { ...environmentInput, description: 'Environment the plan is for.', required: false } as const satisfies InputSpec<string>;
const commit = {
  description: 'Commit the plan was made from (40 hexadecimal characters).',
  type: pattern(caseless(COMMIT_SHA), 'a full commit SHA, 40 hexadecimal characters'),
} as const satisfies InputSpec<string>;
const sha256Type = pattern(caseless(SHA256), '64 hexadecimal characters (sha256sum tfplan)');

export const planSummary = defineCommand({
  inputs: {
    format: {
      description: 'What to print; env gives export GANTRY_PLAN_...=... lines for eval.',
      type: choice(['json', 'env', 'markdown'] as const),
      default: 'json',
    },
    sha256: { description: 'SHA-256 of the plan file, exported as GANTRY_PLAN_SHA256 (env) or included (json).', type: sha256Type },
    environment: { ...environment, description: 'Environment the plan is for; required for markdown.' },
    commit: { ...commit, description: 'Commit the plan was made from; required for markdown.' },
    'build-id': { description: 'CodeBuild build id, named in the markdown.', type: text(1024) },
    'log-url': { description: 'Link to the full build log, for the markdown.', type: text(4096) },
  },
  cli: {
    name: 'plan-summary',
    summary: 'Summarize "terraform show -json" output: counts and resources, as JSON, shell exports or Markdown.',
    positional: '<plan.json> (terraform show -json tfplan > plan.json)',
    async run(inputs, io, file) {
      const sha256 = inputs.sha256?.toLowerCase();
      const summary = await readSummary(file);
      if (inputs.format === 'markdown') {
        const required = (name: 'environment' | 'commit'): string => {
          const value = inputs[name];
          if (value === undefined) throw new InputError(io.inputs.label(name), `is required for --format markdown: ${io.inputs.howToSet(name)}`);
          return value;
        };
        const { 'build-id': buildId, 'log-url': logUrl } = inputs;
        io.stdout(
          renderPlanMarkdown(summary, {
            environment: required('environment'),
            commit: required('commit').toLowerCase(),
            ...(buildId === undefined ? {} : { buildId }),
            ...(logUrl === undefined ? {} : { logUrl }),
          }),
        );
        return;
      }
      if (inputs.format === 'json') {
        io.stdout(JSON.stringify(sha256 === undefined ? summary : { sha256, ...summary }, null, 2));
        return;
      }
      for (const [name, value] of Object.entries(planExportedVariables(summary, sha256 ?? ''))) {
        if (name === 'GANTRY_PLAN_SHA256' && sha256 === undefined) continue;
        io.stdout(`export ${name}=${shellQuote(value)}`);
      }
    },
  },
});

export const planMetadata = defineCommand({
  inputs: {
    plan: { description: 'The plan file (terraform plan -out=...).', type: text(4096), required: true, hint: 'for example tfplan' },
    environment: { ...environment, required: true },
    commit: { ...commit, required: true },
    'build-id': { description: 'CodeBuild build id that made the plan.', type: text(1024) },
    'terraform-version': {
      description: 'Terraform version that made the plan.',
      type: pattern(TERRAFORM_VERSION_PATTERN, 'a version such as 1.11.4'),
      default: TERRAFORM_PIN.version,
    },
    packages: {
      description:
        'Directory holding the function packages built for the plan under their repository paths (gantry package --copy-to); each one is recorded with its sha256.',
      type: text(4096),
      hint: 'for example .gantry/out/packages',
    },
  },
  cli: {
    name: 'plan-metadata',
    summary: 'Print the metadata JSON (environment, commit, sha256, terraformVersion, buildId, packages) recorded with a plan file.',
    async run(inputs, io) {
      const { plan, 'build-id': buildId } = inputs;
      if (
        !(await stat(plan).then(
          (info) => info.isFile(),
          () => false,
        ))
      )
        throw new InputError(io.inputs.label('plan'), `${plan}: file not found`);
      const metadata: PlanMetadata = {
        environment: inputs.environment,
        commit: inputs.commit.toLowerCase(),
        sha256: await sha256File(plan),
        terraformVersion: inputs['terraform-version'],
        ...(buildId === undefined ? {} : { buildId }),
        packages: inputs.packages === undefined ? [] : await packageRecords(inputs.packages),
      };
      io.stdout(JSON.stringify(metadata, null, 2));
    },
  },
});

export const verifyPlanCommand = defineCommand({
  inputs: {
    plan: { description: 'The plan file to apply.', type: text(4096), required: true, hint: 'for example tfplan' },
    metadata: { description: 'plan-metadata.json stored with the plan.', type: text(4096), required: true, hint: 'for example plan-metadata.json' },
    'expected-sha256': { description: 'SHA-256 the plan build reported (GANTRY_PLAN_SHA256).', type: sha256Type, required: true },
    environment: { ...environment, description: 'Environment being applied.', required: true },
    commit: { ...commit, description: 'Commit being applied.', required: true },
    packages: {
      description:
        "Directory holding the plan's function packages under their repository paths, as fetched from the plan store; each must match the metadata, and nothing else may be there.",
      type: text(4096),
      hint: 'for example .gantry/in/packages',
    },
  },
  cli: {
    name: 'verify-plan',
    summary: 'Refuse a plan file unless it is the reviewed one, for this environment and commit, with exactly its packages (exit 1 with the reason).',
    async run(inputs, io) {
      const metadata = await verifyPlan({
        planFile: inputs.plan,
        metadataFile: inputs.metadata,
        expectedSha256: inputs['expected-sha256'].toLowerCase(),
        environment: inputs.environment,
        commit: inputs.commit.toLowerCase(),
        ...(inputs.packages === undefined ? {} : { packagesDir: inputs.packages }),
      });
      io.stdout(`plan verified: ${metadata.sha256}`);
      for (const record of metadata.packages) io.stdout(`package verified: ${record.path} sha256 ${record.sha256}`);
    },
  },
});

export const planPackages = defineCommand({
  inputs: {
    metadata: { description: 'plan-metadata.json stored with the plan.', type: text(4096), required: true, hint: 'for example plan-metadata.json' },
  },
  cli: {
    name: 'plan-packages',
    summary: 'Print the repository path of each function package recorded with a plan, one per line (what the apply build fetches; verify-plan checks them).',
    async run(inputs, io) {
      for (const record of (await readPlanMetadata(inputs.metadata)).packages) io.stdout(record.path);
    },
  },
});

async function readSummary(file: string): Promise<PlanSummary> {
  const text = await readUserFile(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file}: not valid JSON; expected the output of "terraform show -json <planfile>"`, { cause: error });
  }
  try {
    return summarizePlan(json);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

function shellQuote(value: string): string {
  return /^[\w./:@,+-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
