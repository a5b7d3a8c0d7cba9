/**
 * The sandbox's GitHub REST service under `/github`, for the real Octokit (`@actions/github`'s
 * `getOctokit` with `baseUrl` = `GITHUB_API_URL`): deployments and deployment statuses, commit statuses,
 * check runs, workflow runs, pull requests and reviews, issue comments, environments with their deployment
 * branch policies, branches, tags and the compare API. Status codes, error bodies, validation messages and
 * `Link` pagination follow api.github.com, so code written against the sandbox meets the same answers in a
 * workflow run.
 *
 * Tokens are identities: the default token is a workflow's GITHUB_TOKEN (github-actions[bot], app
 * github-actions, id 15368); `addToken` adds a user's personal token, another app's installation token, or
 * the GITHUB_TOKEN of one workflow run. What a token creates records it as creator (and app), and only app
 * tokens may create check runs, as on GitHub.
 */
import { SANDBOX_GITHUB_TOKEN, type SandboxCore } from '../frame.js';
import { pathParam, type SandboxRequest, type SandboxResponse, type SandboxService, ServiceError } from '../protocol.js';
import {
  type Body,
  boolean,
  defined,
  GITHUB_PREFIX,
  id,
  invalidType,
  isGitHubPath,
  matchRoute,
  oneOf,
  origin,
  paginate,
  readBody,
  requireString,
  string,
  timestamp,
} from './routes.js';
import * as shape from './shapes.js';
import {
  ACTIONS_IDENTITY,
  CHECK_CONCLUSIONS,
  CHECK_STATUSES,
  type CheckRunOutput,
  COMMIT_STATES,
  type CommentRecord,
  type CommitState,
  DEPLOYMENT_STATES,
  type DeploymentRecord,
  type EnvironmentRecord,
  type GitHubApp,
  GitHubState,
  type GitHubUser,
  type Identity,
  notFound,
  type PullRequestRecord,
  type RepoRecord,
  type ReviewRecord,
  type ReviewState,
  unprocessable,
  validationFailed,
} from './state.js';

export type * from './state.js';
export { ACTIONS_APP, ACTIONS_BOT } from './state.js';

export interface GitHubServiceOptions {
  /**
   * The workflow GITHUB_TOKEN requests may carry (github-actions[bot]); default SANDBOX_GITHUB_TOKEN, which
   * `sandbox.env.GITHUB_TOKEN` holds. `addToken` adds others.
   */
  token?: string;
}

/** Who a token added with `addToken` stands for. */
export type TokenOwner =
  /** A person's token (personal access token): records name the user; it cannot create check runs. */
  | { user: string }
  /** Another GitHub App's installation token: records name `<slug>[bot]`, check runs the app. */
  | { app: { id: number; slug: string; name?: string } }
  /** The GITHUB_TOKEN of one workflow run (addWorkflowRun): github-actions[bot], and check runs join that run's suite. */
  | { workflowRun: number };

interface Call {
  request: SandboxRequest;
  params: Record<string, string>;
  repo: RepoRecord;
  urls: shape.Urls;
  /** Who the request's token is. */
  as: Identity;
}

type Handler = (call: Call) => SandboxResponse;

const DOCS = 'https://docs.github.com/rest';
const MAX_COMMENT = 65536;
const RATE_LIMIT = 5000;
/** serverError's code: its body is GitHub's bare `{ message }`, without docs link or status. */
const SERVER_ERROR = 'ServerError';

export class GitHubService implements SandboxService {
  readonly name = 'github';
  readonly state: GitHubState;
  readonly #tokens = new Map<string, Identity>();
  /** The workflow runs addCheckRun made for check runs given no run of their own. */
  readonly #seededRuns = new Set<number>();
  readonly #handlers: Record<string, Handler>;
  #rate = { window: -1, used: 0 };
  #requestSeq = 0;

  constructor(
    private readonly core: SandboxCore,
    options: GitHubServiceOptions = {},
  ) {
    this.#tokens.set(options.token ?? SANDBOX_GITHUB_TOKEN, ACTIONS_IDENTITY);
    this.state = new GitHubState(core.clock);
    const R = '/repos/{owner}/{repo}';
    this.#handlers = {
      [`GET ${R}`]: (c) => ok(200, shape.repository(c.urls, c.repo)),
      [`GET ${R}/branches`]: (c) => this.#listBranches(c),
      [`GET ${R}/branches/{branch}`]: (c) => this.#getBranch(c),
      [`GET ${R}/commits/{ref}`]: (c) => ok(200, shape.commit(c.urls, c.repo, this.state.commit(c.repo, pathParam(c.params, 'ref')))),
      [`GET ${R}/compare/{basehead}`]: (c) => this.#compare(c),
      [`GET ${R}/tags`]: (c) => this.#listTags(c),
      [`GET ${R}/commits/{ref}/status`]: (c) => this.#combinedStatus(c),
      [`GET ${R}/commits/{ref}/statuses`]: (c) => this.#listCommitStatuses(c),
      [`POST ${R}/statuses/{sha}`]: (c) => this.#createCommitStatus(c),
      [`GET ${R}/commits/{ref}/check-runs`]: (c) => this.#listCheckRuns(c),
      [`POST ${R}/check-runs`]: (c) => this.#createCheckRun(c),
      [`GET ${R}/check-runs/{check_run_id}`]: (c) => ok(200, shape.checkRun(c.urls, c.repo, this.state.checkRun(c.repo, id(c.params.check_run_id)))),
      [`PATCH ${R}/check-runs/{check_run_id}`]: (c) => this.#updateCheckRun(c),
      [`GET ${R}/actions/runs`]: (c) => this.#listWorkflowRuns(c),
      [`GET ${R}/actions/runs/{run_id}`]: (c) => ok(200, shape.workflowRun(c.urls, c.repo, this.state.workflowRun(c.repo, id(c.params.run_id)))),
      [`GET ${R}/deployments`]: (c) => this.#listDeployments(c),
      [`POST ${R}/deployments`]: (c) => this.#createDeployment(c),
      [`GET ${R}/deployments/{deployment_id}`]: (c) => ok(200, shape.deployment(c.urls, c.repo, this.#deployment(c))),
      [`DELETE ${R}/deployments/{deployment_id}`]: (c) => {
        this.state.deleteDeployment(c.repo, this.#deployment(c));
        return { status: 204 };
      },
      [`GET ${R}/deployments/{deployment_id}/statuses`]: (c) => this.#listDeploymentStatuses(c),
      [`POST ${R}/deployments/{deployment_id}/statuses`]: (c) => this.#createDeploymentStatus(c),
      [`GET ${R}/deployments/{deployment_id}/statuses/{status_id}`]: (c) => this.#getDeploymentStatus(c),
      [`GET ${R}/environments`]: (c) => this.#listEnvironments(c),
      [`GET ${R}/environments/{environment_name}`]: (c) =>
        ok(200, shape.environment(c.urls, c.repo, this.state.environment(c.repo, pathParam(c.params, 'environment_name')))),
      [`PUT ${R}/environments/{environment_name}`]: (c) => this.#putEnvironment(c),
      [`DELETE ${R}/environments/{environment_name}`]: (c) => this.#deleteEnvironment(c),
      [`GET ${R}/environments/{environment_name}/deployment-branch-policies`]: (c) => this.#listBranchPolicies(c),
      [`POST ${R}/environments/{environment_name}/deployment-branch-policies`]: (c) => this.#createBranchPolicy(c),
      [`GET ${R}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}`]: (c) => ok(200, shape.branchPolicy(this.#branchPolicy(c))),
      [`DELETE ${R}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}`]: (c) => this.#deleteBranchPolicy(c),
      [`GET ${R}/pulls`]: (c) => this.#listPulls(c),
      [`GET ${R}/pulls/{pull_number}`]: (c) => ok(200, shape.pullRequest(c.urls, c.repo, this.#pull(c), true)),
      [`GET ${R}/pulls/{pull_number}/reviews`]: (c) => this.#listReviews(c),
      [`POST ${R}/pulls/{pull_number}/reviews`]: (c) => this.#createReview(c),
      [`GET ${R}/pulls/{pull_number}/reviews/{review_id}`]: (c) => this.#getReview(c),
      [`GET ${R}/issues/comments/{comment_id}`]: (c) => ok(200, shape.comment(c.urls, c.repo, this.state.comment(c.repo, id(c.params.comment_id)))),
      [`PATCH ${R}/issues/comments/{comment_id}`]: (c) => this.#updateComment(c),
      [`DELETE ${R}/issues/comments/{comment_id}`]: (c) => {
        c.repo.comments.delete(this.state.comment(c.repo, id(c.params.comment_id)).id);
        return { status: 204 };
      },
      [`GET ${R}/issues/{issue_number}/comments`]: (c) => this.#listComments(c),
      [`POST ${R}/issues/{issue_number}/comments`]: (c) => this.#createComment(c),
    };
  }

  // ---- SandboxService -------------------------------------------------------------------------------------

  matches(request: SandboxRequest): boolean {
    return isGitHubPath(request.path);
  }

  operation(request: SandboxRequest): string {
    return matchRoute(request).operation;
  }

  /** Quotas treat a name nobody configured as unlimited, so the 'github' bucket only bites when a test sets it. */
  quotaFor(): string {
    return 'github';
  }

  async handle(operation: string, request: SandboxRequest): Promise<SandboxResponse> {
    const as = this.#authenticate(request);
    this.#countRequest();
    const route = matchRoute(request);
    const handler = this.#handlers[operation];
    if (route.docs === undefined || handler === undefined) {
      throw new ServiceError(501, 'NotImplemented', `The GitHub sandbox does not implement ${operation}.`);
    }
    const repo = this.state.repo(pathParam(route.params, 'owner'), pathParam(route.params, 'repo'));
    const response = handler({ request, params: route.params, repo, urls: { api: `${origin(request)}${GITHUB_PREFIX}`, html: 'https://github.com' }, as });
    return { ...response, headers: { ...this.#headers(), ...response.headers } };
  }

  /** Secondary rate limit: what a burst of writes (deployments, comments) runs into first. */
  throttleError(): ServiceError {
    const message =
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
      `If you reach out to GitHub Support for help, please include the request ID ${this.#requestId()}.`;
    return new ServiceError(
      429,
      'SecondaryRateLimit',
      message,
      { documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits` },
      { 'retry-after': '1' },
    );
  }

  serverError(status: number): ServiceError {
    return new ServiceError(status, SERVER_ERROR, 'Server Error');
  }

  errorResponse(error: ServiceError, request: SandboxRequest): SandboxResponse {
    const headers = { ...this.#headers(), ...error.headers };
    if (error.code === SERVER_ERROR) return { status: error.status, headers, body: { message: error.message } };
    const { errors, documentation_url, ...rest } = error.fields;
    return {
      status: error.status,
      headers,
      body: {
        message: error.message,
        ...(errors === undefined ? {} : { errors }),
        ...rest,
        documentation_url: documentation_url ?? matchRoute(request).docs ?? DOCS,
        status: String(error.status),
      },
    };
  }

  // ---- direct state API (seeding and assertions; no HTTP, no auth, no quota) -----------------------------------

  addRepo(owner: string, repo: string, options: { defaultBranch?: string } = {}): RepoRecord {
    return this.state.addRepo(owner, repo, options);
  }

  /**
   * A token for the sandbox to accept, standing for a user, another app or one workflow run (see TokenOwner).
   * Returns the token (`token` when given).
   */
  addToken(owner: TokenOwner, token?: string): string {
    let identity: Identity;
    if ('user' in owner) identity = { actor: this.state.user(owner.user, 'User') };
    else if ('app' in owner) {
      const app: GitHubApp = {
        id: owner.app.id,
        slug: owner.app.slug,
        name: owner.app.name ?? owner.app.slug,
        owner: this.state.user(`${owner.app.slug}-owner`),
      };
      identity = { actor: this.state.user(`${owner.app.slug}[bot]`, 'Bot'), app };
    } else identity = { ...ACTIONS_IDENTITY, workflowRunId: owner.workflowRun };
    const value = token ?? `sandbox-token-${this.#tokens.size + 1}`;
    this.#tokens.set(value, identity);
    return value;
  }

  /** A commit with its parents (which must exist): what makes branches and tags comparable. */
  addCommit(owner: string, repo: string, sha: string, options: { parents?: string[]; message?: string } = {}) {
    return this.state.addCommit(this.#seeded(owner, repo), sha, options);
  }

  setBranch(owner: string, repo: string, branch: string, sha: string, options: { protected?: boolean } = {}) {
    return this.state.setBranch(this.#seeded(owner, repo), branch, sha, options);
  }

  setTag(owner: string, repo: string, tag: string, sha: string): void {
    this.state.setTag(this.#seeded(owner, repo), tag, sha);
  }

  /** A GitHub Actions workflow run on a commit (default: workflow CI, event push, in this repository, completed success). */
  addWorkflowRun(
    owner: string,
    repo: string,
    run: { headSha: string; headBranch?: string | null; name?: string; path?: string; event?: string; actor?: string; headRepository?: string },
  ) {
    const { actor, ...rest } = run;
    return this.state.addWorkflowRun(this.#seeded(owner, repo), { ...rest, ...(actor === undefined ? {} : { actor: this.state.user(actor) }) });
  }

  addPullRequest(
    owner: string,
    repo: string,
    pull: {
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
    return this.state.addPullRequest(this.#seeded(owner, repo), pull);
  }

  /** An issue that is not a pull request, so that comments on it are accepted. */
  addIssue(owner: string, repo: string, number: number): void {
    this.state.addIssue(this.#seeded(owner, repo), number);
  }

  addReview(owner: string, repo: string, number: number, review: { user: string; state: ReviewState; commitId?: string; body?: string }): ReviewRecord {
    const pull = this.#seeded(owner, repo).pulls.get(number);
    if (pull === undefined) throw new Error(`GitHub sandbox: no pull request ${owner}/${repo}#${number}`);
    return this.state.addReview(pull, { ...review, user: this.state.user(review.user) });
  }

  /**
   * Options left out keep the environment's current setting. The branch policy: `protectedBranchesOnly: true`
   * (protected branches only), `branchPolicies` (selected branches and tags: these name patterns), or
   * `protectedBranchesOnly: false` without `branchPolicies` (any branch).
   */
  setEnvironment(
    owner: string,
    repo: string,
    name: string,
    settings: {
      requiredReviewers?: string[];
      protectedBranchesOnly?: boolean;
      branchPolicies?: Array<{ name: string; type?: 'branch' | 'tag' }>;
      waitTimer?: number;
      preventSelfReview?: boolean;
    } = {},
  ): EnvironmentRecord {
    const custom = settings.branchPolicies !== undefined;
    const environment = this.state.putEnvironment(this.#seeded(owner, repo), name, {
      ...(settings.requiredReviewers === undefined ? {} : { reviewers: settings.requiredReviewers.map((login) => this.state.user(login)) }),
      ...(settings.protectedBranchesOnly === undefined && !custom
        ? {}
        : {
            branchPolicy:
              settings.protectedBranchesOnly === true
                ? { protected_branches: true, custom_branch_policies: false }
                : custom
                  ? { protected_branches: false, custom_branch_policies: true }
                  : null,
          }),
      ...(settings.waitTimer === undefined ? {} : { waitTimer: settings.waitTimer }),
      ...(settings.preventSelfReview === undefined ? {} : { preventSelfReview: settings.preventSelfReview }),
    });
    for (const policy of settings.branchPolicies ?? []) this.state.addBranchPolicy(environment, policy.name, policy.type);
    return environment;
  }

  /** Created by github-actions[bot] unless `creator` names a user. */
  setCommitStatus(
    owner: string,
    repo: string,
    sha: string,
    status: { state: CommitState; context?: string; description?: string; targetUrl?: string; creator?: string },
  ) {
    const { creator, ...input } = status;
    return this.state.addCommitStatus(this.#seeded(owner, repo), sha, input, creator === undefined ? ACTIONS_IDENTITY : { actor: this.state.user(creator) });
  }

  /**
   * A check run as a job of a GitHub Actions workflow run on its commit makes it: in `workflowRun`'s check
   * suite, or else in the suite of a workflow run made for that commit (one per commit, created on first use).
   * `workflowRun: null` makes it outside any workflow run (a GITHUB_TOKEN's API call on another commit).
   */
  addCheckRun(
    owner: string,
    repo: string,
    run: {
      name: string;
      headSha: string;
      status?: (typeof CHECK_STATUSES)[number];
      conclusion?: (typeof CHECK_CONCLUSIONS)[number];
      workflowRun?: number | null;
    },
  ) {
    const record = this.#seeded(owner, repo);
    const { workflowRun, ...input } = run;
    const headSha = run.headSha.toLowerCase();
    let workflowRunId = workflowRun ?? undefined;
    if (workflowRun === undefined) {
      const seeded = [...record.workflowRuns.values()].find((candidate) => candidate.headSha === headSha && this.#seededRuns.has(candidate.id));
      workflowRunId = seeded?.id ?? this.state.addWorkflowRun(record, { headSha }).id;
      this.#seededRuns.add(workflowRunId);
    }
    return this.state.createCheckRun(record, { ...input, ...(workflowRunId === undefined ? {} : { workflowRunId }) }, ACTIONS_IDENTITY);
  }

  /** Oldest first, each with its statuses (oldest first). */
  deployments(owner: string, repo: string): DeploymentRecord[] {
    return [...this.#seeded(owner, repo).deployments.values()];
  }

  /** Oldest first; all of the repository's, or one issue's. */
  comments(owner: string, repo: string, issueNumber?: number): CommentRecord[] {
    return [...this.#seeded(owner, repo).comments.values()].filter((c) => issueNumber === undefined || c.issueNumber === issueNumber);
  }

  pullRequest(owner: string, repo: string, number: number): PullRequestRecord | undefined {
    return this.#seeded(owner, repo).pulls.get(number);
  }

  environment(owner: string, repo: string, name: string): EnvironmentRecord | undefined {
    return this.#seeded(owner, repo).environments.get(name.toLowerCase());
  }

  #seeded(owner: string, repo: string): RepoRecord {
    const record = this.state.repos.get(`${owner}/${repo}`.toLowerCase());
    if (record === undefined) throw new Error(`GitHub sandbox: no repository ${owner}/${repo}; call addRepo first`);
    return record;
  }

  // ---- auth and headers ---------------------------------------------------------------------------------------

  #authenticate(request: SandboxRequest): Identity {
    const header = request.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value.trim() === '') throw new ServiceError(401, 'Unauthorized', 'Requires authentication', { documentation_url: DOCS });
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(value.trim())?.[1];
    const identity = token === undefined ? undefined : this.#tokens.get(token);
    if (identity === undefined) throw new ServiceError(401, 'Unauthorized', 'Bad credentials', { documentation_url: DOCS });
    return identity;
  }

  #countRequest(): void {
    this.#rateWindow();
    this.#rate.used++;
  }

  #rateWindow(): number {
    const window = Math.floor(this.core.clock.now() / 3_600_000);
    if (window !== this.#rate.window) this.#rate = { window, used: 0 };
    return window;
  }

  #requestId(): string {
    return `5A4D:${(this.#requestSeq + 0x1000).toString(16).toUpperCase()}:BOX`;
  }

  #headers(): Record<string, string> {
    this.#requestSeq++;
    const window = this.#rateWindow();
    return {
      'content-type': 'application/json; charset=utf-8',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': this.#requestId(),
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - this.#rate.used)),
      'x-ratelimit-used': String(this.#rate.used),
      'x-ratelimit-reset': String((window + 1) * 3600),
      'x-ratelimit-resource': 'core',
    };
  }

  // ---- deployments -------------------------------------------------------------------------------------------

  #deployment(c: Call): DeploymentRecord {
    return this.state.deployment(c.repo, id(c.params.deployment_id));
  }

  #createDeployment(c: Call): SandboxResponse {
    const body = readBody(c.request);
    const requiredContexts = body.required_contexts;
    if (requiredContexts !== undefined && !(Array.isArray(requiredContexts) && requiredContexts.every((v) => typeof v === 'string'))) {
      throw invalidType('required_contexts', requiredContexts, 'array');
    }
    const deployment = this.state.createDeployment(
      c.repo,
      {
        ref: requireString(body, 'ref'),
        ...defined('task', string(body, 'task')),
        ...defined('payload', payload(body.payload)),
        ...defined('environment', string(body, 'environment')),
        ...defined('description', string(body, 'description')),
        ...defined('requiredContexts', requiredContexts as string[] | undefined),
        ...defined('transient', boolean(body, 'transient_environment')),
        ...defined('production', boolean(body, 'production_environment')),
      },
      c.as,
    );
    return ok(201, shape.deployment(c.urls, c.repo, deployment));
  }

  #listDeployments(c: Call): SandboxResponse {
    const q = c.request.query;
    const matches = (value: string, filter: string | null) => filter === null || value === filter;
    const deployments = [...c.repo.deployments.values()]
      .filter(
        (d) => matches(d.sha, q.get('sha')) && matches(d.ref, q.get('ref')) && matches(d.task, q.get('task')) && matches(d.environment, q.get('environment')),
      )
      .reverse();
    const page = paginate(deployments, c.request);
    return ok(
      200,
      page.items.map((d) => shape.deployment(c.urls, c.repo, d)),
      page.headers,
    );
  }

  #createDeploymentStatus(c: Call): SandboxResponse {
    const deployment = this.#deployment(c);
    const body = readBody(c.request);
    const state = requireString(body, 'state');
    if (!(DEPLOYMENT_STATES as readonly string[]).includes(state)) throw validationFailed({ resource: 'DeploymentStatus', field: 'state', code: 'invalid' });
    const status = this.state.addDeploymentStatus(
      c.repo,
      deployment,
      {
        state: state as (typeof DEPLOYMENT_STATES)[number],
        ...defined('description', string(body, 'description')),
        ...defined('environment', string(body, 'environment')),
        ...defined('logUrl', string(body, 'log_url') ?? string(body, 'target_url')),
        ...defined('environmentUrl', string(body, 'environment_url')),
        ...defined('autoInactive', boolean(body, 'auto_inactive')),
      },
      c.as,
    );
    return ok(201, shape.deploymentStatus(c.urls, c.repo, status));
  }

  #listDeploymentStatuses(c: Call): SandboxResponse {
    const page = paginate([...this.#deployment(c).statuses].reverse(), c.request);
    return ok(
      200,
      page.items.map((s) => shape.deploymentStatus(c.urls, c.repo, s)),
      page.headers,
    );
  }

  #getDeploymentStatus(c: Call): SandboxResponse {
    const status = this.#deployment(c).statuses.find((s) => s.id === id(c.params.status_id));
    if (status === undefined) throw notFound();
    return ok(200, shape.deploymentStatus(c.urls, c.repo, status));
  }

  // ---- commit statuses and check runs -----------------------------------------------------------------------

  #createCommitStatus(c: Call): SandboxResponse {
    const body = readBody(c.request);
    const state = requireString(body, 'state');
    if (!(COMMIT_STATES as readonly string[]).includes(state))
      throw validationFailed({ resource: 'Status', field: 'state', code: 'custom', message: 'state is not included in the list' });
    const status = this.state.addCommitStatus(
      c.repo,
      pathParam(c.params, 'sha'),
      {
        state: state as CommitState,
        ...defined('context', string(body, 'context')),
        ...defined('description', string(body, 'description')),
        ...defined('targetUrl', string(body, 'target_url')),
      },
      c.as,
    );
    return ok(201, shape.commitStatus(c.urls, c.repo, status));
  }

  #listCommitStatuses(c: Call): SandboxResponse {
    const page = paginate(this.state.commitStatuses(c.repo, this.state.commit(c.repo, pathParam(c.params, 'ref'))), c.request);
    return ok(
      200,
      page.items.map((s) => shape.commitStatus(c.urls, c.repo, s)),
      page.headers,
    );
  }

  #combinedStatus(c: Call): SandboxResponse {
    const sha = this.state.commit(c.repo, pathParam(c.params, 'ref'));
    const combined = this.state.combinedStatus(c.repo, sha);
    const page = paginate(combined.statuses, c.request);
    const commitUrl = `${c.urls.api}/repos/${c.repo.owner.login}/${c.repo.name}/commits/${sha}`;
    return ok(
      200,
      {
        state: combined.state,
        statuses: page.items.map((s) => shape.commitStatus(c.urls, c.repo, s)),
        sha,
        total_count: combined.statuses.length,
        repository: shape.repository(c.urls, c.repo),
        commit_url: commitUrl,
        url: `${commitUrl}/status`,
      },
      page.headers,
    );
  }

  #createCheckRun(c: Call): SandboxResponse {
    requireApp(c);
    const body = readBody(c.request);
    const run = this.state.createCheckRun(
      c.repo,
      { name: requireString(body, 'name'), headSha: requireString(body, 'head_sha'), ...checkRunFields(body) },
      c.as,
    );
    return ok(201, shape.checkRun(c.urls, c.repo, run));
  }

  #updateCheckRun(c: Call): SandboxResponse {
    requireApp(c);
    const run = this.state.checkRun(c.repo, id(c.params.check_run_id));
    const body = readBody(c.request);
    this.state.updateCheckRun(run, { ...defined('name', string(body, 'name')), ...checkRunFields(body) });
    return ok(200, shape.checkRun(c.urls, c.repo, run));
  }

  #listCheckRuns(c: Call): SandboxResponse {
    const sha = this.state.commit(c.repo, pathParam(c.params, 'ref'));
    const q = c.request.query;
    let runs = [...c.repo.checkRuns.values()].filter((run) => run.headSha === sha);
    // `filter=latest` (the default) keeps the newest run of each name: a re-run hides the attempt before it.
    if (q.get('filter') !== 'all') runs = runs.filter((run) => !runs.some((other) => other.name === run.name && other.id > run.id));
    runs = runs.filter((run) => (q.get('check_name') ?? run.name) === run.name && (q.get('status') ?? run.status) === run.status).reverse();
    const page = paginate(runs, c.request);
    return ok(200, { total_count: runs.length, check_runs: page.items.map((run) => shape.checkRun(c.urls, c.repo, run)) }, page.headers);
  }

  // ---- workflow runs ----------------------------------------------------------------------------------------

  #listWorkflowRuns(c: Call): SandboxResponse {
    const q = c.request.query;
    const matches = (value: string | number | null, filter: string | null) => filter === null || String(value) === filter;
    const runs = [...c.repo.workflowRuns.values()]
      .filter(
        (run) =>
          matches(run.checkSuiteId, q.get('check_suite_id')) &&
          matches(run.headSha, q.get('head_sha')) &&
          matches(run.event, q.get('event')) &&
          matches(run.headBranch, q.get('branch')) &&
          matches(run.actor.login, q.get('actor')) &&
          (q.get('status') === null || run.status === q.get('status') || run.conclusion === q.get('status')),
      )
      .reverse();
    const page = paginate(runs, c.request);
    return ok(200, { total_count: runs.length, workflow_runs: page.items.map((run) => shape.workflowRun(c.urls, c.repo, run)) }, page.headers);
  }

  // ---- commits: compare, tags -----------------------------------------------------------------------------

  /** `BASE...HEAD` in one path segment; the commits list pages with per_page/page like any list. */
  #compare(c: Call): SandboxResponse {
    const basehead = pathParam(c.params, 'basehead');
    const match = /^(.+?)\.\.\.(.+)$/.exec(basehead);
    if (match === null) throw notFound();
    const [, base = '', head = ''] = match;
    const comparison = this.state.compare(c.repo, base, head);
    const page = paginate(comparison.commits, c.request);
    return ok(200, shape.comparison(c.urls, c.repo, { ...comparison, baseRef: base, headRef: head, page: page.items }), page.headers);
  }

  /** Newest tag first, as GitHub lists them (by name, descending). */
  #listTags(c: Call): SandboxResponse {
    const tags = [...c.repo.tags.entries()].sort(([a], [b]) => b.localeCompare(a, 'en', { numeric: true }));
    const page = paginate(tags, c.request);
    return ok(
      200,
      page.items.map(([name, sha]) => shape.tag(c.urls, c.repo, name, sha)),
      page.headers,
    );
  }

  // ---- pull requests and reviews ----------------------------------------------------------------------------

  #pull(c: Call): PullRequestRecord {
    return this.state.pull(c.repo, id(c.params.pull_number));
  }

  #listPulls(c: Call): SandboxResponse {
    const q = c.request.query;
    const state = q.get('state') ?? 'open';
    const head = q.get('head');
    const base = q.get('base');
    const sort = q.get('sort') === 'updated' ? 'updatedAt' : 'createdAt';
    const ascending = q.get('direction') === 'asc';
    const pulls = [...c.repo.pulls.values()]
      .filter((pr) => state === 'all' || pr.state === state)
      .filter((pr) => head === null || head === pr.headRef || head === `${c.repo.owner.login}:${pr.headRef}`)
      .filter((pr) => base === null || base === pr.baseRef)
      .sort((a, b) => (a[sort] - b[sort] || a.id - b.id) * (ascending ? 1 : -1));
    const page = paginate(pulls, c.request);
    return ok(
      200,
      page.items.map((pr) => shape.pullRequest(c.urls, c.repo, pr, false)),
      page.headers,
    );
  }

  #listReviews(c: Call): SandboxResponse {
    const pull = this.#pull(c);
    const page = paginate(pull.reviews, c.request);
    return ok(
      200,
      page.items.map((r) => shape.review(c.urls, c.repo, pull, r)),
      page.headers,
    );
  }

  #getReview(c: Call): SandboxResponse {
    const pull = this.#pull(c);
    const review = pull.reviews.find((r) => r.id === id(c.params.review_id));
    if (review === undefined) throw notFound();
    return ok(200, shape.review(c.urls, c.repo, pull, review));
  }

  #createReview(c: Call): SandboxResponse {
    const pull = this.#pull(c);
    const body = readBody(c.request);
    const event = string(body, 'event');
    const text = string(body, 'body') ?? '';
    const states: Record<string, ReviewState> = { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' };
    const state = event === undefined ? 'PENDING' : states[event];
    if (state === undefined) throw validationFailed({ resource: 'PullRequestReview', field: 'event', code: 'invalid' });
    const refuse = (message: string) => new ServiceError(422, 'Unprocessable', 'Unprocessable Entity', { errors: [message] });
    if (pull.user === c.as.actor && state === 'APPROVED') throw refuse('Can not approve your own pull request');
    if (pull.user === c.as.actor && state === 'CHANGES_REQUESTED') throw refuse('Can not request changes on your own pull request');
    if ((state === 'CHANGES_REQUESTED' || state === 'COMMENTED') && text.trim() === '') throw refuse(`Body is required for the ${event} event`);
    const review = this.state.addReview(pull, { user: c.as.actor, state, body: text, ...defined('commitId', string(body, 'commit_id')) });
    // Creating a review answers 200, not 201.
    return ok(200, shape.review(c.urls, c.repo, pull, review));
  }

  // ---- issue comments ---------------------------------------------------------------------------------------

  #createComment(c: Call): SandboxResponse {
    const body = commentBody(readBody(c.request));
    const comment = this.state.addComment(c.repo, id(c.params.issue_number), body, c.as.actor);
    const json = shape.comment(c.urls, c.repo, comment);
    return ok(201, json, { location: json.url });
  }

  #updateComment(c: Call): SandboxResponse {
    const comment = this.state.comment(c.repo, id(c.params.comment_id));
    comment.body = commentBody(readBody(c.request));
    comment.updatedAt = this.core.clock.now();
    return ok(200, shape.comment(c.urls, c.repo, comment));
  }

  #listComments(c: Call): SandboxResponse {
    const number = id(c.params.issue_number);
    if (!c.repo.pulls.has(number) && !c.repo.issues.has(number)) throw notFound();
    const since = c.request.query.get('since');
    const sinceMs = since === null ? undefined : Date.parse(since);
    const comments = [...c.repo.comments.values()].filter(
      (comment) => comment.issueNumber === number && (sinceMs === undefined || !(comment.updatedAt < sinceMs)),
    );
    const page = paginate(comments, c.request);
    return ok(
      200,
      page.items.map((comment) => shape.comment(c.urls, c.repo, comment)),
      page.headers,
    );
  }

  // ---- environments and branches ------------------------------------------------------------------------------

  #listEnvironments(c: Call): SandboxResponse {
    const environments = [...c.repo.environments.values()];
    const page = paginate(environments, c.request);
    return ok(200, { total_count: environments.length, environments: page.items.map((e) => shape.environment(c.urls, c.repo, e)) }, page.headers);
  }

  #putEnvironment(c: Call): SandboxResponse {
    const body = readBody(c.request);
    const waitTimer = body.wait_timer;
    if (waitTimer !== undefined && !(Number.isInteger(waitTimer) && (waitTimer as number) >= 0 && (waitTimer as number) <= 43200)) {
      throw validationFailed({ resource: 'Environment', field: 'wait_timer', code: 'custom', message: 'wait_timer must be an integer between 0 and 43200' });
    }
    const reviewers = body.reviewers === undefined || body.reviewers === null ? undefined : this.#reviewers(body.reviewers);
    const policy = body.deployment_branch_policy;
    let branchPolicy: EnvironmentRecord['branchPolicy'] | undefined;
    if (policy === null) branchPolicy = null;
    else if (policy !== undefined) {
      const { protected_branches: protectedBranches, custom_branch_policies: custom } = (policy ?? {}) as Body;
      if (typeof protectedBranches !== 'boolean' || typeof custom !== 'boolean' || protectedBranches === custom) {
        throw unprocessable('Invalid request.\n\nExactly one of protected_branches and custom_branch_policies must be true.');
      }
      branchPolicy = { protected_branches: protectedBranches, custom_branch_policies: custom };
    }
    const environment = this.state.putEnvironment(c.repo, pathParam(c.params, 'environment_name'), {
      ...defined('waitTimer', waitTimer as number | undefined),
      ...defined('preventSelfReview', boolean(body, 'prevent_self_review')),
      ...defined('reviewers', reviewers),
      ...defined('branchPolicy', branchPolicy),
    });
    return ok(200, shape.environment(c.urls, c.repo, environment));
  }

  /** Only user reviewers are modeled; a user id the sandbox never saw becomes a placeholder login. */
  #reviewers(value: unknown): GitHubUser[] {
    if (!Array.isArray(value)) throw invalidType('reviewers', value, 'array');
    if (value.length > 6)
      throw validationFailed({ resource: 'Environment', field: 'reviewers', code: 'custom', message: 'reviewers can have at most 6 entries' });
    return value.map((entry: unknown) => {
      const { type, id: userId } = (entry ?? {}) as Body;
      if (type !== 'User' || typeof userId !== 'number') {
        throw unprocessable(`The GitHub sandbox models only { type: 'User', id } reviewers, got ${JSON.stringify(entry)}`);
      }
      return this.state.userById(userId) ?? this.state.user(`user-${userId}`);
    });
  }

  #listBranchPolicies(c: Call): SandboxResponse {
    const policies = this.state.environment(c.repo, pathParam(c.params, 'environment_name')).branchPolicies;
    const page = paginate(policies, c.request);
    return ok(200, { total_count: policies.length, branch_policies: page.items.map((policy) => shape.branchPolicy(policy)) }, page.headers);
  }

  /** 404 unless the environment uses custom branch policies; 303 to the existing policy for a pattern it has. */
  #createBranchPolicy(c: Call): SandboxResponse {
    const environment = this.state.environment(c.repo, pathParam(c.params, 'environment_name'));
    const body = readBody(c.request);
    const type = oneOf(body, 'type', ['branch', 'tag'] as const, 'DeploymentBranchPolicy') ?? 'branch';
    const { policy, created } = this.state.addBranchPolicy(environment, requireString(body, 'name'), type);
    if (!created) {
      const location = `${c.urls.api}/repos/${c.repo.owner.login}/${c.repo.name}/environments/${encodeURIComponent(environment.name)}/deployment-branch-policies/${policy.id}`;
      return { status: 303, headers: { location } };
    }
    return ok(200, shape.branchPolicy(policy));
  }

  #branchPolicy(c: Call) {
    const environment = this.state.environment(c.repo, pathParam(c.params, 'environment_name'));
    return this.state.branchPolicy(environment, id(c.params.branch_policy_id));
  }

  #deleteBranchPolicy(c: Call): SandboxResponse {
    const environment = this.state.environment(c.repo, pathParam(c.params, 'environment_name'));
    const policy = this.state.branchPolicy(environment, id(c.params.branch_policy_id));
    environment.branchPolicies = environment.branchPolicies.filter((candidate) => candidate !== policy);
    return { status: 204 };
  }

  #deleteEnvironment(c: Call): SandboxResponse {
    const environment = this.state.environment(c.repo, pathParam(c.params, 'environment_name'));
    c.repo.environments.delete(environment.name.toLowerCase());
    return { status: 204 };
  }

  #listBranches(c: Call): SandboxResponse {
    const filter = c.request.query.get('protected');
    const branches = [...c.repo.branches.values()]
      .filter((b) => filter === null || String(b.protected) === filter)
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(branches, c.request);
    return ok(
      200,
      page.items.map((b) => shape.branchSummary(c.urls, c.repo, b)),
      page.headers,
    );
  }

  #getBranch(c: Call): SandboxResponse {
    const branch = c.repo.branches.get(pathParam(c.params, 'branch'));
    if (branch === undefined) throw new ServiceError(404, 'NotFound', 'Branch not found');
    return ok(200, shape.branch(c.urls, c.repo, branch));
  }
}

// ---- endpoint-specific input --------------------------------------------------------------------------------------

/** The Checks API is for apps: a person's token gets GitHub's 403. */
function requireApp(c: Call): void {
  if (c.as.app === undefined) {
    throw new ServiceError(403, 'Forbidden', 'You must authenticate via a GitHub App.', { documentation_url: matchRoute(c.request).docs });
  }
}

function ok(status: number, body: unknown, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers, body };
}

/** GitHub stores a payload given as a JSON string as the object it encodes. */
function payload(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

function commentBody(body: Body): string {
  const text = requireString(body, 'body');
  if (text.length > MAX_COMMENT) {
    throw validationFailed({ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${MAX_COMMENT} characters)` });
  }
  return text;
}

function checkRunFields(body: Body) {
  const output = body.output as Partial<Record<keyof CheckRunOutput, unknown>> | undefined;
  if (output !== undefined && (typeof output !== 'object' || output === null)) throw invalidType('output', output, 'object');
  return {
    ...defined('status', oneOf(body, 'status', CHECK_STATUSES, 'CheckRun')),
    ...defined('conclusion', oneOf(body, 'conclusion', CHECK_CONCLUSIONS, 'CheckRun')),
    ...defined('detailsUrl', string(body, 'details_url')),
    ...defined('externalId', string(body, 'external_id')),
    ...defined('startedAt', timestamp(body, 'started_at')),
    ...defined('completedAt', timestamp(body, 'completed_at')),
    ...(output === undefined
      ? {}
      : {
          output: {
            ...defined('title', string(output as Body, 'title')),
            ...defined('summary', string(output as Body, 'summary')),
            ...defined('text', string(output as Body, 'text')),
          },
        }),
  };
}
