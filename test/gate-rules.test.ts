/**
 * The promotion gate's rules as a table: every event × mode × environment × evidence case of the example
 * config, with the expectation spelled out per dimension; then the freeze, size and fail-closed rules.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { type CheckEvidence, type DeploymentEvidence, type Evidence, evaluateGate, type GateFacts, refAllowed } from '../src/gate/rules.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';

const SHA = 'a'.repeat(40);
const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
const WEDNESDAY = new Date('2026-11-25T12:00:00Z');

const deployment = (id: number, createdAt: string, state: string, succeeded = state === 'success'): DeploymentEvidence => ({ id, createdAt, state, succeeded });
const EVIDENCE: Record<string, Evidence<DeploymentEvidence>> = {
  none: { ok: true, items: [] },
  success: { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', 'success')] },
  'superseded success (inactive)': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', 'inactive', true)] },
  'failed after success': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', 'success'), deployment(2, '2026-11-25T11:00:00Z', 'failure')] },
  'success after failure': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', 'error'), deployment(2, '2026-11-25T11:00:00Z', 'success')] },
  'in progress only': { ok: true, items: [deployment(1, '2026-11-25T10:00:00Z', 'in_progress')] },
  unreadable: { ok: false, error: 'HttpError: Bad credentials' },
};
const PROMOTED = new Set(['success', 'superseded success (inactive)', 'success after failure']);

const check = (name: string, result: string, at = '2026-11-25T09:00:00Z'): CheckEvidence => ({ name, kind: 'check run', result, at, id: name.length });
const GREEN: Evidence<CheckEvidence> = { ok: true, items: [check('test', 'success'), check('security', 'success')] };

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
    now: WEDNESDAY,
    checks: GREEN,
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
    // A commit status counts like a check run.
    expect(checks([check('test', 'success'), { name: 'security', kind: 'status', result: 'success', at: '2026-11-25T09:00:00Z' }]).allowed).toBe(true);
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
