/** Department-initiated consent: the request a window raises, and its store port. */

export type ConsentRequestStatus = 'pending' | 'approved' | 'declined' | 'expired';

export interface ConsentRequest {
  /** Unguessable (128 bits): the link a citizen opens carries it. */
  id: string;
  requester: string;
  /** The holder the request is for; null when whoever opens the link and signs in may answer it. */
  holderId: string | null;
  serviceItem: string;
  licenceTypes: string[];
  fields: string[];
  allowDocument: boolean;
  /** Until when the consent, once given, lasts. */
  consentValidUntil: string;
  maxUses: number;
  caseNumber: string | null;
  officialId: string | null;
  /** Stored status; `expired` is derived from `expiresAt` while pending. */
  status: Exclude<ConsentRequestStatus, 'expired'>;
  consentId: string | null;
  answeredBy: string | null;
  declineReason: string | null;
  createdAt: string;
  /** The holder must answer before this. */
  expiresAt: string;
  answeredAt: string | null;
}

export function requestStatus(r: ConsentRequest, now: Date): ConsentRequestStatus {
  return r.status === 'pending' && now.getTime() >= Date.parse(r.expiresAt) ? 'expired' : r.status;
}

export interface ConsentRequestStore {
  insert(request: ConsentRequest): Promise<void>;
  get(id: string): Promise<ConsentRequest | null>;
  listByRequester(requester: string, limit: number): Promise<ConsentRequest[]>;
  listPendingForHolder(holderId: string, now: Date): Promise<ConsentRequest[]>;
  /** Answers a pending request (compare-and-set): false when it was already answered. */
  answer(id: string, answer: { status: 'approved' | 'declined'; consentId: string | null; answeredBy: string; declineReason: string | null; at: string }): Promise<boolean>;
}
