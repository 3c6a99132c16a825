/** Types of the consent-checked exchange. */

export type RefusalCode =
  | 'NO_CONSENT'
  | 'CONSENT_EXPIRED'
  | 'CONSENT_REVOKED'
  | 'CONSENT_EXHAUSTED'
  | 'FIELD_NOT_COVERED'
  | 'NOT_SHARED'
  | 'PURPOSE_MISMATCH'
  | 'LICENCE_NOT_FOUND'
  | 'RATE_LIMITED';

export type BasisKind = 'consent' | 'legal-basis' | 'unconditional';

export interface LegalBasis {
  id: string;
  requester: string;
  serviceItem: { code: string; name: string };
  licenceTypes: string[];
  fields: string[];
  legalReference: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface AccessRecord {
  id: string;
  at: string;
  requester: string;
  officialId: string;
  caseNumber: string;
  serviceItem: string;
  basisKind: BasisKind;
  basisId: string | null;
  holderId: string;
  licenceIds: string[];
  fields: string[];
  result: 'ALLOWED' | 'REFUSED';
  reasonCode: 'OK' | RefusalCode;
}

export interface ExchangeAlert {
  id: string;
  requester: string;
  kind: string;
  detail: Record<string, unknown>;
  windowStart: string;
  at: string;
}
