/**
 * The promotion gate's rules. Pure: facts in (config, the workflow event, GitHub's records), a decision out,
 * with every rule's result and its evidence. Fails closed: missing or unreadable evidence is a failed rule,
 * never a pass.
 *
 * GitHub's records count only from whoever could not have forged them: required checks from GitHub Actions
 * jobs of this repository on the very commit (or the apps and status creators the config trusts), deployments
 * from the identity the gate itself deploys as, the commit only when an allowed branch contains it or an
 * allowed tag points at it. Each refusal names the record it rejected and why.
 */
import type { EnvironmentConfig } from '../config/load.js';
import { globToRegExp } from '../glob.js';
import { COMMIT_SHA } from '../patterns.js';
import { type Approval, checkEnvironmentSettings, type EnvironmentProtection, failedSettings } from './github-settings.js';

export type GateMode = 'plan' | 'apply';

/** The app behind GitHub Actions' check runs (and every workflow's GITHUB_TOKEN). */
export const GITHUB_ACTIONS_APP_ID = 15368;

/** Who created a record, as GitHub reports it; null when GitHub names nobody (a deleted account). */
export type Actor = { login: string; type: string } | null;

export interface DeploymentStatusEvidence {
  id: number;
  /** success, failure, error, inactive, in_progress, queued, pending. */
  state: string;
  creator: Actor;
  createdAt: string;
}

/** One GitHub deployment of the commit to an environment, with its status history. */
export interface DeploymentEvidence {
  id: number;
  createdAt: string;
  creator: Actor;
  /** Newest first. */
  statuses: DeploymentStatusEvidence[];
  url?: string;
}

/** The workflow run a GitHub Actions check run's check suite belongs to. */
export interface WorkflowRunEvidence {
  id: number;
  headSha: string;
  /** `owner/name` the run belongs to, and the one its head commit came from (a fork, for a fork's pull request). */
  repository: string;
  headRepository: string;
  url?: string;
}

/** A check run or commit status on the commit. */
export interface CheckEvidence {
  name: string;
  kind: 'check run' | 'status';
  /** check runs: the conclusion (or status while running); statuses: the state. */
  result: string;
  /** When it finished (or was reported), for picking the newest per name. */
  at: string;
  url?: string;
  id?: number;
  /** Check runs: the app that made it. */
  app?: { id: number; slug: string } | null;
  /** Check runs of GitHub Actions: the workflow run of its check suite; null when the suite has none (made through the API). */
  workflowRun?: WorkflowRunEvidence | null;
  /** Statuses: who posted it. */
  creator?: Actor;
}

/** Where the commit stands against one of `apply.refs`. */
export interface RefEvidence {
  /** The `apply.refs` pattern. */
  pattern: string;
  /** The branch or tag looked at (`refs/heads/main`), or the pattern when nothing matches it. */
  ref: string;
  /**
   * Branches: the compare API's status of the commit against the branch, `identical` or `behind` meaning the
   * branch contains it; `missing`: no such branch, or no common history. Tags: `points` when the tag is at it.
   */
  relation: 'identical' | 'behind' | 'ahead' | 'diverged' | 'missing' | 'points';
  /** In words, for the report. */
  detail: string;
}

/** Whose records count (the config's github block) and the repository they must come from. */
export interface GateTrust {
  /** `owner/name` of the repository the gate runs in. */
  repository: string;
  /** github.trustedApps: apps whose check runs count. */
  apps: readonly number[];
  /** github.trustedStatusCreators: logins whose commit statuses count. */
  statusCreators: readonly string[];
  /** github.deployer: the login whose deployments (and statuses) count. */
  deployer: string;
}

/** Evidence read from GitHub, or why it could not be read (then the rules that need it fail). */
export type Evidence<T> = { ok: true; items: T[] } | { ok: false; error: string };

/** The GitHub Environment's protection; `protection` undefined when GitHub has no such environment. */
export type EnvironmentEvidence = { ok: true; protection: EnvironmentProtection | undefined } | { ok: false; error: string };

export interface GateFacts {
  environment: EnvironmentConfig;
  mode: GateMode;
  /** GITHUB_EVENT_NAME of the run that asks. */
  eventName: string;
  /** GITHUB_REF of the run that asks. */
  ref: string;
  sha: string;
  requiredChecks: string[];
  trust: GateTrust;
  /** github.environments.<name>.approval: required makes the environment's GitHub protection a rule. */
  approval: Approval;
  now: Date;
  /** Deployments of `sha` to the previous environment; undefined for the first environment. */
  previousDeployments?: Evidence<DeploymentEvidence>;
  checks?: Evidence<CheckEvidence>;
  /** Where `sha` stands against each of `apply.refs`. */
  reachability?: Evidence<RefEvidence>;
  /** The environment's GitHub protection rules, read when `approval` is required. */
  protection?: EnvironmentEvidence;
  /** The plan's counts, once there is a plan (the apply-time gate). */
  plan?: { add: number; change: number; destroy: number };
  /** True for the gate right before apply: limits that need the plan must be checked then. */
  final: boolean;
}

export type RuleStatus = 'pass' | 'fail' | 'skip';

export interface RuleResult {
  rule: string;
  status: RuleStatus;
  detail: string;
  /** What the rule looked at: a deployment, a check run, a ref. */
  evidence?: string;
}

export interface GateDecision {
  allowed: boolean;
  /** One line: why it is allowed, or the first failed rule's detail. */
  reason: string;
  rules: RuleResult[];
}

const NEVER_APPLY_EVENTS = new Set(['pull_request', 'pull_request_target']);

export function evaluateGate(facts: GateFacts): GateDecision {
  const rules = facts.mode === 'plan' ? planRules(facts) : applyRules(facts);
  const failed = rules.find((rule) => rule.status === 'fail');
  const target = `${facts.mode} ${facts.environment.name} at ${facts.sha.slice(0, 12) || '(no commit)'}`;
  return failed === undefined
    ? { allowed: true, reason: `${target}: allowed (${rules.filter((rule) => rule.status === 'pass').length} rules passed)`, rules }
    : { allowed: false, reason: `${target}: refused: ${failed.detail}`, rules };
}

function planRules(facts: GateFacts): RuleResult[] {
  return [
    commitRule(facts),
    {
      rule: 'event',
      ...(facts.eventName === '' ? fail('no workflow event: run the gate inside a workflow') : pass(`plan runs on ${facts.eventName}`)),
      evidence: facts.eventName,
    },
  ];
}

function applyRules(facts: GateFacts): RuleResult[] {
  const { apply } = facts.environment;
  return [
    commitRule(facts),
    eventRule(facts),
    refRule(facts),
    reachableRule(facts),
    protectionRule(facts),
    previousEnvironmentRule(facts),
    requiredChecksRule(facts),
    freezeRule(facts),
    sizeRule(facts, 'max-changes', apply.maxChanges, (plan) => plan.add + plan.change + plan.destroy, 'changes'),
    sizeRule(facts, 'max-destroy', apply.maxDestroy, (plan) => plan.destroy, 'destroys'),
  ];
}

const pass = (detail: string) => ({ status: 'pass' as const, detail });
const fail = (detail: string) => ({ status: 'fail' as const, detail });
const skip = (detail: string) => ({ status: 'skip' as const, detail });

function commitRule(facts: GateFacts): RuleResult {
  return {
    rule: 'commit',
    ...(COMMIT_SHA.test(facts.sha) ? pass('a full commit SHA') : fail(`"${facts.sha}" is not a full 40-character commit SHA`)),
    evidence: facts.sha,
  };
}

function eventRule(facts: GateFacts): RuleResult {
  const { events } = facts.environment.apply;
  const result = NEVER_APPLY_EVENTS.has(facts.eventName)
    ? fail(`apply is never allowed from ${facts.eventName}: pull requests only plan`)
    : (events as readonly string[]).includes(facts.eventName)
      ? pass(`${facts.eventName} may apply to ${facts.environment.name}`)
      : fail(`event "${facts.eventName || '(none)'}" may not apply to ${facts.environment.name}; allowed: ${events.join(', ')}`);
  return { rule: 'event', ...result, evidence: facts.eventName };
}

/** `refs/heads/release/*` matches one segment, `refs/tags/**` any depth. */
export function refAllowed(ref: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(ref));
}

function refRule(facts: GateFacts): RuleResult {
  const { refs } = facts.environment.apply;
  const result = refAllowed(facts.ref, refs)
    ? pass(`${facts.ref} may apply`)
    : fail(`ref "${facts.ref || '(none)'}" may not apply to ${facts.environment.name}; allowed: ${refs.join(', ')}`);
  return { rule: 'ref', ...result, evidence: facts.ref };
}

/** The commit itself, not only the run's ref: a branch of `apply.refs` contains it, or a tag of it points at it. */
function reachableRule(facts: GateFacts): RuleResult {
  const short = facts.sha.slice(0, 12);
  const evidence = facts.reachability;
  if (evidence === undefined || !evidence.ok) {
    return {
      rule: 'reachable',
      ...fail(`could not check that ${short} is on ${facts.environment.apply.refs.join(', ')}: ${evidence?.ok === false ? evidence.error : 'not looked up'}`),
    };
  }
  const on = evidence.items.find((item) => item.relation === 'identical' || item.relation === 'behind' || item.relation === 'points');
  if (on !== undefined) return { rule: 'reachable', ...pass(`${short} is on ${on.ref} (${on.detail})`), evidence: on.ref };
  const seen = evidence.items.map((item) => `${item.ref}: ${item.detail}`).join('; ');
  return {
    rule: 'reachable',
    ...fail(`${short} is on no ref ${facts.environment.name} applies from (${seen || facts.environment.apply.refs.join(', ')}); merge it first`),
  };
}

/** An environment the config says needs approval must have it in GitHub: reviewers, no self-review, a branch policy. */
function protectionRule(facts: GateFacts): RuleResult {
  const name = facts.environment.name;
  if (facts.approval !== 'required') {
    return { rule: 'environment protection', ...skip(`github.environments.${name}.approval is not required`) };
  }
  const evidence = facts.protection;
  if (evidence === undefined || !evidence.ok) {
    return {
      rule: 'environment protection',
      ...fail(`could not read the protection rules of GitHub Environment ${name}: ${evidence?.ok === false ? evidence.error : 'not looked up'}`),
    };
  }
  const findings = checkEnvironmentSettings({ name, approval: 'required', refs: facts.environment.apply.refs }, evidence.protection);
  const failed = failedSettings(findings);
  const list = (status: 'pass' | 'warn') =>
    findings
      .filter((finding) => finding.status === status)
      .map((finding) => `${finding.setting}: ${finding.detail}`)
      .join('; ');
  return failed === ''
    ? { rule: 'environment protection', ...pass(`GitHub Environment ${name}: ${list('pass')}`), evidence: list('warn') }
    : { rule: 'environment protection', ...fail(`GitHub Environment ${name} does not enforce approval: ${failed}`) };
}

/** `user mallory`, `bot my-app[bot]`. */
function who(actor: Actor | undefined): string {
  if (actor === null || actor === undefined) return 'an unknown account';
  return `${actor.type === 'Bot' ? 'bot' : actor.type === 'Organization' ? 'organization' : 'user'} ${actor.login}`;
}

const sameLogin = (actor: Actor | undefined, login: string) => actor !== null && actor !== undefined && actor.login.toLowerCase() === login.toLowerCase();
const newestFirst = (a: { id: number }, b: { id: number }) => b.id - a.id;

/**
 * Why a deployment does not count as a success in the previous environment, or undefined when it does: made
 * by the deployer, and its newest status a success, also by the deployer. A later failure, or an `inactive`
 * (a newer deployment superseded it, or someone retired it), takes the success back.
 */
function deploymentRejection(item: DeploymentEvidence, deployer: string): string | undefined {
  if (!sameLogin(item.creator, deployer)) return `deployment #${item.id} by ${who(item.creator)} is not from ${deployer}`;
  const newest = [...item.statuses].sort(newestFirst)[0];
  if (newest === undefined) return `deployment #${item.id} has no status`;
  if (newest.state !== 'success') {
    const succeeded = item.statuses.some((status) => status.state === 'success' && sameLogin(status.creator, deployer));
    return succeeded ? `deployment #${item.id} succeeded, then became ${newest.state}` : `deployment #${item.id} is ${newest.state}`;
  }
  if (!sameLogin(newest.creator, deployer)) return `deployment #${item.id}'s success status by ${who(newest.creator)} is not from ${deployer}`;
  return undefined;
}

function previousEnvironmentRule(facts: GateFacts): RuleResult {
  const previous = facts.environment.previous;
  if (previous === undefined) return { rule: 'previous environment', ...skip(`${facts.environment.name} is the first environment`) };
  const evidence = facts.previousDeployments;
  if (evidence === undefined || !evidence.ok) {
    return {
      rule: 'previous environment',
      ...fail(`could not read the deployments of ${facts.sha.slice(0, 12)} to ${previous}: ${evidence?.ok === false ? evidence.error : 'not looked up'}`),
    };
  }
  const { deployer } = facts.trust;
  const items = [...evidence.items].sort(newestFirst);
  const success = items.find((item) => deploymentRejection(item, deployer) === undefined);
  if (success === undefined) {
    const seen = items.length === 0 ? 'none at all' : items.map((item) => deploymentRejection(item, deployer)).join('; ');
    return {
      rule: 'previous environment',
      ...fail(`no successful deployment of ${facts.sha.slice(0, 12)} to ${previous} (deployments seen: ${seen}); deploy it to ${previous} first`),
    };
  }
  // A newer deployment of the same commit by the deployer that failed: the environment is not healthy with it.
  const failure = items.find(
    (item) => item.id > success.id && sameLogin(item.creator, deployer) && ['failure', 'error'].includes([...item.statuses].sort(newestFirst)[0]?.state ?? ''),
  );
  if (failure !== undefined) {
    return {
      rule: 'previous environment',
      ...fail(
        `the newest deployment of ${facts.sha.slice(0, 12)} to ${previous} failed (#${failure.id}, after the successful #${success.id}); fix ${previous} first`,
      ),
      evidence: `deployment #${failure.id}`,
    };
  }
  return {
    rule: 'previous environment',
    ...pass(`deployed to ${previous} successfully (#${success.id} by ${deployer})`),
    evidence: success.url ?? `deployment #${success.id}`,
  };
}

/** The trusted sources, for a refusal: `GitHub Actions`, `GitHub Actions or app 123`, `... or ci-bot`. */
function trustedSources(trust: GateTrust, kind: 'check run' | 'status'): string {
  const apps = trust.apps.map((id) => (id === GITHUB_ACTIONS_APP_ID ? 'GitHub Actions' : `app ${id}`));
  const sources = kind === 'status' ? [...apps, ...trust.statusCreators] : apps;
  return sources.length === 0 ? 'a trusted source (none configured)' : sources.join(' or ');
}

/** Why a check run or status does not count, or undefined when it does. */
function checkRejection(item: CheckEvidence, facts: GateFacts): string | undefined {
  const { trust } = facts;
  if (item.kind === 'status') {
    if (trust.statusCreators.some((login) => sameLogin(item.creator, login))) return undefined;
    return `status '${item.name}' by ${who(item.creator)} is not from ${trustedSources(trust, 'status')}`;
  }
  const run = `check run '${item.name}'${item.id === undefined ? '' : ` #${item.id}`}`;
  const app = item.app;
  if (app === null || app === undefined || !trust.apps.includes(app.id)) {
    return `${run} ${app === null || app === undefined ? 'by no app' : `by app ${app.slug} (${app.id})`} is not from ${trustedSources(trust, 'check run')}`;
  }
  if (app.id !== GITHUB_ACTIONS_APP_ID) return undefined;
  // Any workflow of the repository, on any branch, can create a check run with any name through the API:
  // only a job of a workflow run of this repository on this very commit counts.
  const workflowRun = item.workflowRun;
  if (workflowRun === undefined) return `${run}: its workflow run was not looked up`;
  if (workflowRun === null) return `${run} is from no workflow run (made through the API, not by a job)`;
  const repository = trust.repository.toLowerCase();
  if (workflowRun.repository.toLowerCase() !== repository || workflowRun.headRepository.toLowerCase() !== repository) {
    return `${run} is from workflow run #${workflowRun.id} of ${workflowRun.headRepository}, not of ${trust.repository}`;
  }
  if (workflowRun.headSha !== facts.sha) {
    return `${run} is from workflow run #${workflowRun.id} on ${workflowRun.headSha.slice(0, 12)}, not on ${facts.sha.slice(0, 12)}`;
  }
  return undefined;
}

function requiredChecksRule(facts: GateFacts): RuleResult {
  if (facts.requiredChecks.length === 0) return { rule: 'required checks', ...skip('the config names no required checks') };
  const evidence = facts.checks;
  if (evidence === undefined || !evidence.ok) {
    return {
      rule: 'required checks',
      ...fail(`could not read the checks of ${facts.sha.slice(0, 12)}: ${evidence?.ok === false ? evidence.error : 'not looked up'}`),
    };
  }
  const missing: string[] = [];
  const found: string[] = [];
  for (const name of facts.requiredChecks) {
    const rejected = new Set<string>();
    const trusted: CheckEvidence[] = [];
    for (const item of evidence.items.filter((candidate) => candidate.name === name)) {
      const rejection = checkRejection(item, facts);
      if (rejection === undefined) trusted.push(item);
      else rejected.add(rejection);
    }
    // The newest trusted result per name counts: a re-run that passed after a failure is a pass, and the reverse.
    const newest = trusted.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (b.id ?? 0) - (a.id ?? 0))[0];
    if (newest === undefined) missing.push(`${name} (${rejected.size === 0 ? 'never ran' : [...rejected].join('; ')})`);
    else if (newest.result !== 'success') missing.push(`${name} (${newest.kind} ${newest.result})`);
    else {
      const from = newest.workflowRun === null || newest.workflowRun === undefined ? '' : ` of workflow run #${newest.workflowRun.id}`;
      found.push(`${name}: ${newest.kind}${newest.id === undefined ? '' : ` #${newest.id}`}${from}`);
    }
  }
  return missing.length > 0
    ? { rule: 'required checks', ...fail(`required checks not successful on ${facts.sha.slice(0, 12)}: ${missing.join(', ')}`), evidence: found.join('; ') }
    : { rule: 'required checks', ...pass(`${facts.requiredChecks.join(', ')} succeeded`), evidence: found.join('; ') };
}

const WEEKDAY_INDEX = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } as const;

function freezeRule(facts: GateFacts): RuleResult {
  const { freeze, weeklyFreeze } = facts.environment.apply;
  const now = facts.now.getTime();
  const window = freeze.find((candidate) => Date.parse(candidate.start) <= now && now < Date.parse(candidate.end));
  if (window !== undefined)
    return {
      rule: 'freeze',
      ...fail(`${facts.environment.name} is frozen until ${window.end}: ${window.reason}`),
      evidence: `${window.start} – ${window.end}`,
    };
  const minutes = facts.now.getUTCHours() * 60 + facts.now.getUTCMinutes();
  const toMinutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
  const weekly = weeklyFreeze.find(
    (candidate) =>
      candidate.days.some((day) => WEEKDAY_INDEX[day] === facts.now.getUTCDay()) && toMinutes(candidate.from) <= minutes && minutes <= toMinutes(candidate.to),
  );
  if (weekly !== undefined) {
    return {
      rule: 'freeze',
      ...fail(`${facts.environment.name} is frozen on ${weekly.days.join(', ')} ${weekly.from}–${weekly.to} UTC: ${weekly.reason}`),
      evidence: facts.now.toISOString(),
    };
  }
  return {
    rule: 'freeze',
    ...(freeze.length + weeklyFreeze.length === 0 ? skip('no freeze windows') : pass('outside every freeze window')),
    evidence: facts.now.toISOString(),
  };
}

function sizeRule(
  facts: GateFacts,
  rule: string,
  limit: number | undefined,
  count: (plan: NonNullable<GateFacts['plan']>) => number,
  what: string,
): RuleResult {
  if (limit === undefined) return { rule, ...skip('no limit set') };
  if (facts.plan === undefined) {
    // Before the plan exists the limit cannot be checked; the gate right before apply must have it.
    return {
      rule,
      ...(facts.final
        ? fail(`${rule} is set (${limit}) but the plan's counts were not given: pass plan-add, plan-change and plan-destroy`)
        : skip('checked before apply, against the plan')),
    };
  }
  const value = count(facts.plan);
  return {
    rule,
    ...(value <= limit ? pass(`${value} ${what}, limit ${limit}`) : fail(`the plan has ${value} ${what}; ${facts.environment.name} allows at most ${limit}`)),
    evidence: `plan: +${facts.plan.add} ~${facts.plan.change} -${facts.plan.destroy}`,
  };
}
