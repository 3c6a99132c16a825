/** Types of the transparency log as the service and its stores see it. */

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

export interface LedgerAnchor {
  network: string;
  channel?: string;
  chaincode?: string;
  txId: string;
  blockNumber: number | null;
  anchoredAt: string;
  /** Set when this checkpoint is covered by the anchor of a later checkpoint of this size. */
  coveredBySize?: number;
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
  licenceId: string;
  status: string;
  reasonSha256: string;
}
