import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Catalogued legal bases: a requesting department may verify these licence types and fields for this
  // service item without the holder's consent (the law or regulation is named in legal_reference).
  await knex.schema.createTable('legal_bases', (t) => {
    t.text('id').primary();
    t.text('requester_code').notNullable();
    t.text('service_item_code').notNullable();
    t.text('service_item_name').notNullable();
    t.jsonb('licence_types').notNullable();
    t.jsonb('fields').notNullable();
    t.text('legal_reference').notNullable();
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.index(['requester_code']);
  });
  // Every change of the sharing catalogue, for auditors.
  await knex.schema.createTable('catalogue_changes', (t) => {
    t.bigIncrements('id').primary();
    t.text('actor').notNullable();
    t.text('action').notNullable();
    t.text('entity_id').notNullable();
    t.jsonb('before').nullable();
    t.jsonb('after').nullable();
    t.timestamp('at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('consents', (t) => {
    t.text('id').primary();
    t.text('holder_id').notNullable();
    t.text('holder_kind').notNullable();
    t.text('requester_code').notNullable();
    t.text('purpose_code').notNullable();
    t.text('purpose_text').notNullable();
    t.jsonb('licence_types').notNullable();
    t.jsonb('licence_ids').nullable(); // null: every licence of the types
    t.jsonb('fields').notNullable();
    t.boolean('allow_document').notNullable();
    t.timestamp('valid_from', { useTz: true }).notNullable();
    t.timestamp('valid_until', { useTz: true }).notNullable();
    t.integer('max_uses').notNullable();
    t.integer('uses').notNullable().defaultTo(0);
    t.text('status').notNullable(); // ACTIVE | REVOKED (EXPIRED and EXHAUSTED are derived)
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.text('artefact').notNullable(); // the signed JWS consent artefact
    t.index(['holder_id']);
    t.index(['requester_code']);
  });
  await knex.raw("ALTER TABLE consents ADD CONSTRAINT consents_uses_check CHECK (uses >= 0 AND uses <= max_uses)");
  // The access log: every exchange request, allowed or refused; each row is also a leaf of its own log.
  await knex.schema.createTable('access_log', (t) => {
    t.text('id').primary();
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('requester_code').notNullable();
    t.text('official_id').notNullable();
    t.text('case_number').notNullable();
    t.text('service_item').notNullable();
    t.text('basis_kind').notNullable();
    t.text('basis_id').nullable();
    t.text('holder_id').notNullable();
    t.jsonb('licence_ids').notNullable();
    t.jsonb('fields').notNullable();
    t.text('result').notNullable(); // ALLOWED | REFUSED
    t.text('reason_code').notNullable();
    t.text('record_sha256').notNullable();
    // Records are appended to the access transparency log in batches by the sequencer (one head lock per
    // batch, not per request); null until then.
    t.bigInteger('leaf_index').nullable();
    t.bigIncrements('seq', { primaryKey: false });
    t.index(['holder_id', 'at']);
    t.index(['requester_code', 'at']);
  });
  await knex.raw('CREATE INDEX access_log_unsequenced ON access_log (seq) WHERE leaf_index IS NULL');
  // Per-minute request counters for rate limits: one upsert per request instead of counting rows.
  await knex.schema.createTable('exchange_rate_counters', (t) => {
    t.text('subject').notNullable(); // "department:<code>" or "holder:<id>"
    t.timestamp('minute', { useTz: true }).notNullable();
    t.integer('count').notNullable();
    t.primary(['subject', 'minute']);
  });
  await knex.schema.createTable('exchange_alerts', (t) => {
    t.text('id').primary();
    t.text('requester_code').notNullable();
    t.text('kind').notNullable();
    t.jsonb('detail').notNullable();
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.unique(['requester_code', 'kind', 'window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['exchange_rate_counters', 'exchange_alerts', 'access_log', 'consents', 'catalogue_changes', 'legal_bases']) await knex.schema.dropTable(table);
}
