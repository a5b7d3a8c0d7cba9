/**
 * Reading a CodeBuild build: is it done, did it succeed, and if not, which phase failed and why. Pure.
 */
import type { Build } from '@aws-sdk/client-codebuild';

export interface BuildFailure {
  status: string;
  phase: string;
  message: string;
}

export function isComplete(build: Build): boolean {
  return build.buildComplete === true || (build.buildStatus !== undefined && build.buildStatus !== 'IN_PROGRESS');
}

/** The first phase that did not succeed, as CodeBuild's console shows it; undefined for a successful build. */
export function buildFailure(build: Build): BuildFailure | undefined {
  if (build.buildStatus === 'SUCCEEDED' || build.buildStatus === 'IN_PROGRESS' || build.buildStatus === undefined) return undefined;
  const phase = build.phases?.find((candidate) => candidate.phaseStatus !== undefined && candidate.phaseStatus !== 'SUCCEEDED');
  const context = phase?.contexts?.find((candidate) => (candidate.message ?? '') !== '' || (candidate.statusCode ?? '') !== '');
  const message = [context?.statusCode, context?.message].filter((part) => part !== undefined && part !== '').join(': ');
  return {
    status: build.buildStatus,
    phase: phase?.phaseType ?? build.currentPhase ?? 'UNKNOWN',
    message: message === '' ? 'no message from CodeBuild' : message,
  };
}

export function describeFailure(build: Build): string {
  const failure = buildFailure(build);
  if (failure === undefined) return `build ${build.id ?? '?'} ${build.buildStatus ?? 'is in an unknown state'}`;
  const link = usableLogLink(build);
  const log = link === undefined ? '' : ` (log: ${link})`;
  return `build ${build.id ?? '?'} ${failure.status} in ${failure.phase}: ${failure.message}${log}`;
}

/**
 * The link to the build's CloudWatch log, once CodeBuild names the log. Until the build has created its log
 * stream CodeBuild answers with no `groupName`, a `deepLink` to `group=null;stream=null` and a
 * `log-group:null:log-stream:null` ARN: no link at all is better than one to nothing.
 */
export function usableLogLink(build: Build): string | undefined {
  const logs = build.logs;
  const link = logs?.deepLink;
  if (link === undefined || link === '' || !named(logs?.groupName)) return undefined;
  if (logs?.streamName !== undefined && !named(logs.streamName)) return undefined;
  return /(?:^|[#;?&:])(?:group|stream)=(?:null)?(?:[;&]|$)/.test(link) ? undefined : link;
}

const named = (name: string | undefined): boolean => name !== undefined && name !== '' && name !== 'null';

/**
 * The build's page in the CodeBuild console, where a person can stop it: from its ARN (account, partition)
 * when known, else from its id and the region.
 */
export function buildConsoleLink(build: Pick<Build, 'id' | 'arn' | 'projectName'>, region: string): string {
  const id = build.id ?? '';
  const project = build.projectName ?? id.split(':')[0] ?? '';
  const [, partition = 'aws', , arnRegion = '', account = ''] = (build.arn ?? '').split(':');
  const where = arnRegion === '' ? region : arnRegion;
  const host = CONSOLE_HOSTS[partition] ?? 'console.aws.amazon.com';
  const accountPath = /^\d{12}$/.test(account) ? `${account}/` : '';
  return `https://${where}.${host}/codesuite/codebuild/${accountPath}projects/${encodeURIComponent(project)}/build/${encodeURIComponent(id)}/?region=${where}`;
}

const CONSOLE_HOSTS: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

export function exportedVariables(build: Build): Record<string, string> {
  return Object.fromEntries((build.exportedEnvironmentVariables ?? []).map((variable) => [variable.name ?? '', variable.value ?? '']));
}

/** `[Container] 2026/11/25 14:52:24.123456 Entering phase BUILD` → `BUILD`. */
export function phaseEntered(message: string): string | undefined {
  return /^\[Container\] \S+ \S+ Entering phase (\w+)\s*$/.exec(message)?.[1];
}

/**
 * After POST_BUILD, or once a phase has failed, the build is seconds from done: poll its status quickly
 * from then on.
 */
export function signalsNearEnd(message: string): boolean {
  return /^\[Container\] \S+ \S+ (Phase complete: POST_BUILD|Phase complete: \w+ State: (?!SUCCEEDED)|Entering phase (UPLOAD_ARTIFACTS|FINALIZING))/.test(
    message,
  );
}
