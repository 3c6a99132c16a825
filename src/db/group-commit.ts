/**
 * Group commit: callers submit one item each; while a batch is being written, new items wait and go
 * together in the next batch. With nothing in flight an item is written at once, so a lone request pays no
 * extra latency; under load, one statement (one round trip, one commit) serves many requests.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  /**
   * `write` gets the items in submission order and returns one result per item, in the same order; it
   * must write all of them or none (one transaction). When a batch of several fails with an error for
   * which `retryAlone` is true (the items' own fault, not an outage), each item is written again on its own,
   * so one item the database refuses fails only its own caller.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: { maxBatch?: number; retryAlone?: (error: unknown) => boolean } = {},
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch ?? 256);
      try {
        const results = await this.writeAll(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        if (batch.length > 1 && this.options.retryAlone?.(error)) {
          for (const w of batch) await this.writeAll([w.item]).then(([result]) => w.resolve(result!), w.reject);
        } else {
          for (const w of batch) w.reject(error);
        }
      }
    }
    this.writing = false;
  }

  private async writeAll(items: T[]): Promise<R[]> {
    const results = await this.write(items);
    if (results.length !== items.length) throw new Error(`group commit: ${results.length} results for ${items.length} items`);
    return results;
  }
}
