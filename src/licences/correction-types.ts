/** Corrections a holder asks for: types and the store port. */

export type CorrectionStatus = 'pending' | 'approved' | 'rejected';

export interface CorrectionEvidence {
  key: string;
  fileName: string;
  mediaType: 'image/jpeg' | 'image/png' | 'application/pdf';
  size: number;
  sha256: string;
}

export interface Correction {
  id: string;
  licenceId: string;
  issuerCode: string;
  holderId: string;
  /** The holder, or the company's agent (resident ID) who asked for it. */
  requestedBy: string;
  /** Field name → corrected value; `holderName` corrects the holder's name. */
  fields: Record<string, unknown>;
  reason: string;
  evidence: CorrectionEvidence | null;
  status: CorrectionStatus;
  decidedBy: string | null;
  decisionReason: string | null;
  /** The next version an approval issued. */
  successorId: string | null;
  createdAt: string;
  /** The issuing department answers before this (its own deadline). */
  deadline: string;
  decidedAt: string | null;
}

export interface CorrectionFilter {
  issuerCode?: string;
  holderId?: string;
  status?: CorrectionStatus;
  /** Only pending ones whose deadline passed before this time. */
  overdueAt?: Date;
}

export interface CorrectionStore {
  insert(correction: Correction): Promise<void>;
  get(id: string): Promise<Correction | null>;
  list(filter: CorrectionFilter, limit: number): Promise<Correction[]>;
  /** Decides a pending correction (compare-and-set); false when it was already decided. */
  decide(id: string, decision: { status: 'approved' | 'rejected'; decidedBy: string; reason: string; successorId: string | null; at: string }): Promise<boolean>;
  /** The pending correction of a licence, if any (one at a time per licence). */
  pendingFor(licenceId: string): Promise<Correction | null>;
  deadlineDays(issuerCode: string): Promise<number | null>;
  setDeadlineDays(issuerCode: string, days: number): Promise<void>;
}
