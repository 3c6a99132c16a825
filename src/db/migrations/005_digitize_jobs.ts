import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Digitization batch jobs submitted through the API; a job's files live on the replica that received it.
  await knex.schema.createTable('digitize_jobs', (t) => {
    t.text('id').primary();
    t.text('department').notNullable();
    t.text('state').notNullable(); // queued | running | done | failed
    t.jsonb('options').notNullable();
    t.jsonb('progress').nullable();
    t.jsonb('summary').nullable();
    t.text('error').nullable();
    t.text('error_report_key').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['state']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('digitize_jobs');
}
