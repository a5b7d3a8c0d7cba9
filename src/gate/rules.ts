/**
 * The promotion gate's rules. Pure: facts in (config, the workflow event, GitHub's records), a decision out,
 * with every rule's result and its evidence. Fails closed: missing or unreadable evidence is a failed rule,
 * never a pass.
 */
import type { EnvironmentConfig } from '../config/load.js';
import { globToRegExp } from '../glob.js';
import { COMMIT_SHA } from '../patterns.js';

export type GateMode = 'plan' | 'apply';

/** The newest status of one GitHub deployment of the commit to an environment. */
export interface DeploymentEvidence {
  id: number;
  createdAt: string;
  /** The deployment's newest status: success, failure, error, inactive, in_progress, queued, pending; '' when none. */
  state: string;
  /** A success status is in its history (a later deploy makes it `inactive`, which does not undo it). */
  succeeded: boolean;
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
}

/** Evidence read from GitHub, or why it could not be read (then the rules that need it fail). */
export type Evidence<T> = { ok: true; items: T[] } | { ok: false; error: string };

export interface GateFacts {
  environment: EnvironmentConfig;
  mode: GateMode;
  /** GITHUB_EVENT_NAME of the run that asks. */
  eventName: string;
  /** GITHUB_REF of the run that asks. */
  ref: string;
  sha: string;
  requiredChecks: string[];
  now: Date;
  /** Deployments of `sha` to the previous environment; undefined for the first environment. */
  previousDeployments?: Evidence<DeploymentEvidence>;
  checks?: Evidence<CheckEvidence>;
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
  const newest = (matches: (item: DeploymentEvidence) => boolean) =>
    evidence.items.filter(matches).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
  const success = newest((item) => item.succeeded);
  const failure = newest((item) => item.state === 'failure' || item.state === 'error');
  if (success === undefined) {
    const seen = evidence.items.length === 0 ? 'none at all' : evidence.items.map((item) => `#${item.id} ${item.state || 'no status'}`).join(', ');
    return {
      rule: 'previous environment',
      ...fail(`no successful deployment of ${facts.sha.slice(0, 12)} to ${previous} (deployments seen: ${seen}); deploy it to ${previous} first`),
    };
  }
  if (failure !== undefined && Date.parse(failure.createdAt) > Date.parse(success.createdAt)) {
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
    ...pass(`deployed to ${previous} successfully (#${success.id})`),
    evidence: success.url ?? `deployment #${success.id}`,
  };
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
    const newest = evidence.items.filter((item) => item.name === name).sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    if (newest === undefined) missing.push(`${name} (never ran)`);
    else if (newest.result !== 'success') missing.push(`${name} (${newest.kind} ${newest.result})`);
    else found.push(`${name}: ${newest.kind}${newest.id === undefined ? '' : ` #${newest.id}`}`);
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
