import type { Database } from '../db/database.ts';
import { isoTime as iso } from '../db/database.ts';
import type { Consent, ConsentStore } from './consent-types.ts';

interface ConsentRow {
  id: string;
  holder_id: string;
  holder_kind: Consent['holder']['kind'];
  requester_code: string;
  purpose_code: string;
  purpose_text: string;
  licence_types: string[];
  licence_ids: string[] | null;
  fields: string[];
  allow_document: boolean;
  valid_from: Date | string;
  valid_until: Date | string;
  max_uses: number;
  uses: number;
  status: Consent['storedStatus'];
  revoked_at: Date | string | null;
  created_at: Date | string;
  artefact: string;
  granted_by_agent: string | null;
  withdrawn_by_agent: string | null;
}


function fromRow(r: ConsentRow): Consent {
  return {
    id: r.id,
    holder: { id: r.holder_id, kind: r.holder_kind },
    requester: r.requester_code,
    purpose: { code: r.purpose_code, text: r.purpose_text },
    licenceTypes: r.licence_types,
    licenceIds: r.licence_ids,
    fields: r.fields,
    allowDocument: r.allow_document,
    validFrom: iso(r.valid_from),
    validUntil: iso(r.valid_until),
    maxUses: r.max_uses,
    uses: r.uses,
    storedStatus: r.status,
    revokedAt: r.revoked_at === null ? null : iso(r.revoked_at),
    createdAt: iso(r.created_at),
    artefact: r.artefact,
    grantedByAgent: r.granted_by_agent,
    withdrawnByAgent: r.withdrawn_by_agent,
  };
}

export function createConsentStore(db: Database): ConsentStore {
  return {
    async insert(c) {
      await db('consents').insert({
        id: c.id, holder_id: c.holder.id, holder_kind: c.holder.kind, requester_code: c.requester,
        purpose_code: c.purpose.code, purpose_text: c.purpose.text,
        licence_types: JSON.stringify(c.licenceTypes), licence_ids: c.licenceIds ? JSON.stringify(c.licenceIds) : null,
        fields: JSON.stringify(c.fields), allow_document: c.allowDocument,
        valid_from: c.validFrom, valid_until: c.validUntil, max_uses: c.maxUses, uses: c.uses,
        status: c.storedStatus, revoked_at: c.revokedAt, created_at: c.createdAt, artefact: c.artefact,
        granted_by_agent: c.grantedByAgent, withdrawn_by_agent: c.withdrawnByAgent,
      });
    },
    async get(id) {
      const row = await db<ConsentRow>('consents').where({ id }).first();
      return row ? fromRow(row) : null;
    },
    async listByHolder(holderId) {
      return (await db<ConsentRow>('consents').where({ holder_id: holderId }).orderBy('created_at', 'desc')).map(fromRow);
    },
    async withdraw(id, at, byAgent) {
      const n = await db('consents').where({ id, status: 'ACTIVE' }).update({ status: 'REVOKED', revoked_at: at, withdrawn_by_agent: byAgent });
      return n > 0;
    },
  };
}
