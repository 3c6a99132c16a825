/**
 * Ledger port: where checkpoints are anchored and licence status is kept, so a verifier asks the
 * ledger, not the vault. Adapters: the embedded signed hash chain (default) and Hyperledger Fabric.
 * Both enforce the same rule as the chaincode: an anchor must be a consistent extension of the last one.
 */
import type { LedgerAnchor } from '../transparency/log-types.ts';

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
  anchoredAt: string;
}

export interface LedgerStatusRecord {
  licenceId: string;
  status: LedgerLicenceStatus;
  reasonSha256: string;
  txId: string;
  changedAt: string;
}

export interface Ledger {
  readonly kind: 'embedded' | 'fabric';
  anchorCheckpoint(request: AnchorRequest): Promise<LedgerAnchor>;
  getAnchoredCheckpoint(origin: string): Promise<AnchoredCheckpoint | null>;
  setLicenceStatus(licenceId: string, status: LedgerLicenceStatus, reasonSha256: string): Promise<LedgerAnchor>;
  /** The status in force at `atTime` (default: now), or null when the ledger has none. */
  getLicenceStatus(licenceId: string, atTime?: Date): Promise<LedgerStatusRecord | null>;
  statusHistory(licenceId: string): Promise<LedgerStatusRecord[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Stable error codes, the same words the chaincode uses as message prefixes. */
export type LedgerErrorCode = 'FORK_DETECTED' | 'SIZE_NOT_INCREASING' | 'CONSISTENCY_PROOF_INVALID' | 'ACCESS_DENIED' | 'INVALID_ARGUMENT' | 'LEDGER_UNAVAILABLE';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    /** True for errors worth retrying (network, timeouts, MVCC conflicts). */
    readonly transient = false,
  ) {
    super(`${code}: ${message}`);
  }
}
