/**
 * The version-prune planner. Pure: an inventory in, the versions to delete (and why every other version is
 * kept) out. Nothing here calls AWS; the same function plans the run and re-plans a function whose
 * protections changed by the time of its deletions.
 *
 * A version is deleted only when it is a numbered version, outside the newest `keep`, and nothing that can
 * send it traffic protects it. Protected, each for its own reason: `$LATEST`, `$LATEST.PUBLISHED`, the version
 * an alias points to, the additional versions of a weighted alias (RoutingConfig.AdditionalVersionWeights,
 * whatever the weight), versions with provisioned concurrency, versions named by an event source mapping's
 * qualified ARN, and versions a protect list names. A scaling config is a setting, not a reference that
 * sends traffic: every Managed Instances version runs with one (the service's default, or the one warmup
 * applies to each new version), so it protects nothing. Version numbers are compared as numbers (`10` is newer than `9`; `007` names version 7).
 */
import { versionRanges } from './report.js';

export const LATEST = '$LATEST';
export const LATEST_PUBLISHED = '$LATEST.PUBLISHED';

/** Why a version is kept. Some carry a detail after a colon: `alias:live`, `weighted-alias:canary`. */
export type KeepReason =
  | '$LATEST'
  | '$LATEST.PUBLISHED'
  | 'newest'
  | `alias:${string}`
  | `weighted-alias:${string}`
  | 'provisioned-concurrency'
  | `event-source-mapping:${string}`
  | 'protect-list'
  | 'unrecognized-version';

export interface AliasRouting {
  name: string;
  functionVersion: string;
  /** RoutingConfig.AdditionalVersionWeights: version → weight. */
  weights: Record<string, number>;
}

export interface FunctionInventory {
  functionName: string;
  /** The function's short name in the config file, when it has one (protect lists may use either). */
  shortName?: string;
  /** Versions as listed: numbered versions, `$LATEST.PUBLISHED`, possibly `$LATEST`. */
  versions: string[];
  aliases: AliasRouting[];
  /** Qualifiers (versions or aliases) with a provisioned concurrency config. */
  provisioned: string[];
  /** Event source mappings on a qualified ARN of this function: the qualifier and the mapping's UUID. */
  eventSourceMappings: { qualifier: string; uuid: string }[];
}

/** What can send a function's versions traffic, as listed: re-read right before its deletions. */
export type Protections = Pick<FunctionInventory, 'aliases' | 'provisioned' | 'eventSourceMappings'>;

export interface PlanRules {
  /** Newest numbered versions kept per function, besides every protected version. */
  keep: number;
  /** Entries `<function>:<version>`, the function by short name or AWS name. */
  protect: readonly string[];
}

export interface KeptVersion {
  version: string;
  reasons: KeepReason[];
}

export interface FunctionPlan {
  functionName: string;
  shortName?: string;
  /** Every listed version that stays, oldest first, each with all its reasons. */
  kept: KeptVersion[];
  /** Versions to delete, oldest first. */
  delete: string[];
}

export interface PrunePlan {
  keep: number;
  functions: FunctionPlan[];
}

/** Numbered versions in canonical form (`007` → `7`), or undefined for anything else. */
export function versionNumber(version: string): bigint | undefined {
  return /^\d+$/.test(version) ? BigInt(version) : undefined;
}

function canonical(version: string): string {
  const number = versionNumber(version);
  return number === undefined ? version : number.toString();
}

/** Lambda's order: `$LATEST`, numbered versions by number, `$LATEST.PUBLISHED`, anything else by name. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string) => (v === LATEST ? 0 : versionNumber(v) !== undefined ? 1 : v === LATEST_PUBLISHED ? 2 : 3);
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  const [na, nb] = [versionNumber(a), versionNumber(b)];
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The versions of one function a protect list names (canonical numbers). */
export function protectedByList(fn: Pick<FunctionInventory, 'functionName' | 'shortName'>, protect: readonly string[]): Set<string> {
  const names = new Set([fn.functionName, ...(fn.shortName === undefined ? [] : [fn.shortName])]);
  const versions = new Set<string>();
  for (const entry of protect) {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) continue;
    if (names.has(entry.slice(0, colon))) versions.add(canonical(entry.slice(colon + 1)));
  }
  return versions;
}

/** Plans one function. */
export function planFunction(fn: FunctionInventory, rules: PlanRules): FunctionPlan {
  const reasons = new Map<string, Set<KeepReason>>();
  const versions = [...new Set(fn.versions.map(canonical))].sort(compareVersions);
  for (const version of versions) reasons.set(version, new Set());
  const add = (version: string, reason: KeepReason) => reasons.get(canonical(version))?.add(reason);

  const numbered = versions.filter((version) => versionNumber(version) !== undefined);
  for (const version of numbered.slice(Math.max(0, numbered.length - Math.max(0, rules.keep)))) add(version, 'newest');
  for (const version of versions) {
    if (version === LATEST) add(version, '$LATEST');
    else if (version === LATEST_PUBLISHED) add(version, '$LATEST.PUBLISHED');
    else if (versionNumber(version) === undefined) add(version, 'unrecognized-version');
  }
  for (const alias of fn.aliases) {
    add(alias.functionVersion, `alias:${alias.name}`);
    for (const version of Object.keys(alias.weights)) add(version, `weighted-alias:${alias.name}`);
  }
  for (const qualifier of fn.provisioned) add(qualifier, 'provisioned-concurrency');
  for (const mapping of fn.eventSourceMappings) add(mapping.qualifier, `event-source-mapping:${mapping.uuid}`);
  for (const version of protectedByList(fn, rules.protect)) add(version, 'protect-list');

  const kept: KeptVersion[] = [];
  const deletions: string[] = [];
  // In version order: the map was filled from `versions`, and `add` never adds a key.
  for (const [version, reasonSet] of reasons) {
    const why = [...reasonSet].sort(compareReasons);
    if (why.length === 0) deletions.push(version);
    else kept.push({ version, reasons: why });
  }
  return { functionName: fn.functionName, ...(fn.shortName === undefined ? {} : { shortName: fn.shortName }), kept, delete: deletions };
}

/** Plans every function, in function-name order. */
export function planPrune(inventory: readonly FunctionInventory[], rules: PlanRules): PrunePlan {
  const functions = [...inventory]
    .sort((a, b) => (a.functionName < b.functionName ? -1 : a.functionName > b.functionName ? 1 : 0))
    .map((fn) => planFunction(fn, rules));
  return { keep: rules.keep, functions };
}

const REASON_ORDER = [
  '$LATEST',
  '$LATEST.PUBLISHED',
  'newest',
  'alias',
  'weighted-alias',
  'provisioned-concurrency',
  'event-source-mapping',
  'protect-list',
  'unrecognized-version',
];

function compareReasons(a: string, b: string): number {
  const rank = (reason: string) => {
    const [kind = reason] = reason.split(':');
    return REASON_ORDER.indexOf(kind);
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** True when two alias listings route to the same versions (descriptions and revision ids aside). */
export function sameRouting(a: readonly AliasRouting[], b: readonly AliasRouting[]): boolean {
  const key = (aliases: readonly AliasRouting[]) =>
    JSON.stringify(
      [...aliases]
        .map((alias) => [
          alias.name,
          canonical(alias.functionVersion),
          Object.entries(alias.weights)
            .map(([v, w]) => [canonical(v), w])
            .sort(),
        ])
        .sort(),
    );
  return key(a) === key(b);
}

/**
 * What changed between two listings of a function's protections, in words ("aliases", "provisioned
 * concurrency", "event source mappings"); empty when nothing did. Alias descriptions and revision ids, and
 * the order of any listing, do not count.
 */
export function changedProtections(before: Protections, after: Protections): string[] {
  const changed: string[] = [];
  if (!sameRouting(before.aliases, after.aliases)) changed.push('aliases');
  const key = (items: readonly string[]) => JSON.stringify([...new Set(items)].sort());
  if (key(before.provisioned.map(canonical)) !== key(after.provisioned.map(canonical))) changed.push('provisioned concurrency');
  const mappings = (protections: Protections) => protections.eventSourceMappings.map((m) => `${canonical(m.qualifier)} ${m.uuid}`);
  if (key(mappings(before)) !== key(mappings(after))) changed.push('event source mappings');
  return changed;
}

/** A protect-list entry that names nothing: its position in the list, the entry, and what is wrong. */
export interface ProtectListProblem {
  index: number;
  entry: string;
  problem: string;
}

/**
 * The protect-list entries that name a version the listing shows does not exist: a function of `listed`
 * (whose versions were listed in full) without that version, or a function of `missing` (in scope, not
 * found). Entries naming functions outside both are not judged here (the config check has already refused
 * a name that is none of the environment's functions).
 */
export function protectListProblems(
  protect: readonly string[],
  listed: readonly Pick<FunctionInventory, 'functionName' | 'shortName' | 'versions'>[],
  missing: readonly { functionName: string; shortName?: string }[],
): ProtectListProblem[] {
  const problems: ProtectListProblem[] = [];
  const named = (fn: { functionName: string; shortName?: string }, name: string) => fn.functionName === name || fn.shortName === name;
  protect.forEach((entry, index) => {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) return;
    const name = entry.slice(0, colon);
    const version = canonical(entry.slice(colon + 1));
    const gone = missing.find((fn) => named(fn, name));
    if (gone !== undefined) {
      problems.push({ index, entry, problem: `names function ${gone.functionName}, which does not exist` });
      return;
    }
    const fn = listed.find((candidate) => named(candidate, name));
    if (fn === undefined) return;
    const versions = [...new Set(fn.versions.map(canonical))].filter((v) => versionNumber(v) !== undefined).sort(compareVersions);
    if (versions.includes(version)) return;
    const has = versions.length === 0 ? 'it has no published version' : `its versions: ${versionRanges(versions)}`;
    problems.push({ index, entry, problem: `names version ${version}, which ${fn.functionName} does not have (${has})` });
  });
  return problems;
}
