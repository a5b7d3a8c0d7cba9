/**
 * What a step knows about the workflow run it is part of, read from the runner's `GITHUB_*` variables and
 * the event payload file. Read once, explicitly, rather than through `@actions/github`'s import-time
 * `context`, so that tests and the CLI can hand in any environment.
 */
import { readFileSync } from 'node:fs';

export interface RunContext {
  /** `owner/name`; empty outside Actions. */
  repository: string;
  owner: string;
  repo: string;
  eventName: string;
  sha: string;
  ref: string;
  runId: string;
  runAttempt: string;
  job: string;
  serverUrl: string;
  /** The pull request number on pull_request events. */
  pullRequest?: number;
  /** The link to this run's log, for messages that point at "the full log". */
  runUrl: string;
}

export function readRunContext(env: NodeJS.ProcessEnv): RunContext {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const runId = env.GITHUB_RUN_ID ?? '';
  const pullRequest = pullRequestNumber(env.GITHUB_EVENT_PATH);
  return {
    repository,
    owner,
    repo,
    eventName: env.GITHUB_EVENT_NAME ?? '',
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    runId,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    job: env.GITHUB_JOB ?? '',
    serverUrl,
    ...(pullRequest === undefined ? {} : { pullRequest }),
    runUrl: repository === '' || runId === '' ? '' : `${serverUrl}/${repository}/actions/runs/${runId}`,
  };
}

function pullRequestNumber(eventPath: string | undefined): number | undefined {
  if (eventPath === undefined || eventPath === '') return undefined;
  try {
    const payload = JSON.parse(readFileSync(eventPath, 'utf8')) as { pull_request?: { number?: unknown }; number?: unknown };
    const number = payload.pull_request?.number;
    return typeof number === 'number' ? number : undefined;
  } catch {
    // No payload (a local run) means no pull request to comment on.
    return undefined;
  }
}

/** A pull request event with its number: a type guard, so `pullRequest` is known to be set afterwards. */
export function isPullRequestEvent(context: RunContext): context is RunContext & { pullRequest: number } {
  return (context.eventName === 'pull_request' || context.eventName === 'pull_request_target') && context.pullRequest !== undefined;
}
