/**
 * Group commit: callers submit one item each; while a batch is being written, new items wait and go
 * together in the next batch. With nothing in flight an item is written at once, so a lone request pays no
 * extra latency; under load, one statement (one round trip, one commit) serves many requests.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private writing = false;

  /** `write` gets the items in submission order and returns one result per item, in the same order. */
  constructor(private readonly write: (items: T[]) => Promise<R[]>, private readonly maxBatch = 256) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.writing) void this.writeWaiting();
    });
  }

  private async writeWaiting(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((w) => w.item));
        if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        // The batch is one transaction: when it fails, nothing of it was written, and every caller hears so.
        for (const w of batch) w.reject(error);
      }
    }
    this.writing = false;
  }
}
