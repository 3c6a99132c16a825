import type { Knex } from 'knex';

/**
 * Every allowed request under a consent adds one to its `uses`, and a consent row is about 1.6 KB (the
 * signed artefact is stored inline). On full pages PostgreSQL cannot write the new row version next to the
 * old one (a HOT update), so each use wrote a new row elsewhere plus an entry in each of the table's three
 * indexes, and the dead versions piled up faster than autovacuum came by: in the exchange bench, 400
 * consents left 70 000 dead versions (114 MB) within 40 s, and PostgreSQL's CPU per request rose from
 * 0.14 to 0.93 ms. With half of each page kept free, every use is a HOT update in place and reading a
 * page prunes the versions before it (the table stayed at 1.7 MB, 100% HOT updates).
 * Pages written before this migration stay full until the table is rewritten (VACUUM FULL); a consent
 * on such a page moves to a page with room at its next use, and its later uses are HOT.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE consents SET (fillfactor = 50)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE consents RESET (fillfactor)');
}
