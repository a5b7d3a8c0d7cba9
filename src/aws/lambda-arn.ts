/**
 * Lambda ARNs, parsed and spelled in one place:
 *
 *   arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]
 *   arn:<partition>:lambda:<region>:<account>:capacity-provider:<name>
 */

export type LambdaResource = 'function' | 'capacity-provider';

export interface LambdaArn {
  /** `aws`, `aws-cn`, `aws-us-gov`, ... */
  partition: string;
  region: string;
  account: string;
  resource: LambdaResource;
  name: string;
  /** A function's version (`7`, `$LATEST`) or alias (`live`); a capacity provider has none. */
  qualifier?: string;
}

const ARN = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):(function|capacity-provider):([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9$._-]+))?$/;

/** The parts of a function or capacity provider ARN; undefined for anything else (a plain name included). */
export function parseLambdaArn(text: string): LambdaArn | undefined {
  const match = ARN.exec(text);
  if (match === null) return undefined;
  const [, partition = '', region = '', account = '', resource, name = '', qualifier] = match;
  const arn: LambdaArn = { partition, region, account, resource: resource as LambdaResource, name };
  if (qualifier === undefined) return arn;
  return arn.resource === 'function' ? { ...arn, qualifier } : undefined;
}

export function formatLambdaArn(arn: LambdaArn): string {
  const base = `arn:${arn.partition}:lambda:${arn.region}:${arn.account}:${arn.resource}:${arn.name}`;
  return arn.qualifier === undefined ? base : `${base}:${arn.qualifier}`;
}

/**
 * The name in a function or capacity provider ARN, or the text itself when it is not such an ARN: Lambda
 * takes either wherever it takes a name, so a value from an input or an API answer may be both.
 */
export function lambdaNameOf(nameOrArn: string): string {
  return parseLambdaArn(nameOrArn)?.name ?? nameOrArn;
}
