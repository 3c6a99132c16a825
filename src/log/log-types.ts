/** Types of the transparency log as the service and its stores see it, and its store port. */
import type { LedgerAnchor, LedgerLicenceStatus } from '../ledger/ledger.ts';


/** One entry to append, inside the caller's database transaction (the outbox pattern). */
export interface LogEntry {
  origin: string;
  /** What the leaf is about (licence id), for receipts. */
  subject: string;
  /** The leaf as a JSON-compatible object; stored and hashed as RFC 8785 canonical JSON. */
  leaf: Record<string, unknown>;
}

export interface StoredLeaf {
  origin: string;
  index: number;
  subject: string;
  data: string;
  createdAt: string;
}

export interface StoredCheckpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  note: string;
  createdAt: string;
  anchor: LedgerAnchor | null;
  anchorAttempts: number;
  anchorError: string | null;
}

/** A ledger status write waiting in the outbox. */
export interface StatusOutboxEntry {
  /** The licence log's origin: the ledger keeps a licence's status per origin. */
  origin: string;
  licenceId: string;
  status: LedgerLicenceStatus;
  reasonSha256: string;
  /** The department's time of the change: the `time` of its log leaf. */
  changedAt: string;
}

/**
 * A ledger anchor for one of this vault's origins that this log cannot claim as its own: its tree is not
 * provably one this log holds (`fork`: another deployment writing the same origin, or a rewritten history),
 * or the ledger is behind, or ahead of, what this log holds and anchored (`rollback`: a database restored
 * from an older backup, a ledger reset). While one is open, nothing of that origin is marked anchored.
 */
export interface AnchoringAlarm {
  origin: string;
  kind: 'fork' | 'rollback';
  detail: string;
  ledgerSize: number;
  ledgerRootHex: string;
  ledgerTxId: string;
  logSize: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/**
 * The log store port: the append-only Merkle logs (licence events, access records), their signed
 * checkpoints with the ledger anchors that cover them, and the ledger outbox of status changes. Appending
 * happens inside the caller's own transaction (the outbox pattern: a licence never exists without its leaf),
 * so it is not here but in the adapter's `appendLeaves(trx, entries)`, which the stores that write licences
 * and access records call. Adapter: KnexLogStore (log-store.ts), on PostgreSQL and PGlite.
 */
export interface LogStore {
  size(origin: string): Promise<number>;
  root(origin: string, size: number): Promise<Uint8Array>;
  inclusionProof(origin: string, index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(origin: string, size1: number, size2: number): Promise<Uint8Array[]>;
  leaves(origin: string, start: number, end: number): Promise<StoredLeaf[]>;
  leavesAbout(origin: string, subject: string): Promise<StoredLeaf[]>;
  latestCheckpoint(origin: string, opts?: { anchoredOnly?: boolean }): Promise<StoredCheckpoint | null>;
  /** A checkpoint that covers leaf `index`, preferring anchored ones (for receipts). */
  checkpointCovering(origin: string, index: number): Promise<StoredCheckpoint | null>;
  /**
   * The first anchored checkpoint that covers leaf `index`: the ledger's earliest proof that the leaf existed
   * ("was it valid at T" must not cite an anchor made after T when an earlier one covers the leaf).
   */
  firstAnchoredCheckpointCovering(origin: string, index: number): Promise<StoredCheckpoint | null>;
  listCheckpoints(origin: string, limit: number, beforeSize?: number): Promise<StoredCheckpoint[]>;
  /** Checkpoints larger than `afterSize`, smallest first, at most `limit` (publishing the log as tiles). */
  checkpointsAfter(origin: string, afterSize: number, limit: number): Promise<StoredCheckpoint[]>;
  /**
   * The stored hashes of the perfect subtrees of 2^level leaves with node index in [start, end), in index
   * order, read in one query (a tile is 256 consecutive hashes of one level); throws if one is missing.
   */
  nodeHashes(origin: string, level: number, start: number, end: number): Promise<Uint8Array[]>;
  pendingCheckpoints(origin: string): Promise<StoredCheckpoint[]>;
  saveCheckpoint(origin: string, size: number, rootHash: Uint8Array, note: string, createdAt: Date): Promise<void>;
  recordAnchor(origin: string, size: number, anchor: LedgerAnchor): Promise<void>;
  recordAnchorFailure(origin: string, size: number, error: string): Promise<void>;
  pendingStatusWrites(limit: number): Promise<Array<StatusOutboxEntry & { id: number }>>;
  countPendingStatusWrites(): Promise<number>;
  recordStatusWritten(id: number, anchor: LedgerAnchor): Promise<void>;
  recordStatusFailure(id: number, error: string): Promise<void>;
  /** Raises an alarm, or notes that an open one about the same ledger transaction was seen again. */
  raiseAlarm(alarm: Omit<AnchoringAlarm, 'firstSeenAt' | 'lastSeenAt'>, at: Date): Promise<void>;
  /** Closes an origin's open alarms (its anchoring is sound again). */
  clearAlarms(origin: string, at: Date): Promise<number>;
  openAlarms(): Promise<AnchoringAlarm[]>;
}
