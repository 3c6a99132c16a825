import type { Database } from '../db/database.ts';
import { isoTime as iso } from '../db/database.ts';
import type { AgentAppointment, AgentScope, AgentStore } from './agent-types.ts';

interface AppointmentRow {
  id: string;
  company_id: string;
  agent_id: string;
  agent_name: string | null;
  scopes: AgentScope[];
  valid_from: Date | string;
  valid_until: Date | string;
  appointed_at: Date | string;
  revoked_at: Date | string | null;
}

function fromRow(r: AppointmentRow): AgentAppointment {
  return {
    id: r.id, companyId: r.company_id, agentId: r.agent_id, agentName: r.agent_name,
    scopes: r.scopes,
    validFrom: iso(r.valid_from), validUntil: iso(r.valid_until), appointedAt: iso(r.appointed_at), revokedAt: r.revoked_at === null ? null : iso(r.revoked_at),
  };
}

export function createAgentStore(db: Database): AgentStore {
  const newestFirst = [{ column: 'appointed_at', order: 'desc' as const }, { column: 'id', order: 'desc' as const }];
  return {
    async insert(a) {
      await db('company_agents').insert({
        id: a.id, company_id: a.companyId, agent_id: a.agentId, agent_name: a.agentName, scopes: JSON.stringify(a.scopes),
        valid_from: a.validFrom, valid_until: a.validUntil, appointed_at: a.appointedAt, revoked_at: a.revokedAt,
      });
    },
    async get(id) {
      const row = await db<AppointmentRow>('company_agents').where({ id }).first();
      return row ? fromRow(row) : null;
    },
    async listByCompany(companyId) {
      return (await db<AppointmentRow>('company_agents').where({ company_id: companyId }).orderBy(newestFirst)).map(fromRow);
    },
    async listByAgent(agentId) {
      return (await db<AppointmentRow>('company_agents').where({ agent_id: agentId }).orderBy(newestFirst)).map(fromRow);
    },
    async revoke(id, at) {
      return (await db('company_agents').where({ id }).whereNull('revoked_at').update({ revoked_at: at })) > 0;
    },
  };
}
