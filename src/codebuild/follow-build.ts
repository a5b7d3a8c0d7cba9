/**
 * Follows a running CodeBuild build: streams its CloudWatch log into the job log, one collapsible group per
 * phase, and returns the finished build. Polling follows `poll-schedule.ts`; throttling and transient
 * errors are retried by the SDK clients' own retry strategy, not here.
 */
import { setTimeout } from 'node:timers/promises';
import { type CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, type Build, type CodeBuildClient } from '@aws-sdk/client-codebuild';
import { OperationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isComplete, phaseEntered, signalsNearEnd } from './build-status.js';
import { DEFAULT_SCHEDULE, nextLogDelay, type PollSchedule, statusDelay } from './poll-schedule.js';

export interface LogLine {
  /** When CodeBuild wrote the line (epoch ms). */
  timestamp: number;
  message: string;
}

export interface FollowOptions {
  codebuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
  logger: Logger;
  /** Aborted when the workflow is cancelled: following stops and `cancelled` comes back. */
  signal: AbortSignal;
  schedule?: PollSchedule;
  /** Called after each line is printed (the benchmark measures log latency here). */
  onLine?: (line: LogLine) => void;
  /** Called whenever a fresh view of the build arrives. */
  onBuild?: (build: Build) => void;
}

export type FollowResult = { outcome: 'complete'; build: Build } | { outcome: 'cancelled'; build: Build };

/** A drain after completion stops after this many pages even if the stream keeps answering (it should not). */
const MAX_DRAIN_PAGES = 100;

export async function followBuild(started: Build, options: FollowOptions): Promise<FollowResult> {
  const schedule = options.schedule ?? DEFAULT_SCHEDULE;
  const { codebuild, logs, logger, signal } = options;
  let build = started;
  let token: string | undefined;
  let streamFound = false;
  let nearEnd = false;
  let logDelay = schedule.logsActiveMs;
  let nextStatusAt = Date.now() + statusDelay(schedule, { streamFound, nearEnd });
  let group: string | undefined;

  const print = (line: LogLine) => {
    const message = line.message.replace(/\r?\n$/, '');
    const phase = phaseEntered(message);
    if (phase !== undefined) {
      if (group !== undefined) logger.endGroup();
      group = phase;
      logger.startGroup(phase);
    } else {
      logger.output(message);
    }
    if (!nearEnd && signalsNearEnd(message)) {
      nearEnd = true;
      // Do not sit out a quiet-time status delay: the end is seconds away.
      nextStatusAt = Math.min(nextStatusAt, Date.now() + schedule.statusEagerMs);
    }
    options.onLine?.(line);
  };

  /** One page of the log; true when it brought lines. At the end the API returns the token passed in. */
  const pollLogs = async (): Promise<{ gotLines: boolean; atEnd: boolean }> => {
    const groupName = build.logs?.groupName;
    const streamName = build.logs?.streamName;
    if (groupName === undefined || streamName === undefined) return { gotLines: false, atEnd: true };
    try {
      const page = await logs.send(
        new GetLogEventsCommand({
          logGroupName: groupName,
          logStreamName: streamName,
          startFromHead: true,
          ...(token === undefined ? {} : { nextToken: token }),
        }),
        { abortSignal: signal },
      );
      streamFound = true;
      for (const event of page.events ?? []) print({ timestamp: event.timestamp ?? Date.now(), message: event.message ?? '' });
      const atEnd = page.nextForwardToken === undefined || page.nextForwardToken === token;
      token = page.nextForwardToken ?? token;
      return { gotLines: (page.events?.length ?? 0) > 0, atEnd };
    } catch (error) {
      // The agent creates the stream when it starts downloading the source; until then there is no log.
      if (error instanceof ResourceNotFoundException) return { gotLines: false, atEnd: true };
      throw error;
    }
  };

  const pollStatus = async (): Promise<void> => {
    const { id } = build;
    if (id === undefined) throw new OperationError('the build has no id: cannot poll its status (StartBuild returned a build without one)');
    const { builds } = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }), { abortSignal: signal });
    const fresh = builds?.[0];
    if (fresh === undefined) throw new OperationError(`build ${id} disappeared: BatchGetBuilds no longer finds it`);
    build = fresh;
    options.onBuild?.(build);
  };

  try {
    while (!isComplete(build)) {
      if (signal.aborted) return { outcome: 'cancelled', build };
      const { gotLines } = await pollLogs();
      logDelay = nextLogDelay(schedule, logDelay, gotLines);
      if (Date.now() >= nextStatusAt) {
        await pollStatus();
        nextStatusAt = Date.now() + statusDelay(schedule, { streamFound, nearEnd });
        if (isComplete(build)) break;
      }
      // A cancelled workflow ends the wait at once (it rejects; the catch below turns that into `cancelled`).
      await setTimeout(Math.max(0, Math.min(logDelay, nextStatusAt - Date.now())), undefined, { signal });
    }
    // The build is done: read the rest of its log, up to the same-token end.
    for (let page = 0; page < MAX_DRAIN_PAGES; page++) {
      if ((await pollLogs()).atEnd) break;
    }
    return { outcome: 'complete', build };
  } catch (error) {
    if (signal.aborted) return { outcome: 'cancelled', build };
    throw error;
  } finally {
    if (group !== undefined) logger.endGroup();
  }
}
