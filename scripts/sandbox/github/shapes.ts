/**
 * The JSON GitHub answers with, built from state records. API `url` fields point at the sandbox (so a client
 * that follows one gets an answer); `html_url` fields point at github.com, where a person would look.
 */
import {
  type BranchPolicyRecord,
  type BranchRecord,
  type CheckRunRecord,
  type CommentRecord,
  type CommitStatusRecord,
  type DeploymentRecord,
  type DeploymentStatusRecord,
  type EnvironmentRecord,
  fakeSha,
  type GitHubApp,
  type GitHubUser,
  type PullRequestRecord,
  type RepoRecord,
  type ReviewRecord,
  type WorkflowRunRecord,
} from './state.js';

export interface Urls {
  /** `http://127.0.0.1:PORT/github` */
  api: string;
  html: string;
}

/** GitHub's timestamps have second precision and a `Z`. */
export function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : iso(ms));

/** Opaque global ids in the current `XX_kwDO…` style; only their stability matters. */
function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(`${prefix}:${id}`).toString('base64url')}`;
}

const repoApi = (urls: Urls, repo: RepoRecord) => `${urls.api}/repos/${repo.owner.login}/${repo.name}`;
const repoHtml = (urls: Urls, repo: RepoRecord) => `${urls.html}/${repo.owner.login}/${repo.name}`;

export function user(urls: Urls, u: GitHubUser) {
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === 'Bot' ? 'BOT' : u.type === 'Organization' ? 'O' : 'U', u.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    url: `${urls.api}/users/${encodeURIComponent(u.login)}`,
    html_url: u.type === 'Bot' ? `${urls.html}/apps/${u.login.replace(/\[bot\]$/, '')}` : `${urls.html}/${u.login}`,
    type: u.type,
    site_admin: false,
  };
}

/** An app (`integration`), as check runs and `performed_via_github_app` show it. */
export function app(urls: Urls, a: GitHubApp) {
  return {
    id: a.id,
    slug: a.slug,
    node_id: Buffer.from(`03:App${a.id}`).toString('base64'),
    owner: user(urls, a.owner),
    name: a.name,
    description: '',
    external_url: `${urls.html}/apps/${a.slug}`,
    html_url: `${urls.html}/apps/${a.slug}`,
    created_at: '2018-07-30T09:30:17Z',
    updated_at: '2019-12-10T19:04:12Z',
    permissions: {},
    events: [],
  };
}

export function repository(urls: Urls, repo: RepoRecord) {
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: `${repo.owner.login}/${repo.name}`,
    private: true,
    owner: user(urls, repo.owner),
    html_url: repoHtml(urls, repo),
    url: repoApi(urls, repo),
    default_branch: repo.defaultBranch,
    visibility: 'private',
    created_at: iso(repo.createdAt),
  };
}

export function deployment(urls: Urls, repo: RepoRecord, d: DeploymentRecord) {
  const url = `${repoApi(urls, repo)}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: nodeId('DE', d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.originalEnvironment,
    environment: d.environment,
    description: d.description,
    creator: user(urls, d.creator),
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
    statuses_url: `${url}/statuses`,
    repository_url: repoApi(urls, repo),
    transient_environment: d.transient,
    production_environment: d.production,
    performed_via_github_app: d.performedViaApp === undefined ? null : app(urls, d.performedViaApp),
  };
}

export function deploymentStatus(urls: Urls, repo: RepoRecord, s: DeploymentStatusRecord) {
  const deploymentUrl = `${repoApi(urls, repo)}/deployments/${s.deploymentId}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DES', s.id),
    state: s.state,
    creator: user(urls, s.creator),
    description: s.description,
    environment: s.environment,
    // `target_url` is the old name of `log_url`; GitHub keeps both equal.
    target_url: s.logUrl,
    log_url: s.logUrl,
    environment_url: s.environmentUrl,
    created_at: iso(s.createdAt),
    updated_at: iso(s.createdAt),
    deployment_url: deploymentUrl,
    repository_url: repoApi(urls, repo),
    performed_via_github_app: s.performedViaApp === undefined ? null : app(urls, s.performedViaApp),
  };
}

export function commitStatus(urls: Urls, repo: RepoRecord, s: CommitStatusRecord) {
  return {
    url: `${repoApi(urls, repo)}/statuses/${s.sha}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${s.creator.id}?v=4`,
    id: s.id,
    node_id: nodeId('SC', s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
    creator: user(urls, s.creator),
  };
}

export function checkRun(urls: Urls, repo: RepoRecord, run: CheckRunRecord) {
  const url = `${repoApi(urls, repo)}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId('CR', run.id),
    external_id: run.externalId,
    url,
    html_url: `${repoHtml(urls, repo)}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${repoHtml(urls, repo)}/runs/${run.id}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: iso(run.startedAt),
    completed_at: isoOrNull(run.completedAt),
    output: { ...run.output, annotations_count: 0, annotations_url: `${url}/annotations` },
    name: run.name,
    check_suite: { id: run.checkSuiteId },
    app: app(urls, run.app),
    pull_requests: [],
  };
}

export function branch(urls: Urls, repo: RepoRecord, b: BranchRecord) {
  const url = `${repoApi(urls, repo)}/branches/${encodeURIComponent(b.name)}`;
  return {
    name: b.name,
    commit: commit(urls, repo, b.sha),
    _links: { self: url, html: `${repoHtml(urls, repo)}/tree/${b.name}` },
    protected: b.protected,
    protection: { enabled: b.protected, required_status_checks: { enforcement_level: b.protected ? 'non_admins' : 'off', contexts: [], checks: [] } },
    protection_url: `${url}/protection`,
  };
}

export function branchSummary(urls: Urls, repo: RepoRecord, b: BranchRecord) {
  return { name: b.name, commit: { sha: b.sha, url: `${repoApi(urls, repo)}/commits/${b.sha}` }, protected: b.protected };
}

/** The sandbox keeps no commit contents: a commit is its SHA, its parents in the graph and placeholder metadata. */
export function commit(urls: Urls, repo: RepoRecord, sha: string) {
  const record = repo.commits.get(sha);
  const author = { name: 'Sandbox', email: 'sandbox@example.com', date: iso(record?.createdAt ?? repo.createdAt) };
  return {
    sha,
    node_id: `C_kwDO${sha.slice(0, 12)}`,
    url: `${repoApi(urls, repo)}/commits/${sha}`,
    html_url: `${repoHtml(urls, repo)}/commit/${sha}`,
    commit: {
      message: record?.message ?? `Commit ${sha.slice(0, 7)}`,
      author,
      committer: author,
      tree: { sha: fakeSha(`tree:${sha}`), url: `${repoApi(urls, repo)}/git/trees/${fakeSha(`tree:${sha}`)}` },
    },
    author: null,
    committer: null,
    parents: (record?.parents ?? []).map((parent) => ({
      sha: parent,
      url: `${repoApi(urls, repo)}/commits/${parent}`,
      html_url: `${repoHtml(urls, repo)}/commit/${parent}`,
    })),
  };
}

/** `GET /compare/{base}...{head}`: the relation, the merge base and a page of head's commits that base lacks. */
export function comparison(
  urls: Urls,
  repo: RepoRecord,
  c: {
    status: 'ahead' | 'behind' | 'identical' | 'diverged';
    base: string;
    mergeBase: string;
    aheadBy: number;
    behindBy: number;
    baseRef: string;
    headRef: string;
    page: Array<{ sha: string }>;
  },
) {
  const range = `${encodeURIComponent(c.baseRef)}...${encodeURIComponent(c.headRef)}`;
  return {
    url: `${repoApi(urls, repo)}/compare/${range}`,
    html_url: `${repoHtml(urls, repo)}/compare/${range}`,
    permalink_url: `${repoHtml(urls, repo)}/compare/${repo.owner.login}:${c.base}...${repo.owner.login}:${c.page.at(-1)?.sha ?? c.base}`,
    diff_url: `${repoHtml(urls, repo)}/compare/${range}.diff`,
    patch_url: `${repoHtml(urls, repo)}/compare/${range}.patch`,
    base_commit: commit(urls, repo, c.base),
    merge_base_commit: commit(urls, repo, c.mergeBase),
    status: c.status,
    ahead_by: c.aheadBy,
    behind_by: c.behindBy,
    total_commits: c.aheadBy,
    commits: c.page.map((entry) => commit(urls, repo, entry.sha)),
    files: [],
  };
}

export function tag(urls: Urls, repo: RepoRecord, name: string, sha: string) {
  return {
    name,
    commit: { sha, url: `${repoApi(urls, repo)}/commits/${sha}` },
    zipball_url: `${repoApi(urls, repo)}/zipball/refs/tags/${encodeURIComponent(name)}`,
    tarball_url: `${repoApi(urls, repo)}/tarball/refs/tags/${encodeURIComponent(name)}`,
    node_id: nodeId('REF', Number.parseInt(fakeSha(`tag:${name}`).slice(0, 8), 16)),
  };
}

export function workflowRun(urls: Urls, repo: RepoRecord, run: WorkflowRunRecord) {
  const url = `${repoApi(urls, repo)}/actions/runs/${run.id}`;
  const workflowId = Number.parseInt(fakeSha(`workflow:${run.path}`).slice(0, 7), 16);
  const [headOwner = repo.owner.login, headName = repo.name] = run.headRepository.split('/');
  const sameRepository = `${headOwner}/${headName}`.toLowerCase() === `${repo.owner.login}/${repo.name}`.toLowerCase();
  const headRepository = sameRepository
    ? repository(urls, repo)
    : {
        id: Number.parseInt(fakeSha(`repo:${run.headRepository}`).slice(0, 7), 16),
        node_id: nodeId('R', Number.parseInt(fakeSha(`repo:${run.headRepository}`).slice(0, 7), 16)),
        name: headName,
        full_name: `${headOwner}/${headName}`,
        private: false,
        owner: {
          login: headOwner,
          id: 0,
          node_id: '',
          avatar_url: '',
          url: `${urls.api}/users/${headOwner}`,
          html_url: `${urls.html}/${headOwner}`,
          type: 'User',
          site_admin: false,
        },
        html_url: `${urls.html}/${headOwner}/${headName}`,
        url: `${urls.api}/repos/${headOwner}/${headName}`,
      };
  const author = { name: 'Sandbox', email: 'sandbox@example.com' };
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId('WFR', run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.path,
    display_title: repo.commits.get(run.headSha)?.message ?? `Commit ${run.headSha.slice(0, 7)}`,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: workflowId,
    check_suite_id: run.checkSuiteId,
    check_suite_node_id: nodeId('CS', run.checkSuiteId),
    url,
    html_url: `${repoHtml(urls, repo)}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: iso(run.createdAt),
    updated_at: iso(run.updatedAt),
    actor: user(urls, run.actor),
    triggering_actor: user(urls, run.actor),
    run_started_at: iso(run.createdAt),
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${repoApi(urls, repo)}/check-suites/${run.checkSuiteId}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${repoApi(urls, repo)}/actions/workflows/${workflowId}`,
    head_commit: {
      id: run.headSha,
      tree_id: fakeSha(`tree:${run.headSha}`),
      message: repo.commits.get(run.headSha)?.message ?? `Commit ${run.headSha.slice(0, 7)}`,
      timestamp: iso(run.createdAt),
      author,
      committer: author,
    },
    repository: repository(urls, repo),
    head_repository: headRepository,
  };
}

export function branchPolicy(policy: BranchPolicyRecord) {
  return { id: policy.id, node_id: nodeId('DBP', policy.id), name: policy.name, type: policy.type };
}

export function pullRequest(urls: Urls, repo: RepoRecord, pr: PullRequestRecord, full: boolean) {
  const url = `${repoApi(urls, repo)}/pulls/${pr.number}`;
  const html = `${repoHtml(urls, repo)}/pull/${pr.number}`;
  const ref = (name: string, sha: string) => ({
    label: `${repo.owner.login}:${name}`,
    ref: name,
    sha,
    user: user(urls, repo.owner),
    repo: repository(urls, repo),
  });
  const summary = {
    url,
    id: pr.id,
    node_id: nodeId('PR', pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${repoApi(urls, repo)}/issues/${pr.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    comments_url: `${repoApi(urls, repo)}/issues/${pr.number}/comments`,
    statuses_url: `${repoApi(urls, repo)}/statuses/${pr.headSha}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: user(urls, pr.user),
    body: pr.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: iso(pr.createdAt),
    updated_at: iso(pr.updatedAt),
    closed_at: isoOrNull(pr.closedAt),
    merged_at: pr.merged ? isoOrNull(pr.closedAt) : null,
    merge_commit_sha: pr.merged ? fakeSha(`merge:${pr.id}`) : null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: ref(pr.headRef, pr.headSha),
    base: ref(pr.baseRef, repo.branches.get(pr.baseRef)?.sha ?? fakeSha(`${repo.id}:${pr.baseRef}`)),
    author_association: 'CONTRIBUTOR',
    auto_merge: null,
    draft: pr.draft,
  };
  if (!full) return summary;
  return {
    ...summary,
    merged: pr.merged,
    mergeable: pr.state === 'open' ? true : null,
    mergeable_state: pr.state === 'open' ? 'clean' : 'unknown',
    merged_by: null,
    comments: [...repo.comments.values()].filter((c) => c.issueNumber === pr.number).length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

export function review(urls: Urls, repo: RepoRecord, pr: PullRequestRecord, r: ReviewRecord) {
  const html = `${repoHtml(urls, repo)}/pull/${pr.number}#pullrequestreview-${r.id}`;
  const pullUrl = `${repoApi(urls, repo)}/pulls/${pr.number}`;
  return {
    id: r.id,
    node_id: nodeId('PRR', r.id),
    user: user(urls, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: pullUrl,
    author_association: r.user === pr.user ? 'OWNER' : 'CONTRIBUTOR',
    _links: { html: { href: html }, pull_request: { href: pullUrl } },
    ...(r.submittedAt === undefined ? {} : { submitted_at: iso(r.submittedAt) }),
    commit_id: r.commitId,
  };
}

export function comment(urls: Urls, repo: RepoRecord, c: CommentRecord) {
  const kind = repo.pulls.has(c.issueNumber) ? 'pull' : 'issues';
  return {
    id: c.id,
    node_id: nodeId('IC', c.id),
    url: `${repoApi(urls, repo)}/issues/comments/${c.id}`,
    html_url: `${repoHtml(urls, repo)}/${kind}/${c.issueNumber}#issuecomment-${c.id}`,
    body: c.body,
    user: user(urls, c.user),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    issue_url: `${repoApi(urls, repo)}/issues/${c.issueNumber}`,
    author_association: c.user.type === 'Bot' ? 'NONE' : 'CONTRIBUTOR',
    performed_via_github_app: null,
  };
}

export function environment(urls: Urls, repo: RepoRecord, e: EnvironmentRecord) {
  // Rule ids derive from the environment's: stable across reads, distinct across environments.
  const rules: Array<Record<string, unknown>> = [];
  if (e.waitTimer > 0) rules.push({ id: e.id * 10 + 1, node_id: nodeId('GA', e.id * 10 + 1), type: 'wait_timer', wait_timer: e.waitTimer });
  if (e.reviewers.length > 0) {
    rules.push({
      id: e.id * 10 + 2,
      node_id: nodeId('GA', e.id * 10 + 2),
      prevent_self_review: e.preventSelfReview,
      type: 'required_reviewers',
      reviewers: e.reviewers.map((reviewer) => ({ type: 'User', reviewer: user(urls, reviewer) })),
    });
  }
  if (e.branchPolicy !== null) rules.push({ id: e.id * 10 + 3, node_id: nodeId('GA', e.id * 10 + 3), type: 'branch_policy' });
  return {
    id: e.id,
    node_id: nodeId('EN', e.id),
    name: e.name,
    url: `${repoApi(urls, repo)}/environments/${encodeURIComponent(e.name)}`,
    html_url: `${repoHtml(urls, repo)}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt),
    can_admins_bypass: true,
    protection_rules: rules,
    deployment_branch_policy: e.branchPolicy,
  };
}
