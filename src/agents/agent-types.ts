/** A person appointed by a company to act for it in the vault (consents, licences, its data tracker). */
export interface AgentAppointment {
  id: string;
  /** The company's unified social credit code. */
  companyId: string;
  /** The agent's resident ID number. */
  agentId: string;
  agentName: string | null;
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
