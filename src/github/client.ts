/**
 * The one place an Octokit client is built. The API URL comes from `GITHUB_API_URL` (GitHub Enterprise
 * Server, or the local sandbox), read when the client is built rather than when `@actions/github` is first
 * imported. Octokit's retry plugin retries 5xx and network errors with backoff, so a blip of GitHub's
 * does not turn into a refused gate or a lost deployment status.
 */
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  /** Retries after the first attempt (the plugin's default is 3). */
  retries?: number;
}

export function createGitHubClient(token: string, env: NodeJS.ProcessEnv, options: GitHubClientOptions = {}): GitHubClient {
  return getOctokit(
    token,
    {
      baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
      userAgent: 'gantry',
      request: { retries: options.retries ?? 3 },
    },
    retry,
  );
}
