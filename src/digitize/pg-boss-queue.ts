/**
 * The digitization work queue on PostgreSQL: pg-boss 10 (the last line for Node 20), on the service's
 * own knex pool (no connections of its own), in the schema `pgboss`, which pg-boss creates and migrates
 * itself under an advisory lock, so replicas may start together.
 *
 * How a dead replica's work is taken over: pg-boss claims a job with `FOR UPDATE SKIP LOCKED` and sets it
 * active with a lease (`expireInSeconds`). Its maintenance pass (one replica per interval, chosen by pg-boss)
 * puts an active job whose lease ran out back to retry, and any replica's worker claims it again. So work
 * of a SIGKILLed replica is running elsewhere at most lease + maintenance interval + polling interval +
 * retry delay after the kill (30 + 5 + 1 + 1 s by default for a row range). That is the backstop: DigitizeJobs
 * notices a dead replica's range sooner, by its advisory lock, and hands it back with `reclaim`. pg-boss 10 has no heartbeat (12 does, on Node
 * 22), so the handler is given a deadline of half the lease and a row range hands on what it has not
 * read by then: no live worker outlives its lease, and a lease can be short.
 */
import crypto from 'node:crypto';
import PgBoss from 'pg-boss';
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { DigitizeWork, DigitizeWorkHandler, DigitizeWorkQueue } from './digitize-queue.ts';

const QUEUES = { plan: 'digitize-plan', rows: 'digitize-rows', finish: 'digitize-finish' } as const;
const DEAD = 'digitize-dead';

export interface PgBossQueueOptions {
  /** Seconds a claim on a row range lasts (default 30). */
  leaseSeconds?: number;
  /**
   * Seconds a claim on planning or finishing a job lasts (default 600): one pass over a whole manifest or
   * error report, which cannot hand half of itself on as a row range can. A dead planner is replaced after
   * this long; planning is seconds of a job's hours.
   */
  passLeaseSeconds?: number;
  /** How often one replica looks for expired leases (default 5 s; pg-boss's own default is 120 s). */
  maintenanceSeconds?: number;
  /** How often an idle worker asks for work (default 1 s). */
  pollingSeconds?: number;
  /** Attempts after the first before work is given up (default 10: a kill costs one). */
  retryLimit?: number;
  /** Seconds before a failed attempt is retried (default 1). */
  retryDelaySeconds?: number;
}

/** pg-boss's database port on a knex instance or transaction: the same pooled connections the service uses. */
export function knexExecutor(db: Knex): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      // In a transaction knex hands out the transaction's connection (and releasing it is a no-op).
      const connection = (await db.client.acquireConnection()) as { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };
      try {
        // No values: the simple query protocol, which pg-boss's multi-statement commands need.
        return await connection.query(text, values && values.length > 0 ? values : undefined);
      } finally {
        await db.client.releaseConnection(connection);
      }
    },
  };
}

/** A stable job id per piece of work, so sending the same work twice queues it once. */
function workId(work: DigitizeWork, salt = ''): string {
  const hex = crypto.createHash('sha256').update(JSON.stringify(work) + salt).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class PgBossWorkQueue implements DigitizeWorkQueue {
  readonly kind = 'pg-boss' as const;
  readonly leaseSeconds: number;
  private readonly passLeaseSeconds: number;
  private readonly boss: PgBoss;
  private readonly pollingSeconds: number;
  private readonly retryLimit: number;
  private readonly retryDelaySeconds: number;
  private started = false;
  private working = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    options: PgBossQueueOptions = {},
  ) {
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.passLeaseSeconds = options.passLeaseSeconds ?? 600;
    this.pollingSeconds = options.pollingSeconds ?? 1;
    this.retryLimit = options.retryLimit ?? 10;
    this.retryDelaySeconds = options.retryDelaySeconds ?? 1;
    this.boss = new PgBoss({
      db: knexExecutor(db),
      schema: 'pgboss',
      schedule: false, // no cron
      supervise: true,
      maintenanceIntervalSeconds: options.maintenanceSeconds ?? 5,
      // Finished work is kept a day for inspection, then archived and dropped by pg-boss.
      archiveCompletedAfterSeconds: 24 * 3600,
    });
    this.boss.on('error', (error) => this.logger.warn({ err: error }, 'digitization queue (pg-boss) error'));
  }

  async start(handle: DigitizeWorkHandler, giveUp: (work: DigitizeWork, reason: string) => Promise<void>, wanted: () => boolean = () => true): Promise<void> {
    await this.boss.start();
    this.started = true;
    if (!wanted()) return;
    const common = { retryLimit: this.retryLimit, retryDelay: this.retryDelaySeconds, retryBackoff: false } as const;
    await this.boss.createQueue(DEAD, { name: DEAD, retryLimit: 3, expireInSeconds: 60 });
    for (const [kind, name] of Object.entries(QUEUES)) await this.boss.createQueue(name, { name, ...common, expireInSeconds: this.lease(kind as DigitizeWork['kind']), deadLetter: DEAD });
    if (!wanted()) return;
    this.working = true;
    for (const name of Object.values(QUEUES)) this.loops.push(this.workLoop(name, (work) => handle(work, Date.now() + (this.lease(work.kind) * 1000) / 2)));
    this.loops.push(this.workLoop(DEAD, (work) => giveUp(work, `it failed ${this.retryLimit + 1} times (each time its replica stopped, or the database or object store was away)`)));
  }

  /**
   * One worker per queue: claim one job, run it, complete or fail it. (pg-boss's own work() neither awaits
   * nor catches its complete/fail calls: a database blip there would be an unhandled rejection, which ends
   * the process. Here a lost completion only means the lease runs out and the work, idempotent, runs again.)
   */
  private async workLoop(name: string, run: (work: DigitizeWork) => Promise<void>): Promise<void> {
    while (this.working) {
      let job: PgBoss.Job<DigitizeWork> | undefined;
      try {
        job = (await this.boss.fetch<DigitizeWork>(name, { batchSize: 1 }))?.[0];
      } catch (error) {
        this.logger.warn({ err: error, queue: name }, 'digitization queue: could not fetch work');
      }
      if (!job) {
        await this.idleWait();
        continue;
      }
      try {
        await run(job.data);
        await this.boss.complete(name, job.id).catch((error) => this.logger.warn({ err: error, queue: name }, 'digitization queue: could not record finished work; it runs again when its lease is out'));
      } catch (error) {
        this.logger.warn({ err: error, queue: name, work: job.data }, 'digitization work failed; it is retried');
        await this.boss.fail(name, job.id, { message: (error as Error).message }).catch((e) => this.logger.warn({ err: e, queue: name }, 'digitization queue: could not record failed work; it runs again when its lease is out'));
      }
    }
  }

  private idleWait(): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      timer = setTimeout(done, this.pollingSeconds * 1000);
      this.wakers.add(done);
    });
  }

  async send(work: DigitizeWork[], trx?: Knex.Transaction): Promise<void> {
    if (work.length === 0) return;
    // insert() is one statement for many jobs, and takes a connection: in a transaction the work exists
    // exactly when the transaction commits (no outbox needed).
    await this.boss.insert(
      work.map((w) => ({ id: workId(w), name: QUEUES[w.kind], data: w, expireInSeconds: this.lease(w.kind), retryLimit: this.retryLimit, retryDelay: this.retryDelaySeconds, deadLetter: DEAD })),
      trx ? { db: knexExecutor(trx) } : {},
    );
  }

  async reclaim(work: DigitizeWork): Promise<void> {
    // fail() puts an active job back to retry (its retry delay, then any replica's worker claims it). When
    // the job is not active any more (its claim was completed by an attempt that found the range busy),
    // the work is queued anew under a fresh id.
    const result = (await this.boss.fail(QUEUES[work.kind], workId(work), { message: 'its replica stopped: its database session ended' })) as unknown as { affected?: number } | undefined;
    if (!result?.affected) {
      await this.boss.insert([{ id: workId(work, crypto.randomUUID()), name: QUEUES[work.kind], data: work, expireInSeconds: this.lease(work.kind), retryLimit: this.retryLimit, retryDelay: this.retryDelaySeconds, deadLetter: DEAD }]);
    }
  }

  private lease(kind: DigitizeWork['kind']): number {
    return kind === 'rows' ? this.leaseSeconds : this.passLeaseSeconds;
  }

  async stop(): Promise<void> {
    // Stop claiming and wait for the work in hand (a row range wraps up at once when DigitizeJobs is
    // stopping); then pg-boss's maintenance. close: false, the pool is the service's.
    this.working = false;
    for (const wake of [...this.wakers]) wake();
    await Promise.all(this.loops.splice(0));
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: false, wait: true, close: false });
  }
}
