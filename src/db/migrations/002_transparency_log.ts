import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per log origin: the tree size, locked (SELECT … FOR UPDATE) to serialise appends.
  await knex.schema.createTable('log_heads', (t) => {
    t.text('origin').primary();
    t.bigInteger('size').notNullable();
  });
  await knex.schema.createTable('log_leaves', (t) => {
    t.text('origin').notNullable();
    t.bigInteger('leaf_index').notNullable();
    t.text('leaf_data').notNullable(); // RFC 8785 canonical JSON, hashed as RFC 9162 leaf
    t.binary('leaf_hash').notNullable();
    t.text('subject').notNullable(); // licence id (or access id) the leaf is about
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['origin', 'leaf_index']);
    t.index(['origin', 'subject']);
  });
  // Every perfect subtree hash, written once when complete: root and proofs cost O(log n) reads.
  await knex.schema.createTable('log_nodes', (t) => {
    t.text('origin').notNullable();
    t.smallint('level').notNullable();
    t.bigInteger('node_index').notNullable();
    t.binary('hash').notNullable();
    t.primary(['origin', 'level', 'node_index']);
  });
  await knex.schema.createTable('log_checkpoints', (t) => {
    t.text('origin').notNullable();
    t.bigInteger('size').notNullable();
    t.binary('root_hash').notNullable();
    t.text('note').notNullable(); // C2SP signed note
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('anchor').nullable(); // { network, channel, chaincode, txId, blockNumber, anchoredAt }
    t.integer('anchor_attempts').notNullable().defaultTo(0);
    t.text('anchor_error').nullable();
    t.primary(['origin', 'size']);
  });
  // Transactional outbox of ledger status writes: issuance and status changes never wait for the ledger.
  await knex.schema.createTable('ledger_status_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.text('licence_id').notNullable();
    t.text('status').notNullable();
    t.text('reason_sha256').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('anchor').nullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error').nullable();
  });
  await knex.raw('CREATE INDEX ledger_status_outbox_pending ON ledger_status_outbox (id) WHERE anchor IS NULL');
  // The embedded ledger: an append-only hash chain, each entry signed by the ledger key.
  await knex.schema.createTable('embedded_ledger_entries', (t) => {
    t.bigInteger('height').primary();
    t.text('tx_id').notNullable().unique();
    t.text('kind').notNullable(); // checkpoint | status
    t.text('state_key').notNullable();
    t.text('value').notNullable(); // canonical JSON
    t.binary('prev_hash').notNullable();
    t.binary('entry_hash').notNullable();
    t.binary('signature').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['state_key', 'height']);
  });
  await knex.schema.alterTable('licences', (t) => {
    t.jsonb('field_salts').nullable(); // per-field salts of the field commitments (selective disclosure)
    t.text('field_commitment_root').nullable();
    t.index(['document_sha256']); // public verification finds a licence by its document's hash
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('licences', (t) => {
    t.dropIndex(['document_sha256']);
    t.dropColumn('field_salts');
    t.dropColumn('field_commitment_root');
  });
  for (const table of ['embedded_ledger_entries', 'ledger_status_outbox', 'log_checkpoints', 'log_nodes', 'log_leaves', 'log_heads']) {
    await knex.schema.dropTable(table);
  }
}
