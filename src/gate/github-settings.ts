/**
 * The GitHub settings the promotion model relies on, checked against what the API reports. Reviewers are
 * what make an apply to qa or prod a decision of someone other than its author, and the deployment branch
 * policy is what keeps a workflow on any other branch out of the environment (and so out of its AWS role):
 * both are set by hand in GitHub, so `gantry doctor` and the gate's "environment protection" rule read them
 * back. Pure: the reading is in evidence.ts.
 *
 * An environment the config marks `approval: required` fails closed, naming the missing setting, when it
 * does not exist, has no required reviewer, lets the deployer approve their own deployment, or lets any
 * branch deploy.
 */
import { globToRegExp } from '../glob.js';

export type Approval = 'required' | 'none';

/** A GitHub Environment's protection rules and deployment branch policy, as `GET /environments/{name}` and its branch policies report them. */
export interface EnvironmentProtection {
  name: string;
  /** Required reviewers: user logins, `team <slug>` for teams. Empty when the environment has none. */
  reviewers: string[];
  preventSelfReview: boolean;
  /** Minutes a job waits before it may start; 0 when none. */
  waitTimer: number;
  /** any: every branch may deploy (no policy); protected: protected branches only; custom: the name patterns in `policies`. */
  branchPolicy: 'any' | 'protected' | 'custom';
  policies: Array<{ name: string; type: 'branch' | 'tag' }>;
}

/** What the config asks of one environment. */
export interface SettingsTarget {
  name: string;
  approval: Approval;
  /** The environment's `apply.refs`. */
  refs: readonly string[];
}

export interface SettingFinding {
  /** fail: the environment does not enforce what the config relies on; warn: worth fixing; pass: in place. */
  status: 'pass' | 'fail' | 'warn';
  setting: string;
  detail: string;
}

/** `protection` undefined: GitHub has no such environment (or the token may not read it). */
export function checkEnvironmentSettings(target: SettingsTarget, protection: EnvironmentProtection | undefined): SettingFinding[] {
  const required = target.approval === 'required';
  const where = `Settings → Environments → ${target.name}`;
  if (protection === undefined) {
    return [
      required
        ? {
            status: 'fail',
            setting: 'environment',
            detail: `GitHub has no environment "${target.name}" (or the token may not read it: it needs actions: read); create it in Settings → Environments with required reviewers and a deployment branch policy`,
          }
        : {
            status: 'warn',
            setting: 'environment',
            detail: `GitHub has no environment "${target.name}" yet; the first deployment job creates it, with no rules`,
          },
    ];
  }
  const findings: SettingFinding[] = [];
  const missing = required ? ('fail' as const) : ('warn' as const);

  if (protection.reviewers.length > 0) findings.push({ status: 'pass', setting: 'required reviewers', detail: protection.reviewers.join(', ') });
  else if (required) findings.push({ status: 'fail', setting: 'required reviewers', detail: `none: add at least one (${where} → Required reviewers)` });

  if (protection.reviewers.length > 0 || required) {
    findings.push(
      protection.preventSelfReview
        ? { status: 'pass', setting: 'prevent self-review', detail: 'on' }
        : {
            status: missing,
            setting: 'prevent self-review',
            detail: `off: whoever starts a deployment may approve it; tick "Prevent self-review" (${where})`,
          },
    );
  }

  const suggestion = suggestedPolicies(target.refs);
  if (protection.branchPolicy === 'any') {
    findings.push({
      status: missing,
      setting: 'deployment branches',
      detail: `any branch may deploy to ${target.name}: choose "Selected branches and tags" (${suggestion}) or "Protected branches only" (${where} → Deployment branches and tags)`,
    });
  } else if (protection.branchPolicy === 'protected') {
    findings.push({ status: 'pass', setting: 'deployment branches', detail: 'protected branches only' });
  } else findings.push(...customPolicyFindings(target, protection, suggestion, missing));

  if (protection.waitTimer > 0) findings.push({ status: 'pass', setting: 'wait timer', detail: `${protection.waitTimer} minutes` });
  return findings;
}

function customPolicyFindings(target: SettingsTarget, protection: EnvironmentProtection, suggestion: string, missing: 'fail' | 'warn'): SettingFinding[] {
  const findings: SettingFinding[] = [];
  const anyBranch = protection.policies.find((policy) => policy.type === 'branch' && /^\*+$/.test(policy.name));
  if (anyBranch !== undefined) {
    findings.push({
      status: missing,
      setting: 'deployment branches',
      detail: `any branch may deploy to ${target.name}: the branch rule "${anyBranch.name}" matches every branch`,
    });
    return findings;
  }
  if (protection.policies.length === 0) {
    findings.push({
      status: 'warn',
      setting: 'deployment branches',
      detail: `selected branches and tags, but none listed: nothing may deploy; add ${suggestion}`,
    });
    return findings;
  }
  findings.push({
    status: 'pass',
    setting: 'deployment branches',
    detail: `selected: ${protection.policies.map((policy) => `${policy.name} (${policy.type})`).join(', ')}`,
  });
  const asRef = (policy: { name: string; type: 'branch' | 'tag' }) => `refs/${policy.type === 'tag' ? 'tags' : 'heads'}/${policy.name}`;
  for (const policy of protection.policies) {
    const ref = asRef(policy);
    // A literal name is checked against the patterns; a pattern is covered only by the same pattern in apply.refs.
    const covered = /[*?]/.test(policy.name) ? target.refs.includes(ref) : target.refs.some((pattern) => globToRegExp(pattern).test(ref));
    if (!covered) {
      findings.push({
        status: 'warn',
        setting: 'deployment branches',
        detail: `the ${policy.type} rule "${policy.name}" lets refs deploy that apply.refs (${target.refs.join(', ')}) does not name; the gate refuses them, narrow the rule`,
      });
    }
  }
  for (const pattern of target.refs) {
    const allowed = protection.policies.some((policy) => (/[*?]/.test(pattern) ? asRef(policy) === pattern : globToRegExp(asRef(policy)).test(pattern)));
    if (!allowed) {
      findings.push({
        status: 'warn',
        setting: 'deployment branches',
        detail: `apply.refs names ${pattern}, which no rule lets deploy: GitHub will hold back those apply jobs`,
      });
    }
  }
  if (protection.policies.some((policy) => policy.type === 'tag')) {
    findings.push({
      status: 'warn',
      setting: 'tag protection',
      detail: 'tags may deploy: protect them with a tag ruleset (who may create and move them); gantry does not read rulesets',
    });
  }
  return findings;
}

/** apply.refs as the GitHub settings page names them: `main (branch), v* (tag)`. */
function suggestedPolicies(refs: readonly string[]): string {
  return refs.map((ref) => ref.replace(/^refs\/heads\/(.*)$/, '$1 (branch)').replace(/^refs\/tags\/(.*)$/, '$1 (tag)')).join(', ');
}

/** One line for the findings that failed, or '' when none did. */
export function failedSettings(findings: readonly SettingFinding[]): string {
  return findings
    .filter((finding) => finding.status === 'fail')
    .map((finding) => `${finding.setting}: ${finding.detail}`)
    .join('; ');
}
