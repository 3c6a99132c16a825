import type { HolderAlias } from '../holders/holder-identifier-types.ts';
import type { HolderKind } from '../identity/holder-id.ts';
import type { LogEntry, StatusOutboxEntry } from '../log/log-types.ts';

export type LicenceStatus = 'active' | 'suspended' | 'revoked' | 'superseded';
/** `correct`: superseded by the next version an approved correction issued. */
export type StatusAction = 'issue' | 'suspend' | 'reinstate' | 'revoke' | 'renew' | 'correct';

/** Where a licence digitized from a historic paper certificate came from (chain of custody). */
export interface DigitizedProvenance {
  kind: 'digitized-from-paper';
  sourceSystem: string;
  sourceRecordId: string;
  originalIssueDate: string;
  archiveLocation: string;
  reviewingClerk: string;
  holderIdOriginal: string;
  aliases: Record<string, string>;
  scans: Array<{ fileName: string; sha256: string; mediaType: string }>;
  /** Dates the manifest wrote with a two-digit year, read with the batch's century pivot: column → text as written. */
  dateOriginals?: Record<string, string>;
}

export interface Licence {
  id: string;
  typeKey: string;
  typeCode: string;
  issuerCode: string;
  holder: { kind: HolderKind; id: string; name: string };
  fields: Record<string, unknown>;
  validFrom: string; // YYYY-MM-DD
  validUntil: string | null;
  version: number;
  previousId: string | null;
  status: LicenceStatus;
  document: { sha256: string; key: string; size: number };
  /** Root over the salted field commitments (hex), also in the licence's log leaf. */
  fieldCommitmentRoot: string;
  provenance: DigitizedProvenance | null;
  issuedAt: string; // ISO 8601
}

/** What a write must also do in the same transaction: log leaves and ledger status writes (outbox). */
export interface WriteEffects {
  log: LogEntry[];
  ledger: StatusOutboxEntry[];
}

export interface StatusEvent {
  licenceId: string;
  action: StatusAction;
  fromStatus: LicenceStatus | null;
  toStatus: LicenceStatus;
  reason: string;
  actor: string;
  at: string;
}

export interface NewLicenceRecord {
  licence: Licence;
  /** Per-field salts of the commitments; secret, never part of the API representation. */
  fieldSalts: Record<string, string>;
  /** Salts of the commitments that stand for personal data of the provenance in the public log leaf. */
  provenanceSalts: Record<string, string> | null;
  /** SHA-256 of the verification code printed on the licence (see verification-code.ts). */
  verificationCodeSha256: string;
  /** Identifiers the holder is also known by that this licence brings (crosswalk), added in its transaction. */
  aliases?: HolderAlias[];
  idempotencyKey: string | null;
  requestSha256: string | null;
  event: StatusEvent;
  effects: WriteEffects;
}

export interface LicenceQuery {
  issuerCode?: string;
  holderId?: string;
  typeKey?: string;
  status?: LicenceStatus;
  limit: number;
  /** Opaque cursor: licences strictly after this (issuedAt, id) in newest-first order. */
  after?: { issuedAt: string; id: string };
}

/** The licence store port. Every write is one transaction: a licence never exists without its event. */
export interface LicenceStore {
  /** Next serial for (type, issuer); gaps are allowed (a failed issuance burns its serial), reuse never. */
  allocateSerial(typeCode: string, issuerCode: string): Promise<bigint>;
  insert(record: NewLicenceRecord): Promise<void>;
  get(id: string): Promise<Licence | null>;
  findByDocumentSha256(sha256: string): Promise<Licence | null>;
  findByIdempotencyKey(issuerCode: string, key: string): Promise<{ licence: Licence; requestSha256: string | null } | null>;
  list(query: LicenceQuery): Promise<Licence[]>;
  history(id: string): Promise<StatusEvent[]>;
  /**
   * Changes status if the current status is one of `from` (compare-and-set under a row lock).
   * Returns the updated licence, or the unchanged one when its status was not in `from`.
   */
  changeStatus(id: string, from: LicenceStatus[], event: StatusEvent, effects: WriteEffects): Promise<{ changed: boolean; licence: Licence | null }>;
  /** Inserts the successor and marks the predecessor superseded, atomically; fails if already renewed. */
  renew(previousId: string, from: LicenceStatus[], successor: NewLicenceRecord, supersedeEvent: StatusEvent, supersedeEffects: WriteEffects): Promise<{ changed: boolean; licence: Licence | null }>;
  /** The SHA-256 of a licence's verification code, or null (unknown licence, or issued before codes existed). */
  verificationCodeSha256(id: string): Promise<string | null>;
  /** A licence with the salts of its field commitments (for selective disclosure), in one read. */
  getDisclosable(id: string): Promise<DisclosableLicence | null>;
  listDisclosable(query: LicenceQuery): Promise<DisclosableLicence[]>;
}

export interface DisclosableLicence {
  licence: Licence;
  /** Null for a licence issued before field commitments existed: nothing of it can be disclosed. */
  fieldSalts: Record<string, string> | null;
}

export class LicenceStoreConflict extends Error {
  readonly code = 'LICENCE_CONFLICT';
}
