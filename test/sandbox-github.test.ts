/**
 * The sandbox's GitHub service, driven by the real Octokit from `@actions/github` over HTTP: token checks,
 * deployments with statuses (auto-inactive, required contexts), commit statuses and the combined status,
 * check runs, pull requests and reviews, issue comments with `octokit.paginate` across pages, environments,
 * branches, faults, the quota and the request record.
 */
import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningSandbox, type SandboxOptions, startSandboxWith } from '../scripts/sandbox/frame.js';
import { GitHubService } from '../scripts/sandbox/github/service.js';

let sandbox: RunningSandbox<{ github: GitHubService }> | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);
const repo = { owner: 'acme', repo: 'orders' };

/**
 * `@actions/github` reads GITHUB_API_URL when it is first imported, which is before any sandbox has a port:
 * tests pass the sandbox's URL explicitly, as a caller that imports it early must too.
 */
async function start(options: SandboxOptions = {}) {
  const started = await startSandboxWith((core) => ({ github: new GitHubService(core) }), options);
  sandbox = started;
  const github = started.services.github;
  github.addRepo('acme', 'orders');
  github.setBranch('acme', 'orders', 'main', SHA, { protected: true });
  const octokit = getOctokit(started.env.GITHUB_TOKEN!, { baseUrl: started.env.GITHUB_API_URL });
  return { sandbox: started, github, octokit };
}

describe('sandbox GitHub: auth, errors, faults', () => {
  it('requires the token: a wrong one is 401 Bad credentials, an unknown repo 404, both recorded', async () => {
    const { sandbox: sb, octokit } = await start();
    const stranger = getOctokit('not-the-token', { baseUrl: sb.env.GITHUB_API_URL });
    const denied = await stranger.rest.repos.listDeployments(repo).catch((e: unknown) => e);
    expect(denied).toMatchObject({
      name: 'HttpError',
      status: 401,
      message: 'Bad credentials - https://docs.github.com/rest',
      response: { data: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' } },
    });
    const missing = await octokit.rest.repos.listDeployments({ owner: 'acme', repo: 'nope' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      status: 404,
      response: { data: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/deployments/deployments#list-deployments', status: '404' } },
    });
    // Octokit's own endpoint table and the sandbox's name the operation alike.
    expect(sb.server.calls('github', 'GET /repos/{owner}/{repo}/deployments').map((call) => call.status)).toEqual([401, 404]);
    // A real route the sandbox does not model fails loudly rather than passing for a missing resource.
    await expect(octokit.rest.issues.get({ ...repo, issue_number: 1 })).rejects.toMatchObject({ status: 501 });
    expect(sb.server.calls('github', 'GET /repos/{owner}/{repo}/issues/1')).toHaveLength(1);
  });

  it('surfaces an injected server error (getOctokit has no retry plugin), answers a throttle with 429 and retry-after', async () => {
    const { sandbox: sb, octokit } = await start({ quotas: { github: { ratePerSecond: 0.001, burst: 3 } } });
    const operation = 'GET /repos/{owner}/{repo}/branches/{branch}';
    sb.faults.add({ service: 'github', operation, kind: 'server-error', status: 502, times: 1 });
    await expect(octokit.rest.repos.getBranch({ ...repo, branch: 'main' })).rejects.toMatchObject({
      status: 502,
      message: 'Server Error',
      response: { data: { message: 'Server Error' } },
    });
    const branch = await octokit.rest.repos.getBranch({ ...repo, branch: 'main' });
    expect(branch.data.commit.sha).toBe(SHA);
    expect(branch.headers['x-ratelimit-limit']).toBe('5000');
    expect(sb.server.calls('github', operation).map((call) => call.status)).toEqual([502, 200]);

    // The 'github' quota (3 requests, then next to no refill): the fourth call is the secondary rate limit.
    await octokit.rest.repos.get(repo);
    await octokit.rest.repos.get(repo);
    const limited = await octokit.rest.repos.get(repo).catch((e: unknown) => e);
    expect(limited).toMatchObject({
      status: 429,
      response: { headers: { 'retry-after': '1' }, data: { message: expect.stringMatching(/^You have exceeded a secondary rate limit/) } },
    });
    expect(sb.server.calls('github', 'GET /repos/{owner}/{repo}').map((call) => call.throttled)).toEqual([false, false, true]);
  });
});

describe('sandbox GitHub: deployments', () => {
  it('creates a deployment, moves it in_progress → success, and a later success makes it inactive', async () => {
    const { sandbox: sb, github, octokit } = await start();
    const created = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'staging',
      required_contexts: [],
      payload: { functions: ['api'] },
    });
    expect(created.status).toBe(201);
    const first = created.data as Extract<typeof created.data, { id: number }>;
    expect(first).toMatchObject({
      id: 1,
      sha: SHA,
      ref: 'main',
      task: 'deploy',
      environment: 'staging',
      original_environment: 'staging',
      payload: { functions: ['api'] },
      transient_environment: false,
      production_environment: false,
      creator: { login: 'github-actions[bot]', type: 'Bot' },
      url: `${sb.env.GITHUB_API_URL}/repos/acme/orders/deployments/1`,
    });
    expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: first.id, state: 'in_progress', log_url: 'https://ci.example/1' });
    const success = await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: first.id,
      state: 'success',
      environment_url: 'https://staging.example',
    });
    expect(success.status).toBe(201);
    expect(success.data).toMatchObject({ state: 'success', environment: 'staging', environment_url: 'https://staging.example', deployment_url: first.url });

    const second = await octokit.rest.repos.createDeployment({ ...repo, ref: SHA, environment: 'staging', required_contexts: [] });
    const secondId = (second.data as { id: number }).id;
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: secondId, state: 'success' });

    const statuses = await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: first.id });
    expect(statuses.data.map((s) => s.state)).toEqual(['inactive', 'success', 'in_progress']);
    expect(statuses.data.at(-1)).toMatchObject({ log_url: 'https://ci.example/1', target_url: 'https://ci.example/1' });
    expect(github.deployments('acme', 'orders').map((d) => d.statuses.at(-1)?.state)).toEqual(['inactive', 'success']);

    // A production deployment is not touched by staging's, and the list is newest first with filters.
    await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', environment: 'production', required_contexts: [], task: 'deploy:migrations' });
    expect((await octokit.rest.repos.listDeployments(repo)).data.map((d) => d.id)).toEqual([3, 2, 1]);
    expect((await octokit.rest.repos.listDeployments({ ...repo, environment: 'staging' })).data.map((d) => d.id)).toEqual([2, 1]);
    expect((await octokit.rest.repos.listDeployments({ ...repo, task: 'deploy:migrations' })).data).toMatchObject([{ id: 3, production_environment: true }]);
    expect((await octokit.rest.repos.getDeployment({ ...repo, deployment_id: 2 })).data.sha).toBe(SHA);
    await expect(octokit.rest.repos.getDeployment({ ...repo, deployment_id: 99 })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: 2, state: 'done' as 'success' })).rejects.toMatchObject({ status: 422 });
    expect(sb.server.calls('github', 'POST /repos/{owner}/{repo}/deployments')).toHaveLength(3);
  });

  it('checks the commit statuses and check runs of the ref unless required_contexts is []', async () => {
    const { github, octokit } = await start();
    github.setCommitStatus('acme', 'orders', SHA, { state: 'failure', context: 'ci/test' });
    github.setCommitStatus('acme', 'orders', SHA, { state: 'success', context: 'lint' });
    github.addCheckRun('acme', 'orders', { name: 'build', headSha: SHA, conclusion: 'success' });

    const conflict = await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', environment: 'production' }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({
      status: 409,
      response: {
        data: {
          message: 'Conflict: Commit status checks failed for main.',
          errors: [
            {
              resource: 'Deployment',
              field: 'required_contexts',
              code: 'invalid',
              contexts: [
                { context: 'lint', state: 'success' },
                { context: 'ci/test', state: 'failure' },
                { context: 'build', state: 'success' },
              ],
            },
          ],
        },
      },
    });
    expect((await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: [] })).status).toBe(201);
    expect((await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: ['lint', 'build'] })).status).toBe(201);
    await expect(octokit.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: ['e2e'] })).rejects.toMatchObject({ status: 409 });

    // A fixed status, but a check run still in progress, still blocks; once it completes the deployment goes.
    github.setCommitStatus('acme', 'orders', SHA, { state: 'success', context: 'ci/test' });
    github.addCheckRun('acme', 'orders', { name: 'e2e', headSha: SHA, status: 'in_progress' });
    await expect(octokit.rest.repos.createDeployment({ ...repo, ref: 'main' })).rejects.toMatchObject({ status: 409 });
    github.addCheckRun('acme', 'orders', { name: 'e2e', headSha: SHA, conclusion: 'success' });
    expect((await octokit.rest.repos.createDeployment({ ...repo, ref: 'main' })).status).toBe(201);

    await expect(octokit.rest.repos.createDeployment({ ...repo, ref: 'no-such-branch' })).rejects.toMatchObject({
      status: 422,
      response: { data: { message: 'No ref found for: no-such-branch' } },
    });
  });
});

describe('sandbox GitHub: commit statuses and check runs', () => {
  it('combines the newest status per context: failure beats pending beats success', async () => {
    const { octokit } = await start();
    const combined = async () => (await octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: 'main' })).data;
    expect(await combined()).toMatchObject({ state: 'pending', total_count: 0, statuses: [], sha: SHA });

    const created = await octokit.rest.repos.createCommitStatus({
      ...repo,
      sha: SHA,
      state: 'pending',
      context: 'ci/test',
      target_url: 'https://ci.example/run/1',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      state: 'pending',
      context: 'ci/test',
      target_url: 'https://ci.example/run/1',
      creator: { login: 'github-actions[bot]' },
    });
    await octokit.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'success' });
    expect(await combined()).toMatchObject({ state: 'pending', total_count: 2 });
    await octokit.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'error', context: 'ci/test' });
    expect((await combined()).state).toBe('failure');
    await octokit.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'success', context: 'ci/test' });
    const done = await combined();
    expect(done).toMatchObject({ state: 'success', total_count: 2 });
    expect(done.statuses.map((s) => `${s.context}:${s.state}`)).toEqual(['ci/test:success', 'default:success']);

    const all = await octokit.rest.repos.listCommitStatusesForRef({ ...repo, ref: SHA });
    expect(all.data.map((s) => s.state)).toEqual(['success', 'error', 'success', 'pending']);
    await expect(octokit.rest.repos.createCommitStatus({ ...repo, sha: 'abc', state: 'success' })).rejects.toMatchObject({ status: 422 });
  });

  it('creates and updates check runs and lists the latest per name with filters', async () => {
    const { octokit } = await start();
    const build = await octokit.rest.checks.create({ ...repo, name: 'build', head_sha: SHA, status: 'in_progress' });
    expect(build.status).toBe(201);
    expect(build.data).toMatchObject({ name: 'build', head_sha: SHA, status: 'in_progress', conclusion: null, completed_at: null });
    const updated = await octokit.rest.checks.update({
      ...repo,
      check_run_id: build.data.id,
      conclusion: 'success',
      output: { title: 'Built', summary: '3 bundles' },
    });
    expect(updated.data).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Built', summary: '3 bundles', annotations_count: 0 } });
    expect(updated.data.completed_at).not.toBeNull();

    await octokit.rest.checks.create({ ...repo, name: 'test', head_sha: SHA, conclusion: 'failure' });
    await octokit.rest.checks.create({ ...repo, name: 'test', head_sha: SHA, status: 'queued' });
    await octokit.rest.checks.create({ ...repo, name: 'other-commit', head_sha: SHA2, conclusion: 'success' });

    const latest = await octokit.rest.checks.listForRef({ ...repo, ref: 'main' });
    expect(latest.data.total_count).toBe(2);
    expect(latest.data.check_runs.map((run) => `${run.name}:${run.status}`)).toEqual(['test:queued', 'build:completed']);
    expect((await octokit.rest.checks.listForRef({ ...repo, ref: SHA, filter: 'all' })).data.total_count).toBe(3);
    expect((await octokit.rest.checks.listForRef({ ...repo, ref: SHA, check_name: 'build' })).data.check_runs).toHaveLength(1);
    expect(
      (await octokit.rest.checks.listForRef({ ...repo, ref: SHA, status: 'completed', filter: 'all' })).data.check_runs.map((run) => run.conclusion),
    ).toEqual(['failure', 'success']);
    await expect(octokit.rest.checks.create({ ...repo, name: 'x', head_sha: SHA, status: 'completed' })).rejects.toMatchObject({ status: 422 });
  });
});

describe('sandbox GitHub: pull requests, reviews, comments', () => {
  it('reads seeded pull requests and reviews, and records a review', async () => {
    const { github, octokit } = await start();
    github.addPullRequest('acme', 'orders', { number: 7, headSha: SHA2, headRef: 'feature/x', baseRef: 'main', user: 'alice' });
    github.addPullRequest('acme', 'orders', { number: 5, headSha: SHA, headRef: 'old', baseRef: 'main', state: 'merged' });
    github.addReview('acme', 'orders', 7, { user: 'bob', state: 'CHANGES_REQUESTED', body: 'needs tests' });
    github.addReview('acme', 'orders', 7, { user: 'carol', state: 'APPROVED', commitId: SHA2 });

    const pr = (await octokit.rest.pulls.get({ ...repo, pull_number: 7 })).data;
    expect(pr).toMatchObject({
      number: 7,
      state: 'open',
      merged: false,
      user: { login: 'alice', type: 'User' },
      head: { ref: 'feature/x', sha: SHA2 },
      base: { ref: 'main', sha: SHA },
    });
    expect(pr.html_url).toBe('https://github.com/acme/orders/pull/7');
    expect((await octokit.rest.pulls.get({ ...repo, pull_number: 5 })).data).toMatchObject({ state: 'closed', merged: true });
    expect((await octokit.rest.pulls.list(repo)).data.map((p) => p.number)).toEqual([7]);
    // Newest first: #5 was seeded after #7.
    expect((await octokit.rest.pulls.list({ ...repo, state: 'all' })).data.map((p) => p.number)).toEqual([5, 7]);
    await expect(octokit.rest.pulls.get({ ...repo, pull_number: 99 })).rejects.toMatchObject({ status: 404 });

    const approved = await octokit.rest.pulls.createReview({ ...repo, pull_number: 7, event: 'APPROVE' });
    expect(approved.status).toBe(200);
    expect(approved.data).toMatchObject({ state: 'APPROVED', user: { login: 'github-actions[bot]' }, commit_id: SHA2 });
    await expect(octokit.rest.pulls.createReview({ ...repo, pull_number: 7, event: 'REQUEST_CHANGES' })).rejects.toMatchObject({ status: 422 });

    const firstPage = await octokit.rest.pulls.listReviews({ ...repo, pull_number: 7, per_page: 2 });
    expect(firstPage.data.map((r) => r.state)).toEqual(['CHANGES_REQUESTED', 'APPROVED']);
    expect(firstPage.headers.link).toContain('rel="next"');
    const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { ...repo, pull_number: 7, per_page: 2 });
    expect(reviews.map((r) => `${r.user?.login}:${r.state}`)).toEqual(['bob:CHANGES_REQUESTED', 'carol:APPROVED', 'github-actions[bot]:APPROVED']);
  });

  it('creates, updates, pages and deletes issue comments; rejects a body over 65536 characters', async () => {
    const { sandbox: sb, github, octokit } = await start();
    github.addPullRequest('acme', 'orders', { number: 12, headSha: SHA2, headRef: 'feature/y', baseRef: 'main' });
    const created = await octokit.rest.issues.createComment({ ...repo, issue_number: 12, body: 'Deploying…' });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      body: 'Deploying…',
      user: { login: 'github-actions[bot]', type: 'Bot' },
      html_url: `https://github.com/acme/orders/pull/12#issuecomment-${created.data.id}`,
    });
    const updated = await octokit.rest.issues.updateComment({ ...repo, comment_id: created.data.id, body: 'Deployed ✅' });
    expect(updated.data).toMatchObject({ id: created.data.id, body: 'Deployed ✅' });

    for (let i = 1; i <= 129; i++) await octokit.rest.issues.createComment({ ...repo, issue_number: 12, body: `comment ${i}` });
    const page1 = await octokit.rest.issues.listComments({ ...repo, issue_number: 12 });
    expect(page1.data).toHaveLength(30);
    expect(page1.headers.link).toMatch(/page=2>; rel="next", <[^>]+page=5>; rel="last"/);
    const all = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: 12, per_page: 100 });
    expect(all).toHaveLength(130);
    expect(all[0]!.body).toBe('Deployed ✅');
    expect(all.at(-1)!.body).toBe('comment 129');
    expect(sb.server.calls('github', 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments')).toHaveLength(3);

    const tooLong = await octokit.rest.issues.createComment({ ...repo, issue_number: 12, body: 'x'.repeat(65537) }).catch((e: unknown) => e);
    expect(tooLong).toMatchObject({
      status: 422,
      response: {
        data: {
          message: 'Validation Failed',
          errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }],
        },
      },
    });
    expect((await octokit.rest.issues.createComment({ ...repo, issue_number: 12, body: 'x'.repeat(65536) })).status).toBe(201);
    await expect(octokit.rest.issues.createComment({ ...repo, issue_number: 404, body: 'hi' })).rejects.toMatchObject({ status: 404 });

    expect((await octokit.rest.issues.deleteComment({ ...repo, comment_id: created.data.id })).status).toBe(204);
    expect(github.comments('acme', 'orders', 12)).toHaveLength(130);
    await expect(octokit.rest.issues.getComment({ ...repo, comment_id: created.data.id })).rejects.toMatchObject({ status: 404 });
  });
});

describe('sandbox GitHub: environments and branches', () => {
  it('reads seeded protection rules and updates an environment with PUT', async () => {
    const { github, octokit } = await start();
    github.setEnvironment('acme', 'orders', 'production', { requiredReviewers: ['alice', 'bob'], protectedBranchesOnly: true });
    const production = (await octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'production' })).data;
    expect(production).toMatchObject({ name: 'production', deployment_branch_policy: { protected_branches: true, custom_branch_policies: false } });
    const reviewersRule = production.protection_rules?.find((rule) => rule.type === 'required_reviewers') as {
      reviewers?: Array<{ type: string; reviewer: { login: string } }>;
    };
    expect(reviewersRule.reviewers?.map((r) => `${r.type}:${r.reviewer.login}`)).toEqual(['User:alice', 'User:bob']);
    expect(production.protection_rules?.map((rule) => rule.type)).toEqual(['required_reviewers', 'branch_policy']);

    const put = await octokit.rest.repos.createOrUpdateEnvironment({ ...repo, environment_name: 'staging', wait_timer: 30, deployment_branch_policy: null });
    expect(put.status).toBe(200);
    expect(put.data).toMatchObject({ name: 'staging', deployment_branch_policy: null, protection_rules: [{ type: 'wait_timer', wait_timer: 30 }] });
    await expect(
      octokit.rest.repos.createOrUpdateEnvironment({
        ...repo,
        environment_name: 'x',
        deployment_branch_policy: { protected_branches: true, custom_branch_policies: true },
      }),
    ).rejects.toMatchObject({ status: 422 });

    // A deployment to an environment nobody created creates it, as on GitHub.
    await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', environment: 'preview-12', required_contexts: [], transient_environment: true });
    const listed = (await octokit.rest.repos.getAllEnvironments(repo)).data;
    expect(listed.total_count).toBe(3);
    expect(listed.environments?.map((e) => e.name)).toEqual(['production', 'staging', 'preview-12']);
    await expect(octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'qa' })).rejects.toMatchObject({ status: 404 });
  });

  it('gets branches (a slash in the name included) and commits by ref', async () => {
    const { github, octokit } = await start();
    github.setBranch('acme', 'orders', 'release/1.x', SHA2);
    expect((await octokit.rest.repos.getBranch({ ...repo, branch: 'release/1.x' })).data).toMatchObject({
      name: 'release/1.x',
      commit: { sha: SHA2 },
      protected: false,
    });
    expect((await octokit.rest.repos.getBranch({ ...repo, branch: 'main' })).data.protected).toBe(true);
    await expect(octokit.rest.repos.getBranch({ ...repo, branch: 'gone' })).rejects.toMatchObject({
      status: 404,
      response: { data: { message: 'Branch not found' } },
    });
    expect((await octokit.rest.repos.getCommit({ ...repo, ref: 'release/1.x' })).data.sha).toBe(SHA2);
    expect((await octokit.rest.repos.getCommit({ ...repo, ref: SHA2.slice(0, 7) })).data.sha).toBe(SHA2);
    expect((await octokit.rest.repos.listBranches(repo)).data.map((b) => b.name)).toEqual(['main', 'release/1.x']);
  });
});

describe('sandbox GitHub: identities', () => {
  it('records who made each record from the token: a user, another app, GitHub Actions; only apps create check runs', async () => {
    const { sandbox: sb, github, octokit } = await start();
    const as = (owner: Parameters<GitHubService['addToken']>[0]) => getOctokit(github.addToken(owner), { baseUrl: sb.env.GITHUB_API_URL });
    const mallory = as({ user: 'mallory' });
    const releaseApp = as({ app: { id: 4242, slug: 'release-app', name: 'Release App' } });

    const status = await mallory.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'success', context: 'test' });
    expect(status.data.creator).toMatchObject({ login: 'mallory', type: 'User' });
    const byUser = (await mallory.rest.repos.createDeployment({ ...repo, ref: 'main', environment: 'qa', required_contexts: [] })).data as { id: number };
    const userStatus = await mallory.rest.repos.createDeploymentStatus({ ...repo, deployment_id: byUser.id, state: 'success' });
    expect(userStatus.data.creator).toMatchObject({ login: 'mallory' });
    expect((await octokit.rest.repos.getDeployment({ ...repo, deployment_id: byUser.id })).data).toMatchObject({
      creator: { login: 'mallory', type: 'User' },
      performed_via_github_app: null,
    });
    const denied = await mallory.rest.checks.create({ ...repo, name: 'test', head_sha: SHA, conclusion: 'success' }).catch((e: unknown) => e);
    expect(denied).toMatchObject({
      status: 403,
      response: {
        data: { message: 'You must authenticate via a GitHub App.', documentation_url: 'https://docs.github.com/rest/checks/runs#create-a-check-run' },
      },
    });

    const byBot = (await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', environment: 'qa', required_contexts: [] })).data as { id: number };
    expect((await octokit.rest.repos.getDeployment({ ...repo, deployment_id: byBot.id })).data).toMatchObject({
      creator: { login: 'github-actions[bot]', type: 'Bot' },
      performed_via_github_app: { id: 15368, slug: 'github-actions' },
    });
    const actionsRun = await octokit.rest.checks.create({ ...repo, name: 'test', head_sha: SHA, conclusion: 'success' });
    expect(actionsRun.data.app).toMatchObject({ id: 15368, slug: 'github-actions', name: 'GitHub Actions', owner: { login: 'github' } });
    const appRun = await releaseApp.rest.checks.create({ ...repo, name: 'test', head_sha: SHA, conclusion: 'success' });
    expect(appRun.data.app).toMatchObject({ id: 4242, slug: 'release-app', name: 'Release App' });
    expect(appRun.data.check_suite?.id).not.toBe(actionsRun.data.check_suite?.id);
    const byApp = (await releaseApp.rest.repos.createDeployment({ ...repo, ref: 'main', environment: 'qa', required_contexts: [] })).data as { id: number };
    expect((await octokit.rest.repos.getDeployment({ ...repo, deployment_id: byApp.id })).data.creator).toMatchObject({
      login: 'release-app[bot]',
      type: 'Bot',
    });
  });

  it("puts a workflow token's check runs in its run's suite only on the run's own commit; lists runs by check suite", async () => {
    const { sandbox: sb, github, octokit } = await start();
    github.setBranch('acme', 'orders', 'feature/x', SHA2);
    const run = github.addWorkflowRun('acme', 'orders', { headSha: SHA2, path: '.github/workflows/ci.yml', name: 'CI' });
    const runToken = getOctokit(github.addToken({ workflowRun: run.id }), { baseUrl: sb.env.GITHUB_API_URL });

    const own = await runToken.rest.checks.create({ ...repo, name: 'test', head_sha: SHA2, conclusion: 'success' });
    expect(own.data.check_suite?.id).toBe(run.checkSuiteId);
    const elsewhere = await runToken.rest.checks.create({ ...repo, name: 'test', head_sha: SHA, conclusion: 'success' });
    expect(elsewhere.data.check_suite?.id).not.toBe(run.checkSuiteId);

    const byOwnSuite = await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, check_suite_id: run.checkSuiteId });
    expect(byOwnSuite.data.total_count).toBe(1);
    expect(byOwnSuite.data.workflow_runs[0]).toMatchObject({
      id: run.id,
      name: 'CI',
      path: '.github/workflows/ci.yml',
      event: 'push',
      head_sha: SHA2,
      head_branch: 'feature/x',
      status: 'completed',
      conclusion: 'success',
      check_suite_id: run.checkSuiteId,
      repository: { full_name: 'acme/orders' },
      head_repository: { full_name: 'acme/orders' },
    });
    expect((await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, check_suite_id: elsewhere.data.check_suite!.id })).data.total_count).toBe(0);
    expect((await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: run.id })).data.head_sha).toBe(SHA2);
    await expect(octokit.rest.actions.getWorkflowRun({ ...repo, run_id: 999 })).rejects.toMatchObject({ status: 404 });

    // A fork's pull request runs in this repository with the fork as head repository.
    const fork = github.addWorkflowRun('acme', 'orders', { headSha: SHA2, event: 'pull_request', headRepository: 'mallory/orders' });
    expect((await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: fork.id })).data.head_repository.full_name).toBe('mallory/orders');

    // The seeding API makes a check run as a job does: in a workflow run on its commit.
    const seeded = github.addCheckRun('acme', 'orders', { name: 'security', headSha: SHA, conclusion: 'success' });
    const seededRun = (await octokit.rest.actions.listWorkflowRunsForRepo({ ...repo, check_suite_id: seeded.checkSuiteId })).data.workflow_runs[0];
    expect(seededRun).toMatchObject({ head_sha: SHA, head_branch: 'main' });
  });
});

describe('sandbox GitHub: commit graph, compare, tags', () => {
  const A = '1'.repeat(40);
  const B = '2'.repeat(40);
  const C = '3'.repeat(40);
  const D = '4'.repeat(40);
  const ORPHAN = '5'.repeat(40);

  it('compares two refs from the graph: identical, ahead, behind, diverged, or 404 without common history', async () => {
    const { github, octokit } = await start();
    github.addCommit('acme', 'orders', A);
    github.addCommit('acme', 'orders', B, { parents: [A] });
    github.addCommit('acme', 'orders', C, { parents: [B], message: 'Add the router' });
    github.addCommit('acme', 'orders', D, { parents: [B] });
    github.setBranch('acme', 'orders', 'main', C);
    github.setBranch('acme', 'orders', 'feature/x', D);
    github.setBranch('acme', 'orders', 'orphan', ORPHAN);
    github.setTag('acme', 'orders', 'v1.0.0', D);
    expect(() => github.addCommit('acme', 'orders', '6'.repeat(40), { parents: ['7'.repeat(40)] })).toThrow('is not in the graph');

    const compare = async (basehead: string) => (await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead })).data;
    expect(await compare(`main...${C}`)).toMatchObject({ status: 'identical', ahead_by: 0, behind_by: 0, total_commits: 0, commits: [] });
    expect(await compare(`main...${A}`)).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2 });
    expect(await compare(`${A}...main`)).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0 });
    const diverged = await compare('main...feature/x');
    expect(diverged).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 1, base_commit: { sha: C }, merge_base_commit: { sha: B } });
    expect(diverged.commits.map((commit) => commit.sha)).toEqual([D]);
    expect(diverged.html_url).toBe('https://github.com/acme/orders/compare/main...feature%2Fx');
    expect((await octokit.rest.repos.compareCommits({ ...repo, base: 'main', head: 'v1.0.0' })).data.status).toBe('diverged');
    await expect(compare(`main...${ORPHAN}`)).rejects.toMatchObject({
      status: 404,
      response: {
        data: {
          message: `No common ancestor between main and ${ORPHAN}.`,
          documentation_url: 'https://docs.github.com/rest/commits/commits#compare-two-commits',
        },
      },
    });
    await expect(compare(`nope...${C}`)).rejects.toMatchObject({ status: 404, response: { data: { message: 'Not Found' } } });

    expect((await octokit.rest.repos.listTags(repo)).data).toMatchObject([{ name: 'v1.0.0', commit: { sha: D } }]);
    const commit = (await octokit.rest.repos.getCommit({ ...repo, ref: 'main' })).data;
    expect(commit).toMatchObject({ sha: C, commit: { message: 'Add the router' }, parents: [{ sha: B }] });
    expect((await octokit.rest.repos.getCommit({ ...repo, ref: 'v1.0.0' })).data.sha).toBe(D);
  });
});

describe('sandbox GitHub: environment protection rules and deployment branch policies', () => {
  it('reports required reviewers with prevent_self_review, the wait timer and the branch policy; manages custom policies', async () => {
    const { github, octokit } = await start();
    github.setEnvironment('acme', 'orders', 'prod', {
      requiredReviewers: ['alice'],
      preventSelfReview: true,
      waitTimer: 10,
      branchPolicies: [{ name: 'main' }, { name: 'v*', type: 'tag' }],
    });
    const prod = (await octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'prod' })).data;
    expect(prod.deployment_branch_policy).toEqual({ protected_branches: false, custom_branch_policies: true });
    expect(prod.protection_rules).toMatchObject([
      { type: 'wait_timer', wait_timer: 10 },
      { type: 'required_reviewers', prevent_self_review: true, reviewers: [{ type: 'User', reviewer: { login: 'alice' } }] },
      { type: 'branch_policy' },
    ]);
    const policies = (await octokit.rest.repos.listDeploymentBranchPolicies({ ...repo, environment_name: 'prod' })).data;
    expect(policies.total_count).toBe(2);
    expect(policies.branch_policies.map((policy) => `${policy.name}:${policy.type}`)).toEqual(['main:branch', 'v*:tag']);

    const created = await octokit.rest.repos.createDeploymentBranchPolicy({ ...repo, environment_name: 'prod', name: 'release/*' });
    expect(created.data).toMatchObject({ name: 'release/*', type: 'branch' });
    // The same pattern again: 303 to the existing policy, which Octokit follows.
    const again = await octokit.rest.repos.createDeploymentBranchPolicy({ ...repo, environment_name: 'prod', name: 'release/*' });
    expect(again.data.id).toBe(created.data.id);
    expect((await octokit.rest.repos.deleteDeploymentBranchPolicy({ ...repo, environment_name: 'prod', branch_policy_id: created.data.id! })).status).toBe(204);
    await expect(octokit.rest.repos.getDeploymentBranchPolicy({ ...repo, environment_name: 'prod', branch_policy_id: created.data.id! })).rejects.toMatchObject(
      {
        status: 404,
      },
    );

    // Protected branches only: no name patterns, and none may be added.
    await octokit.rest.repos.createOrUpdateEnvironment({
      ...repo,
      environment_name: 'prod',
      deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
    });
    expect((await octokit.rest.repos.listDeploymentBranchPolicies({ ...repo, environment_name: 'prod' })).data.total_count).toBe(0);
    await expect(octokit.rest.repos.createDeploymentBranchPolicy({ ...repo, environment_name: 'prod', name: 'main' })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.rest.repos.listDeploymentBranchPolicies({ ...repo, environment_name: 'nope' })).rejects.toMatchObject({ status: 404 });
  });
});
