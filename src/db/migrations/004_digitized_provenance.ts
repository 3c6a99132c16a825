import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('licences', (t) => {
    // Chain of custody of a licence digitized from paper: source record, original issue date, archive
    // location, reviewing clerk, and the SHA-256 of every scan (also in the log leaf).
    t.jsonb('provenance').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('licences', (t) => t.dropColumn('provenance'));
}
