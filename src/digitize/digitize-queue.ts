/**
 * The work queue of digitization jobs (a port): each piece of work is a job's planning pass, one row range,
 * or the merge that finishes the job. On PostgreSQL it is pg-boss (`pg-boss-queue.ts`), so every replica
 * takes work and a replica that dies loses its claim when its lease runs out; on PGlite, which admits one
 * process, it is the in-process queue below. The jobs' own rules (DigitizeJobs) are the same on both.
 */
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.ts';

export type DigitizeWork =
  | { kind: 'plan'; jobId: string }
  | { kind: 'rows'; jobId: string; firstRow: number }
  | { kind: 'finish'; jobId: string };

/**
 * Runs one piece of work. `deadline` (ms since the epoch) is when it should wrap up: a row range stops
 * reading rows then and hands the rest on, so that no live worker ever outlives its lease. Resolving
 * means done; throwing means "not now" (the database or object store is away): the work is retried.
 */
export type DigitizeWorkHandler = (work: DigitizeWork, deadline: number) => Promise<void>;

export interface DigitizeWorkQueue {
  readonly kind: 'pg-boss' | 'in-process';
  /**
   * Seconds a claim lasts: work whose worker has not finished by then is taken to be lost (its replica
   * died) and is given to another.
   */
  readonly leaseSeconds: number;
  /**
   * Starts taking work. `giveUp` is told of work that failed too often to try again. `wanted` is asked once
   * the queue is ready and before any work is taken: false (stopped meanwhile) takes none.
   */
  start(handle: DigitizeWorkHandler, giveUp: (work: DigitizeWork, reason: string) => Promise<void>, wanted?: () => boolean): Promise<void>;
  /** Queues work; with `trx`, inside that transaction, so the work exists exactly when it commits. */
  send(work: DigitizeWork[], trx?: Knex.Transaction): Promise<void>;
  /** Stops taking work and waits for the work in hand. */
  stop(): Promise<void>;
  /**
   * Gives up a claim at once: the work is queued again without waiting for its lease (its worker is known
   * to be dead). Only queues shared between processes need it.
   */
  reclaim?(work: DigitizeWork): Promise<void>;
}

/** Work left unfinished by an earlier run of this process, derived from the job tables (PGlite restarts). */
export type UnfinishedWork = () => Promise<DigitizeWork[]>;

/**
 * One piece of work at a time, in this process, in order. After a restart the unfinished work is found
 * in the tables (the queue itself is memory). A throw is retried with backoff (1 s doubling to 30 s: the
 * database is away), up to `retryLimit` times in a row for the same work, then given up.
 */
export class InProcessWorkQueue implements DigitizeWorkQueue {
  readonly kind = 'in-process' as const;
  private readonly queue: DigitizeWork[] = [];
  private running: Promise<void> | null = null;
  private handle: DigitizeWorkHandler | null = null;
  private giveUp: ((work: DigitizeWork, reason: string) => Promise<void>) | null = null;
  private stopped = true;
  private wake: (() => void) | null = null;

  constructor(
    private readonly deps: { unfinished: UnfinishedWork; logger: Logger; leaseSeconds?: number; retryLimit?: number },
  ) {}

  get leaseSeconds(): number {
    return this.deps.leaseSeconds ?? 30;
  }

  async start(handle: DigitizeWorkHandler, giveUp: (work: DigitizeWork, reason: string) => Promise<void>, wanted: () => boolean = () => true): Promise<void> {
    if (!wanted()) return;
    this.handle = handle;
    this.giveUp = giveUp;
    this.stopped = false;
    this.kick(true);
  }

  async send(work: DigitizeWork[], trx?: Knex.Transaction): Promise<void> {
    const enqueue = () => {
      for (const w of work) if (!this.queue.some((q) => sameWork(q, w))) this.queue.push(w);
      this.kick(false);
    };
    if (trx) trx.executionPromise.then(enqueue, () => undefined);
    else enqueue();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** Resolves when nothing is queued or running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(recover: boolean): void {
    if (this.running || this.stopped || !this.handle) return;
    this.running = this.loop(recover)
      .catch((error) => this.deps.logger.error({ err: error }, 'digitization worker stopped; unfinished work resumes at the next start or upload'))
      .finally(() => {
        this.running = null;
        if (this.queue.length > 0 && !this.stopped) this.kick(false);
      });
  }

  private async loop(recover: boolean): Promise<void> {
    let failures = 0;
    for (let needRecovery = recover; ; ) {
      if (this.stopped) return;
      try {
        if (needRecovery) {
          for (const w of await this.deps.unfinished()) if (!this.queue.some((q) => sameWork(q, w))) this.queue.push(w);
          needRecovery = false;
        }
        const work = this.queue[0];
        if (!work) return;
        await this.handle!(work, Date.now() + (this.leaseSeconds * 1000) / 2);
        this.queue.shift();
        failures = 0;
      } catch (error) {
        failures += 1;
        const work = this.queue[0];
        if (work && failures > (this.deps.retryLimit ?? 10)) {
          this.queue.shift();
          failures = 0;
          await this.giveUp!(work, (error as Error).message).catch((e) => this.deps.logger.error({ err: e }, 'could not record a digitization failure'));
          continue;
        }
        const delayMs = Math.min(30_000, 1000 * 2 ** (failures - 1));
        this.deps.logger.warn({ err: error, retryInMs: delayMs, work }, 'digitization paused: retrying');
        await this.pause(delayMs);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

export function sameWork(a: DigitizeWork, b: DigitizeWork): boolean {
  return a.kind === b.kind && a.jobId === b.jobId && (a.kind !== 'rows' || (b.kind === 'rows' && a.firstRow === b.firstRow));
}
