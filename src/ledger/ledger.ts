/**
 * Ledger port: where checkpoints are anchored and licence status is kept, so a verifier asks the
 * ledger, not the vault. Adapters: the embedded signed hash chain (default) and Hyperledger Fabric.
 * Both enforce the same rule as the chaincode: an anchor must be a consistent extension of the last one.
 */
import { DomainError } from '../errors/domain-error.ts';
import type { DomainErrorKind } from '../errors/domain-error.ts';

/**
 * Where a checkpoint or a status change was written on the ledger: what a receipt cites. Every value is
 * the ledger's own: its transaction, the block that holds it, and the transaction's timestamp.
 */
export interface LedgerAnchor {
  network: string;
  channel?: string;
  chaincode?: string;
  txId: string;
  blockNumber: number | null;
  /** The ledger transaction's timestamp (not the vault's clock). */
  anchoredAt: string;
  /** Set when this checkpoint is covered by the anchor of a later checkpoint of this size. */
  coveredBySize?: number;
}

export type LedgerLicenceStatus = 'active' | 'suspended' | 'revoked' | 'superseded';

export interface AnchorRequest {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** RFC 9162 consistency proof from the ledger's current anchor for this origin (empty for the first). */
  consistencyProof: Uint8Array[];
}

export interface AnchoredCheckpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  txId: string;
  blockNumber: number | null;
  /** The anchoring transaction's timestamp. */
  anchoredAt: string;
}

/** A status change as the department made it: the time is the one in its log leaf. */
export interface StatusChange {
  /** The log the licence was issued in: a licence's status is kept per origin, so vaults never share one. */
  origin: string;
  licenceId: string;
  status: LedgerLicenceStatus;
  reasonSha256: string;
  /** When the department made the change (RFC 3339, UTC); never earlier than the licence's last change. */
  changedAt: string;
}

export interface LedgerStatusRecord {
  licenceId: string;
  status: LedgerLicenceStatus;
  reasonSha256: string;
  txId: string;
  /** The department's time of the change (what "valid at T" is decided by). */
  changedAt: string;
  /** When the ledger recorded it (its transaction's timestamp): later than changedAt after an outage. */
  recordedAt: string;
}

export interface Ledger {
  readonly kind: 'embedded' | 'fabric';
  anchorCheckpoint(request: AnchorRequest): Promise<LedgerAnchor>;
  getAnchoredCheckpoint(origin: string): Promise<AnchoredCheckpoint | null>;
  /** Records a change; refused (TIME_NOT_INCREASING) when its time is earlier than the licence's last change. */
  setLicenceStatus(change: StatusChange): Promise<LedgerAnchor>;
  /**
   * The status in force at `atTime` (default: now) by the changes' own times, or null when the ledger has
   * none by then. A change the ledger recorded after `atTime` still counts if it was made before it.
   */
  getLicenceStatus(origin: string, licenceId: string, atTime?: Date): Promise<LedgerStatusRecord | null>;
  statusHistory(origin: string, licenceId: string): Promise<LedgerStatusRecord[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Stable error codes, the same words the chaincode uses as message prefixes. */
export type LedgerErrorCode = 'FORK_DETECTED' | 'SIZE_NOT_INCREASING' | 'CONSISTENCY_PROOF_INVALID' | 'TIME_NOT_INCREASING' | 'COMMIT_INVALID' | 'ACCESS_DENIED' | 'INVALID_ARGUMENT' | 'LEDGER_UNAVAILABLE';

/**
 * A ledger refusal or outage as a domain error: an unreachable ledger is `unavailable` (503 with Retry-After
 * at the edge, retried by the anchorer); a refused anchor is a `conflict`; a refusal of the vault's own
 * request (bad arguments, an identity the chaincode does not accept) is the vault's fault: `internal`.
 */
export class LedgerError extends DomainError {
  declare readonly code: LedgerErrorCode;

  constructor(
    code: LedgerErrorCode,
    message: string,
    /** True for errors worth retrying (network, timeouts, MVCC conflicts). */
    readonly transient = false,
  ) {
    // The gateway's message names peers and hosts: it stays in the log and the outbox, clients get a sentence.
    super(LEDGER_ERROR_KIND[code], code, `${code}: ${message}`, {
      publicDetail: code === 'LEDGER_UNAVAILABLE' ? 'the ledger is unavailable; retry later' : `the ledger refused the request (${code})`,
    });
    this.name = 'LedgerError';
  }
}

const LEDGER_ERROR_KIND: Record<LedgerErrorCode, DomainErrorKind> = {
  LEDGER_UNAVAILABLE: 'unavailable',
  FORK_DETECTED: 'conflict',
  SIZE_NOT_INCREASING: 'conflict',
  CONSISTENCY_PROOF_INVALID: 'conflict',
  TIME_NOT_INCREASING: 'conflict',
  /** The ledger ordered the transaction but invalidated it (an endorsement policy not met, say). */
  COMMIT_INVALID: 'internal',
  ACCESS_DENIED: 'internal',
  INVALID_ARGUMENT: 'internal',
};
