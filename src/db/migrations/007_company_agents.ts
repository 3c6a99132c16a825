import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Who may act for a company: the company appoints a person (resident ID) for a window; rows are never
  // deleted, so the table is also the history of appointments and revocations.
  await knex.schema.createTable('company_agents', (t) => {
    t.text('id').primary();
    t.text('company_id').notNullable();
    t.text('agent_id').notNullable();
    t.text('agent_name').nullable();
    t.timestamp('valid_from', { useTz: true }).notNullable();
    t.timestamp('valid_until', { useTz: true }).notNullable();
    t.timestamp('appointed_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.index(['company_id']);
    t.index(['agent_id', 'company_id']);
  });
  // The agent who granted or withdrew a company's consent (null: the company itself, or a person).
  await knex.schema.alterTable('consents', (t) => {
    t.text('granted_by_agent').nullable();
    t.text('withdrawn_by_agent').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('consents', (t) => {
    t.dropColumn('granted_by_agent');
    t.dropColumn('withdrawn_by_agent');
  });
  await knex.schema.dropTable('company_agents');
}
