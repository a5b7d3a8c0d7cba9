/**
 * The commands the terraform buildspecs call: summarize a plan, record its metadata, verify it before apply.
 */
import { readUserFile } from '../../src/read-user-file.js';
import { stat } from 'node:fs/promises';
import { ENVIRONMENT_NAME } from '../../src/config/schema.js';
import { InputError, UsageError, UserError } from '../../src/errors.js';
import { choiceInput, optionalString, requiredString, type InputSource } from '../../src/inputs.js';
import { TERRAFORM_PIN } from '../../src/terraform/pin.js';
import { COMMIT_PATTERN, SHA256_PATTERN, TERRAFORM_VERSION_PATTERN, sha256File, verifyPlan, type PlanMetadata } from '../../src/terraform/plan-integrity.js';
import { planExportedVariables, renderPlanMarkdown, summarizePlan, type PlanSummary } from '../../src/terraform/plan-summary.js';
import type { CliCommand } from './command.js';

const environmentOption = { type: 'string', description: 'Environment the plan is for.' } as const;
const commitOption = { type: 'string', description: 'Commit the plan was made from (40 hexadecimal characters).' } as const;

export const planSummary: CliCommand = {
  name: 'plan-summary',
  summary: 'Summarize "terraform show -json" output: counts and resources, as JSON, shell exports or Markdown.',
  positionals: '<plan.json>',
  options: {
    format: { type: 'string', description: 'json, env (export GANTRY_PLAN_...=... lines for eval) or markdown.', defaultText: 'json' },
    sha256: { type: 'string', description: 'SHA-256 of the plan file, exported as GANTRY_PLAN_SHA256 (env) or included (json).' },
    environment: { ...environmentOption, description: 'Environment the plan is for; required for markdown.' },
    commit: { ...commitOption, description: 'Commit the plan was made from; required for markdown.' },
    'build-id': { type: 'string', description: 'CodeBuild build id, named in the markdown.' },
    'log-url': { type: 'string', description: 'Link to the full build log, for the markdown.' },
  },
  async run(inputs, positionals, io) {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'expected the plan JSON file (terraform show -json tfplan > plan.json)' : `expected one plan JSON file, got ${positionals.length}`);
    const file = positionals[0]!;
    const format = choiceInput(inputs, 'format', ['json', 'env', 'markdown'], 'json');
    const sha256 = optionalHex(inputs, 'sha256', SHA256_PATTERN, '64 hexadecimal characters (sha256sum tfplan)');
    const summary = await readSummary(file);

    if (format === 'markdown') {
      const buildId = optionalString(inputs, 'build-id');
      const logUrl = optionalString(inputs, 'log-url');
      io.stdout(
        renderPlanMarkdown(summary, {
          environment: environmentInput(inputs, 'environment'),
          commit: commitInput(inputs, 'commit'),
          ...(buildId === undefined ? {} : { buildId }),
          ...(logUrl === undefined ? {} : { logUrl }),
        }),
      );
      return;
    }
    if (format === 'json') {
      io.stdout(JSON.stringify(sha256 === undefined ? summary : { sha256, ...summary }, null, 2));
      return;
    }
    for (const [name, value] of Object.entries(planExportedVariables(summary, sha256 ?? ''))) {
      if (name === 'GANTRY_PLAN_SHA256' && sha256 === undefined) continue;
      io.stdout(`export ${name}=${shellQuote(value)}`);
    }
  },
};

export const planMetadata: CliCommand = {
  name: 'plan-metadata',
  summary: 'Print the metadata JSON (environment, commit, sha256, terraformVersion, buildId) recorded with a plan file.',
  options: {
    plan: { type: 'string', description: 'The plan file (terraform plan -out=...).' },
    environment: environmentOption,
    commit: commitOption,
    'build-id': { type: 'string', description: 'CodeBuild build id that made the plan.' },
    'terraform-version': { type: 'string', description: 'Terraform version that made the plan.', defaultText: TERRAFORM_PIN.version },
  },
  async run(inputs, _positionals, io) {
    const plan = requiredString(inputs, 'plan', 'tfplan');
    const environment = environmentInput(inputs, 'environment');
    const commit = commitInput(inputs, 'commit');
    const buildId = optionalString(inputs, 'build-id');
    const terraformVersion = optionalPattern(inputs, 'terraform-version', TERRAFORM_VERSION_PATTERN, 'a version such as 1.11.4') ?? TERRAFORM_PIN.version;
    if (!(await stat(plan).then((info) => info.isFile(), () => false))) throw new InputError(inputs.label('plan'), `${plan}: file not found`);
    const metadata: PlanMetadata = { environment, commit, sha256: await sha256File(plan), terraformVersion, ...(buildId === undefined ? {} : { buildId }) };
    io.stdout(JSON.stringify(metadata, null, 2));
  },
};

export const verifyPlanCommand: CliCommand = {
  name: 'verify-plan',
  summary: 'Refuse a plan file unless it is the reviewed one, for this environment and commit (exit 1 with the reason).',
  options: {
    plan: { type: 'string', description: 'The plan file to apply.' },
    metadata: { type: 'string', description: 'plan-metadata.json stored with the plan.' },
    'expected-sha256': { type: 'string', description: 'SHA-256 the plan build reported (GANTRY_PLAN_SHA256).' },
    environment: { ...environmentOption, description: 'Environment being applied.' },
    commit: { ...commitOption, description: 'Commit being applied.' },
  },
  async run(inputs, _positionals, io) {
    const planFile = requiredString(inputs, 'plan', 'tfplan');
    const metadataFile = requiredString(inputs, 'metadata', 'plan-metadata.json');
    const expectedSha256 = requiredHex(inputs, 'expected-sha256', SHA256_PATTERN, '64 hexadecimal characters, the GANTRY_PLAN_SHA256 of the plan build');
    const environment = environmentInput(inputs, 'environment');
    const commit = commitInput(inputs, 'commit');
    const metadata = await verifyPlan({ planFile, metadataFile, expectedSha256, environment, commit });
    io.stdout(`plan verified: ${metadata.sha256}`);
  },
};

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

function environmentInput(inputs: InputSource, name: string): string {
  const value = requiredString(inputs, name, 'dev');
  if (!ENVIRONMENT_NAME.safeParse(value).success) {
    throw new InputError(inputs.label(name), `"${value}" is not an environment name: lower-case letters, digits and "-", starting with a letter, at most 20 characters`);
  }
  return value;
}

function commitInput(inputs: InputSource, name: string): string {
  return requiredHex(inputs, name, COMMIT_PATTERN, 'a full commit SHA, 40 hexadecimal characters');
}

function requiredHex(inputs: InputSource, name: string, pattern: RegExp, expected: string): string {
  requiredString(inputs, name);
  return optionalHex(inputs, name, pattern, expected)!;
}

/** Digests and commits compare in lower case, the way git and sha256sum print them. */
function optionalHex(inputs: InputSource, name: string, pattern: RegExp, expected: string): string | undefined {
  return optionalPattern(inputs, name, pattern, expected, (raw) => raw.toLowerCase());
}

function optionalPattern(inputs: InputSource, name: string, pattern: RegExp, expected: string, normalize = (raw: string) => raw): string | undefined {
  const raw = optionalString(inputs, name);
  if (raw === undefined) return undefined;
  const value = normalize(raw);
  if (!pattern.test(value)) throw new InputError(inputs.label(name), `expected ${expected}, got "${raw}"`);
  return value;
}

function shellQuote(value: string): string {
  return /^[\w./:@,+-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
