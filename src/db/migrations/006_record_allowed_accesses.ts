import type { Knex } from 'knex';

/**
 * Records a batch of allowed exchange requests in one statement (group commit, see ExchangeStore).
 * Each element is { consentId, legalBasisId, now, row }, where row holds the access_log columns.
 * Elements are handled in order, exactly as one statement each would be: under a consent, one use is spent if
 * and only if the access is recorded, and an element whose consent is withdrawn, expired or used up is
 * skipped; so is one whose legal basis has been revoked. Returns the position (1-based) of each recorded
 * element with its licences' current statuses.
 *
 * The consent rows of the batch are locked first, in id order, so two replicas' batches naming the same
 * consents cannot deadlock. A change to access_log's columns needs a new version of this function.
 */
export const CREATE = `
CREATE FUNCTION record_allowed_accesses(batch jsonb) RETURNS TABLE (ord integer, statuses jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  item jsonb;
  position integer := 0;
  spent integer;
  at_time timestamptz;
BEGIN
  PERFORM 1 FROM consents
   WHERE id IN (SELECT DISTINCT value->>'consentId' FROM jsonb_array_elements(batch) WHERE value->>'consentId' IS NOT NULL)
   ORDER BY id FOR UPDATE;
  FOR item IN SELECT value FROM jsonb_array_elements(batch) LOOP
    position := position + 1;
    IF item->>'consentId' IS NOT NULL THEN
      at_time := (item->>'now')::timestamptz;
      UPDATE consents SET uses = uses + 1
       WHERE id = item->>'consentId' AND status = 'ACTIVE' AND valid_from <= at_time AND valid_until > at_time AND uses < max_uses;
      GET DIAGNOSTICS spent = ROW_COUNT;
      CONTINUE WHEN spent = 0;
    END IF;
    IF item->>'legalBasisId' IS NOT NULL THEN
      CONTINUE WHEN NOT EXISTS (SELECT 1 FROM legal_bases WHERE id = item->>'legalBasisId' AND revoked_at IS NULL);
    END IF;
    INSERT INTO access_log (id, at, requester_code, official_id, case_number, service_item, basis_kind, basis_id, holder_id, licence_ids, fields, result, reason_code, record_sha256)
    SELECT r.id, r.at, r.requester_code, r.official_id, r.case_number, r.service_item, r.basis_kind, r.basis_id, r.holder_id, r.licence_ids, r.fields, r.result, r.reason_code, r.record_sha256
      FROM jsonb_populate_record(NULL::access_log, item->'row') AS r;
    ord := position;
    SELECT jsonb_object_agg(l.id, l.status) INTO statuses
      FROM licences l WHERE l.id IN (SELECT jsonb_array_elements_text(item->'row'->'licence_ids'));
    RETURN NEXT;
  END LOOP;
END
$$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(CREATE);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION record_allowed_accesses(jsonb)');
}
