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

/** A version's place in Lambda's order: `$LATEST` first, then numbered versions numerically, then `$LATEST.PUBLISHED`. */
export function versionRank(version: string): number {
  return version === LATEST ? -2 : version === LATEST_PUBLISHED ? Number.MAX_SAFE_INTEGER : isNumberedVersion(version) ? Number(version) : -1;
}

/** Versions in Lambda's order: `$LATEST` first, then numbered versions numerically, then `$LATEST.PUBLISHED`. */
export function compareVersions(a: string, b: string): number {
  return versionRank(a) - versionRank(b) || a.localeCompare(b);
}

/** Lambda's list pages: at most 50 items. */
export const MAX_PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

/**
 * Where an item sits in its list, as a tuple compared element by element (numbers numerically, strings by code
 * unit). The list must be sorted by it, ascending.
 */
export type PageKey = readonly (string | number)[];

export function comparePageKeys(a: PageKey, b: PageKey): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * One page of a list. `Marker` is an opaque token naming the last item of the previous page (a key, not an
 * offset), so items deleted or added before the marker between two calls shift nothing: the next page starts at
 * the first item after it, whether or not that item still exists. Neither the API reference nor the model says
 * more than "the pagination token that's returned by a previous request" (ListFunctionVersionsByCapacityProvider:
 * Marker); this is the behaviour a caller that deletes while it pages (a version pruner) needs from it, and the
 * one an offset would break (issue 18: a deletion between pages skipped a remaining item).
 *
 * `MaxItems` is checked against the operation's model range before this (validation.ts); larger pages are cut
 * to `maxPageSize` (Lambda returns at most 50 functions, versions or aliases per page whatever MaxItems says).
 */
export function paginate<T>(all: readonly T[], query: URLSearchParams, keyOf: (item: T) => PageKey, maxPageSize = MAX_PAGE_SIZE): Page<T> {
  return pageFrom(
    query,
    keyOf,
    (after, count) => {
      let start = 0;
      if (after !== undefined) {
        start = all.findIndex((item) => comparePageKeys(keyOf(item), after) > 0);
        if (start === -1) start = all.length;
      }
      return all.slice(start, start + count);
    },
    maxPageSize,
  );
}

/**
 * One page as {@link paginate} makes it, from a list that can start after a key by itself (a `SortedList`,
 * sorted.ts): `take(after, count)` gives up to `count` items in key order after the marker's key (from the first
 * without a marker). It is asked for one item more than the page, to know whether there is a next page, so a page
 * costs O(page) whatever the size of the list.
 */
export function pageFrom<T>(
  query: URLSearchParams,
  keyOf: (item: T) => PageKey,
  take: (after: PageKey | undefined, count: number) => T[],
  maxPageSize = MAX_PAGE_SIZE,
): Page<T> {
  const marker = query.get('Marker');
  const after = marker !== null && marker !== '' ? decodeMarker(marker) : undefined;
  const maxItems = Number(query.get('MaxItems') ?? Number.NaN);
  const size = Number.isInteger(maxItems) && maxItems >= 1 ? Math.min(maxItems, maxPageSize) : maxPageSize;
  const taken = take(after, size + 1);
  const items = taken.slice(0, size);
  const last = items.at(-1);
  return taken.length > size && last !== undefined ? { items, nextMarker: encodeMarker(keyOf(last)) } : { items };
}

function encodeMarker(key: PageKey): string {
  return Buffer.from(JSON.stringify({ after: key })).toString('base64url');
}

function decodeMarker(marker: string): PageKey {
  try {
    const decoded = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as { after?: unknown };
    const key = decoded.after;
    if (Array.isArray(key) && key.every((part) => typeof part === 'string' || typeof part === 'number')) return key;
  } catch {
    // falls through to the error
  }
  throw new ServiceError(400, 'InvalidParameterValueException', 'Invalid Marker.');
}

/** Lambda's `LastModified` string format: `2024-01-01T00:00:00.000+0000`. */
export function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
