import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('departments', (t) => {
    t.text('code').primary(); // unified social credit code of the department
    t.text('name_zh').notNullable();
    t.text('name_en').notNullable();
    t.jsonb('roles').notNullable(); // ["issuer" | "requester" | "auditor" | "admin"]
    t.jsonb('jwks').notNullable(); // public keys for private_key_jwt client assertions (RFC 7523)
    t.jsonb('signing_chain_pem').nullable(); // issuers: PDF signing certificate chain, leaf first
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('licence_serials', (t) => {
    t.text('type_code').notNullable();
    t.text('issuer_code').notNullable();
    t.bigInteger('last_serial').notNullable();
    t.primary(['type_code', 'issuer_code']);
  });

  await knex.schema.createTable('licences', (t) => {
    t.text('id').primary(); // GB/T 36904-shaped identifier
    t.text('type_key').notNullable();
    t.text('type_code').notNullable();
    t.text('issuer_code').notNullable().references('code').inTable('departments');
    t.text('holder_kind').notNullable();
    t.text('holder_id').notNullable();
    t.text('holder_name').notNullable();
    t.jsonb('fields').notNullable();
    t.date('valid_from').notNullable();
    t.date('valid_until').nullable();
    t.integer('version').notNullable();
    t.text('previous_id').nullable().references('id').inTable('licences');
    t.text('status').notNullable();
    t.text('document_sha256').notNullable();
    t.text('document_key').notNullable();
    t.integer('document_size').notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable();
    t.text('idempotency_key').nullable();
    t.text('request_sha256').nullable();
    t.unique(['issuer_code', 'idempotency_key']);
    t.index(['holder_id']);
    t.index(['issuer_code', 'type_key']);
  });
  await knex.raw(
    "ALTER TABLE licences ADD CONSTRAINT licences_status_check CHECK (status IN ('active','suspended','revoked','superseded'))",
  );
  // At most one successor per licence: a renewal raced twice cannot fork the lineage.
  await knex.raw('CREATE UNIQUE INDEX licences_previous_id_unique ON licences (previous_id) WHERE previous_id IS NOT NULL');

  await knex.schema.createTable('licence_status_events', (t) => {
    t.bigIncrements('id').primary();
    t.text('licence_id').notNullable().references('id').inTable('licences');
    t.text('from_status').nullable();
    t.text('to_status').notNullable();
    t.text('action').notNullable(); // issue | suspend | reinstate | revoke | renew
    t.text('reason').notNullable();
    t.text('actor').notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['licence_id', 'id']);
  });

  // Replay protection for client assertions (RFC 7523 §3: the jti must be used only once).
  await knex.schema.createTable('client_assertion_jtis', (t) => {
    t.text('client_id').notNullable();
    t.text('jti').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['client_id', 'jti']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('client_assertion_jtis');
  await knex.schema.dropTable('licence_status_events');
  await knex.schema.dropTable('licences');
  await knex.schema.dropTable('licence_serials');
  await knex.schema.dropTable('departments');
}
