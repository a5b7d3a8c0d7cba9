/**
 * Reads the gate's evidence from GitHub: the deployments of a commit to an environment (with their status
 * history) and the check runs and commit statuses on it. Errors become `{ ok: false }` so that the rules
 * fail closed with the reason, instead of the gate crashing or, worse, passing.
 */
import { describeError } from '../errors.js';
import type { GitHubClient } from '../github/client.js';
import type { CheckEvidence, DeploymentEvidence, Evidence } from './rules.js';

export interface Repository {
  owner: string;
  repo: string;
}

/** The newest deployments are enough: an older success behind 50 newer attempts is not a promotion record. */
const MAX_DEPLOYMENTS = 50;

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
            state: statuses[0]?.state ?? '',
            succeeded: statuses.some((status) => status.state === 'success'),
            url: deployment.url,
          };
        }),
    );
    return { ok: true, items };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

export async function readChecks(client: GitHubClient, repository: Repository, sha: string): Promise<Evidence<CheckEvidence>> {
  try {
    const runs = await client.paginate(client.rest.checks.listForRef, { ...repository, ref: sha, per_page: 100 });
    const { data: combined } = await client.rest.repos.getCombinedStatusForRef({ ...repository, ref: sha, per_page: 100 });
    const items: CheckEvidence[] = [
      ...runs.map((run) => ({
        name: run.name,
        kind: 'check run' as const,
        result: run.status === 'completed' ? (run.conclusion ?? 'unknown') : run.status,
        at: run.completed_at ?? run.started_at ?? '',
        url: run.html_url ?? run.url,
        id: run.id,
      })),
      ...combined.statuses.map((status) => ({
        name: status.context,
        kind: 'status' as const,
        result: status.state,
        at: status.updated_at,
        url: status.target_url ?? status.url,
        id: status.id,
      })),
    ];
    return { ok: true, items };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}
