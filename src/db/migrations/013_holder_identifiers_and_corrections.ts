/**
 * 013: old identifiers that still find their holder, and corrections a holder can ask for (issue 20).
 * - `holder_identifiers`: every identifier a holder is known by beyond the canonical one — an old
 *   registration number, the organisation code in a USCC, a 15-digit resident ID as a department recorded
 *   it — each mapping to exactly one holder (the primary key), with who added it, why and from where.
 * - `identifier_conflicts`: an identifier a second holder claimed; reported to the admin role, never
 *   resolved by guessing.
 * - `access_log.identifier_used`: the identifier the department asked with (the record's holder_id is the
 *   canonical one).
 * - `licence_corrections`: a holder's request to correct named fields of a licence, with a reason and
 *   optional evidence, answered by the issuing department before its deadline (`departments.
 *   correction_deadline_days`, which each issuing department sets).
 */
import type { Knex } from 'knex';

/**
 * record_allowed_accesses (migration 009) writing `identifier_used` too; unchanged otherwise. `down` restores
 * 009's text by taking the column out again.
 */
const RECORD_ALLOWED_ACCESSES = `

CREATE OR REPLACE FUNCTION record_allowed_accesses(batch jsonb) RETURNS TABLE (ord integer, statuses jsonb)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM consents
   WHERE id IN (SELECT DISTINCT value->>'consentId' FROM jsonb_array_elements(batch) WHERE value->>'consentId' IS NOT NULL)
   ORDER BY id FOR UPDATE;
  RETURN QUERY
  WITH items AS (
    SELECT e.pos::integer AS pos, e.value AS item, e.value->>'consentId' AS consent_id,
           e.value->>'legalBasisId' AS legal_basis_id, (e.value->>'now')::timestamptz AS at_time
      FROM jsonb_array_elements(batch) WITH ORDINALITY AS e(value, pos)
  ),
  usable AS (
    -- elements whose basis stands at their own time, numbered within their consent in batch order
    SELECT i.pos, i.item, i.consent_id, c.uses AS uses_before, c.max_uses AS most,
           row_number() OVER (PARTITION BY i.consent_id ORDER BY i.pos) AS nth
      FROM items i LEFT JOIN consents c ON c.id = i.consent_id
     WHERE (i.consent_id IS NULL OR (c.status = 'ACTIVE' AND c.valid_from <= i.at_time AND c.valid_until > i.at_time))
       AND (i.legal_basis_id IS NULL OR EXISTS (SELECT 1 FROM legal_bases b WHERE b.id = i.legal_basis_id AND b.revoked_at IS NULL))
  ),
  recorded AS (
    SELECT u.pos, u.item, u.consent_id FROM usable u WHERE u.consent_id IS NULL OR u.uses_before + u.nth <= u.most
  ),
  spent AS (
    UPDATE consents c SET uses = c.uses + n.used
      FROM (SELECT r.consent_id, count(*)::integer AS used FROM recorded r WHERE r.consent_id IS NOT NULL GROUP BY r.consent_id) n
     WHERE c.id = n.consent_id
  ),
  inserted AS (
    INSERT INTO access_log (id, at, requester_code, official_id, case_number, service_item, basis_kind, basis_id, holder_id, identifier_used, licence_ids, fields, result, reason_code, record_sha256)
    SELECT a.id, a.at, a.requester_code, a.official_id, a.case_number, a.service_item, a.basis_kind, a.basis_id, a.holder_id, a.identifier_used, a.licence_ids, a.fields, a.result, a.reason_code, a.record_sha256
      FROM recorded r CROSS JOIN LATERAL jsonb_populate_record(NULL::access_log, r.item->'row') AS a
     ORDER BY r.pos
  )
  SELECT r.pos, (SELECT jsonb_object_agg(l.id, l.status) FROM licences l WHERE l.id IN (SELECT jsonb_array_elements_text(r.item->'row'->'licence_ids')))
    FROM recorded r ORDER BY r.pos;
END
$$`;
const WITHOUT_IDENTIFIER_USED = RECORD_ALLOWED_ACCESSES.replace('holder_id, identifier_used, licence_ids', 'holder_id, licence_ids').replace('a.holder_id, a.identifier_used, a.licence_ids', 'a.holder_id, a.licence_ids');

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('holder_identifiers', (t) => {
    t.text('identifier').primary();
    t.text('kind').notNullable(); // registration-number | organisation-code | resident-id-15
    t.text('holder_id').notNullable();
    t.text('holder_kind').notNullable();
    t.text('source').notNullable(); // issuance | digitization | issuer
    t.text('licence_id').nullable();
    t.text('added_by').notNullable();
    t.text('reason').nullable();
    t.timestamp('added_at', { useTz: true }).notNullable();
    t.index(['holder_id']);
  });
  await knex.schema.createTable('identifier_conflicts', (t) => {
    t.bigIncrements('id').primary();
    t.text('identifier').notNullable();
    t.text('kind').notNullable();
    t.text('claimed_holder_id').notNullable();
    t.text('existing_holder_id').notNullable();
    t.text('source').notNullable();
    t.text('licence_id').nullable();
    t.text('claimed_by').notNullable();
    t.text('reason').nullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.unique(['identifier', 'claimed_holder_id']);
  });
  await knex.schema.alterTable('access_log', (t) => {
    t.text('identifier_used').nullable();
  });
  await knex.raw(RECORD_ALLOWED_ACCESSES);
  await knex.schema.alterTable('departments', (t) => {
    t.integer('correction_deadline_days').nullable();
  });
  await knex.schema.createTable('licence_corrections', (t) => {
    t.text('id').primary();
    t.text('licence_id').notNullable();
    t.text('issuer_code').notNullable();
    t.text('holder_id').notNullable();
    t.text('requested_by').notNullable(); // the holder, or the company's agent who asked for it
    t.jsonb('fields').notNullable(); // { name: corrected value }
    t.text('reason').notNullable();
    t.jsonb('evidence').nullable(); // { key, fileName, mediaType, size, sha256 } in the object store
    t.text('status').notNullable(); // pending | approved | rejected
    t.text('decided_by').nullable();
    t.text('decision_reason').nullable();
    t.text('successor_id').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('deadline', { useTz: true }).notNullable();
    t.timestamp('decided_at', { useTz: true }).nullable();
    t.index(['issuer_code', 'status']);
    t.index(['holder_id', 'created_at']);
    t.index(['licence_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('licence_corrections');
  await knex.schema.alterTable('departments', (t) => t.dropColumn('correction_deadline_days'));
  await knex.raw(WITHOUT_IDENTIFIER_USED);
  await knex.schema.alterTable('access_log', (t) => t.dropColumn('identifier_used'));
  await knex.schema.dropTable('identifier_conflicts');
  await knex.schema.dropTable('holder_identifiers');
}
