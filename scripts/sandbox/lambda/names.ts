/**
 * Names, ARNs, version ordering and pagination: the small rules every Lambda operation shares.
 */
import { ServiceError } from '../protocol.js';

export const LATEST = '$LATEST';
/** The Managed Instances version that `PublishTo: LATEST_PUBLISHED` creates or replaces. */
export const LATEST_PUBLISHED = '$LATEST.PUBLISHED';

export interface Account {
  region: string;
  accountId: string;
}

export function functionArn(account: Account, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${account.region}:${account.accountId}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}

export function capacityProviderArn(account: Account, name: string): string {
  return `arn:aws:lambda:${account.region}:${account.accountId}:capacity-provider:${name}`;
}

/** The name at the end of a capacity provider ARN, or the input when it is already a name. */
export function capacityProviderName(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? nameOrArn) : nameOrArn;
}

export interface FunctionRef {
  name: string;
  /** From the ARN or `name:qualifier`; the `Qualifier` parameter is merged by `resolveQualifier`. */
  qualifier?: string;
}

/**
 * Lambda accepts a function as a name (`my-fn`), a name with qualifier (`my-fn:live`), a partial ARN
 * (`123456789012:function:my-fn`) or a full ARN, each optionally qualified.
 */
export function parseFunctionRef(input: string): FunctionRef {
  let parts = input.split(':');
  if (parts[0] === 'arn') parts = parts.slice(6);
  else if (parts.length >= 3 && parts[1] === 'function') parts = parts.slice(2);
  const [name, qualifier] = parts;
  if (name === undefined || name === '' || parts.length > 2) {
    throw new ServiceError(400, 'InvalidParameterValueException', `Invalid function name or ARN: ${input}`);
  }
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** Merges a qualifier in the name with the `Qualifier` parameter; the two must agree (as in Lambda). */
export function resolveQualifier(ref: FunctionRef, qualifier: string | null | undefined): string | undefined {
  const param = qualifier ?? undefined;
  if (ref.qualifier !== undefined && param !== undefined && ref.qualifier !== param) {
    throw new ServiceError(400, 'InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  }
  return ref.qualifier ?? param;
}

export function isNumberedVersion(qualifier: string): boolean {
  return /^[0-9]+$/.test(qualifier);
}

/** Versions in Lambda's order: `$LATEST` first, then numbered versions numerically, then `$LATEST.PUBLISHED`. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string) => (v === LATEST ? -2 : v === LATEST_PUBLISHED ? Number.MAX_SAFE_INTEGER : isNumberedVersion(v) ? Number(v) : -1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** Lambda's list pages: at most 50 items, `Marker` is an opaque token (here: the offset). */
export const MAX_PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

export function paginate<T>(all: T[], query: URLSearchParams, maxPageSize = MAX_PAGE_SIZE): Page<T> {
  const marker = query.get('Marker');
  const maxItemsParam = query.get('MaxItems');
  let start = 0;
  if (marker !== null && marker !== '') {
    const decoded = Number(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw new ServiceError(400, 'InvalidParameterValueException', 'Invalid Marker.');
    start = decoded;
  }
  let size = maxPageSize;
  if (maxItemsParam !== null) {
    const maxItems = Number(maxItemsParam);
    if (!Number.isInteger(maxItems) || maxItems < 1) {
      throw new ServiceError(
        400,
        'InvalidParameterValueException',
        `1 validation error detected: Value '${maxItemsParam}' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    }
    size = Math.min(maxItems, maxPageSize);
  }
  const items = all.slice(start, start + size);
  const next = start + size;
  return next < all.length ? { items, nextMarker: Buffer.from(String(next)).toString('base64url') } : { items };
}

/** Lambda's `LastModified` string format: `2024-01-01T00:00:00.000+0000`. */
export function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
