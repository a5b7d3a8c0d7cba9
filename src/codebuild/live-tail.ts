/**
 * One CloudWatch Logs Live Tail session on one build's log stream (StartLiveTail, a response event stream).
 * What the API reference says a session does, and what this adapter makes of it:
 * - a `sessionStart`, then a `sessionUpdate` about every second with the events ingested since, up to 500;
 *   above 500 events a second the update is sampled (`sessionMetadata.sampled`): its events are incomplete,
 *   so the follower reads that stretch with GetLogEvents instead;
 * - the session ends with `SessionTimeoutException` after three hours, with `SessionStreamingException` on a
 *   server-side error, or when the connection breaks: `ended` says why, and the follower reconnects.
 * Sources: API_StartLiveTail.html, API_StartLiveTailResponseStream.html and the StartLiveTailCommand
 * documentation of @aws-sdk/client-cloudwatch-logs.
 */
import { type CloudWatchLogsClient, StartLiveTailCommand, type StartLiveTailResponseStream } from '@aws-sdk/client-cloudwatch-logs';
import { describeError } from '../errors.js';
import type { LogLine } from './log-printer.js';

export interface LiveTailBatch {
  lines: LogLine[];
  /** The update was sampled: lines are missing from it. */
  sampled: boolean;
}

export interface LiveTailTarget {
  /** The log group's ARN, without a trailing `:*` (StartLiveTail refuses one). */
  groupArn: string;
  stream: string;
}

export class LiveTailSession {
  readonly #batches: LiveTailBatch[] = [];
  readonly #controller: AbortController;
  #ended: string | undefined;
  #first: number | undefined;
  /** When the session was opened (Date.now()). */
  readonly openedAt = Date.now();

  private constructor(controller: AbortController) {
    this.#controller = controller;
  }

  /**
   * Starts a session; rejects with the SDK's error when StartLiveTail is refused. `wake` is called whenever
   * a batch arrives or the session ends, so the follower reacts at once instead of at its next poll.
   */
  static async open(logs: CloudWatchLogsClient, target: LiveTailTarget, signal: AbortSignal, wake: () => void): Promise<LiveTailSession> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const response = await logs.send(new StartLiveTailCommand({ logGroupIdentifiers: [target.groupArn], logStreamNames: [target.stream] }), {
        abortSignal: controller.signal,
      });
      const session = new LiveTailSession(controller);
      void session.#read(response.responseStream, wake).finally(() => signal.removeEventListener('abort', abort));
      return session;
    } catch (error) {
      signal.removeEventListener('abort', abort);
      throw error;
    }
  }

  /** Why the session ended (undefined while it runs). */
  get ended(): string | undefined {
    return this.#ended;
  }

  /** Timestamp of the first line of the first unsampled update: from there on the session has the log. */
  get firstTimestamp(): number | undefined {
    return this.#first;
  }

  /** Batches are waiting to be taken, or the session has ended. */
  get waiting(): boolean {
    return this.#batches.length > 0 || this.#ended !== undefined;
  }

  /** The batches received since the last call. */
  take(): LiveTailBatch[] {
    return this.#batches.splice(0);
  }

  close(): void {
    this.#ended ??= 'closed';
    this.#controller.abort();
  }

  async #read(stream: AsyncIterable<StartLiveTailResponseStream> | undefined, wake: () => void): Promise<void> {
    try {
      if (stream === undefined) throw new Error('StartLiveTail returned no response stream');
      for await (const item of stream) {
        if (item.sessionUpdate !== undefined) {
          const lines = (item.sessionUpdate.sessionResults ?? []).map((event) => ({ timestamp: event.timestamp ?? 0, message: event.message ?? '' }));
          const sampled = item.sessionUpdate.sessionMetadata?.sampled === true;
          if (!sampled) this.#first ??= lines[0]?.timestamp;
          this.#batches.push({ lines, sampled });
          wake();
        } else if (item.SessionTimeoutException !== undefined) {
          throw Object.assign(new Error(item.SessionTimeoutException.message ?? 'session timed out'), { name: 'SessionTimeoutException' });
        } else if (item.SessionStreamingException !== undefined) {
          throw Object.assign(new Error(item.SessionStreamingException.message ?? 'session failed'), { name: 'SessionStreamingException' });
        }
      }
      this.#ended ??= 'the session stream ended';
    } catch (error) {
      this.#ended ??= describeError(error);
    } finally {
      wake();
    }
  }
}

/**
 * Errors after which Live Tail is not tried again for this build: it is not allowed (AccessDenied), the
 * account's concurrent-session quota is used up (LimitExceeded), or the endpoint does not offer it. Anything
 * transient (throttling, 5xx, a dropped connection) is retried instead.
 */
export function liveTailRefusal(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return (
    name === 'AccessDeniedException' ||
    name === 'LimitExceededException' ||
    name === 'UnknownOperationException' ||
    name === 'InvalidOperationException' ||
    name === 'UnrecognizedClientException'
  );
}

/**
 * The log group's ARN for StartLiveTail, from the build's `logs.cloudWatchLogsArn`
 * (`arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>`).
 */
export function logGroupArn(cloudWatchLogsArn: string | undefined): string | undefined {
  const match = /^(arn:[^:]+:logs:[^:]*:[^:]*:log-group:[^:]+)(:log-stream:.*)?$/.exec(cloudWatchLogsArn ?? '');
  if (match?.[1] === undefined || match[1].endsWith(':log-group:null')) return undefined;
  return match[1];
}
