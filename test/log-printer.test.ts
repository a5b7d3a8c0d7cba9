/**
 * The build log printer: every line once, in order, whichever sources deliver it (Live Tail sessions, gap
 * fills, the poller), with overlaps at the boundary between them.
 */
import { describe, expect, it } from 'vitest';
import { liveTailRefusal, logGroupArn } from '../src/codebuild/live-tail.js';
import { type LogLine, LogPrinter } from '../src/codebuild/log-printer.js';
import { MemoryLogger } from '../src/logger.js';

const line = (timestamp: number, message: string): LogLine => ({ timestamp, message });
const agent = (text: string) => `[Container] 2026/12/02 06:00:00.000000 ${text}`;

function printer() {
  const logger = new MemoryLogger();
  const printed: LogLine[] = [];
  let nearEnd = 0;
  const log = new LogPrinter(logger, { onLine: (printedLine) => printed.push(printedLine), onNearEnd: () => nearEnd++ });
  return { logger, printed, log, nearEnd: () => nearEnd };
}

describe('LogPrinter', () => {
  it('prints a fill, then a session that overlaps it, without duplicates or gaps', () => {
    // Prepare: the fill read up to t=2; the session, opened just before, re-delivers t=2 and goes on.
    const { log, printed } = printer();
    // Act
    log.accept('fill:1', [line(1, 'a'), line(2, 'b')]);
    log.accept('live-tail', [line(2, 'b'), line(3, 'c')]);
    log.accept('live-tail', [line(4, 'd')]);
    // Assess
    expect(printed.map((printedLine) => printedLine.message)).toEqual(['a', 'b', 'c', 'd']);
    expect(log.newest).toBe(4);
  });

  it('keeps identical lines written in the same millisecond, counting per source', () => {
    const { log, printed } = printer();
    log.accept('live-tail', [line(5, ''), line(5, '')]);
    // A gap fill from t=5 returns both again and a third, new one.
    log.accept('fill:5', [line(5, ''), line(5, ''), line(5, ''), line(6, 'x')]);
    // The session then delivers the third one too: already printed.
    log.accept('live-tail', [line(5, ''), line(6, 'x')]);
    expect(printed.map((printedLine) => `${printedLine.timestamp}:${printedLine.message}`)).toEqual(['5:', '5:', '5:', '6:x']);
  });

  it('skips lines older than the newest printed one (each source reads on from where the printed log ends)', () => {
    const { log, printed } = printer();
    log.accept('fill:undefined', [line(10, 'late'), line(11, 'later')]);
    expect(log.accept('live-tail', [line(9, 'older'), line(11, 'later'), line(12, 'new')])).toBe(1);
    expect(printed.map((printedLine) => printedLine.message)).toEqual(['late', 'later', 'new']);
  });

  it('groups by phase, signals the near end once, and knows the agent has written its last line', () => {
    const { log, logger, nearEnd } = printer();
    log.accept('poll', [
      line(1, agent('Entering phase BUILD')),
      line(2, 'terraform plan\n'),
      line(3, agent('Phase complete: BUILD State: SUCCEEDED')),
      line(4, agent('Entering phase POST_BUILD')),
      line(5, agent('Phase complete: POST_BUILD State: SUCCEEDED')),
      line(6, agent('Entering phase UPLOAD_ARTIFACTS')),
    ]);
    expect(nearEnd()).toBe(1);
    expect(log.sawLastLine).toBe(false);
    log.accept('poll', [line(7, agent('Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED')), line(8, agent('Phase context status code:  Message: '))]);
    expect(log.sawLastLine).toBe(true);
    expect(nearEnd()).toBe(1);
    log.close();
    expect(logger.lines).toEqual([
      'group: BUILD',
      'terraform plan',
      agent('Phase complete: BUILD State: SUCCEEDED'),
      'endgroup',
      'group: POST_BUILD',
      agent('Phase complete: POST_BUILD State: SUCCEEDED'),
      'endgroup',
      'group: UPLOAD_ARTIFACTS',
      agent('Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED'),
      agent('Phase context status code:  Message: '),
      'endgroup',
    ]);
  });

  it("takes the agent's last line for the end only while nothing follows it (a build can print the same text)", () => {
    const { log } = printer();
    log.accept('poll', [line(1, agent('Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED')), line(2, agent('Phase context status code:  Message: '))]);
    expect(log.sawLastLine).toBe(true);
    log.accept('poll', [line(3, 'more output')]);
    expect(log.sawLastLine).toBe(false);
  });

  it('does not take a phase context line after another phase for the last line', () => {
    const { log } = printer();
    log.accept('poll', [
      line(1, agent('Phase complete: BUILD State: FAILED')),
      line(2, agent('Phase context status code: COMMAND_EXECUTION_ERROR Message: x')),
    ]);
    expect(log.sawLastLine).toBe(false);
  });
});

describe('Live Tail helpers', () => {
  it('derives the log group ARN StartLiveTail takes from the build log ARN, and none from a null-style one', () => {
    expect(logGroupArn('arn:aws:logs:eu-west-1:111111111111:log-group:/aws/codebuild/orders-dev:log-stream:orders-dev-plan/abc')).toBe(
      'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/codebuild/orders-dev',
    );
    expect(logGroupArn('arn:aws:logs:eu-west-1:111111111111:log-group:null:log-stream:null')).toBeUndefined();
    expect(logGroupArn(undefined)).toBeUndefined();
  });

  it('falls back to polling for a refusal, not for throttling', () => {
    expect(liveTailRefusal(Object.assign(new Error('x'), { name: 'AccessDeniedException' }))).toBe(true);
    expect(liveTailRefusal(Object.assign(new Error('x'), { name: 'LimitExceededException' }))).toBe(true);
    expect(liveTailRefusal(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(false);
  });
});
