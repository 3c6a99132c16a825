/**
 * What an appointment lets the agent do for the company, like the 授权范围 of a letter of authorisation:
 * read its licences and download their PDFs; grant, inspect and withdraw its consents; read its data tracker.
 */
export const AGENT_SCOPES = ['licences', 'consents', 'accesses'] as const;
export type AgentScope = (typeof AGENT_SCOPES)[number];

/**
 * The operations an agent may call for the company, each with the scope it needs. An agent calling any
 * other operation is refused at the edge, so a route added later is closed to agents until listed here.
 */
export const AGENT_SCOPE_OF_OPERATION: Readonly<Record<string, AgentScope>> = {
  listLicences: 'licences',
  getLicence: 'licences',
  getLicenceDocument: 'licences',
  getLicenceHistory: 'licences',
  getLicenceReceipt: 'licences',
  getLicenceValidity: 'licences',
  presentLicence: 'licences',
  requestCorrection: 'licences',
  listMyCorrections: 'licences',
  getCorrection: 'licences',
  getCorrectionEvidence: 'licences',
  grantConsent: 'consents',
  listMyConsents: 'consents',
  getConsent: 'consents',
  withdrawConsent: 'consents',
  listMyConsentRequests: 'consents',
  getMyConsentRequest: 'consents',
  approveConsentRequest: 'consents',
  declineConsentRequest: 'consents',
  listMyAccesses: 'accesses',
  listMyNotifications: 'accesses',
  markMyNotificationsSeen: 'accesses',
};

/** A person appointed by a company to act for it in the vault (consents, licences, its data tracker). */
export interface AgentAppointment {
  id: string;
  /** The company's unified social credit code. */
  companyId: string;
  /** The agent's resident ID number. */
  agentId: string;
  agentName: string | null;
  scopes: AgentScope[];
  validFrom: string;
  validUntil: string;
  appointedAt: string;
  revokedAt: string | null;
}

export type AgentAppointmentStatus = 'ACTIVE' | 'PENDING' | 'EXPIRED' | 'REVOKED';

export function appointmentStatus(a: AgentAppointment, now: Date): AgentAppointmentStatus {
  if (a.revokedAt) return 'REVOKED';
  if (now.getTime() < Date.parse(a.validFrom)) return 'PENDING';
  if (now.getTime() >= Date.parse(a.validUntil)) return 'EXPIRED';
  return 'ACTIVE';
}

/** The agent appointment store port. */
export interface AgentStore {
  insert(appointment: AgentAppointment): Promise<void>;
  get(id: string): Promise<AgentAppointment | null>;
  listByCompany(companyId: string): Promise<AgentAppointment[]>;
  listByAgent(agentId: string): Promise<AgentAppointment[]>;
  /** Sets revokedAt if not yet revoked; false when it already was. */
  revoke(id: string, at: string): Promise<boolean>;
}
