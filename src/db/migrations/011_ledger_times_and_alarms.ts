/**
 * 011: what issue 17 asked of the ledger path.
 * - `ledger_status_outbox.origin`: the ledger keeps a licence's status per log origin, so two vaults on one
 *   channel (or a test network reused across runs) never share a licence's status.
 * - `ledger_status_outbox.changed_at`: the department's time of a status change (the time in its log leaf),
 *   sent to the ledger with the change, so "was it valid at T" is answered by when the change was made,
 *   not by when a queued write reached the ledger after an outage. Rows already queued take the time the
 *   change was queued (same transaction as the change).
 * - `anchoring_alarms`: a ledger anchor for one of this vault's log origins that this log cannot prove it
 *   extends (a fork, another deployment on the same origin) or that is behind what this log already
 *   anchored (a rollback). Raised by the anchorer; nothing of that origin is marked anchored meanwhile.
 * - `vault_settings`: the log origins chosen at first start, so a later change of the default (or of
 *   PUBLIC_BASE_URL) never starts a second, empty log behind an existing one.
 * - `licences.provenance_salts`: salts of the commitments that replace personal data (the holder's
 *   original ID, the reviewing clerk, old registration numbers) in a digitized licence's public log leaf.
 * - `licences.verification_code_sha256`: the SHA-256 of the licence's verification code (printed on it and
 *   in its QR URL), which the public verification card asks for; licences issued before have none.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ledger_status_outbox', (t) => {
    t.timestamp('changed_at', { useTz: true }).nullable();
    t.text('origin').nullable();
  });
  await knex.raw('UPDATE ledger_status_outbox SET changed_at = created_at WHERE changed_at IS NULL');
  // Queued rows take the origin of their licence's leaves (the licence log's).
  await knex.raw('UPDATE ledger_status_outbox o SET origin = (SELECT l.origin FROM log_leaves l WHERE l.subject = o.licence_id ORDER BY l.leaf_index LIMIT 1) WHERE origin IS NULL');
  await knex.raw("UPDATE ledger_status_outbox SET origin = 'licence-vault.local/licences' WHERE origin IS NULL");
  await knex.raw('ALTER TABLE ledger_status_outbox ALTER COLUMN changed_at SET NOT NULL');
  await knex.raw('ALTER TABLE ledger_status_outbox ALTER COLUMN origin SET NOT NULL');
  await knex.schema.createTable('anchoring_alarms', (t) => {
    t.text('origin').notNullable();
    t.text('kind').notNullable(); // fork | rollback
    t.text('detail').notNullable();
    t.bigInteger('ledger_size').notNullable();
    t.text('ledger_root_hex').notNullable();
    t.text('ledger_tx_id').notNullable();
    t.bigInteger('log_size').notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.timestamp('cleared_at', { useTz: true }).nullable();
    t.primary(['origin', 'ledger_tx_id']);
  });
  await knex.schema.createTable('vault_settings', (t) => {
    t.text('key').primary();
    t.text('value').notNullable();
  });
  await knex.schema.alterTable('licences', (t) => {
    t.jsonb('provenance_salts').nullable();
    t.text('verification_code_sha256').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('licences', (t) => {
    t.dropColumn('provenance_salts');
    t.dropColumn('verification_code_sha256');
  });
  await knex.schema.dropTable('vault_settings');
  await knex.schema.dropTable('anchoring_alarms');
  await knex.schema.alterTable('ledger_status_outbox', (t) => {
    t.dropColumn('changed_at');
    t.dropColumn('origin');
  });
}
