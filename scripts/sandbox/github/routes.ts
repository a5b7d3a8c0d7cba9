/**
 * Reading a GitHub request: its route, its page, its body fields.
 *
 * Routes are named as GitHub's docs and Octokit's endpoint table name them
 * (`POST /repos/{owner}/{repo}/deployments`), each with the docs page GitHub's errors point to. A request to
 * another repository route is still recorded under a template (`/repos/{owner}/{repo}/…`) so that a fault
 * rule can target it, and fails loudly instead of being mistaken for a missing resource.
 */
import { type SandboxRequest, ServiceError } from '../protocol.js';
import { notFound, unprocessable, validationFailed } from './state.js';

const DOCS = 'https://docs.github.com/rest';

const ROUTES: Array<[method: string, template: string, docs: string]> = [
  ['GET', '/repos/{owner}/{repo}', 'repos/repos#get-a-repository'],
  ['GET', '/repos/{owner}/{repo}/branches', 'branches/branches#list-branches'],
  ['GET', '/repos/{owner}/{repo}/branches/{branch}', 'branches/branches#get-a-branch'],
  ['GET', '/repos/{owner}/{repo}/commits/{ref}', 'commits/commits#get-a-commit'],
  ['GET', '/repos/{owner}/{repo}/compare/{basehead}', 'commits/commits#compare-two-commits'],
  ['GET', '/repos/{owner}/{repo}/tags', 'repos/repos#list-repository-tags'],
  ['GET', '/repos/{owner}/{repo}/commits/{ref}/status', 'commits/statuses#get-the-combined-status-for-a-specific-reference'],
  ['GET', '/repos/{owner}/{repo}/commits/{ref}/statuses', 'commits/statuses#list-commit-statuses-for-a-reference'],
  ['POST', '/repos/{owner}/{repo}/statuses/{sha}', 'commits/statuses#create-a-commit-status'],
  ['GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', 'checks/runs#list-check-runs-for-a-git-reference'],
  ['POST', '/repos/{owner}/{repo}/check-runs', 'checks/runs#create-a-check-run'],
  ['GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}', 'checks/runs#get-a-check-run'],
  ['PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', 'checks/runs#update-a-check-run'],
  ['GET', '/repos/{owner}/{repo}/actions/runs', 'actions/workflow-runs#list-workflow-runs-for-a-repository'],
  ['GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', 'actions/workflow-runs#get-a-workflow-run'],
  ['GET', '/repos/{owner}/{repo}/deployments', 'deployments/deployments#list-deployments'],
  ['POST', '/repos/{owner}/{repo}/deployments', 'deployments/deployments#create-a-deployment'],
  ['GET', '/repos/{owner}/{repo}/deployments/{deployment_id}', 'deployments/deployments#get-a-deployment'],
  ['DELETE', '/repos/{owner}/{repo}/deployments/{deployment_id}', 'deployments/deployments#delete-a-deployment'],
  ['GET', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', 'deployments/statuses#list-deployment-statuses'],
  ['POST', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', 'deployments/statuses#create-a-deployment-status'],
  ['GET', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}', 'deployments/statuses#get-a-deployment-status'],
  ['GET', '/repos/{owner}/{repo}/environments', 'deployments/environments#list-environments'],
  ['GET', '/repos/{owner}/{repo}/environments/{environment_name}', 'deployments/environments#get-an-environment'],
  ['PUT', '/repos/{owner}/{repo}/environments/{environment_name}', 'deployments/environments#create-or-update-an-environment'],
  ['DELETE', '/repos/{owner}/{repo}/environments/{environment_name}', 'deployments/environments#delete-an-environment'],
  ['GET', '/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies', 'deployments/branch-policies#list-deployment-branch-policies'],
  ['POST', '/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies', 'deployments/branch-policies#create-a-deployment-branch-policy'],
  [
    'GET',
    '/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}',
    'deployments/branch-policies#get-a-deployment-branch-policy',
  ],
  [
    'DELETE',
    '/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/{branch_policy_id}',
    'deployments/branch-policies#delete-a-deployment-branch-policy',
  ],
  ['GET', '/repos/{owner}/{repo}/pulls', 'pulls/pulls#list-pull-requests'],
  ['GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 'pulls/pulls#get-a-pull-request'],
  ['GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'pulls/reviews#list-reviews-for-a-pull-request'],
  ['POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'pulls/reviews#create-a-review-for-a-pull-request'],
  ['GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}', 'pulls/reviews#get-a-review-for-a-pull-request'],
  // The literal `comments` segment must win over `{issue_number}`: these come first.
  ['GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'issues/comments#get-an-issue-comment'],
  ['PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'issues/comments#update-an-issue-comment'],
  ['DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'issues/comments#delete-an-issue-comment'],
  ['GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'issues/comments#list-issue-comments'],
  ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'issues/comments#create-an-issue-comment'],
];

export const GITHUB_PREFIX = '/github';

export function isGitHubPath(path: string): boolean {
  return path === GITHUB_PREFIX || path.startsWith(`${GITHUB_PREFIX}/`);
}

export interface RouteMatch {
  /** `METHOD /template`: the operation name of the request record and of fault rules. */
  operation: string;
  /** Path parameters, URL-decoded (Octokit encodes a `/` in a branch name as `%2F`). */
  params: Record<string, string>;
  /** Absent for a route the sandbox does not implement. */
  docs?: string;
}

export function matchRoute(request: SandboxRequest): RouteMatch {
  const path = request.path.slice(GITHUB_PREFIX.length) || '/';
  const segments = path.split('/').filter((segment) => segment !== '');
  for (const [method, template, docs] of ROUTES) {
    if (method !== request.method) continue;
    const params = matchTemplate(template, segments);
    if (params !== undefined) return { operation: `${method} ${template}`, params, docs: `${DOCS}/${docs}` };
  }
  // Keep owner and repo out of the name, so that one fault rule or record query covers every repository.
  const [first, owner, repo, ...tail] = segments;
  if (first === 'repos' && owner !== undefined && repo !== undefined) {
    const rest = tail.map((segment) => `/${segment}`).join('');
    return { operation: `${request.method} /repos/{owner}/{repo}${rest}`, params: { owner: decode(owner), repo: decode(repo) } };
  }
  return { operation: `${request.method} ${path}`, params: {} };
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').filter((part) => part !== '');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i];
    if (part.startsWith('{') && segment !== undefined) params[part.slice(1, -1)] = decode(segment);
    else if (part !== segment) return undefined;
  }
  return params;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export interface Page<T> {
  items: T[];
  /** `Link` when there is more than one page. */
  headers: Record<string, string>;
}

/**
 * GitHub's page-number pagination: `per_page` (default 30, at most 100) and `page` (from 1), and a `Link`
 * header with absolute URLs to the prev, next, last and first pages, which `octokit.paginate` follows.
 */
export function paginate<T>(items: T[], request: SandboxRequest): Page<T> {
  const perPage = Math.min(100, positiveInt(request.query.get('per_page')) ?? 30);
  const page = positiveInt(request.query.get('page')) ?? 1;
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const pageItems = items.slice((page - 1) * perPage, page * perPage);
  const links: string[] = [];
  const link = (target: number, rel: string) => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(target));
    links.push(`<${origin(request)}${request.path}?${query.toString()}>; rel="${rel}"`);
  };
  if (page > 1) link(Math.min(page - 1, last), 'prev');
  if (page < last) {
    link(page + 1, 'next');
    link(last, 'last');
  }
  if (page > 1) link(1, 'first');
  return { items: pageItems, headers: links.length === 0 ? {} : { link: links.join(', ') } };
}

/** The sandbox's own address as the client reached it; `url` fields and `Link` pages point back here. */
export function origin(request: SandboxRequest): string {
  const host = request.headers.host;
  return `http://${typeof host === 'string' && host !== '' ? host : '127.0.0.1'}`;
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return parsed >= 1 ? parsed : undefined;
}

// ---- request bodies, with GitHub's validation messages ---------------------------------------------------------

export type Body = Record<string, unknown>;

export function readBody(request: SandboxRequest): Body {
  if (request.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new ServiceError(400, 'BadRequest', 'Problems parsing JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ServiceError(400, 'BadRequest', 'Body should be a JSON object');
  return parsed as Body;
}

/** A path id that is not a number names nothing: GitHub answers 404, not 400. */
export function id(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) throw notFound();
  return Number(value);
}

export function invalidType(key: string, value: unknown, type: string): ServiceError {
  return unprocessable(`Invalid request.\n\nFor 'properties/${key}', ${JSON.stringify(value)} is not a${/^[aeiou]/.test(type) ? 'n' : ''} ${type}.`);
}

/** `null` counts as absent: Octokit users pass `description: null` to mean "none". */
export function string(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidType(key, value, 'string');
  return value;
}

export function requireString(body: Body, key: string): string {
  const value = string(body, key);
  if (value === undefined) throw unprocessable(`Invalid request.\n\n"${key}" wasn't supplied.`);
  return value;
}

export function boolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidType(key, value, 'boolean');
  return value;
}

export function oneOf<T extends string>(body: Body, key: string, allowed: readonly T[], resource: string): T | undefined {
  const value = string(body, key);
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) throw validationFailed({ resource, field: key, code: 'invalid' });
  return value as T | undefined;
}

export function timestamp(body: Body, key: string): number | undefined {
  const value = string(body, key);
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidType(key, value, 'date-time');
  return ms;
}

/** `{ [key]: value }` when the value is defined, `{}` otherwise: optional inputs stay absent, not undefined. */
export function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
