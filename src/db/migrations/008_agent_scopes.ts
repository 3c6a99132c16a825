import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // What an appointment lets the agent do for the company (licences, consents, accesses). Appointments
  // made before scopes existed keep everything they allowed.
  await knex.schema.alterTable('company_agents', (t) => {
    t.jsonb('scopes').notNullable().defaultTo(JSON.stringify(['licences', 'consents', 'accesses']));
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('company_agents', (t) => {
    t.dropColumn('scopes');
  });
}
