/**
 * Reads the gate's evidence from GitHub: the deployments of a commit to an environment (with their status
 * history and who made each), the check runs (with their app and workflow run) and commit statuses (with
 * their creator) on it, where the commit stands against the refs an apply may come from, and an
 * environment's protection rules. Errors become `{ ok: false }` so that the rules fail closed with the
 * reason, instead of the gate crashing or, worse, passing. Which records count is the rules' decision.
 */
import { describeError } from '../errors.js';
import type { GitHubClient } from '../github/client.js';
import type { EnvironmentProtection } from './github-settings.js';
import {
  type Actor,
  type CheckEvidence,
  type DeploymentEvidence,
  type EnvironmentEvidence,
  type Evidence,
  GITHUB_ACTIONS_APP_ID,
  type RefEvidence,
  refAllowed,
  type WorkflowRunEvidence,
} from './rules.js';

export interface Repository {
  owner: string;
  repo: string;
}

/** The newest deployments are enough: an older success behind 50 newer attempts is not a promotion record. */
const MAX_DEPLOYMENTS = 50;
/** Branches a wildcard of `apply.refs` (`refs/heads/release/*`) is compared against. */
const MAX_BRANCHES = 20;

const actor = (user: { login: string; type: string } | null | undefined): Actor =>
  user === null || user === undefined ? null : { login: user.login, type: user.type };

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : undefined;

export async function readDeployments(client: GitHubClient, repository: Repository, sha: string, environment: string): Promise<Evidence<DeploymentEvidence>> {
  try {
    const { data: deployments } = await client.rest.repos.listDeployments({ ...repository, sha, environment, per_page: MAX_DEPLOYMENTS });
    const items = await Promise.all(
      deployments
        // The API filters by sha, but a deployment made from a ref resolves to a sha: check it ourselves.
        .filter((deployment) => deployment.sha === sha && deployment.environment === environment)
        .map(async (deployment): Promise<DeploymentEvidence> => {
          const statuses = await client.paginate(client.rest.repos.listDeploymentStatuses, { ...repository, deployment_id: deployment.id, per_page: 100 });
          return {
            id: deployment.id,
            createdAt: deployment.created_at,
            creator: actor(deployment.creator),
            statuses: statuses
              .map((status) => ({ id: status.id, state: status.state, creator: actor(status.creator), createdAt: status.created_at }))
              .sort((a, b) => b.id - a.id),
            url: deployment.url,
          };
        }),
    );
    return { ok: true, items };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

/**
 * Every check run (`filter: all`: a newer run of the same name, made by anyone, must not hide an older one)
 * and every commit status on the commit; for GitHub Actions check runs with one of `names`, the workflow run
 * their check suite belongs to.
 */
export async function readChecks(client: GitHubClient, repository: Repository, sha: string, names: readonly string[]): Promise<Evidence<CheckEvidence>> {
  try {
    const runs = await client.paginate(client.rest.checks.listForRef, { ...repository, ref: sha, filter: 'all', per_page: 100 });
    const statuses = await client.paginate(client.rest.repos.listCommitStatusesForRef, { ...repository, ref: sha, per_page: 100 });
    const suites = new Set<number>();
    for (const run of runs) {
      if (run.app?.id === GITHUB_ACTIONS_APP_ID && names.includes(run.name) && run.check_suite !== null) suites.add(Number(run.check_suite.id));
    }
    const workflowRuns = new Map(
      await Promise.all(
        [...suites].map(async (suite) => {
          const { data } = await client.rest.actions.listWorkflowRunsForRepo({ ...repository, check_suite_id: suite, per_page: 1 });
          const run = data.workflow_runs[0];
          const evidence: WorkflowRunEvidence | null =
            run === undefined
              ? null
              : {
                  id: Number(run.id),
                  headSha: run.head_sha,
                  repository: run.repository.full_name,
                  headRepository: run.head_repository.full_name,
                  url: run.html_url,
                };
          return [suite, evidence] as const;
        }),
      ),
    );
    const items: CheckEvidence[] = [
      ...runs.map(
        (run): CheckEvidence => ({
          name: run.name,
          kind: 'check run',
          result: run.status === 'completed' ? (run.conclusion ?? 'unknown') : run.status,
          at: run.completed_at ?? run.started_at ?? '',
          url: run.html_url ?? run.url,
          id: Number(run.id),
          app: run.app === null ? null : { id: run.app.id, slug: run.app.slug ?? run.app.name },
          ...(run.app?.id === GITHUB_ACTIONS_APP_ID && run.check_suite !== null && workflowRuns.has(Number(run.check_suite.id))
            ? { workflowRun: workflowRuns.get(Number(run.check_suite.id)) ?? null }
            : {}),
        }),
      ),
      ...statuses.map(
        (status): CheckEvidence => ({
          name: status.context,
          kind: 'status',
          result: status.state,
          at: status.updated_at,
          url: status.target_url ?? status.url,
          id: status.id,
          creator: actor(status.creator),
        }),
      ),
    ];
    return { ok: true, items };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

/**
 * Where the commit stands against each of `apply.refs`: each branch it names is compared with the commit
 * (compare API, `<branch>...<sha>`), and the tags are searched for one that points at it.
 */
export async function readReachability(client: GitHubClient, repository: Repository, sha: string, patterns: readonly string[]): Promise<Evidence<RefEvidence>> {
  try {
    const items: RefEvidence[] = [];
    let branches: string[] | undefined;
    let tags: Array<{ name: string; sha: string }> | undefined;
    for (const pattern of patterns) {
      const [, kind, name = ''] = /^refs\/(heads|tags)\/(.+)$/.exec(pattern) ?? [];
      if (kind === 'heads') {
        let names = [name];
        if (/[*?]/.test(name)) {
          branches ??= (await client.paginate(client.rest.repos.listBranches, { ...repository, per_page: 100 })).map((branch) => branch.name);
          names = branches.filter((branch) => refAllowed(`refs/heads/${branch}`, [pattern])).slice(0, MAX_BRANCHES);
          if (names.length === 0) items.push({ pattern, ref: pattern, relation: 'missing', detail: 'no branch matches it' });
        }
        for (const branch of names) items.push(await compareWithBranch(client, repository, sha, pattern, branch));
      } else if (kind === 'tags') {
        tags ??= (await client.paginate(client.rest.repos.listTags, { ...repository, per_page: 100 })).map((tag) => ({ name: tag.name, sha: tag.commit.sha }));
        const pointing = tags.filter((tag) => tag.sha === sha && refAllowed(`refs/tags/${tag.name}`, [pattern]));
        if (pointing.length === 0) items.push({ pattern, ref: pattern, relation: 'missing', detail: 'no such tag points at the commit' });
        for (const tag of pointing) items.push({ pattern, ref: `refs/tags/${tag.name}`, relation: 'points', detail: 'the tag points at it' });
      }
    }
    return { ok: true, items };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

async function compareWithBranch(client: GitHubClient, repository: Repository, sha: string, pattern: string, branch: string): Promise<RefEvidence> {
  const ref = `refs/heads/${branch}`;
  try {
    const { data } = await client.rest.repos.compareCommitsWithBasehead({ ...repository, basehead: `${branch}...${sha}`, per_page: 1 });
    const commits = (count: number) => `${count} commit${count === 1 ? '' : 's'}`;
    const detail = {
      identical: 'its head',
      behind: `${commits(data.behind_by)} behind its head`,
      ahead: `not on it: ${commits(data.ahead_by)} ahead of it`,
      diverged: `not on it: diverged (${commits(data.ahead_by)} ahead, ${commits(data.behind_by)} behind)`,
    }[data.status];
    return { pattern, ref, relation: data.status, detail };
  } catch (error) {
    // 404: no such branch, or no history in common ("No common ancestor between ..."): not on it either way.
    if (statusOf(error) === 404) return { pattern, ref, relation: 'missing', detail: `not on it: ${describeError(error)}` };
    throw error;
  }
}

/** The environment's protection rules and branch policy; `protection` undefined when GitHub answers 404. */
export async function readEnvironmentProtection(client: GitHubClient, repository: Repository, name: string): Promise<EnvironmentEvidence> {
  try {
    const { data } = await client.rest.repos.getEnvironment({ ...repository, environment_name: name });
    const rules = data.protection_rules ?? [];
    const reviewersRule = rules.find((rule) => rule.type === 'required_reviewers') as
      | { prevent_self_review?: boolean; reviewers?: Array<{ type?: string; reviewer?: { login?: string; slug?: string } | null }> }
      | undefined;
    const waitRule = rules.find((rule) => rule.type === 'wait_timer') as { wait_timer?: number } | undefined;
    const policy = data.deployment_branch_policy ?? null;
    const branchPolicy = policy === null ? 'any' : policy.custom_branch_policies ? 'custom' : 'protected';
    const policies =
      branchPolicy === 'custom'
        ? (await client.paginate(client.rest.repos.listDeploymentBranchPolicies, { ...repository, environment_name: name, per_page: 100 })).map((entry) => ({
            name: entry.name ?? '',
            type: entry.type === 'tag' ? ('tag' as const) : ('branch' as const),
          }))
        : [];
    const protection: EnvironmentProtection = {
      name: data.name,
      reviewers: (reviewersRule?.reviewers ?? []).map((entry) =>
        entry.type === 'Team' ? `team ${entry.reviewer?.slug ?? '?'}` : (entry.reviewer?.login ?? '(unknown reviewer)'),
      ),
      preventSelfReview: reviewersRule?.prevent_self_review === true,
      waitTimer: waitRule?.wait_timer ?? 0,
      branchPolicy,
      policies,
    };
    return { ok: true, protection };
  } catch (error) {
    if (statusOf(error) === 404) return { ok: true, protection: undefined };
    return { ok: false, error: describeError(error) };
  }
}
