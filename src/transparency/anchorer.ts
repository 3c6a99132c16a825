/**
 * The anchorer: turns new log leaves into signed checkpoints (every `batchLeaves` leaves or `intervalMs`),
 * anchors the newest checkpoint on the ledger with a consistency proof from the ledger's last anchor, and
 * drains the ledger status outbox. Issuance never waits for it; when the ledger is down it retries with
 * backoff and nothing is lost, because everything waits in the database.
 * Across replicas exactly one anchorer works at a time: the holder of a PostgreSQL session advisory lock
 * (released by PostgreSQL if the process dies, so another replica takes over). PGlite is single-process.
 */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import { engineOf } from '../db/database.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { LedgerError } from '../ledger/ledger.ts';
import type { LedgerLicenceStatus } from '../ledger/ledger.ts';
import type { Logger } from '../observability/logger.ts';
import { signCheckpoint } from './checkpoint.ts';
import type { NoteSigner } from './checkpoint.ts';
import type { LogStore } from './log-store.ts';
import { bytesEqual, verifyConsistency } from './merkle.ts';

/** Advisory lock key: a fixed 63-bit number for "licence-vault anchorer". */
export const ANCHORER_LOCK_KEY = 0x4c5641_4e43484fn; // "LVA" "NCHO"

export interface AnchorerOptions {
  db: Database;
  logs: LogStore;
  ledger: Ledger;
  origins: string[];
  signer: NoteSigner;
  batchLeaves: number;
  intervalMs: number;
  pollMs?: number;
  logger: Logger;
  /** Run first in every cycle: move queued records into their logs (e.g. the access log). */
  sequencers?: Array<() => Promise<number>>;
  onCycle?: (report: AnchorCycleReport) => void;
  /**
   * false: give the anchoring lock back after each cycle. For an anchorer that only runs when asked, next to
   * the anchorer thread, so that winning the lock once does not leave the thread waiting for good.
   */
  keepLeadership?: boolean;
  now?: () => Date;
}

export interface AnchorCycleReport {
  leader: boolean;
  checkpointsCreated: number;
  checkpointsAnchored: number;
  statusWritten: number;
  error: string | null;
}

export class Anchorer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private lockConnection: unknown = null;
  private readonly now: () => Date;

  constructor(private readonly options: AnchorerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.releaseLeadership();
  }

  /** One cycle; `force` checkpoints any new leaves regardless of the batch policy (tests, CLI). */
  async runOnce(force = false): Promise<AnchorCycleReport> {
    const report: AnchorCycleReport = { leader: false, checkpointsCreated: 0, checkpointsAnchored: 0, statusWritten: 0, error: null };
    if (!(await this.ensureLeadership())) return report;
    report.leader = true;
    try {
      for (const sequence of this.options.sequencers ?? []) while ((await sequence()) > 0);
      for (const origin of this.options.origins) {
        report.checkpointsCreated += await this.checkpoint(origin, force);
        report.checkpointsAnchored += await this.anchor(origin);
      }
      report.statusWritten = await this.drainStatusOutbox();
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      report.error = (error as Error).message;
      this.options.logger.warn({ err: error, failures: this.failures }, 'anchoring cycle failed; will retry with backoff');
    }
    this.options.onCycle?.(report);
    if (this.options.keepLeadership === false) await this.releaseLeadership();
    return report;
  }

  /** Seconds to wait after `failures` consecutive failures: 1, 2, 4 … capped at 60. */
  backoffMs(): number {
    return this.failures === 0 ? (this.options.pollMs ?? 1000) : Math.min(60_000, 1000 * 2 ** (this.failures - 1));
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().then(() => this.schedule(this.backoffMs()), () => this.schedule(this.backoffMs()));
    }, delay);
    this.timer.unref?.();
  }

  private async checkpoint(origin: string, force: boolean): Promise<number> {
    const { logs } = this.options;
    const size = await logs.size(origin);
    const latest = await logs.latestCheckpoint(origin);
    const checkpointed = latest?.size ?? 0;
    if (size <= checkpointed) return 0;
    const due = force || size - checkpointed >= this.options.batchLeaves || !latest || this.now().getTime() - Date.parse(latest.createdAt) >= this.options.intervalMs;
    if (!due) return 0;
    const rootHash = await logs.root(origin, size);
    if (latest) {
      // Never sign a checkpoint that is not an extension of the last one (a corrupted node table would show here).
      verifyConsistency(latest.size, size, await logs.consistencyProof(origin, latest.size, size), latest.rootHash, rootHash);
    }
    await logs.saveCheckpoint(origin, size, rootHash, signCheckpoint({ origin, size, rootHash }, this.options.signer), this.now());
    return 1;
  }

  private async anchor(origin: string): Promise<number> {
    const { logs, ledger } = this.options;
    const pending = await logs.pendingCheckpoints(origin);
    const newest = pending.at(-1);
    if (!newest) return 0;
    const onLedger = await ledger.getAnchoredCheckpoint(origin);
    let anchor;
    if (onLedger && onLedger.size >= newest.size) {
      if (onLedger.size === newest.size && !bytesEqual(onLedger.rootHash, newest.rootHash)) {
        throw new LedgerError('FORK_DETECTED', `ledger holds size ${onLedger.size} of ${origin} with a different root than ours`);
      }
      anchor = { network: ledger.kind, txId: onLedger.txId, blockNumber: null, anchoredAt: onLedger.anchoredAt };
    } else {
      const from = onLedger?.size ?? 0;
      const proof = from === 0 ? [] : await logs.consistencyProof(origin, from, newest.size);
      try {
        anchor = await ledger.anchorCheckpoint({ origin, size: newest.size, rootHash: newest.rootHash, consistencyProof: proof });
      } catch (error) {
        await logs.recordAnchorFailure(origin, newest.size, (error as Error).message);
        throw error;
      }
    }
    await logs.recordAnchor(origin, newest.size, anchor);
    // Older pending checkpoints are covered by the newer anchor: the ledger checked consistency up to it.
    for (const older of pending.slice(0, -1)) await logs.recordAnchor(origin, older.size, { ...anchor, coveredBySize: newest.size });
    this.options.logger.info({ origin, size: newest.size, txId: anchor.txId }, 'checkpoint anchored');
    return pending.length;
  }

  private async drainStatusOutbox(): Promise<number> {
    const { logs, ledger } = this.options;
    let written = 0;
    for (;;) {
      const batch = await logs.pendingStatusWrites(100);
      if (batch.length === 0) return written;
      // In order per licence: a later status must never be overtaken by an earlier one.
      for (const entry of batch) {
        try {
          const anchor = await ledger.setLicenceStatus(entry.licenceId, entry.status as LedgerLicenceStatus, entry.reasonSha256);
          await logs.recordStatusWritten(entry.id, anchor);
          written += 1;
        } catch (error) {
          await logs.recordStatusFailure(entry.id, (error as Error).message);
          throw error;
        }
      }
    }
  }

  private async ensureLeadership(): Promise<boolean> {
    const { db } = this.options;
    if (engineOf(db) !== 'postgres') return true;
    if (this.lockConnection) {
      try {
        await db.raw('select 1').connection(this.lockConnection);
        return true;
      } catch {
        await this.releaseLeadership(); // the session (and its lock) is gone
      }
    }
    const connection = await (db.client as Knex.Client).acquireConnection();
    try {
      const result = await db.raw('select pg_try_advisory_lock(?) as ok', [ANCHORER_LOCK_KEY.toString()]).connection(connection);
      if (result.rows[0]?.ok) {
        this.lockConnection = connection;
        this.options.logger.info('anchorer: this replica holds the anchoring lock');
        return true;
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'anchorer: could not try the advisory lock');
    }
    await (db.client as Knex.Client).releaseConnection(connection);
    return false;
  }

  private async releaseLeadership(): Promise<void> {
    if (!this.lockConnection) return;
    const connection = this.lockConnection;
    this.lockConnection = null;
    const { db } = this.options;
    try {
      await db.raw('select pg_advisory_unlock(?)', [ANCHORER_LOCK_KEY.toString()]).connection(connection);
    } catch {
      // the connection is gone; PostgreSQL already released the lock
    }
    await (db.client as Knex.Client).releaseConnection(connection).catch(() => undefined);
  }
}
