/**
 * What a Terraform plan will do, read from `terraform show -json tfplan`: the counts of terraform's own
 * "Plan:" line and the list of resources with their action. The plan buildspec exports it as GANTRY_PLAN_*
 * variables, the runner reads them back from the build and renders them for the pull request and the job
 * summary, with a warning line for changes that must not be applied as they are ({@link planWarnings}: a
 * replaced capacity provider, a changed permissions boundary). Warnings are derived from the resource list, so
 * they survive the round trip through GANTRY_PLAN_RESOURCES (a cut list keeps those resources first). Pure: no I/O.
 */
import { OperationError, UserError } from '../errors.js';

export type PlanAction = 'create' | 'update' | 'delete' | 'replace' | 'read' | 'more';

export interface PlanResource {
  action: PlanAction;
  address: string;
}

export interface PlanSummary {
  /** As in terraform's "Plan:" line: a replacement counts once here and once in `destroy`. */
  add: number;
  change: number;
  destroy: number;
  replace: number;
  /** Destructive actions first, so that a cut list still shows them; a last `more` entry says how many were cut. */
  resources: PlanResource[];
}

/** CodeBuild keeps exported variables small; the resource list is cut to stay under this many characters. */
export const MAX_EXPORTED_RESOURCES_CHARS = 2000;

export const PLAN_VARIABLES = {
  sha256: 'GANTRY_PLAN_SHA256',
  add: 'GANTRY_PLAN_ADD',
  change: 'GANTRY_PLAN_CHANGE',
  destroy: 'GANTRY_PLAN_DESTROY',
  replace: 'GANTRY_PLAN_REPLACE',
  resources: 'GANTRY_PLAN_RESOURCES',
} as const;

const ACTION_ORDER: Record<PlanAction, number> = { delete: 0, replace: 1, update: 2, create: 3, read: 4, more: 5 };

export function summarizePlan(showJson: unknown): PlanSummary {
  const plan = asRecord(showJson);
  // planned_values is what tells a plan from a state (`terraform show -json` of a state has `values`).
  if (plan === undefined || typeof plan.format_version !== 'string' || asRecord(plan.planned_values) === undefined) {
    throw notAPlan('expected the output of "terraform show -json <planfile>" (an object with format_version and planned_values)');
  }
  const changes = plan.resource_changes ?? [];
  if (!Array.isArray(changes)) throw notAPlan('resource_changes is not a list');

  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, replace: 0, resources: [] };
  changes.forEach((entry: unknown, index) => {
    const change = asRecord(entry);
    const address = change?.address;
    const actions = asRecord(change?.change)?.actions;
    if (typeof address !== 'string' || !Array.isArray(actions) || !actions.every((action) => typeof action === 'string')) {
      throw notAPlan(`resource_changes[${index}] has no address or change.actions`);
    }
    const action = classify(actions as string[]);
    if (action === undefined) return;
    if (action === 'create' || action === 'replace') summary.add++;
    if (action === 'delete' || action === 'replace') summary.destroy++;
    if (action === 'update') summary.change++;
    if (action === 'replace') summary.replace++;
    const deposed = change?.deposed;
    summary.resources.push({ action, address: typeof deposed === 'string' ? `${address} (deposed object ${deposed})` : address });
  });
  summary.resources = sortResources(summary.resources);
  return summary;
}

/** undefined for actions that change nothing (no-op) or that the summary does not model (forget). */
function classify(actions: string[]): Exclude<PlanAction, 'more'> | undefined {
  const key = actions.join(',');
  switch (key) {
    case 'create':
    case 'update':
    case 'delete':
    case 'read':
      return key;
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    default:
      return undefined;
  }
}

function sortResources(resources: PlanResource[]): PlanResource[] {
  return resources
    .map((resource, index) => ({ resource, index }))
    .sort((a, b) => ACTION_ORDER[a.resource.action] - ACTION_ORDER[b.resource.action] || a.index - b.index)
    .map(({ resource }) => resource);
}

/** The resource type of an address: `module.a.aws_x.name["k"]` → `aws_x`; undefined for data sources. */
export function resourceType(address: string): string | undefined {
  const parts = address.replace(/ \(deposed object [^)]*\)$/, '').split('.');
  let i = 0;
  while (parts[i]?.startsWith('module') === true) i += 2;
  const type = parts[i];
  return type === undefined || type === 'data' || parts[i + 1] === undefined ? undefined : type;
}

/**
 * What a plan change needs said before anyone applies it:
 * - a capacity provider replaced (`instance_requirements`, `vpc_config`, `permissions_config`, `name` and
 *   `kms_key_arn` force a new one: internal/service/lambda/capacity_provider.go). The delete fails while function
 *   versions are attached to it (the provider retries "To delete this capacity provider, first remove its
 *   association" and gives up); created first instead (create_before_destroy), a new one under the same name
 *   collides with the old one. Only a migration gets through (terraform/README.md), and it is a replacement too,
 *   under a new name: the warning says what to check rather than refusing.
 * - a change to one of gantry's permissions boundaries (terraform/constructs/boundary.ts): the apply build's role
 *   may not change them, so that plan must be applied with administrator credentials.
 */
function warningFor(resource: PlanResource): string | undefined {
  const type = resourceType(resource.address);
  if (type === 'aws_lambda_capacity_provider' && resource.action === 'replace') {
    return `${resource.address} would be replaced: its delete fails while function versions are attached to it, and under the same name a new one cannot be created next to it. Apply this only as the migration of terraform/README.md, "Replacing the capacity provider" (a second provider under a new name, the functions moved to it, the first deleted once no version is attached)`;
  }
  if (type === 'aws_iam_policy' && /\.boundaries_/.test(resource.address) && resource.action !== 'read' && resource.action !== 'more') {
    return `${resource.address} is a permissions boundary (${resource.action}): the apply build may not change it; apply this plan with administrator credentials (terraform/README.md, "Permissions boundaries")`;
  }
  return undefined;
}

/** The warnings of a summary's resources, one line each (also for a summary read back from a build's variables). */
export function planWarnings(summary: Pick<PlanSummary, 'resources'>): string[] {
  return summary.resources.map(warningFor).filter((warning): warning is string => warning !== undefined);
}

function notAPlan(why: string): UserError {
  return new UserError(`not a terraform plan: ${why}`);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The GANTRY_PLAN_* variables the plan buildspec exports. */
export function planExportedVariables(summary: PlanSummary, sha256: string): Record<string, string> {
  return {
    [PLAN_VARIABLES.sha256]: sha256,
    [PLAN_VARIABLES.add]: String(summary.add),
    [PLAN_VARIABLES.change]: String(summary.change),
    [PLAN_VARIABLES.destroy]: String(summary.destroy),
    [PLAN_VARIABLES.replace]: String(summary.replace),
    [PLAN_VARIABLES.resources]: compactResources(summary.resources),
  };
}

/** `[["create","a"],…]`, whole entries only, ending in `["more","N more"]` when cut to fit the limit. */
function compactResources(resources: PlanResource[]): string {
  const entries = resources.map((resource) => ({ json: JSON.stringify([resource.action, resource.address]), isMore: resource.action === 'more' }));
  const whole = `[${entries.map(({ json }) => json).join(',')}]`;
  if (whole.length <= MAX_EXPORTED_RESOURCES_CHARS) return whole;
  // Cut: the resources with a warning go first, so that their warnings survive the cut.
  const warned = entries.filter((_, index) => warnedAt(resources, index));
  const ordered = [...warned, ...entries.filter((_, index) => !warnedAt(resources, index))];
  // A list that was already cut (read back from a build) carries its own count of what is missing.
  const alreadyMore = resources.reduce((sum, resource) => sum + (resource.action === 'more' ? moreCount(resource.address) : 0), 0);
  // How many resources a cut before the current entry leaves out.
  let remaining = alreadyMore + entries.filter(({ isMore }) => !isMore).length;
  const kept: string[] = [];
  let length = 2; // the brackets
  for (const { json, isMore } of ordered) {
    const more = JSON.stringify(['more', `${remaining} more`]);
    // The entry fits only if the "more" entry that may follow it still fits too.
    if (length + json.length + 1 + more.length + 1 > MAX_EXPORTED_RESOURCES_CHARS) {
      return `[${[...kept, more].join(',')}]`;
    }
    if (!isMore) {
      kept.push(json);
      remaining--;
    }
    length += json.length + 1;
  }
  return whole;
}

function warnedAt(resources: PlanResource[], index: number): boolean {
  const resource = resources[index];
  return resource !== undefined && warningFor(resource) !== undefined;
}

function moreCount(address: string): number {
  const match = /^(\d+) more$/.exec(address);
  return match === null ? 0 : Number(match[1]);
}

/**
 * The plan summary a build exported, or undefined when it exported none (an apply build, or a plan build
 * that failed before summarizing). A variable that is there but malformed is a bug in the buildspec.
 */
export function planSummaryFromExported(byName: Record<string, string>): (PlanSummary & { sha256: string }) | undefined {
  const sha256 = byName[PLAN_VARIABLES.sha256] ?? '';
  if (sha256 === '') return undefined;
  const count = (name: string): number => {
    const value = byName[name] ?? '';
    if (!/^\d+$/.test(value)) throw new OperationError(`the build exported ${name}="${value}"; expected a whole number`);
    return Number(value);
  };
  return {
    sha256,
    add: count(PLAN_VARIABLES.add),
    change: count(PLAN_VARIABLES.change),
    destroy: count(PLAN_VARIABLES.destroy),
    replace: count(PLAN_VARIABLES.replace),
    resources: parseResources(byName[PLAN_VARIABLES.resources] ?? '[]'),
  };
}

function parseResources(text: string): PlanResource[] {
  const malformed = () => new OperationError(`the build exported a malformed ${PLAN_VARIABLES.resources}: expected [[action, address], …]`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text === '' ? '[]' : text);
  } catch (error) {
    throw new OperationError(malformed().message, { cause: error });
  }
  if (!Array.isArray(parsed)) throw malformed();
  return parsed.map((entry: unknown) => {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[1] !== 'string' || !(typeof entry[0] === 'string' && entry[0] in ACTION_ORDER)) {
      throw malformed();
    }
    return { action: entry[0] as PlanAction, address: entry[1] };
  });
}

export interface PlanMarkdownContext {
  environment: string;
  commit: string;
  logUrl?: string;
  buildId?: string;
}

/** A GitHub comment holds 65,536 characters; leave room for whatever the caller puts around the plan. */
export const DEFAULT_MARKDOWN_CHARS = 60_000;

/**
 * The plan as Markdown for a pull request comment or a job summary. Never longer than `maxChars`: resource
 * rows that do not fit are left out whole and counted in a last line that points at the full build log.
 * Warnings ({@link planWarnings}) come right after the counts, one quoted line each.
 */
export function renderPlanMarkdown(summary: PlanSummary, context: PlanMarkdownContext, maxChars = DEFAULT_MARKDOWN_CHARS): string {
  const creates = summary.add - summary.replace;
  const deletes = summary.destroy - summary.replace;
  const about = [`Commit \`${context.commit.slice(0, 12)}\``];
  if (context.buildId !== undefined) about.push(`build \`${context.buildId}\``);
  if (context.logUrl !== undefined) about.push(`[full build log](${context.logUrl})`);
  const warnings = planWarnings(summary).flatMap((warning) => [`> **Warning:** ${warning}`, '']);
  const head = [
    `### Terraform plan: ${context.environment}`,
    '',
    `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.`,
    '',
    ...warnings,
    about.join(' · '),
    '',
    '| Action | Count |',
    '| --- | ---: |',
    `| create | ${creates} |`,
    `| update | ${summary.change} |`,
    `| replace | ${summary.replace} |`,
    `| delete | ${deletes} |`,
    '',
  ];

  const listed = summary.resources.filter((resource) => resource.action !== 'more');
  const alreadyMore = summary.resources.reduce((sum, resource) => sum + (resource.action === 'more' ? moreCount(resource.address) : 0), 0);
  if (listed.length === 0 && alreadyMore === 0) return truncate([...head, 'No resource changes.'].join('\n'), maxChars);

  const note = (missing: number) =>
    `… ${missing} more resource${missing === 1 ? '' : 's'}: see the full build log${context.logUrl === undefined ? (context.buildId === undefined ? '' : ` (build ${context.buildId})`) : ` ${context.logUrl}`}`;
  let text = [...head, '| Action | Resource |', '| --- | --- |'].join('\n');
  // Reserve room for the longest note this list could need, so adding it never pushes past the limit.
  const reserve = 2 + note(listed.length + alreadyMore).length;
  let shown = 0;
  for (const resource of listed) {
    const row = `\n| ${resource.action} | ${codeCell(resource.address)} |`;
    const isLast = shown === listed.length - 1 && alreadyMore === 0;
    if (text.length + row.length + (isLast ? 0 : reserve) > maxChars) break;
    text += row;
    shown++;
  }
  const missing = listed.length - shown + alreadyMore;
  if (missing > 0) text += `\n\n${note(missing)}`;
  return truncate(text, maxChars);
}

/** An address as inline code in a table cell: "|" would end the cell, a backtick the code span. */
function codeCell(address: string): string {
  const escaped = address.replace(/\|/g, '\\|');
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

/** Last resort for a limit too small even for the heading and the counts. */
function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(0, maxChars - 1))}…`.slice(0, maxChars);
}
