/** LicenceStore on knex: the same SQL on PostgreSQL and PGlite. */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import { isoTime } from '../db/database.ts';
import { addAliasesIn } from '../holders/holder-identifier-store.ts';
import { appendLeaves, enqueueLedgerStatus } from '../log/log-store.ts';
import type { Licence, LicenceQuery, LicenceStatus, LicenceStore, NewLicenceRecord, StatusEvent, WriteEffects } from './licence-types.ts';
import { LicenceStoreConflict } from './licence-types.ts';

interface LicenceRow {
  id: string;
  type_key: string;
  type_code: string;
  issuer_code: string;
  holder_kind: Licence['holder']['kind'];
  holder_id: string;
  holder_name: string;
  fields: Record<string, unknown>;
  valid_from: Date | string;
  valid_until: Date | string | null;
  version: number;
  previous_id: string | null;
  status: LicenceStatus;
  document_sha256: string;
  document_key: string;
  document_size: number;
  issued_at: Date | string;
  idempotency_key: string | null;
  request_sha256: string | null;
  field_salts: Record<string, string> | null;
  provenance_salts: Record<string, string> | null;
  verification_code_sha256: string | null;
  field_commitment_root: string | null;
  provenance: Licence['provenance'];
}

interface EventRow {
  licence_id: string;
  action: StatusEvent['action'];
  from_status: LicenceStatus | null;
  to_status: LicenceStatus;
  reason: string;
  actor: string;
  at: Date | string;
}

/** DATE columns come back as local-midnight Date objects from pg; format them without a timezone shift. */
function dateOnly(value: Date | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

function fromRow(r: LicenceRow): Licence {
  return {
    id: r.id,
    typeKey: r.type_key,
    typeCode: r.type_code,
    issuerCode: r.issuer_code,
    holder: { kind: r.holder_kind, id: r.holder_id, name: r.holder_name },
    fields: r.fields,
    validFrom: dateOnly(r.valid_from),
    validUntil: r.valid_until === null ? null : dateOnly(r.valid_until),
    version: r.version,
    previousId: r.previous_id,
    status: r.status,
    document: { sha256: r.document_sha256, key: r.document_key, size: r.document_size },
    fieldCommitmentRoot: r.field_commitment_root ?? '',
    provenance: r.provenance ?? null,
    issuedAt: isoTime(r.issued_at),
  };
}

function toRow(record: NewLicenceRecord): LicenceRow {
  const l = record.licence;
  return {
    id: l.id,
    type_key: l.typeKey,
    type_code: l.typeCode,
    issuer_code: l.issuerCode,
    holder_kind: l.holder.kind,
    holder_id: l.holder.id,
    holder_name: l.holder.name,
    fields: JSON.stringify(l.fields) as unknown as Record<string, unknown>,
    valid_from: l.validFrom,
    valid_until: l.validUntil,
    version: l.version,
    previous_id: l.previousId,
    status: l.status,
    document_sha256: l.document.sha256,
    document_key: l.document.key,
    document_size: l.document.size,
    issued_at: l.issuedAt,
    idempotency_key: record.idempotencyKey,
    request_sha256: record.requestSha256,
    field_salts: JSON.stringify(record.fieldSalts) as unknown as Record<string, string>,
    field_commitment_root: l.fieldCommitmentRoot,
    provenance: (l.provenance ? JSON.stringify(l.provenance) : null) as unknown as Licence['provenance'],
    provenance_salts: (record.provenanceSalts ? JSON.stringify(record.provenanceSalts) : null) as unknown as Record<string, string> | null,
    verification_code_sha256: record.verificationCodeSha256,
  };
}

function eventRow(e: StatusEvent): EventRow {
  return { licence_id: e.licenceId, action: e.action, from_status: e.fromStatus, to_status: e.toStatus, reason: e.reason, actor: e.actor, at: e.at };
}

function eventFromRow(r: EventRow): StatusEvent {
  return { licenceId: r.licence_id, action: r.action, fromStatus: r.from_status, toStatus: r.to_status, reason: r.reason, actor: r.actor, at: isoTime(r.at) };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505';
}

export function createLicenceStore(db: Database): LicenceStore {
  const applyEffects = async (trx: Knex.Transaction, effects: WriteEffects) => {
    await appendLeaves(trx, effects.log);
    await enqueueLedgerStatus(trx, effects.ledger);
  };
  const insertRecord = async (trx: Knex.Transaction, record: NewLicenceRecord) => {
    await trx('licences').insert(toRow(record));
    await trx('licence_status_events').insert(eventRow(record.event));
    await applyEffects(trx, record.effects);
    // An identifier another holder already has is reported as a conflict, and the licence is issued anyway.
    if (record.aliases?.length) await addAliasesIn(trx, record.aliases);
  };

  const verificationCodeSha256 = async (id: string) => {
    const row = await db<LicenceRow>('licences').where({ id }).first('verification_code_sha256');
    return row?.verification_code_sha256 ?? null;
  };
  const getDisclosable = async (id: string) => {
    const row = await db<LicenceRow>('licences').where({ id }).first();
    return row ? { licence: fromRow(row), fieldSalts: row.field_salts } : null;
  };
  const listQuery = (q: LicenceQuery) => {
    const query = db<LicenceRow>('licences').orderBy([{ column: 'issued_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(q.limit);
    if (q.issuerCode) query.where('issuer_code', q.issuerCode);
    if (q.holderId) query.where('holder_id', q.holderId);
    if (q.typeKey) query.where('type_key', q.typeKey);
    if (q.status) query.where('status', q.status);
    if (q.after) {
      const { issuedAt, id } = q.after;
      query.where((w) => w.where('issued_at', '<', issuedAt).orWhere((x) => x.where('issued_at', '=', issuedAt).andWhere('id', '<', id)));
    }
    return query;
  };

  return {
    verificationCodeSha256,
    async allocateSerial(typeCode, issuerCode) {
      const result = await db.raw<{ rows: Array<{ last_serial: string | number }> }>(
        `INSERT INTO licence_serials (type_code, issuer_code, last_serial) VALUES (?, ?, 1)
         ON CONFLICT (type_code, issuer_code) DO UPDATE SET last_serial = licence_serials.last_serial + 1
         RETURNING last_serial`,
        [typeCode, issuerCode],
      );
      return BigInt(result.rows[0]!.last_serial);
    },

    async insert(record) {
      try {
        await db.transaction((trx) => insertRecord(trx, record));
      } catch (error) {
        if (isUniqueViolation(error)) throw new LicenceStoreConflict(`licence ${record.licence.id} conflicts with an existing record`);
        throw error;
      }
    },

    async get(id) {
      return (await getDisclosable(id))?.licence ?? null;
    },

    async findByDocumentSha256(sha256) {
      const row = await db<LicenceRow>('licences').where({ document_sha256: sha256 }).first();
      return row ? fromRow(row) : null;
    },

    async findByIdempotencyKey(issuerCode, key) {
      const row = await db<LicenceRow>('licences').where({ issuer_code: issuerCode, idempotency_key: key }).first();
      return row ? { licence: fromRow(row), requestSha256: row.request_sha256 } : null;
    },

    async list(q) {
      return (await listQuery(q)).map(fromRow);
    },

    getDisclosable,

    async listDisclosable(q) {
      return (await listQuery(q)).map((row) => ({ licence: fromRow(row), fieldSalts: row.field_salts }));
    },

    async history(id) {
      const rows = await db<EventRow>('licence_status_events').where({ licence_id: id }).orderBy('id');
      return rows.map(eventFromRow);
    },

    async changeStatus(id, from, event, effects) {
      return db.transaction(async (trx) => {
        const row = await trx<LicenceRow>('licences').where({ id }).forUpdate().first();
        if (!row) return { changed: false, licence: null };
        if (!from.includes(row.status)) return { changed: false, licence: fromRow(row) };
        const updated = await trx<LicenceRow>('licences').where({ id }).update({ status: event.toStatus }).returning('*');
        await trx('licence_status_events').insert(eventRow({ ...event, fromStatus: row.status }));
        await applyEffects(trx, effects);
        return { changed: true, licence: fromRow(updated[0]!) };
      });
    },

    async renew(previousId, from, successor, supersedeEvent, supersedeEffects) {
      try {
        return await db.transaction(async (trx) => {
          const row = await trx<LicenceRow>('licences').where({ id: previousId }).forUpdate().first();
          if (!row) return { changed: false, licence: null };
          if (!from.includes(row.status)) return { changed: false, licence: fromRow(row) };
          await trx<LicenceRow>('licences').where({ id: previousId }).update({ status: 'superseded' });
          await trx('licence_status_events').insert(eventRow({ ...supersedeEvent, fromStatus: row.status }));
          await applyEffects(trx, supersedeEffects);
          await insertRecord(trx, successor);
          return { changed: true, licence: successor.licence };
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new LicenceStoreConflict(`licence ${previousId} was already renewed`);
        throw error;
      }
    },
  };
}
