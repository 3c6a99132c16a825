/**
 * Per-minute request counters for the exchange's rate limits. Every replica shares them through the
 * database, but a request only touches memory: a database upsert per request put two hot rows (the
 * department's and the holder's counter) behind every query, each waiting for the previous commit.
 *
 * Each replica adds its unsynced counts to the shared rows every `syncMs`, in one statement, and reads
 * the totals back (the approach of Kong's rate-limiting plugin with `sync_rate`). A request sees the
 * shared total as of the last sync plus this replica's own requests since. One replica therefore enforces
 * its limits exactly; N replicas can together admit at most what the other N−1 admit within one sync
 * interval beyond the limit.
 */

export interface RateCountDelta {
  subject: string;
  minute: Date;
  count: number;
}

/** Port: adds deltas to the shared counters and returns each row's new total. */
export interface SharedCounterStore {
  addRequestCounts(deltas: RateCountDelta[]): Promise<RateCountDelta[]>;
}

interface Counter {
  subject: string;
  minute: number;
  /** The shared total at the last sync (this replica's synced requests included). */
  shared: number;
  /** This replica's requests since the last sync. */
  unsynced: number;
}

const MINUTE_MS = 60_000;

export class SharedRateCounters {
  private readonly counters = new Map<string, Counter>();
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  /** The newest minute a request was counted in (the clock is the caller's, so tests can fake it). */
  private latestMinute = 0;

  constructor(
    private readonly store: SharedCounterStore,
    private readonly syncMs = 250,
  ) {}

  /** Counts one request against `subject` in the minute of `now`; returns the minute's total including it. */
  count(subject: string, now: Date): number {
    const minute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
    this.latestMinute = Math.max(this.latestMinute, minute);
    const key = `${minute}|${subject}`;
    let counter = this.counters.get(key);
    if (!counter) this.counters.set(key, (counter = { subject, minute, shared: 0, unsynced: 0 }));
    counter.unsynced += 1;
    return counter.shared + counter.unsynced;
  }

  start(): void {
    if (this.timer) return;
    // A failed sync (database unavailable) keeps its counts for the next one; the limits then hold per
    // replica until the database is back. Not logged: it would repeat every interval during an outage.
    this.timer = setInterval(() => void this.sync().catch(() => undefined), this.syncMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is still unsynced. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sync();
  }

  /** Adds unsynced counts to the shared rows and takes the totals back; drops finished minutes. */
  sync(): Promise<void> {
    // One sync at a time: a slow database must not pile up overlapping upserts of the same deltas.
    this.syncing ??= this.syncOnce().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const pending = [...this.counters.values()].filter((c) => c.unsynced > 0);
    const flushed = new Map(pending.map((c) => [c, c.unsynced]));
    if (pending.length > 0) {
      const totals = await this.store.addRequestCounts(pending.map((c) => ({ subject: c.subject, minute: new Date(c.minute), count: c.unsynced })));
      const byKey = new Map(totals.map((t) => [`${t.minute.getTime()}|${t.subject}`, t.count]));
      for (const [counter, sent] of flushed) {
        counter.unsynced -= sent;
        counter.shared = byKey.get(`${counter.minute}|${counter.subject}`) ?? counter.shared + sent;
      }
    }
    for (const [key, counter] of this.counters) if (counter.minute < this.latestMinute && counter.unsynced === 0) this.counters.delete(key);
  }
}
