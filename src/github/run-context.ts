/**
 * What a step knows about the workflow run it is part of, read from the runner's `GITHUB_*` variables and
 * the event payload file. Read once, explicitly, rather than through `@actions/github`'s import-time
 * `context`, so that tests and the CLI can hand in any environment.
 */
import { readFileSync } from 'node:fs';
import type { SettingsContext } from '../definition/define.js';
import { COMMIT_SHA } from '../patterns.js';

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
  const pullRequest = pullRequestOf(readEventPayload(env.GITHUB_EVENT_PATH))?.number;
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
    ...(typeof pullRequest === 'number' ? { pullRequest } : {}),
    runUrl: repository === '' || runId === '' ? '' : `${serverUrl}/${repository}/actions/runs/${runId}`,
  };
}

/** The commit a step works on when no input names one, and where it was read from (for messages). */
export type WorkflowCommit = { sha: string; from: string } | { problem: string };

/** How the docs name the default of the actions' commit inputs (source-version, sha): the README's Default column. */
export const WORKFLOW_COMMIT_DEFAULT = "the pull request's head commit (pull_request.head.sha) on pull_request events, else GITHUB_SHA";

/** The sentence the commit inputs' descriptions end with, so action.yml says it too. */
export const WORKFLOW_COMMIT_NOTE =
  "Default: on pull_request events the pull request's head commit (pull_request.head.sha), the one its checks ran on, not the merge commit GitHub makes for the run (GITHUB_SHA); on other events GITHUB_SHA.";

/**
 * The one rule for the commit codebuild-run builds and promotion-gate decides on by default. On a
 * `pull_request` event GITHUB_SHA is a merge commit GitHub made of the pull request and its base for this run
 * (`refs/pull/<n>/merge`): nobody reviewed it, no check ran on it, and it changes whenever the base moves. What
 * the pull request shows and its checks run on is its head commit. Every other event (push, workflow_dispatch,
 * and `pull_request_target`, which runs the base branch's code and must not be pointed at the head's) uses
 * GITHUB_SHA. Undefined outside a workflow run. Reads the event file; the decision is {@link commitOfEvent}.
 */
export function workflowCommit(env: NodeJS.ProcessEnv): WorkflowCommit | undefined {
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  return commitOfEvent(eventName, eventName === 'pull_request' ? readEventPayload(env.GITHUB_EVENT_PATH) : undefined, env.GITHUB_SHA);
}

/** {@link workflowCommit}'s decision, from the event's name, its payload (undefined when unreadable) and GITHUB_SHA. Pure. */
export function commitOfEvent(eventName: string, payload: unknown, githubSha: string | undefined): WorkflowCommit | undefined {
  if (eventName === 'pull_request') {
    const head = pullRequestOf(payload)?.head;
    const sha = typeof head === 'object' && head !== null ? (head as { sha?: unknown }).sha : undefined;
    if (typeof sha === 'string' && sha !== '') return { sha, from: 'pull_request.head.sha of the event' };
    // Falling back to GITHUB_SHA would build or approve the merge commit, which is not what was reviewed.
    return { problem: 'the pull_request event file (GITHUB_EVENT_PATH) has no pull_request.head.sha to default to' };
  }
  return githubSha === undefined || githubSha === '' ? undefined : { sha: githubSha, from: 'GITHUB_SHA' };
}

/**
 * The commit input (codebuild-run's source-version, promotion-gate's sha): the input, else the workflow's
 * commit ({@link workflowCommit}: a pull request's head, not GITHUB_SHA's merge commit). One rule for both
 * actions, so a pull request's gate decides on the commit its build checks out.
 */
export function commitInput(value: string | undefined, name: string, context: SettingsContext): string {
  const commit = value === undefined ? workflowCommit(context.env) : { sha: value, from: context.label(name) };
  if (commit === undefined) context.fail(name, `is required outside a workflow run: ${context.howToSet(name)} to the commit SHA`);
  if ('problem' in commit) context.fail(name, `is not set and ${commit.problem}: ${context.howToSet(name)} to the commit SHA`);
  // A branch name would let the build pick up whatever the branch points at by then: only a commit is reviewable.
  if (!COMMIT_SHA.test(commit.sha)) {
    const from = value === undefined ? ` (from ${commit.from})` : '';
    context.fail(name, `must be a full 40-character commit SHA, got "${commit.sha.slice(0, 80)}"${from}`);
  }
  return commit.sha;
}

/** The event payload the runner wrote (GITHUB_EVENT_PATH); undefined without one (a local run) or when unreadable. */
function readEventPayload(eventPath: string | undefined): unknown {
  if (eventPath === undefined || eventPath === '') return undefined;
  try {
    return JSON.parse(readFileSync(eventPath, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function pullRequestOf(payload: unknown): { number?: unknown; head?: unknown } | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const pullRequest = (payload as { pull_request?: unknown }).pull_request;
  return typeof pullRequest === 'object' && pullRequest !== null ? (pullRequest as { number?: unknown; head?: unknown }) : undefined;
}

/** A pull request event with its number: a type guard, so `pullRequest` is known to be set afterwards. */
export function isPullRequestEvent(context: RunContext): context is RunContext & { pullRequest: number } {
  return (context.eventName === 'pull_request' || context.eventName === 'pull_request_target') && context.pullRequest !== undefined;
}
