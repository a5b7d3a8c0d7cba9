/**
 * The GitHub sandbox's model: repositories with branches, deployments and their statuses, commit statuses,
 * check runs, pull requests with reviews, issue comments and environments. Timestamps are sandbox epoch ms;
 * the wire shapes (shapes.ts) format them and add URLs, which depend on the address a request came to.
 *
 * The HTTP handlers (service.ts) and the direct seeding API both go through this class, so the rules (ref
 * resolution, required contexts, auto-inactive deployments) hold either way.
 */
import { createHash } from 'node:crypto';
import type { SandboxClock } from '../clock.js';
import { ServiceError } from '../protocol.js';

export interface GitHubUser {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

/** Who `GITHUB_TOKEN` authenticates as in a workflow run. */
export const ACTIONS_BOT: GitHubUser = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

export const DEPLOYMENT_STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];
export const COMMIT_STATES = ['error', 'failure', 'pending', 'success'] as const;
export type CommitState = (typeof COMMIT_STATES)[number];
export const CHECK_STATUSES = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
export const CHECK_CONCLUSIONS = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'] as const;
export type CheckConclusion = (typeof CHECK_CONCLUSIONS)[number];
export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface DeploymentStatusRecord {
  id: number;
  deploymentId: number;
  state: DeploymentState;
  description: string;
  environment: string;
  logUrl: string;
  environmentUrl: string;
  creator: GitHubUser;
  createdAt: number;
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  creator: GitHubUser;
  createdAt: number;
  updatedAt: number;
  transient: boolean;
  production: boolean;
  /** Oldest first. */
  statuses: DeploymentStatusRecord[];
}

export interface CommitStatusRecord {
  id: number;
  sha: string;
  state: CommitState;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: GitHubUser;
  createdAt: number;
  updatedAt: number;
}

export interface CheckRunOutput {
  title: string | null;
  summary: string | null;
  text: string | null;
}

export interface CheckRunRecord {
  id: number;
  checkSuiteId: number;
  headSha: string;
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: number;
  completedAt: number | null;
  output: CheckRunOutput;
  detailsUrl: string | null;
  externalId: string;
}

export interface ReviewRecord {
  id: number;
  user: GitHubUser;
  state: ReviewState;
  body: string;
  commitId: string;
  /** Absent while the review is PENDING. */
  submittedAt: number | undefined;
}

export interface PullRequestRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  user: GitHubUser;
  headRef: string;
  headSha: string;
  baseRef: string;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  /** Oldest first. */
  reviews: ReviewRecord[];
}

export interface CommentRecord {
  id: number;
  issueNumber: number;
  body: string;
  user: GitHubUser;
  createdAt: number;
  updatedAt: number;
}

export interface EnvironmentRecord {
  id: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  waitTimer: number;
  preventSelfReview: boolean;
  reviewers: GitHubUser[];
  /** `null` means any branch may deploy. */
  branchPolicy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

export interface BranchRecord {
  name: string;
  sha: string;
  protected: boolean;
}

export interface RepoRecord {
  id: number;
  owner: GitHubUser;
  name: string;
  defaultBranch: string;
  createdAt: number;
  branches: Map<string, BranchRecord>;
  deployments: Map<number, DeploymentRecord>;
  commitStatuses: CommitStatusRecord[];
  checkRuns: Map<number, CheckRunRecord>;
  pulls: Map<number, PullRequestRecord>;
  /** Issue numbers that are not pull requests; both share one number space. */
  issues: Set<number>;
  comments: Map<number, CommentRecord>;
  environments: Map<string, EnvironmentRecord>;
}

export interface CreateDeploymentInput {
  ref: string;
  task?: string;
  payload?: unknown;
  environment?: string;
  description?: string | null;
  /** Absent: every context of the commit must pass. `[]`: no check. */
  requiredContexts?: string[];
  transient?: boolean;
  production?: boolean;
}

export interface DeploymentStatusInput {
  state: DeploymentState;
  description?: string;
  environment?: string;
  logUrl?: string;
  environmentUrl?: string;
  autoInactive?: boolean;
}

export interface EnvironmentSettings {
  waitTimer?: number;
  preventSelfReview?: boolean;
  reviewers?: GitHubUser[];
  branchPolicy?: EnvironmentRecord['branchPolicy'];
}

/** A status context and its state, as the required-contexts check and its 409 report them. */
export interface ContextState {
  context: string;
  state: string;
}

const FULL_SHA = /^[0-9a-f]{40}$/i;
const PASSING = new Set(['success', 'neutral', 'skipped']);

export const isFullSha = (value: string) => FULL_SHA.test(value);

export class GitHubState {
  readonly repos = new Map<string, RepoRecord>();
  readonly #users = new Map<string, GitHubUser>([[ACTIONS_BOT.login.toLowerCase(), ACTIONS_BOT]]);
  // One counter per resource kind: ids are global across repositories on GitHub too.
  readonly #ids = new Map<string, number>();

  constructor(private readonly clock: SandboxClock) {}

  now(): number {
    return this.clock.now();
  }

  nextId(kind: string): number {
    const id = (this.#ids.get(kind) ?? 0) + 1;
    this.#ids.set(kind, id);
    return id;
  }

  /** The user with this login, made up on first mention. */
  user(login: string, type?: GitHubUser['type']): GitHubUser {
    const key = login.toLowerCase();
    let user = this.#users.get(key);
    if (user === undefined) {
      user = { login, id: 1000 + this.nextId('user'), type: type ?? (login.endsWith('[bot]') ? 'Bot' : 'User') };
      this.#users.set(key, user);
    }
    return user;
  }

  userById(id: number): GitHubUser | undefined {
    return [...this.#users.values()].find((user) => user.id === id);
  }

  addRepo(owner: string, name: string, options: { defaultBranch?: string } = {}): RepoRecord {
    const existing = this.repos.get(repoKey(owner, name));
    if (existing !== undefined) return existing;
    const repo: RepoRecord = {
      id: this.nextId('repo'),
      owner: this.user(owner),
      name,
      defaultBranch: options.defaultBranch ?? 'main',
      createdAt: this.now(),
      branches: new Map(),
      deployments: new Map(),
      commitStatuses: [],
      checkRuns: new Map(),
      pulls: new Map(),
      issues: new Set(),
      comments: new Map(),
      environments: new Map(),
    };
    this.repos.set(repoKey(owner, name), repo);
    return repo;
  }

  /** GitHub matches owner and repository names case-insensitively. */
  repo(owner: string, name: string): RepoRecord {
    const repo = this.repos.get(repoKey(owner, name));
    if (repo === undefined) throw notFound();
    return repo;
  }

  setBranch(repo: RepoRecord, name: string, sha: string, options: { protected?: boolean } = {}): BranchRecord {
    if (!isFullSha(sha)) throw new Error(`setBranch: ${sha} is not a 40-character commit SHA`);
    const branch = { name, sha: sha.toLowerCase(), protected: options.protected ?? repo.branches.get(name)?.protected ?? false };
    repo.branches.set(name, branch);
    return branch;
  }

  /**
   * A branch name (also `refs/heads/…` or `heads/…`), a full SHA (any: the sandbox keeps no commit graph), or
   * an abbreviated SHA of a commit the repository has seen.
   */
  resolveRef(repo: RepoRecord, ref: string): string | undefined {
    const branch = repo.branches.get(ref.replace(/^refs\/heads\/|^heads\//, ''));
    if (branch !== undefined) return branch.sha;
    if (isFullSha(ref)) return ref.toLowerCase();
    if (/^[0-9a-f]{7,39}$/i.test(ref)) {
      const matches = [...this.#knownShas(repo)].filter((sha) => sha.startsWith(ref.toLowerCase()));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  /** Like resolveRef, with GitHub's 422 for a ref that names no commit. */
  commit(repo: RepoRecord, ref: string): string {
    const sha = this.resolveRef(repo, ref);
    if (sha === undefined) throw unprocessable(`No commit found for SHA: ${ref}`);
    return sha;
  }

  // ---- deployments -------------------------------------------------------------------------------------------

  createDeployment(repo: RepoRecord, input: CreateDeploymentInput, creator: GitHubUser): DeploymentRecord {
    const sha = this.resolveRef(repo, input.ref);
    if (sha === undefined) throw unprocessable(`No ref found for: ${input.ref}`);
    if (input.requiredContexts === undefined || input.requiredContexts.length > 0) {
      const contexts = this.contexts(repo, sha);
      const required = input.requiredContexts ?? contexts.map((c) => c.context);
      const failing = required.some((name) => !PASSING.has(contexts.find((c) => c.context === name)?.state ?? 'missing'));
      if (failing) {
        throw new ServiceError(409, 'Conflict', `Conflict: Commit status checks failed for ${input.ref}.`, {
          errors: [{ contexts, resource: 'Deployment', field: 'required_contexts', code: 'invalid' }],
        });
      }
    }
    const environment = input.environment ?? 'production';
    this.ensureEnvironment(repo, environment);
    const now = this.now();
    const deployment: DeploymentRecord = {
      id: this.nextId('deployment'),
      sha,
      ref: input.ref,
      task: input.task ?? 'deploy',
      payload: input.payload ?? {},
      environment,
      originalEnvironment: environment,
      description: input.description ?? '',
      creator,
      createdAt: now,
      updatedAt: now,
      transient: input.transient ?? false,
      production: input.production ?? environment === 'production',
      statuses: [],
    };
    repo.deployments.set(deployment.id, deployment);
    return deployment;
  }

  deployment(repo: RepoRecord, id: number): DeploymentRecord {
    const deployment = repo.deployments.get(id);
    if (deployment === undefined) throw notFound();
    return deployment;
  }

  addDeploymentStatus(repo: RepoRecord, deployment: DeploymentRecord, input: DeploymentStatusInput, creator: GitHubUser): DeploymentStatusRecord {
    if (input.environment !== undefined && input.environment !== deployment.environment) {
      deployment.environment = input.environment;
      this.ensureEnvironment(repo, input.environment);
    }
    const status = this.#pushStatus(deployment, {
      state: input.state,
      description: input.description ?? '',
      logUrl: input.logUrl ?? '',
      environmentUrl: input.environmentUrl ?? '',
      creator,
    });
    if (input.state === 'success' && input.autoInactive !== false) {
      // Only earlier, non-transient deployments that are live in the same environment step down.
      for (const other of repo.deployments.values()) {
        if (other.id >= deployment.id || other.transient || !sameEnvironment(other, deployment)) continue;
        if (other.statuses.at(-1)?.state !== 'success') continue;
        this.#pushStatus(other, { state: 'inactive', description: '', logUrl: '', environmentUrl: '', creator });
      }
    }
    return status;
  }

  /** The newest status's state, or undefined for a deployment nobody reported on yet. */
  deploymentState(deployment: DeploymentRecord): DeploymentState | undefined {
    return deployment.statuses.at(-1)?.state;
  }

  deleteDeployment(repo: RepoRecord, deployment: DeploymentRecord): void {
    const alone = [...repo.deployments.values()].every((other) => other === deployment || !sameEnvironment(other, deployment));
    if (this.deploymentState(deployment) !== 'inactive' && !alone) {
      throw unprocessable('We cannot delete an active deployment unless it is the only deployment in a given environment.');
    }
    repo.deployments.delete(deployment.id);
  }

  #pushStatus(deployment: DeploymentRecord, status: Omit<DeploymentStatusRecord, 'id' | 'deploymentId' | 'environment' | 'createdAt'>): DeploymentStatusRecord {
    const now = this.now();
    const record = { ...status, id: this.nextId('deployment-status'), deploymentId: deployment.id, environment: deployment.environment, createdAt: now };
    deployment.statuses.push(record);
    deployment.updatedAt = now;
    return record;
  }

  // ---- commit statuses and check runs -----------------------------------------------------------------------

  addCommitStatus(
    repo: RepoRecord,
    sha: string,
    input: { state: CommitState; context?: string; description?: string | null; targetUrl?: string | null },
    creator: GitHubUser,
  ): CommitStatusRecord {
    if (!isFullSha(sha)) throw unprocessable(`No commit found for SHA: ${sha}`);
    const now = this.now();
    const status: CommitStatusRecord = {
      id: this.nextId('status'),
      sha: sha.toLowerCase(),
      state: input.state,
      context: input.context ?? 'default',
      description: input.description ?? null,
      targetUrl: input.targetUrl ?? null,
      creator,
      createdAt: now,
      updatedAt: now,
    };
    repo.commitStatuses.push(status);
    return status;
  }

  /** Newest first. */
  commitStatuses(repo: RepoRecord, sha: string): CommitStatusRecord[] {
    return repo.commitStatuses.filter((status) => status.sha === sha).reverse();
  }

  /** The newest status of each context (newest first), and their combined state. */
  combinedStatus(repo: RepoRecord, sha: string): { state: CommitState; statuses: CommitStatusRecord[] } {
    const latest = new Map<string, CommitStatusRecord>();
    for (const status of this.commitStatuses(repo, sha)) if (!latest.has(status.context)) latest.set(status.context, status);
    const statuses = [...latest.values()];
    const states = new Set(statuses.map((status) => status.state));
    const state: CommitState =
      states.has('failure') || states.has('error') ? 'failure' : states.has('pending') || statuses.length === 0 ? 'pending' : 'success';
    return { state, statuses };
  }

  createCheckRun(
    repo: RepoRecord,
    input: {
      name: string;
      headSha: string;
      status?: CheckStatus;
      conclusion?: CheckConclusion;
      output?: Partial<CheckRunOutput>;
      detailsUrl?: string;
      externalId?: string;
      startedAt?: number;
      completedAt?: number;
    },
  ): CheckRunRecord {
    if (!isFullSha(input.headSha)) throw unprocessable(`No commit found for SHA: ${input.headSha}`);
    const now = this.now();
    const run: CheckRunRecord = {
      id: this.nextId('check-run'),
      // One suite per commit: what GitHub Actions does for the runs of one app on one head SHA.
      checkSuiteId: this.#suiteFor(repo, input.headSha.toLowerCase()),
      headSha: input.headSha.toLowerCase(),
      name: input.name,
      status: 'queued',
      conclusion: null,
      startedAt: input.startedAt ?? now,
      completedAt: null,
      output: { title: null, summary: null, text: null },
      detailsUrl: input.detailsUrl ?? null,
      externalId: input.externalId ?? '',
    };
    this.updateCheckRun(run, input);
    repo.checkRuns.set(run.id, run);
    return run;
  }

  updateCheckRun(
    run: CheckRunRecord,
    input: {
      name?: string;
      status?: CheckStatus;
      conclusion?: CheckConclusion;
      output?: Partial<CheckRunOutput>;
      detailsUrl?: string;
      externalId?: string;
      startedAt?: number;
      completedAt?: number;
    },
  ): void {
    if (input.name !== undefined) run.name = input.name;
    if (input.detailsUrl !== undefined) run.detailsUrl = input.detailsUrl;
    if (input.externalId !== undefined) run.externalId = input.externalId;
    if (input.startedAt !== undefined) run.startedAt = input.startedAt;
    if (input.output !== undefined) run.output = { ...run.output, ...input.output };
    // A conclusion (or a completion time) completes the run whatever status was sent, as on GitHub.
    if (input.conclusion !== undefined || input.completedAt !== undefined) {
      if (input.conclusion === undefined && run.conclusion === null) throw missingField('CheckRun', 'conclusion');
      run.status = 'completed';
      if (input.conclusion !== undefined) run.conclusion = input.conclusion;
      run.completedAt = input.completedAt ?? this.now();
    } else if (input.status !== undefined) {
      if (input.status === 'completed' && run.conclusion === null) throw missingField('CheckRun', 'conclusion');
      run.status = input.status;
    }
  }

  checkRun(repo: RepoRecord, id: number): CheckRunRecord {
    const run = repo.checkRuns.get(id);
    if (run === undefined) throw notFound();
    return run;
  }

  /** Every status context and check run of a commit with its state; a check run that is not done is pending. */
  contexts(repo: RepoRecord, sha: string): ContextState[] {
    const contexts: ContextState[] = this.combinedStatus(repo, sha).statuses.map((status) => ({ context: status.context, state: status.state }));
    const runs = new Map<string, CheckRunRecord>();
    for (const run of repo.checkRuns.values()) if (run.headSha === sha) runs.set(run.name, run);
    for (const run of runs.values()) contexts.push({ context: run.name, state: run.status === 'completed' ? (run.conclusion ?? 'pending') : 'pending' });
    return contexts;
  }

  #suiteFor(repo: RepoRecord, sha: string): number {
    const sibling = [...repo.checkRuns.values()].find((run) => run.headSha === sha);
    return sibling?.checkSuiteId ?? this.nextId('check-suite');
  }

  // ---- pull requests, issues, comments ----------------------------------------------------------------------

  addPullRequest(
    repo: RepoRecord,
    input: {
      number: number;
      headSha: string;
      headRef: string;
      baseRef: string;
      state?: 'open' | 'closed' | 'merged';
      user?: string;
      title?: string;
      body?: string;
      draft?: boolean;
    },
  ): PullRequestRecord {
    if (repo.issues.has(input.number) || repo.pulls.has(input.number)) throw new Error(`addPullRequest: #${input.number} already exists`);
    if (!isFullSha(input.headSha)) throw new Error(`addPullRequest: ${input.headSha} is not a 40-character commit SHA`);
    const now = this.now();
    const closed = input.state === 'closed' || input.state === 'merged';
    const pull: PullRequestRecord = {
      id: this.nextId('pull'),
      number: input.number,
      title: input.title ?? `Pull request #${input.number}`,
      body: input.body ?? null,
      state: closed ? 'closed' : 'open',
      merged: input.state === 'merged',
      draft: input.draft ?? false,
      user: this.user(input.user ?? 'octocat'),
      headRef: input.headRef,
      headSha: input.headSha.toLowerCase(),
      baseRef: input.baseRef,
      createdAt: now,
      updatedAt: now,
      closedAt: closed ? now : null,
      reviews: [],
    };
    repo.pulls.set(pull.number, pull);
    return pull;
  }

  pull(repo: RepoRecord, number: number): PullRequestRecord {
    const pull = repo.pulls.get(number);
    if (pull === undefined) throw notFound();
    return pull;
  }

  addIssue(repo: RepoRecord, number: number): void {
    if (repo.pulls.has(number)) throw new Error(`addIssue: #${number} is a pull request`);
    repo.issues.add(number);
  }

  addReview(pull: PullRequestRecord, input: { user: GitHubUser; state: ReviewState; body?: string; commitId?: string }): ReviewRecord {
    if (input.state === 'PENDING' && pull.reviews.some((review) => review.state === 'PENDING' && review.user === input.user)) {
      throw new ServiceError(422, 'Unprocessable', 'Unprocessable Entity', { errors: ['User can only have one pending review per pull request'] });
    }
    const review: ReviewRecord = {
      id: this.nextId('review'),
      user: input.user,
      state: input.state,
      body: input.body ?? '',
      commitId: input.commitId ?? pull.headSha,
      submittedAt: input.state === 'PENDING' ? undefined : this.now(),
    };
    pull.reviews.push(review);
    return review;
  }

  /** Comments go on issues and pull requests alike: one number space. */
  addComment(repo: RepoRecord, issueNumber: number, body: string, user: GitHubUser): CommentRecord {
    if (!repo.pulls.has(issueNumber) && !repo.issues.has(issueNumber)) throw notFound();
    const now = this.now();
    const comment = { id: this.nextId('comment'), issueNumber, body, user, createdAt: now, updatedAt: now };
    repo.comments.set(comment.id, comment);
    return comment;
  }

  comment(repo: RepoRecord, id: number): CommentRecord {
    const comment = repo.comments.get(id);
    if (comment === undefined) throw notFound();
    return comment;
  }

  // ---- environments -----------------------------------------------------------------------------------------

  /** Creates or updates an environment; settings left out keep their value. */
  putEnvironment(repo: RepoRecord, name: string, settings: EnvironmentSettings = {}): EnvironmentRecord {
    const now = this.now();
    const environment = this.ensureEnvironment(repo, name);
    if (settings.waitTimer !== undefined) environment.waitTimer = settings.waitTimer;
    if (settings.preventSelfReview !== undefined) environment.preventSelfReview = settings.preventSelfReview;
    if (settings.reviewers !== undefined) environment.reviewers = settings.reviewers;
    if (settings.branchPolicy !== undefined) environment.branchPolicy = settings.branchPolicy;
    environment.updatedAt = now;
    return environment;
  }

  /** GitHub creates an environment on the first deployment to it. */
  ensureEnvironment(repo: RepoRecord, name: string): EnvironmentRecord {
    const key = name.toLowerCase();
    let environment = repo.environments.get(key);
    if (environment === undefined) {
      const now = this.now();
      environment = {
        id: this.nextId('environment'),
        name,
        createdAt: now,
        updatedAt: now,
        waitTimer: 0,
        preventSelfReview: false,
        reviewers: [],
        branchPolicy: null,
      };
      repo.environments.set(key, environment);
    }
    return environment;
  }

  environment(repo: RepoRecord, name: string): EnvironmentRecord {
    const environment = repo.environments.get(name.toLowerCase());
    if (environment === undefined) throw notFound();
    return environment;
  }

  #knownShas(repo: RepoRecord): Set<string> {
    return new Set([
      ...[...repo.branches.values()].map((branch) => branch.sha),
      ...[...repo.pulls.values()].map((pull) => pull.headSha),
      ...repo.commitStatuses.map((status) => status.sha),
      ...[...repo.checkRuns.values()].map((run) => run.headSha),
      ...[...repo.deployments.values()].map((deployment) => deployment.sha),
    ]);
  }
}

const repoKey = (owner: string, name: string) => `${owner}/${name}`.toLowerCase();

/** Environment names are case-insensitive on GitHub: `Production` and `production` are one environment. */
const sameEnvironment = (a: DeploymentRecord, b: DeploymentRecord) => a.environment.toLowerCase() === b.environment.toLowerCase();

/** A stable stand-in SHA for a ref the sandbox has no commit for (a PR's base branch nobody seeded). */
export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export function notFound(): ServiceError {
  return new ServiceError(404, 'NotFound', 'Not Found');
}

export function unprocessable(message: string, errors?: unknown[]): ServiceError {
  return new ServiceError(422, 'Unprocessable', message, errors === undefined ? {} : { errors });
}

export function validationFailed(...errors: unknown[]): ServiceError {
  return unprocessable('Validation Failed', errors);
}

export function missingField(resource: string, field: string): ServiceError {
  return validationFailed({ resource, field, code: 'missing_field' });
}
