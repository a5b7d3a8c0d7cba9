/**
 * The GitHub sandbox's model: repositories with a commit graph (commits with parents, branches and tags
 * pointing at them), deployments and their statuses, commit statuses, check runs in check suites, workflow
 * runs, pull requests with reviews, issue comments and environments with their protection rules and
 * deployment branch policies. Every record that GitHub attributes to someone has the identity of the token
 * that made it (a user, an app's bot, a workflow run's GITHUB_TOKEN). Timestamps are sandbox epoch ms; the
 * wire shapes (shapes.ts) format them and add URLs, which depend on the address a request came to.
 *
 * The HTTP handlers (service.ts) and the direct seeding API both go through this class, so the rules (ref
 * resolution, required contexts, auto-inactive deployments, which check suite a check run joins) hold either way.
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

/** A GitHub App, as check runs and `performed_via_github_app` name it. */
export interface GitHubApp {
  id: number;
  slug: string;
  name: string;
  owner: GitHubUser;
}

/** The app behind every workflow run's `GITHUB_TOKEN`: its check runs say `app.id` 15368. */
export const ACTIONS_APP: GitHubApp = { id: 15368, slug: 'github-actions', name: 'GitHub Actions', owner: { login: 'github', id: 9919, type: 'Organization' } };

/**
 * Who a token authenticates as: a user (a personal token), an app's bot with the app (an installation
 * token), or GitHub Actions for one workflow run (its `GITHUB_TOKEN`).
 */
export interface Identity {
  actor: GitHubUser;
  /** Set for app tokens, GITHUB_TOKEN included: only they may create check runs. */
  app?: GitHubApp;
  /** The workflow run a GITHUB_TOKEN belongs to. */
  workflowRunId?: number;
}

/** A workflow's GITHUB_TOKEN outside any modeled run: the sandbox's default token. */
export const ACTIONS_IDENTITY: Identity = { actor: ACTIONS_BOT, app: ACTIONS_APP };

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
  performedViaApp?: GitHubApp;
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
  /** The app whose token created it (`performed_via_github_app`); absent for a user's token. */
  performedViaApp?: GitHubApp;
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
  /** The app whose token created it; GitHub lets only apps create check runs. */
  app: GitHubApp;
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

/** One app's check runs on one commit: a workflow run's own suite, or the suite of an app (or API call) outside any run. */
export interface CheckSuiteRecord {
  id: number;
  app: GitHubApp;
  headSha: string;
  headBranch: string | null;
  /** The workflow run this suite belongs to; absent for check runs made outside a run. */
  workflowRunId?: number;
}

export interface WorkflowRunRecord {
  id: number;
  /** The workflow's name (`name:` in the file). */
  name: string;
  /** `.github/workflows/<file>` */
  path: string;
  event: string;
  headSha: string;
  headBranch: string | null;
  runNumber: number;
  runAttempt: number;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  checkSuiteId: number;
  actor: GitHubUser;
  /** The repository the head commit came from: this one, or a fork (`owner/name`) for a fork's pull request. */
  headRepository: string;
  createdAt: number;
  updatedAt: number;
}

/** A commit of the modeled graph: its parents make branches and tags comparable (the compare API). */
export interface CommitRecord {
  sha: string;
  /** Oldest parent first; none for a root commit. */
  parents: string[];
  message: string;
  createdAt: number;
}

/** A custom deployment branch or tag policy of an environment. */
export interface BranchPolicyRecord {
  id: number;
  name: string;
  type: 'branch' | 'tag';
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
  /** The name patterns of `custom_branch_policies`, oldest first. */
  branchPolicies: BranchPolicyRecord[];
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
  commits: Map<string, CommitRecord>;
  branches: Map<string, BranchRecord>;
  /** Tag name → commit SHA (lightweight tags: what `GET /tags` reports either way). */
  tags: Map<string, string>;
  deployments: Map<number, DeploymentRecord>;
  commitStatuses: CommitStatusRecord[];
  checkRuns: Map<number, CheckRunRecord>;
  checkSuites: Map<number, CheckSuiteRecord>;
  workflowRuns: Map<number, WorkflowRunRecord>;
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
      commits: new Map(),
      branches: new Map(),
      tags: new Map(),
      deployments: new Map(),
      commitStatuses: [],
      checkRuns: new Map(),
      checkSuites: new Map(),
      workflowRuns: new Map(),
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

  /**
   * Adds a commit to the graph (its parents must be in it already), or returns the one with that SHA. Commits
   * are only as real as the graph needs: a SHA, parents, a message.
   */
  addCommit(repo: RepoRecord, sha: string, options: { parents?: string[]; message?: string } = {}): CommitRecord {
    if (!isFullSha(sha)) throw new Error(`addCommit: ${sha} is not a 40-character commit SHA`);
    const key = sha.toLowerCase();
    const parents = (options.parents ?? []).map((parent) => parent.toLowerCase());
    const existing = repo.commits.get(key);
    if (existing !== undefined) {
      if (options.parents !== undefined && existing.parents.join() !== parents.join()) {
        throw new Error(`addCommit: ${key} is already in the graph with other parents (${existing.parents.join(', ') || 'none'})`);
      }
      return existing;
    }
    for (const parent of parents) if (!repo.commits.has(parent)) throw new Error(`addCommit: parent ${parent} of ${key} is not in the graph; add it first`);
    const commit = { sha: key, parents, message: options.message ?? `Commit ${key.slice(0, 7)}`, createdAt: this.now() };
    repo.commits.set(key, commit);
    return commit;
  }

  /** Points a branch at a commit; a commit the graph does not have yet becomes a root commit. */
  setBranch(repo: RepoRecord, name: string, sha: string, options: { protected?: boolean } = {}): BranchRecord {
    if (!isFullSha(sha)) throw new Error(`setBranch: ${sha} is not a 40-character commit SHA`);
    this.addCommit(repo, sha);
    const branch = { name, sha: sha.toLowerCase(), protected: options.protected ?? repo.branches.get(name)?.protected ?? false };
    repo.branches.set(name, branch);
    return branch;
  }

  /** Points a tag at a commit; a commit the graph does not have yet becomes a root commit. */
  setTag(repo: RepoRecord, name: string, sha: string): void {
    if (!isFullSha(sha)) throw new Error(`setTag: ${sha} is not a 40-character commit SHA`);
    this.addCommit(repo, sha);
    repo.tags.set(name, sha.toLowerCase());
  }

  /**
   * A branch name (also `refs/heads/…` or `heads/…`), a tag (also `refs/tags/…` or `tags/…`), a full SHA (any:
   * records may name commits the graph does not hold), or an abbreviated SHA of a commit the repository has seen.
   */
  resolveRef(repo: RepoRecord, ref: string): string | undefined {
    const branch = repo.branches.get(ref.replace(/^refs\/heads\/|^heads\//, ''));
    if (branch !== undefined) return branch.sha;
    const tag = repo.tags.get(ref.replace(/^refs\/tags\/|^tags\//, ''));
    if (tag !== undefined) return tag;
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

  /** The commit and every commit it descends from. */
  ancestry(repo: RepoRecord, sha: string): Set<string> {
    const seen = new Set<string>();
    const pending = [sha];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      pending.push(...(repo.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  /**
   * `GET /compare/{base}...{head}`: how head relates to base in the graph. `ahead` (head has commits base has
   * not), `behind` (head is an ancestor of base: base contains it), `identical` or `diverged`. GitHub answers
   * 404 for a ref or commit it does not have, and for two commits without a common ancestor.
   */
  compare(repo: RepoRecord, baseRef: string, headRef: string) {
    const resolve = (ref: string) => {
      const sha = this.resolveRef(repo, ref);
      if (sha === undefined || !repo.commits.has(sha)) throw notFound();
      return sha;
    };
    const base = resolve(baseRef);
    const head = resolve(headRef);
    const baseAncestry = this.ancestry(repo, base);
    const headAncestry = this.ancestry(repo, head);
    const common = [...baseAncestry].filter((sha) => headAncestry.has(sha));
    // The merge base: a common ancestor that no other common ancestor descends from.
    const mergeBase = common.find((candidate) => !common.some((other) => other !== candidate && this.ancestry(repo, other).has(candidate)));
    if (mergeBase === undefined) throw new ServiceError(404, 'NotFound', `No common ancestor between ${baseRef} and ${headRef}.`);
    const order = (shas: string[]) =>
      shas
        .map((sha) => this.#commitRecord(repo, sha))
        .sort((a, b) => a.createdAt - b.createdAt || [...repo.commits.keys()].indexOf(a.sha) - [...repo.commits.keys()].indexOf(b.sha));
    const ahead = order([...headAncestry].filter((sha) => !baseAncestry.has(sha)));
    const behind = [...baseAncestry].filter((sha) => !headAncestry.has(sha)).length;
    const status = ahead.length === 0 ? (behind === 0 ? 'identical' : 'behind') : behind === 0 ? 'ahead' : 'diverged';
    return { status, base, head, mergeBase, aheadBy: ahead.length, behindBy: behind, commits: ahead } as const;
  }

  #commitRecord(repo: RepoRecord, sha: string): CommitRecord {
    const commit = repo.commits.get(sha);
    if (commit === undefined) throw new Error(`commit ${sha} is not in the graph`);
    return commit;
  }

  // ---- deployments -------------------------------------------------------------------------------------------

  createDeployment(repo: RepoRecord, input: CreateDeploymentInput, by: Identity): DeploymentRecord {
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
      creator: by.actor,
      ...(by.app === undefined ? {} : { performedViaApp: by.app }),
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

  addDeploymentStatus(repo: RepoRecord, deployment: DeploymentRecord, input: DeploymentStatusInput, by: Identity): DeploymentStatusRecord {
    const creator = { creator: by.actor, ...(by.app === undefined ? {} : { performedViaApp: by.app }) };
    if (input.environment !== undefined && input.environment !== deployment.environment) {
      deployment.environment = input.environment;
      this.ensureEnvironment(repo, input.environment);
    }
    const status = this.#pushStatus(deployment, {
      state: input.state,
      description: input.description ?? '',
      logUrl: input.logUrl ?? '',
      environmentUrl: input.environmentUrl ?? '',
      ...creator,
    });
    if (input.state === 'success' && input.autoInactive !== false) {
      // Only earlier deployments that are live in the same environment step down, and never transient or
      // production ones (auto_inactive: "all prior non-transient, non-production environment deployments").
      for (const other of repo.deployments.values()) {
        if (other.id >= deployment.id || other.transient || other.production || !sameEnvironment(other, deployment)) continue;
        if (other.statuses.at(-1)?.state !== 'success') continue;
        this.#pushStatus(other, { state: 'inactive', description: '', logUrl: '', environmentUrl: '', ...creator });
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
    by: Identity,
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
      creator: by.actor,
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

  /**
   * A check run of the app whose token creates it (`by.app`; a user's token cannot). It joins a check suite:
   * `workflowRunId`'s (a job of that run, as the seeding API makes them), else the token's own workflow run's
   * when that run is on the same commit, else the app's suite for the commit outside any workflow run.
   */
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
      workflowRunId?: number;
    },
    by: Identity,
  ): CheckRunRecord {
    if (!isFullSha(input.headSha)) throw unprocessable(`No commit found for SHA: ${input.headSha}`);
    const app = by.app;
    if (app === undefined) throw new Error('createCheckRun: only an app creates check runs');
    const headSha = input.headSha.toLowerCase();
    const now = this.now();
    const run: CheckRunRecord = {
      id: this.nextId('check-run'),
      app,
      checkSuiteId: this.#suiteFor(repo, app, headSha, input.workflowRunId ?? by.workflowRunId),
      headSha,
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

  #suiteFor(repo: RepoRecord, app: GitHubApp, sha: string, workflowRunId: number | undefined): number {
    const run = workflowRunId === undefined ? undefined : repo.workflowRuns.get(workflowRunId);
    if (run !== undefined && run.headSha === sha && app.id === ACTIONS_APP.id) return run.checkSuiteId;
    const suite = [...repo.checkSuites.values()].find((s) => s.app.id === app.id && s.headSha === sha && s.workflowRunId === undefined);
    if (suite !== undefined) return suite.id;
    return this.#addSuite(repo, { app, headSha: sha, headBranch: null }).id;
  }

  #addSuite(repo: RepoRecord, suite: Omit<CheckSuiteRecord, 'id'>): CheckSuiteRecord {
    const record = { ...suite, id: this.nextId('check-suite') };
    repo.checkSuites.set(record.id, record);
    return record;
  }

  // ---- workflow runs ----------------------------------------------------------------------------------------

  /** A GitHub Actions workflow run with its own check suite; its jobs' check runs join that suite. */
  addWorkflowRun(
    repo: RepoRecord,
    input: {
      headSha: string;
      headBranch?: string | null;
      name?: string;
      path?: string;
      event?: string;
      actor?: GitHubUser;
      headRepository?: string;
      status?: WorkflowRunRecord['status'];
      conclusion?: string | null;
    },
  ): WorkflowRunRecord {
    if (!isFullSha(input.headSha)) throw new Error(`addWorkflowRun: ${input.headSha} is not a 40-character commit SHA`);
    const headSha = input.headSha.toLowerCase();
    const headBranch = input.headBranch === undefined ? ([...repo.branches.values()].find((b) => b.sha === headSha)?.name ?? null) : input.headBranch;
    const path = input.path ?? '.github/workflows/ci.yml';
    const now = this.now();
    const suite = this.#addSuite(repo, { app: ACTIONS_APP, headSha, headBranch });
    const run: WorkflowRunRecord = {
      id: this.nextId('workflow-run'),
      name: input.name ?? 'CI',
      path,
      event: input.event ?? 'push',
      headSha,
      headBranch,
      runNumber: [...repo.workflowRuns.values()].filter((other) => other.path === path).length + 1,
      runAttempt: 1,
      status: input.status ?? 'completed',
      conclusion: input.conclusion === undefined ? ((input.status ?? 'completed') === 'completed' ? 'success' : null) : input.conclusion,
      checkSuiteId: suite.id,
      actor: input.actor ?? repo.owner,
      headRepository: input.headRepository ?? `${repo.owner.login}/${repo.name}`,
      createdAt: now,
      updatedAt: now,
    };
    suite.workflowRunId = run.id;
    repo.workflowRuns.set(run.id, run);
    return run;
  }

  workflowRun(repo: RepoRecord, id: number): WorkflowRunRecord {
    const run = repo.workflowRuns.get(id);
    if (run === undefined) throw notFound();
    return run;
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
    if (settings.branchPolicy !== undefined) {
      environment.branchPolicy = settings.branchPolicy;
      // Name patterns only exist under "selected branches and tags".
      if (settings.branchPolicy?.custom_branch_policies !== true) environment.branchPolicies = [];
    }
    environment.updatedAt = now;
    return environment;
  }

  /**
   * A custom deployment branch (or tag) policy: 404 unless the environment uses custom branch policies; the
   * existing policy when the pattern is there already (GitHub answers 303 to it).
   */
  addBranchPolicy(environment: EnvironmentRecord, name: string, type: 'branch' | 'tag' = 'branch'): { policy: BranchPolicyRecord; created: boolean } {
    if (environment.branchPolicy?.custom_branch_policies !== true) throw notFound();
    const existing = environment.branchPolicies.find((policy) => policy.name === name && policy.type === type);
    if (existing !== undefined) return { policy: existing, created: false };
    const policy = { id: this.nextId('branch-policy'), name, type };
    environment.branchPolicies.push(policy);
    environment.updatedAt = this.now();
    return { policy, created: true };
  }

  branchPolicy(environment: EnvironmentRecord, id: number): BranchPolicyRecord {
    const policy = environment.branchPolicies.find((candidate) => candidate.id === id);
    if (policy === undefined) throw notFound();
    return policy;
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
        branchPolicies: [],
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
      ...repo.commits.keys(),
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
