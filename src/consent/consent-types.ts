import type { HolderKind } from '../identity/holder-id.ts';

/** Stored status; EXPIRED and EXHAUSTED are derived from the window and the use count. */
export type StoredConsentStatus = 'ACTIVE' | 'REVOKED';
export type ConsentStatus = 'ACTIVE' | 'REVOKED' | 'EXPIRED' | 'EXHAUSTED';

export interface Consent {
  id: string;
  holder: { id: string; kind: HolderKind };
  requester: string;
  purpose: { code: string; text: string };
  licenceTypes: string[];
  licenceIds: string[] | null;
  fields: string[];
  allowDocument: boolean;
  validFrom: string;
  validUntil: string;
  maxUses: number;
  uses: number;
  storedStatus: StoredConsentStatus;
  revokedAt: string | null;
  createdAt: string;
  artefact: string;
  /** The company's appointed agent (resident ID) who granted it; null when the holder did so themselves. */
  grantedByAgent: string | null;
  /** The company's appointed agent who withdrew it; null when not withdrawn, or withdrawn by the holder. */
  withdrawnByAgent: string | null;
}

export function consentStatus(c: Consent, now: Date): ConsentStatus {
  if (c.storedStatus === 'REVOKED') return 'REVOKED';
  if (now.getTime() < Date.parse(c.validFrom) || now.getTime() >= Date.parse(c.validUntil)) return 'EXPIRED';
  if (c.uses >= c.maxUses) return 'EXHAUSTED';
  return 'ACTIVE';
}

/**
 * Port: consents. Uses are counted where an allowed exchange request is recorded
 * (AccessLogStore.recordAllowedAccess): atomically with the record, never over the maximum.
 */
export interface ConsentStore {
  insert(consent: Consent): Promise<void>;
  get(id: string): Promise<Consent | null>;
  listByHolder(holderId: string): Promise<Consent[]>;
  withdraw(id: string, at: string, byAgent: string | null): Promise<boolean>;
}
