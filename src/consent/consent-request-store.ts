/** ConsentRequestStore on knex (PostgreSQL or PGlite). */
import type { Database } from '../db/database.ts';
import { isoTime as iso } from '../db/database.ts';
import type { ConsentRequest, ConsentRequestStore } from './consent-request-types.ts';

function fromRow(r: Record<string, any>): ConsentRequest {
  return {
    id: r.id, requester: r.requester_code, holderId: r.holder_id, serviceItem: r.service_item,
    licenceTypes: r.licence_types, fields: r.fields, allowDocument: r.allow_document,
    consentValidUntil: iso(r.consent_valid_until), maxUses: Number(r.max_uses), caseNumber: r.case_number, officialId: r.official_id,
    status: r.status, consentId: r.consent_id, answeredBy: r.answered_by, declineReason: r.decline_reason,
    createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), answeredAt: r.answered_at ? iso(r.answered_at) : null,
  };
}

export function createConsentRequestStore(db: Database): ConsentRequestStore {
  return {
    async insert(r) {
      await db('consent_requests').insert({
        id: r.id, requester_code: r.requester, holder_id: r.holderId, service_item: r.serviceItem,
        licence_types: JSON.stringify(r.licenceTypes), fields: JSON.stringify(r.fields), allow_document: r.allowDocument,
        consent_valid_until: r.consentValidUntil, max_uses: r.maxUses, case_number: r.caseNumber, official_id: r.officialId,
        status: r.status, consent_id: null, answered_by: null, decline_reason: null, created_at: r.createdAt, expires_at: r.expiresAt, answered_at: null,
      });
    },
    async get(id) {
      const row = await db('consent_requests').where({ id }).first();
      return row ? fromRow(row) : null;
    },
    async listByRequester(requester, limit) {
      return (await db('consent_requests').where({ requester_code: requester }).orderBy('created_at', 'desc').limit(limit)).map(fromRow);
    },
    async listPendingForHolder(holderId, now) {
      return (await db('consent_requests').where({ holder_id: holderId, status: 'pending' }).andWhere('expires_at', '>', now).orderBy('created_at', 'desc')).map(fromRow);
    },
    async answer(id, a) {
      const updated = await db('consent_requests').where({ id, status: 'pending' }).update({
        status: a.status, consent_id: a.consentId, answered_by: a.answeredBy, decline_reason: a.declineReason, answered_at: a.at,
      });
      return updated === 1;
    },
  };
}
