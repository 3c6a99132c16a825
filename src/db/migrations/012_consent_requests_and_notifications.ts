/**
 * 012: department-initiated consent (the window raises the request, the citizen confirms on their phone)
 * and the holder's notification feed.
 * - `consent_requests`: what a requesting department asks (service item from the catalogue, licence
 *   types, fields, window, uses), optionally naming the holder; answered by the holder (approved → the
 *   consent it created, or declined) before `expires_at`.
 * - `holder_notification_marks`: how far each holder has read their notification feed.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('consent_requests', (t) => {
    t.text('id').primary();
    t.text('requester_code').notNullable();
    t.text('holder_id').nullable(); // null: whoever opens the link and signs in
    t.text('service_item').notNullable();
    t.jsonb('licence_types').notNullable();
    t.jsonb('fields').notNullable();
    t.boolean('allow_document').notNullable().defaultTo(false);
    t.timestamp('consent_valid_until', { useTz: true }).notNullable();
    t.integer('max_uses').notNullable();
    t.text('case_number').nullable();
    t.text('official_id').nullable();
    t.text('status').notNullable(); // pending | approved | declined
    t.text('consent_id').nullable();
    t.text('answered_by').nullable();
    t.text('decline_reason').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('answered_at', { useTz: true }).nullable();
    t.index(['requester_code', 'created_at']);
    t.index(['holder_id', 'status']);
  });
  await knex.schema.createTable('holder_notification_marks', (t) => {
    t.text('holder_id').primary();
    t.timestamp('seen_until', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('holder_notification_marks');
  await knex.schema.dropTable('consent_requests');
}
