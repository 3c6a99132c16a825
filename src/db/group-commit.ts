/**
 * Group commit: writes that arrive while a transaction is in flight are written together in the next one.
 * Under load a batch of licences then costs one transaction, one log-head lock and one multi-row insert
 * per table instead of that many per licence; a lone write waits only for the current event-loop turn.
 *
 * A batch is atomic. When it fails for a reason that belongs to one item (a unique violation, say), each
 * item is retried alone, so only the offender fails and the others are written; when it fails for any
 * other reason (the database is down), every item fails with that error.
 */
export class GroupCommit<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  private draining = false;

  constructor(
    private readonly writeBatch: (items: T[]) => Promise<void>,
    private readonly options: { maxBatch: number; isItemFailure: (error: unknown) => boolean },
  ) {}

  /** Resolves once `item` is committed; rejects with the error of its own write. */
  write(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // Let the writes of this event-loop turn join the first batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.writeNext();
    } finally {
      // In the same synchronous step as the last empty-queue check, so no write is left waiting.
      this.draining = false;
    }
  }

  private async writeNext(): Promise<void> {
    const batch = this.queue.splice(0, this.options.maxBatch);
    try {
      await this.writeBatch(batch.map((b) => b.item));
      for (const b of batch) b.resolve();
    } catch (error) {
      if (batch.length === 1 || !this.options.isItemFailure(error)) {
        for (const b of batch) b.reject(error);
        return;
      }
      for (const b of batch) await this.writeBatch([b.item]).then(b.resolve, b.reject);
    }
  }
}
