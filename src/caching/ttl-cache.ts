/**
 * A small in-process cache whose entries live `ttlMs`; the oldest goes first when full. It keeps the
 * pending load, so concurrent requests for one key share one read; a failed load is not kept.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();
  constructor(private readonly ttlMs: number, private readonly maxEntries: number, private readonly clock: () => number = Date.now) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached && this.clock() - cached.at < this.ttlMs) return cached.value;
    // Re-inserted at the end, so the insertion order stays the age order eviction relies on.
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const value = load();
    this.entries.set(key, { at: this.clock(), value });
    value.catch(() => this.delete(key, value));
    return value;
  }

  /** Forgets `key` (only if it still holds `value`, when given: a newer load is kept). */
  delete(key: string, value?: Promise<V>): void {
    if (value === undefined || this.entries.get(key)?.value === value) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
