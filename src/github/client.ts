/**
 * The one place an Octokit client is built. The API URL comes from `GITHUB_API_URL` (GitHub Enterprise
 * Server, or the local sandbox), read when the client is built rather than when `@actions/github` is
 * first imported.
 */
import { getOctokit } from '@actions/github';

export type GitHubClient = ReturnType<typeof getOctokit>;

export function createGitHubClient(token: string, env: NodeJS.ProcessEnv): GitHubClient {
  return getOctokit(token, { baseUrl: env['GITHUB_API_URL'] ?? 'https://api.github.com', userAgent: 'gantry' });
}
