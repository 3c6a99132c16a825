/** CorrectionStore on knex (PostgreSQL or PGlite). */
import type { Database } from '../db/database.ts';
import { isoTime as iso } from '../db/database.ts';
import type { Correction, CorrectionStore } from './correction-types.ts';

function fromRow(r: Record<string, any>): Correction {
  return {
    id: r.id, licenceId: r.licence_id, issuerCode: r.issuer_code, holderId: r.holder_id, requestedBy: r.requested_by,
    fields: r.fields, reason: r.reason, evidence: r.evidence ?? null, status: r.status, decidedBy: r.decided_by,
    decisionReason: r.decision_reason, successorId: r.successor_id, createdAt: iso(r.created_at), deadline: iso(r.deadline),
    decidedAt: r.decided_at ? iso(r.decided_at) : null,
  };
}

export function createCorrectionStore(db: Database): CorrectionStore {
  return {
    async insert(c) {
      await db('licence_corrections').insert({
        id: c.id, licence_id: c.licenceId, issuer_code: c.issuerCode, holder_id: c.holderId, requested_by: c.requestedBy,
        fields: JSON.stringify(c.fields), reason: c.reason, evidence: c.evidence ? JSON.stringify(c.evidence) : null, status: c.status,
        decided_by: null, decision_reason: null, successor_id: null, created_at: c.createdAt, deadline: c.deadline, decided_at: null,
      });
    },
    async get(id) {
      const row = await db('licence_corrections').where({ id }).first();
      return row ? fromRow(row) : null;
    },
    async list(filter, limit) {
      const q = db('licence_corrections').orderBy('created_at', 'desc').limit(limit);
      if (filter.issuerCode) q.where({ issuer_code: filter.issuerCode });
      if (filter.holderId) q.where({ holder_id: filter.holderId });
      if (filter.status) q.where({ status: filter.status });
      if (filter.overdueAt) q.where({ status: 'pending' }).andWhere('deadline', '<', filter.overdueAt);
      return (await q).map(fromRow);
    },
    async decide(id, d) {
      const updated = await db('licence_corrections').where({ id, status: 'pending' }).update({
        status: d.status, decided_by: d.decidedBy, decision_reason: d.reason, successor_id: d.successorId, decided_at: d.at,
      });
      return updated === 1;
    },
    async pendingFor(licenceId) {
      const row = await db('licence_corrections').where({ licence_id: licenceId, status: 'pending' }).first();
      return row ? fromRow(row) : null;
    },
    async deadlineDays(issuerCode) {
      const row = await db('departments').where({ code: issuerCode }).first('correction_deadline_days');
      return row?.correction_deadline_days ?? null;
    },
    async setDeadlineDays(issuerCode, days) {
      await db('departments').where({ code: issuerCode }).update({ correction_deadline_days: days });
    },
  };
}
