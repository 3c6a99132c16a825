/**
 * The anchorer: turns new log leaves into signed checkpoints (every `batchLeaves` leaves or `intervalMs`),
 * anchors the newest checkpoint on the ledger with a consistency proof from the ledger's last anchor, and
 * drains the ledger status outbox. Issuance never waits for it; when the ledger is down it retries with
 * backoff and nothing is lost, because everything waits in the database.
 * Across replicas exactly one anchorer works at a time: the holder of a PostgreSQL session advisory lock
 * (released by PostgreSQL if the process dies, so another replica takes over). PGlite is single-process.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import { engineOf } from '../db/database.ts';
import type { AnchoredCheckpoint, Ledger, LedgerAnchor } from '../ledger/ledger.ts';
import type { AnchoringAlarm, LogStore, StoredCheckpoint } from '../log/log-types.ts';
import type { Logger } from '../observability/logger.ts';
import { bytesEqual } from '../proofs/bytes.ts';
import { signCheckpoint } from '../proofs/checkpoint.ts';
import type { NoteSigner } from '../proofs/checkpoint.ts';
import { verifyConsistency } from '../proofs/merkle.ts';

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
   * Called for an origin after a checkpoint of it is saved and the anchoring attempt (publishing the log as
   * tiles: src/log/log-tiles.ts). The checkpoint is saved whatever the hook does: a failure is logged and the
   * call is made again on the next cycle, until it succeeds, and never fails the cycle; resolving to `false`
   * ("more to do") also has it called again next cycle, without a warning. It is also called for every origin
   * on this anchorer's first cycle, so work a stopped process left undone is picked up: it must be idempotent
   * (it is told only the origin, and looks up what is new itself).
   */
  onCheckpoint?: (origin: string) => Promise<boolean | void>;
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
  /** The cycle stopped on an anchoring alarm (a fork or rollback), not on an outage. */
  alarm?: boolean;
}

/** Anchoring of an origin stopped because the ledger holds a tree this log cannot account for. */
export class AnchoringAlarmError extends Error {
  constructor(readonly kind: AnchoringAlarm['kind'], detail: string) {
    super(`ANCHORING_ALARM (${kind}): ${detail}`);
    this.name = 'AnchoringAlarmError';
  }
}

export class Anchorer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private lockConnection: unknown = null;
  private readonly now: () => Date;
  /** Origins whose onCheckpoint call is due: all at first, then after a new checkpoint or a failed call. */
  private readonly checkpointHookDue: Set<string>;
  private checkpointHookFailures = 0;

  constructor(private readonly options: AnchorerOptions) {
    this.now = options.now ?? (() => new Date());
    this.checkpointHookDue = new Set(options.origins);
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
      const problems: unknown[] = [];
      // One origin's alarm or outage must not hold up the other origin or the status writes.
      for (const origin of this.options.origins) {
        try {
          const created = await this.checkpoint(origin, force);
          report.checkpointsCreated += created;
          if (created > 0) this.checkpointHookDue.add(origin);
          report.checkpointsAnchored += await this.anchor(origin);
        } catch (error) {
          problems.push(error);
        }
        // After anchoring, whether or not the ledger took it: a saved checkpoint is published either way.
        await this.runCheckpointHook(origin);
      }
      try {
        report.statusWritten = await this.drainStatusOutbox();
      } catch (error) {
        problems.push(error);
      }
      if (problems.length > 0) throw problems[0];
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      report.error = (error as Error).message;
      report.alarm = error instanceof AnchoringAlarmError;
      if (!report.alarm) this.options.logger.warn({ err: error, failures: this.failures }, 'anchoring cycle failed; will retry with backoff');
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

  /** The onCheckpoint hook, when due for `origin`; a failure is logged and leaves it due for the next cycle. */
  private async runCheckpointHook(origin: string): Promise<void> {
    const hook = this.options.onCheckpoint;
    if (!hook || !this.checkpointHookDue.has(origin)) return;
    try {
      if ((await hook(origin)) !== false) this.checkpointHookDue.delete(origin);
      this.checkpointHookFailures = 0;
    } catch (error) {
      this.checkpointHookFailures += 1;
      this.options.logger.warn({ err: error, origin, failures: this.checkpointHookFailures }, 'after-checkpoint hook failed (the checkpoint is saved); will retry on the next cycle');
    }
  }

  /**
   * Anchors the newest pending checkpoint, claiming only what it can prove: a pending checkpoint is recorded
   * as anchored by a ledger entry whose tree it equals or that provably extends it (RFC 9162 consistency,
   * checked here against this log's own tree), never by whatever the ledger happens to hold for the origin.
   * A ledger tree this log cannot account for raises an alarm instead (see AnchoringAlarm).
   */
  private async anchor(origin: string): Promise<number> {
    const { logs, ledger } = this.options;
    const pending = await logs.pendingCheckpoints(origin);
    const newest = pending.at(-1);
    if (!newest) return 0;
    const onLedger = await ledger.getAnchoredCheckpoint(origin);
    const anchoredHere = await logs.latestCheckpoint(origin, { anchoredOnly: true });
    const logSize = await logs.size(origin);
    const alarm = (kind: AnchoringAlarm['kind'], detail: string) => this.raiseAlarm({ origin, kind, detail, onLedger, logSize });

    if (!onLedger) {
      if (anchoredHere) return alarm('rollback', `the ledger holds no anchor for ${origin}, but this log anchored size ${anchoredHere.size} (tx ${anchoredHere.anchor?.txId}): the ledger was reset, or this service points at another channel`);
    } else if (anchoredHere && onLedger.size < anchoredHere.size) {
      return alarm('rollback', `the ledger's anchor for ${origin} (size ${onLedger.size}) is behind what this log already anchored (size ${anchoredHere.size})`);
    } else if (onLedger.size > logSize) {
      return alarm('rollback', `the ledger anchors size ${onLedger.size} of ${origin}, but this log holds only ${logSize} leaves: this database is older than the ledger (restored from a backup?), or another deployment writes the same origin`);
    } else if (!bytesEqual(await logs.root(origin, onLedger.size), onLedger.rootHash)) {
      return alarm('fork', `the ledger anchors size ${onLedger.size} of ${origin} with a root this log does not have at that size: another deployment writes the same origin, or this log's history differs from what was anchored`);
    }

    let anchor: LedgerAnchor;
    let covered: StoredCheckpoint[];
    if (onLedger && onLedger.size >= newest.size) {
      // The ledger already holds this log's tree at a size covering the newest pending checkpoint (checked
      // just above: same root at that size); e.g. an anchor that committed just before this process stopped.
      anchor = { network: ledger.kind, txId: onLedger.txId, blockNumber: onLedger.blockNumber, anchoredAt: onLedger.anchoredAt };
      covered = pending;
      if (onLedger.size > newest.size) anchor = { ...anchor, coveredBySize: onLedger.size };
    } else {
      const from = onLedger?.size ?? 0;
      const proof = from === 0 ? [] : await logs.consistencyProof(origin, from, newest.size);
      try {
        anchor = await ledger.anchorCheckpoint({ origin, size: newest.size, rootHash: newest.rootHash, consistencyProof: proof });
      } catch (error) {
        await logs.recordAnchorFailure(origin, newest.size, (error as Error).message);
        throw error;
      }
      covered = pending;
    }
    const coverSize = anchor.coveredBySize ?? newest.size;
    for (const checkpoint of covered) {
      // Older pending checkpoints are covered by the newer anchor: their trees are prefixes of this log.
      await logs.recordAnchor(origin, checkpoint.size, checkpoint.size === coverSize ? anchor : { ...anchor, coveredBySize: coverSize });
    }
    if ((await logs.clearAlarms(origin, this.now())) > 0) this.options.logger.warn({ origin }, 'anchoring alarm cleared: the ledger holds this log\'s tree again');
    this.options.logger.info({ origin, size: newest.size, txId: anchor.txId }, 'checkpoint anchored');
    return covered.length;
  }

  private async raiseAlarm(a: { origin: string; kind: AnchoringAlarm['kind']; detail: string; onLedger: AnchoredCheckpoint | null; logSize: number }): Promise<never> {
    const { logs } = this.options;
    await logs.raiseAlarm({
      origin: a.origin, kind: a.kind, detail: a.detail, ledgerSize: a.onLedger?.size ?? 0,
      ledgerRootHex: a.onLedger ? bytesToHex(a.onLedger.rootHash) : '', ledgerTxId: a.onLedger?.txId ?? '(none)', logSize: a.logSize,
    }, this.now());
    this.options.logger.error({ origin: a.origin, alarm: a.kind, ledgerSize: a.onLedger?.size ?? 0, ledgerTxId: a.onLedger?.txId ?? null, logSize: a.logSize }, `ANCHORING ALARM (${a.kind}): ${a.detail}; nothing of this origin is marked anchored until it is resolved`);
    throw new AnchoringAlarmError(a.kind, a.detail);
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
          const anchor = await ledger.setLicenceStatus({ origin: entry.origin, licenceId: entry.licenceId, status: entry.status, reasonSha256: entry.reasonSha256, changedAt: entry.changedAt });
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
