/**
 * A list kept in key order, for the Lambda listings that page by key (names.ts, `PageKey`): insert and remove
 * find their place by binary search, and a page starts after a key in O(log n) and costs O(page) from there.
 * Nothing is re-sorted or scanned per call, so publishing a version or reading a page of a large account costs
 * the same as in a small one (issue 20).
 *
 * Items are stored with their key, computed once on insert. Insert and remove move the items after the place
 * (an array splice): cheap for the sizes Lambda allows per list (100 versions per capacity provider), and still
 * cheap for an append, which is what publishing in order is.
 */
import { comparePageKeys, type PageKey } from './names.js';

export class SortedList<T> {
  readonly #keys: PageKey[] = [];
  readonly #items: T[] = [];

  constructor(private readonly keyOf: (item: T) => PageKey) {}

  get size(): number {
    return this.#items.length;
  }

  /** Adds `item`, or replaces the item with the same key. */
  add(item: T): void {
    const key = this.keyOf(item);
    const at = this.#firstNotBefore(key);
    if (at < this.#keys.length && comparePageKeys(this.#keys[at] as PageKey, key) === 0) {
      this.#items[at] = item;
      return;
    }
    this.#keys.splice(at, 0, key);
    this.#items.splice(at, 0, item);
  }

  /** Removes the item with `key`; false when there was none. */
  remove(key: PageKey): boolean {
    const at = this.#firstNotBefore(key);
    if (at >= this.#keys.length || comparePageKeys(this.#keys[at] as PageKey, key) !== 0) return false;
    this.#keys.splice(at, 1);
    this.#items.splice(at, 1);
    return true;
  }

  get(key: PageKey): T | undefined {
    const at = this.#firstNotBefore(key);
    return at < this.#keys.length && comparePageKeys(this.#keys[at] as PageKey, key) === 0 ? this.#items[at] : undefined;
  }

  /** Up to `count` items in order, starting right after `after` (from the first when undefined). */
  after(after: PageKey | undefined, count: number): T[] {
    const start = after === undefined ? 0 : this.#firstAfter(after);
    return this.#items.slice(start, start + count);
  }

  /** Items in order from `from` on (inclusive), or from the first: for a listing that spans several lists. */
  *from(from?: PageKey): Generator<T> {
    for (let at = from === undefined ? 0 : this.#firstNotBefore(from); at < this.#items.length; at++) yield this.#items[at] as T;
  }

  /** The item at `index` from the start (negative: from the end). */
  at(index: number): T | undefined {
    return this.#items.at(index);
  }

  /** Every item, in order (a copy). */
  values(): T[] {
    return [...this.#items];
  }

  /** The index of the first key ≥ `key`. */
  #firstNotBefore(key: PageKey): number {
    let low = 0;
    let high = this.#keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (comparePageKeys(this.#keys[mid] as PageKey, key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The index of the first key > `key`. */
  #firstAfter(key: PageKey): number {
    let low = 0;
    let high = this.#keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (comparePageKeys(this.#keys[mid] as PageKey, key) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
