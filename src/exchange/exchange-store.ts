/**
 * Exchange storage on knex: the legal-basis catalogue (every change logged), the access log (each record
 * also a leaf of the access transparency log, in the same transaction) and alerts.
 */
import { sha256Hex } from '../hashing/sha256.ts';
import type { Database } from '../db/database.ts';
import { isDatabaseUnavailableError, isoTime as iso } from '../db/database.ts';
import { appendLeaves, canonicalLeaf } from '../log/log-store.ts';
import { GroupCommit } from '../db/group-commit.ts';
import type { LicenceStatus } from '../licences/licence-types.ts';
import type { AccessFilter, AccessLogStore, AccessRecord, CatalogueChange, CheckedBasis, ExchangeAlert, ExchangeStore, LegalBasis } from './exchange-types.ts';
import type { RateCountDelta, SharedCounterStore } from './rate-counters.ts';


function legalBasisFromRow(r: Record<string, any>): LegalBasis {
  return {
    id: r.id,
    requester: r.requester_code,
    serviceItem: { code: r.service_item_code, name: r.service_item_name },
    licenceTypes: r.licence_types,
    fields: r.fields,
    legalReference: r.legal_reference,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    revokedAt: r.revoked_at ? iso(r.revoked_at) : null,
  };
}

function accessFromRow(r: Record<string, any>): AccessRecord {
  return {
    id: r.id, at: iso(r.at), requester: r.requester_code, officialId: r.official_id, caseNumber: r.case_number,
    serviceItem: r.service_item, basisKind: r.basis_kind, basisId: r.basis_id, holderId: r.holder_id,
    ...(r.identifier_used ? { identifierUsed: r.identifier_used } : {}),
    licenceIds: r.licence_ids, fields: r.fields, result: r.result, reasonCode: r.reason_code,
  };
}

/** The fields of an access record its public leaf shows (the rest is only in the record's hash). */
type AccessLeafFields = Pick<AccessRecord, 'id' | 'at' | 'requester' | 'serviceItem' | 'result' | 'reasonCode'>;

function leafFieldsFromRow(r: Record<string, any>): AccessLeafFields {
  return { id: r.id, at: iso(r.at), requester: r.requester_code, serviceItem: r.service_item, result: r.result, reasonCode: r.reason_code };
}

/** The hash a holder can recompute from the record shown to them; the public leaf carries only this. */
export function accessRecordSha256(record: AccessRecord): string {
  return sha256Hex(canonicalLeaf(record as unknown as Record<string, unknown>));
}

/**
 * The public leaf of an access record. `recordSha256` is the hash stored when the request was recorded:
 * the leaf commits to the record as it was then, so a row changed before sequencing no longer matches.
 */
export function accessLeaf(record: AccessLeafFields, recordSha256: string) {
  return { kind: 'access', accessId: record.id, at: record.at, requester: record.requester, serviceItem: record.serviceItem, result: record.result, reasonCode: record.reasonCode, recordSha256 };
}

/** The access_log row of a record, its JSON columns as arrays (JSON text for knex is made where knex needs it). */
function accessRow(record: AccessRecord) {
  return {
    id: record.id, at: record.at, requester_code: record.requester, official_id: record.officialId, case_number: record.caseNumber,
    service_item: record.serviceItem, basis_kind: record.basisKind, basis_id: record.basisId, holder_id: record.holderId, identifier_used: record.identifierUsed ?? null,
    licence_ids: record.licenceIds, fields: record.fields, result: record.result,
    reason_code: record.reasonCode, record_sha256: accessRecordSha256(record),
  };
}

interface AllowedAccess {
  record: AccessRecord;
  basis: CheckedBasis;
  now: Date;
}

/** Both exchange ports and the shared rate counters on knex (PostgreSQL or PGlite): one class, one pool. */
export class KnexExchangeStore implements ExchangeStore, AccessLogStore, SharedCounterStore {
  constructor(private readonly db: Database, readonly accessLogOrigin: string) {}

  async createLegalBasis(basis: LegalBasis): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('legal_bases').insert({
        id: basis.id, requester_code: basis.requester, service_item_code: basis.serviceItem.code, service_item_name: basis.serviceItem.name,
        licence_types: JSON.stringify(basis.licenceTypes), fields: JSON.stringify(basis.fields), legal_reference: basis.legalReference,
        created_by: basis.createdBy, created_at: basis.createdAt, revoked_at: null,
      });
      await trx('catalogue_changes').insert({ actor: basis.createdBy, action: 'legal-basis.create', entity_id: basis.id, before: null, after: JSON.stringify(basis), at: basis.createdAt });
    });
  }

  async revokeLegalBasis(id: string, actor: string, at: string): Promise<LegalBasis | null> {
    return this.db.transaction(async (trx) => {
      const row = await trx('legal_bases').where({ id }).forUpdate().first();
      if (!row || row.revoked_at) return row ? legalBasisFromRow(row) : null;
      await trx('legal_bases').where({ id }).update({ revoked_at: at });
      const after = legalBasisFromRow({ ...row, revoked_at: at });
      await trx('catalogue_changes').insert({ actor, action: 'legal-basis.revoke', entity_id: id, before: JSON.stringify(legalBasisFromRow(row)), after: JSON.stringify(after), at });
      return after;
    });
  }

  async getLegalBasis(id: string): Promise<LegalBasis | null> {
    const row = await this.db('legal_bases').where({ id }).first();
    return row ? legalBasisFromRow(row) : null;
  }

  async listLegalBases(requester?: string): Promise<LegalBasis[]> {
    const q = this.db('legal_bases').orderBy('created_at', 'desc');
    if (requester) q.where({ requester_code: requester });
    return (await q).map(legalBasisFromRow);
  }

  async catalogueChanges(limit: number): Promise<CatalogueChange[]> {
    const rows = await this.db('catalogue_changes').orderBy('id', 'desc').limit(limit);
    return rows.map((r) => ({ id: Number(r.id), actor: r.actor, action: r.action, entityId: r.entity_id, before: r.before, after: r.after, at: iso(r.at) }));
  }

  /** Records one exchange request; the sequencer appends it to the access log shortly after. */
  async recordAccess(record: AccessRecord): Promise<void> {
    const row = accessRow(record);
    // knex would send a JS array as a PostgreSQL array, not as jsonb.
    await this.db('access_log').insert({ ...row, licence_ids: JSON.stringify(row.licence_ids), fields: JSON.stringify(row.fields) });
  }

  /**
   * Records an allowed request and returns the current status of each licence it names, or null, recording
   * nothing, when the request's consent is no longer usable at `now` (withdrawn, expired or used up
   * meanwhile) or its legal basis has been revoked. Under a consent one use is spent if and only if the
   * access is recorded, and the consent's row lock serialises concurrent uses, so a 3-use consent answers
   * exactly 3 of 50 parallel requests.
   * Requests arriving while a batch is being written go together in the next one (group commit): under
   * load, one round trip and one commit serve many requests (see record_allowed_accesses, migration 006).
   */
  recordAllowedAccess(record: AccessRecord, basis: CheckedBasis, now: Date): Promise<Map<string, LicenceStatus> | null> {
    return this.allowedAccesses.submit({ record, basis, now });
  }

  private readonly allowedAccesses = new GroupCommit(async (items: AllowedAccess[]) => {
    const batch = items.map(({ record, basis, now }) => ({
      consentId: basis && 'consentId' in basis ? basis.consentId : null,
      legalBasisId: basis && 'legalBasisId' in basis ? basis.legalBasisId : null,
      now: now.toISOString(), row: accessRow(record),
    }));
    const result = await this.db.raw<{ rows: Array<{ ord: number; statuses: Record<string, LicenceStatus> | null }> }>(
      'SELECT ord, statuses FROM record_allowed_accesses(?::jsonb)', [JSON.stringify(batch)],
    );
    const recorded = new Map(result.rows.map((r) => [Number(r.ord), r.statuses ?? {}]));
    return items.map((_, i) => {
      const statuses = recorded.get(i + 1);
      return statuses ? new Map(Object.entries(statuses)) : null;
    });
  }, { retryAlone: (error) => !isDatabaseUnavailableError(error) });

  /**
   * Appends unsequenced access records to the access transparency log, in record order, one transaction
   * per batch. Run by the anchorer (one replica at a time); the head row lock makes it safe regardless.
   */
  async sequencePending(batchSize = 1000): Promise<number> {
    return this.db.transaction(async (trx) => {
      // Only what the public leaf shows: this reads every record once, as often as requests arrive.
      const rows = await trx('access_log').whereNull('leaf_index').orderBy('seq').limit(batchSize).forUpdate().skipLocked()
        .select('id', 'at', 'requester_code', 'service_item', 'result', 'reason_code', 'record_sha256');
      if (rows.length === 0) return 0;
      const indices = await appendLeaves(trx, rows.map((row) => ({ origin: this.accessLogOrigin, subject: row.id, leaf: accessLeaf(leafFieldsFromRow(row), row.record_sha256) })));
      // One statement for the whole batch, not one per record.
      await trx.raw(
        'UPDATE access_log SET leaf_index = v.leaf_index FROM json_to_recordset(?::json) AS v(id text, leaf_index bigint) WHERE access_log.id = v.id',
        [JSON.stringify(rows.map((r, i) => ({ id: r.id, leaf_index: indices[i] })))],
      );
      return rows.length;
    });
  }

  /**
   * Adds request counts to the per-minute counters (one statement per 5 000 subjects; a (subject, minute)
   * appears at most once per call); returns each row's new total.
   */
  async addRequestCounts(deltas: RateCountDelta[]): Promise<RateCountDelta[]> {
    const totals: RateCountDelta[] = [];
    for (let i = 0; i < deltas.length; i += 5000) {
      const chunk = deltas.slice(i, i + 5000);
      const result = await this.db.raw<{ rows: Array<{ subject: string; minute: Date | string; count: number }> }>(
        `INSERT INTO exchange_rate_counters (subject, minute, count) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
         ON CONFLICT (subject, minute) DO UPDATE SET count = exchange_rate_counters.count + excluded.count RETURNING subject, minute, count`,
        chunk.flatMap((d) => [d.subject, d.minute, d.count]),
      );
      for (const r of result.rows) totals.push({ subject: r.subject, minute: new Date(r.minute), count: Number(r.count) });
    }
    return totals;
  }

  async accessesOfHolder(holderId: string, limit: number, filter: AccessFilter = {}): Promise<AccessRecord[]> {
    return this.accesses({ ...filter, holderId }, limit);
  }

  async accesses(filter: AccessFilter, limit: number): Promise<AccessRecord[]> {
    const q = this.db('access_log').orderBy('at', 'desc').limit(limit);
    if (filter.holderId) q.where({ holder_id: filter.holderId });
    if (filter.requester) q.where({ requester_code: filter.requester });
    if (filter.result) q.where({ result: filter.result });
    if (filter.from) q.andWhere('at', '>=', filter.from);
    if (filter.to) q.andWhere('at', '<', filter.to);
    return (await q).map(accessFromRow);
  }

  async distinctHoldersSince(requester: string, since: Date): Promise<number> {
    const [row] = await this.db('access_log').where({ requester_code: requester }).andWhere('at', '>=', since).countDistinct({ n: 'holder_id' });
    return Number(row?.n ?? 0);
  }

  /** Inserts at most one alert per department, kind and window. */
  async raiseAlert(alert: ExchangeAlert): Promise<void> {
    await this.db('exchange_alerts')
      .insert({ id: alert.id, requester_code: alert.requester, kind: alert.kind, detail: JSON.stringify(alert.detail), window_start: alert.windowStart, at: alert.at })
      .onConflict(['requester_code', 'kind', 'window_start'])
      .ignore();
  }

  async alerts(limit: number): Promise<ExchangeAlert[]> {
    const rows = await this.db('exchange_alerts').orderBy('at', 'desc').limit(limit);
    return rows.map((r) => ({ id: r.id, requester: r.requester_code, kind: r.kind, detail: r.detail, windowStart: iso(r.window_start), at: iso(r.at) }));
  }
}
