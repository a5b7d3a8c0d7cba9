/**
 * The promotion gate's rules as a table: every event × mode × environment × evidence case of the example
 * config, with the expectation spelled out per dimension; then the freeze, size and fail-closed rules, and
 * whose records count (the attacks: records anyone can write).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import type { EnvironmentProtection } from '../src/gate/github-settings.js';
import {
  type Actor,
  type CheckEvidence,
  type DeploymentEvidence,
  type Evidence,
  evaluateGate,
  type GateFacts,
  type RefEvidence,
  refAllowed,
} from '../src/gate/rules.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';

const SHA = 'a'.repeat(40);
const OTHER_SHA = 'b'.repeat(40);
const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
const WEDNESDAY = new Date('2026-11-25T12:00:00Z');

const BOT: Actor = { login: 'github-actions[bot]', type: 'Bot' };
const MALLORY: Actor = { login: 'mallory', type: 'User' };

/** A deployment by `creator` whose statuses are `states`, oldest first, each by `statusCreator`. */
const deployment = (id: number, createdAt: string, states: string[], creator: Actor = BOT, statusCreator: Actor = creator): DeploymentEvidence => ({
  id,
  createdAt,
  creator,
  statuses: states.map((state, index) => ({ id: id * 100 + index, state, creator: statusCreator, createdAt })).reverse(),
});
const EVIDENCE: Record<string, Evidence<DeploymentEvidence>> = {
  none: { ok: true, items: [] },
  success: { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', ['in_progress', 'success'])] },
  'superseded success (inactive)': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', ['success', 'inactive'])] },
  'failed after success': {
    ok: true,
    items: [deployment(1, '2026-11-25T10:00:00Z', ['success']), deployment(2, '2026-11-25T11:00:00Z', ['in_progress', 'failure'])],
  },
  'success after failure': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', ['error']), deployment(2, '2026-11-25T11:00:00Z', ['success'])] },
  'in progress only': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', ['in_progress'])] },
  'success by another user': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', ['success'], MALLORY)] },
  unreadable: { ok: false, error: 'HttpError: Bad credentials' },
};
const PROMOTED = new Set(['success', 'success after failure']);

/** A check run of a GitHub Actions job of this repository on SHA, as the gate must see them. */
const check = (name: string, result: string, at = '2026-11-25T09:00:00Z', overrides: Partial<CheckEvidence> = {}): CheckEvidence => ({
  name,
  kind: 'check run',
  result,
  at,
  id: name.length,
  app: { id: 15368, slug: 'github-actions' },
  workflowRun: { id: 7, headSha: SHA, repository: 'example/app', headRepository: 'example/app' },
  ...overrides,
});
const GREEN: Evidence<CheckEvidence> = { ok: true, items: [check('test', 'success'), check('security', 'success')] };
const ON_MAIN: Evidence<RefEvidence> = {
  ok: true,
  items: [{ pattern: 'refs/heads/main', ref: 'refs/heads/main', relation: 'behind', detail: '2 commits behind its head' }],
};

const CASES: Array<[event: string, ref: string]> = [
  ['push', 'refs/heads/main'],
  ['push', 'refs/heads/feature/x'],
  ['workflow_dispatch', 'refs/heads/main'],
  ['workflow_dispatch', 'refs/tags/v1.2.0'],
  ['pull_request', 'refs/pull/7/merge'],
  ['pull_request_target', 'refs/heads/main'],
  ['schedule', 'refs/heads/main'],
  ['', ''],
];

function facts(overrides: Partial<GateFacts> & { environment: GateFacts['environment'] }): GateFacts {
  return {
    mode: 'apply',
    eventName: 'push',
    ref: 'refs/heads/main',
    sha: SHA,
    requiredChecks: ['test', 'security'],
    trust: { repository: 'example/app', apps: [15368], statusCreators: [], deployer: 'github-actions[bot]' },
    approval: 'none',
    now: WEDNESDAY,
    checks: GREEN,
    reachability: ON_MAIN,
    final: true,
    ...overrides,
  };
}

describe('the rule table: event × mode × environment × evidence', () => {
  for (const environmentName of config.order) {
    const environment = config.environments.get(environmentName)!;
    for (const [eventName, ref] of CASES) {
      for (const [evidenceName, evidence] of Object.entries(EVIDENCE)) {
        it(`${environmentName} ${eventName || '(no event)'} ${ref || '(no ref)'} previous: ${evidenceName}`, () => {
          const plan = evaluateGate(facts({ environment, mode: 'plan', eventName, ref, previousDeployments: evidence }));
          // Plan: anything a workflow runs, pull requests included; never without an event.
          expect(plan.allowed).toBe(eventName !== '');

          const apply = evaluateGate(facts({ environment, eventName, ref, ...(environment.previous === undefined ? {} : { previousDeployments: evidence }) }));
          const eventOk = (environment.apply.events as readonly string[]).includes(eventName);
          const refOk = refAllowed(ref, environment.apply.refs);
          const previousOk = environment.previous === undefined || PROMOTED.has(evidenceName);
          expect(apply.allowed).toBe(eventOk && refOk && previousOk);
          if (eventName.startsWith('pull_request')) expect(apply.reason).toContain(`apply is never allowed from ${eventName}`);
          if (!apply.allowed) expect(apply.reason).toMatch(/^apply \w+ at a{12}: refused: /);
          if (eventOk && refOk && !previousOk) expect(apply.reason).toContain(environment.previous!);
        });
      }
    }
  }
});

describe('rules one by one', () => {
  const prod = config.environments.get('prod')!;
  const qa = config.environments.get('qa')!;

  it('names the missing evidence when a commit never reached the previous environment', () => {
    const decision = evaluateGate(facts({ environment: prod, eventName: 'workflow_dispatch', previousDeployments: EVIDENCE.none! }));
    expect(decision.reason).toBe(
      `apply prod at aaaaaaaaaaaa: refused: no successful deployment of aaaaaaaaaaaa to qa (deployments seen: none at all); deploy it to qa first`,
    );
    const failed = evaluateGate(facts({ environment: prod, eventName: 'workflow_dispatch', previousDeployments: EVIDENCE['failed after success']! }));
    expect(failed.reason).toContain('the newest deployment of aaaaaaaaaaaa to qa failed (#2, after the successful #1)');
  });

  it('fails closed when evidence cannot be read or a required check is missing, failed or still running', () => {
    expect(evaluateGate(facts({ environment: qa, previousDeployments: EVIDENCE.unreadable! })).reason).toContain(
      'could not read the deployments of aaaaaaaaaaaa to dev: HttpError: Bad credentials',
    );
    expect(evaluateGate(facts({ environment: qa, previousDeployments: EVIDENCE.success!, checks: { ok: false, error: 'timeout' } })).reason).toContain(
      'could not read the checks',
    );
    const checks = (items: CheckEvidence[]) => evaluateGate(facts({ environment: qa, previousDeployments: EVIDENCE.success!, checks: { ok: true, items } }));
    expect(checks([check('test', 'success')]).reason).toContain('security (never ran)');
    expect(checks([check('test', 'success'), check('security', 'failure')]).reason).toContain('security (check run failure)');
    expect(checks([check('test', 'success'), check('security', 'in_progress')]).reason).toContain('security (check run in_progress)');
    // The newest result per name counts: a re-run that passed after a failure is a pass, and the reverse.
    expect(checks([check('test', 'success'), check('security', 'failure', '2026-11-25T08:00:00Z'), check('security', 'success')]).allowed).toBe(true);
    expect(checks([check('test', 'success'), check('security', 'success', '2026-11-25T08:00:00Z'), check('security', 'failure')]).allowed).toBe(false);
    // A commit status counts like a check run, when its creator is trusted.
    const status: CheckEvidence = {
      name: 'security',
      kind: 'status',
      result: 'success',
      at: '2026-11-25T09:00:00Z',
      creator: { login: 'ci-bot', type: 'Bot' },
    };
    const trustingCiBot = { trust: { repository: 'example/app', apps: [15368], statusCreators: ['ci-bot'], deployer: 'github-actions[bot]' } };
    expect(
      evaluateGate(
        facts({ environment: qa, previousDeployments: EVIDENCE.success!, checks: { ok: true, items: [check('test', 'success'), status] }, ...trustingCiBot }),
      ).allowed,
    ).toBe(true);
    expect(evaluateGate(facts({ environment: config.environments.get('dev')!, sha: 'main' })).reason).toContain('"main" is not a full 40-character commit SHA');
  });

  it('refuses inside a freeze window, one-off or weekly, and allows outside', () => {
    const frozen = parseConfig(
      exampleWith(
        '      events: [push, workflow_dispatch]\n\n  qa:',
        '      events: [push, workflow_dispatch]\n      freeze: [{ start: "2026-12-24T00:00:00Z", end: "2026-12-27T00:00:00Z", reason: holidays }]\n      weeklyFreeze: [{ days: [fri], from: "15:00", reason: no Friday deploys }]\n\n  qa:',
      ),
      'frozen.yml',
    ).environments.get('dev')!;
    const at = (iso: string) => evaluateGate(facts({ environment: frozen, now: new Date(iso) }));
    expect(at('2026-12-25T10:00:00Z').reason).toContain('dev is frozen until 2026-12-27T00:00:00Z: holidays');
    expect(at('2026-11-27T16:00:00Z').reason).toContain('dev is frozen on fri 15:00–23:59 UTC: no Friday deploys');
    expect(at('2026-11-27T14:59:00Z').allowed).toBe(true);
    expect(at('2026-12-27T00:00:00Z').allowed).toBe(true);
  });

  it('limits the size of a plan; the limit is checked before apply, and fails closed there without counts', () => {
    const limited = parseConfig(
      exampleWith(
        '      events: [push, workflow_dispatch]\n\n  qa:',
        '      events: [push, workflow_dispatch]\n      maxChanges: 10\n      maxDestroy: 0\n\n  qa:',
      ),
      'limited.yml',
    ).environments.get('dev')!;
    expect(evaluateGate(facts({ environment: limited, final: false })).allowed).toBe(true);
    expect(evaluateGate(facts({ environment: limited })).reason).toContain("max-changes is set (10) but the plan's counts were not given");
    expect(evaluateGate(facts({ environment: limited, plan: { add: 3, change: 2, destroy: 0 } })).allowed).toBe(true);
    expect(evaluateGate(facts({ environment: limited, plan: { add: 9, change: 2, destroy: 0 } })).reason).toContain(
      'the plan has 11 changes; dev allows at most 10',
    );
    expect(evaluateGate(facts({ environment: limited, plan: { add: 1, change: 0, destroy: 1 } })).reason).toContain(
      'the plan has 1 destroys; dev allows at most 0',
    );
  });

  it('matches refs with * inside one segment and ** across', () => {
    expect(refAllowed('refs/tags/v1.2.0', ['refs/tags/v*'])).toBe(true);
    expect(refAllowed('refs/heads/release/1/2', ['refs/heads/release/*'])).toBe(false);
    expect(refAllowed('refs/heads/release/1/2', ['refs/heads/release/**'])).toBe(true);
    expect(refAllowed('refs/heads/mainline', ['refs/heads/main'])).toBe(false);
  });
});

/**
 * Records anyone with push access (or any workflow's GITHUB_TOKEN) can write must not count: each of these
 * was allowed before the gate checked who made its evidence, and each refusal names what it rejected and why.
 */
describe('whose records count', () => {
  const prod = config.environments.get('prod')!;
  const qa = config.environments.get('qa')!;
  const dispatch = { eventName: 'workflow_dispatch' };

  it('refuses required checks that are commit statuses by a user, naming each; trusted creators count', () => {
    const statuses: CheckEvidence[] = ['test', 'security'].map((name, index) => ({
      name,
      kind: 'status',
      result: 'success',
      at: '2026-11-25T09:00:00Z',
      id: index + 1,
      creator: MALLORY,
    }));
    const decision = evaluateGate(facts({ environment: qa, previousDeployments: EVIDENCE.success!, checks: { ok: true, items: statuses } }));
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe(
      "apply qa at aaaaaaaaaaaa: refused: required checks not successful on aaaaaaaaaaaa: test (status 'test' by user mallory is not from GitHub Actions), security (status 'security' by user mallory is not from GitHub Actions)",
    );
    const trusting = facts({
      environment: qa,
      previousDeployments: EVIDENCE.success!,
      checks: { ok: true, items: statuses },
      trust: { repository: 'example/app', apps: [15368], statusCreators: ['Mallory'], deployer: 'github-actions[bot]' },
    });
    expect(evaluateGate(trusting).allowed).toBe(true);
  });

  it('counts a check run only from a trusted app, and a GitHub Actions one only from a workflow run of this repository on the commit', () => {
    const only = (security: CheckEvidence, overrides: Partial<GateFacts> = {}) =>
      evaluateGate(
        facts({ environment: qa, previousDeployments: EVIDENCE.success!, checks: { ok: true, items: [check('test', 'success'), security] }, ...overrides }),
      );
    const otherApp = check('security', 'success', undefined, { id: 31, app: { id: 999, slug: 'sneaky-ci' }, workflowRun: undefined });
    expect(only(otherApp).reason).toContain("security (check run 'security' #31 by app sneaky-ci (999) is not from GitHub Actions)");
    expect(only(otherApp, { trust: { repository: 'example/app', apps: [15368, 999], statusCreators: [], deployer: 'github-actions[bot]' } }).allowed).toBe(
      true,
    );
    expect(only(check('security', 'success', undefined, { id: 32, workflowRun: null })).reason).toContain(
      "security (check run 'security' #32 is from no workflow run (made through the API, not by a job))",
    );
    const elsewhere = { id: 9, headSha: OTHER_SHA, repository: 'example/app', headRepository: 'example/app' };
    expect(only(check('security', 'success', undefined, { id: 33, workflowRun: elsewhere })).reason).toContain(
      "security (check run 'security' #33 is from workflow run #9 on bbbbbbbbbbbb, not on aaaaaaaaaaaa)",
    );
    const fork = { id: 10, headSha: SHA, repository: 'example/app', headRepository: 'mallory/app' };
    expect(only(check('security', 'success', undefined, { id: 34, workflowRun: fork })).reason).toContain(
      "security (check run 'security' #34 is from workflow run #10 of mallory/app, not of example/app)",
    );
    expect(only(check('security', 'success', undefined, { id: 35, workflowRun: undefined })).reason).toContain('its workflow run was not looked up');
  });

  it('lets no untrusted record outvote a trusted one: the newest trusted result counts', () => {
    const forged = check('security', 'success', '2026-11-25T11:00:00Z', { id: 40, workflowRun: null });
    const decision = evaluateGate(
      facts({
        environment: qa,
        previousDeployments: EVIDENCE.success!,
        checks: { ok: true, items: [check('test', 'success'), check('security', 'failure'), forged] },
      }),
    );
    expect(decision.reason).toContain('security (check run failure)');
  });

  it('counts a previous-environment deployment only when the deployer made it and its newest status is its success', () => {
    const prodFacts = (items: DeploymentEvidence[]) => evaluateGate(facts({ environment: prod, ...dispatch, previousDeployments: { ok: true, items } }));
    expect(prodFacts([deployment(7, '2026-11-25T10:00:00Z', ['success'], MALLORY)]).reason).toBe(
      'apply prod at aaaaaaaaaaaa: refused: no successful deployment of aaaaaaaaaaaa to qa (deployments seen: deployment #7 by user mallory is not from github-actions[bot]); deploy it to qa first',
    );
    expect(prodFacts([deployment(8, '2026-11-25T10:00:00Z', ['in_progress', 'success'], BOT, MALLORY)]).reason).toContain(
      "deployment #8's success status by user mallory is not from github-actions[bot]",
    );
    expect(prodFacts([deployment(9, '2026-11-25T10:00:00Z', ['success', 'inactive'])]).reason).toContain('deployment #9 succeeded, then became inactive');
    expect(prodFacts([deployment(10, '2026-11-25T10:00:00Z', ['success', 'failure'])]).reason).toContain('deployment #10 succeeded, then became failure');
    // A forged deployment next to a real one neither helps nor hurts.
    expect(prodFacts([deployment(11, '2026-11-25T10:00:00Z', ['success']), deployment(12, '2026-11-25T11:00:00Z', ['failure'], MALLORY)]).allowed).toBe(true);
    // Another deployer, configured: an app's bot.
    const appDeployer = { trust: { repository: 'example/app', apps: [15368], statusCreators: [], deployer: 'release-app[bot]' } };
    const byApp = deployment(13, '2026-11-25T10:00:00Z', ['success'], { login: 'release-app[bot]', type: 'Bot' });
    expect(evaluateGate(facts({ environment: prod, ...dispatch, previousDeployments: { ok: true, items: [byApp] }, ...appDeployer })).allowed).toBe(true);
    expect(prodFacts([byApp]).reason).toContain('deployment #13 by bot release-app[bot] is not from github-actions[bot]');
  });

  it('refuses a commit that no branch of apply.refs contains and no tag of it points at, whatever GITHUB_REF says', () => {
    const feature: Evidence<RefEvidence> = {
      ok: true,
      items: [
        { pattern: 'refs/heads/main', ref: 'refs/heads/main', relation: 'diverged', detail: 'not on it: diverged (1 commit ahead, 3 commits behind)' },
        { pattern: 'refs/tags/v*', ref: 'refs/tags/v*', relation: 'missing', detail: 'no such tag points at the commit' },
      ],
    };
    const decision = evaluateGate(facts({ environment: prod, ...dispatch, previousDeployments: EVIDENCE.success!, reachability: feature }));
    expect(decision.reason).toBe(
      'apply prod at aaaaaaaaaaaa: refused: aaaaaaaaaaaa is on no ref prod applies from (refs/heads/main: not on it: diverged (1 commit ahead, 3 commits behind); refs/tags/v*: no such tag points at the commit); merge it first',
    );
    const tagged: Evidence<RefEvidence> = {
      ok: true,
      items: [{ ...feature.items[0]! }, { pattern: 'refs/tags/v*', ref: 'refs/tags/v1.2.0', relation: 'points', detail: 'the tag points at it' }],
    };
    const allowed = evaluateGate(facts({ environment: prod, ...dispatch, previousDeployments: EVIDENCE.success!, reachability: tagged }));
    expect(allowed.rules.find((rule) => rule.rule === 'reachable')).toMatchObject({ status: 'pass', evidence: 'refs/tags/v1.2.0' });
    expect(
      evaluateGate(facts({ environment: prod, ...dispatch, previousDeployments: EVIDENCE.success!, reachability: { ok: false, error: 'HttpError: boom' } }))
        .reason,
    ).toContain('could not check that aaaaaaaaaaaa is on refs/heads/main, refs/tags/v*: HttpError: boom');
  });

  it('needs reviewers, prevent self-review and a branch policy in an environment the config says needs approval', () => {
    const protected_: EnvironmentProtection = {
      name: 'prod',
      reviewers: ['alice'],
      preventSelfReview: true,
      waitTimer: 0,
      branchPolicy: 'custom',
      policies: [
        { name: 'main', type: 'branch' },
        { name: 'v*', type: 'tag' },
      ],
    };
    const gate = (protection: EnvironmentProtection | undefined) =>
      evaluateGate(
        facts({ environment: prod, ...dispatch, previousDeployments: EVIDENCE.success!, approval: 'required', protection: { ok: true, protection } }),
      );
    const allowed = gate(protected_);
    expect(allowed.allowed).toBe(true);
    expect(allowed.rules.find((rule) => rule.rule === 'environment protection')).toMatchObject({
      status: 'pass',
      detail: 'GitHub Environment prod: required reviewers: alice; prevent self-review: on; deployment branches: selected: main (branch), v* (tag)',
    });
    expect(gate({ ...protected_, reviewers: [], preventSelfReview: false, branchPolicy: 'any', policies: [] }).reason).toBe(
      'apply prod at aaaaaaaaaaaa: refused: GitHub Environment prod does not enforce approval: required reviewers: none: add at least one (Settings → Environments → prod → Required reviewers); prevent self-review: off: whoever starts a deployment may approve it; tick "Prevent self-review" (Settings → Environments → prod); deployment branches: any branch may deploy to prod: choose "Selected branches and tags" (main (branch), v* (tag)) or "Protected branches only" (Settings → Environments → prod → Deployment branches and tags)',
    );
    expect(gate({ ...protected_, policies: [{ name: '*', type: 'branch' }] }).reason).toContain('the branch rule "*" matches every branch');
    expect(gate(undefined).reason).toContain('GitHub has no environment "prod"');
    expect(
      evaluateGate(
        facts({
          environment: prod,
          ...dispatch,
          previousDeployments: EVIDENCE.success!,
          approval: 'required',
          protection: { ok: false, error: 'HttpError: 403' },
        }),
      ).reason,
    ).toContain('could not read the protection rules of GitHub Environment prod: HttpError: 403');
    // Not asked for: skipped, and not even looked up.
    expect(
      evaluateGate(facts({ environment: prod, ...dispatch, previousDeployments: EVIDENCE.success! })).rules.find(
        (rule) => rule.rule === 'environment protection',
      ),
    ).toMatchObject({
      status: 'skip',
    });
  });
});
