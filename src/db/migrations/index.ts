/**
 * Numbered knex migrations, listed explicitly so the order never depends on file globbing.
 * Never edit a migration that has landed: add a new one.
 */
import type { Knex } from 'knex';
import * as m001 from './001_foundation.ts';
import * as m002 from './002_transparency_log.ts';
import * as m003 from './003_exchange.ts';
import * as m004 from './004_digitized_provenance.ts';
import * as m005 from './005_digitize_jobs.ts';
import * as m006 from './006_record_allowed_accesses.ts';
import * as m007 from './007_company_agents.ts';
import * as m008 from './008_agent_scopes.ts';
import * as m009 from './009_set_based_access_recording.ts';
import * as m010 from './010_consent_fillfactor.ts';
import * as m011 from './011_ledger_times_and_alarms.ts';
import * as m012 from './012_consent_requests_and_notifications.ts';
import * as m013 from './013_holder_identifiers_and_corrections.ts';
import * as m014 from './014_digitize_tasks.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Array<[string, Migration]> = [
  ['001_foundation', m001],
  ['002_transparency_log', m002],
  ['003_exchange', m003],
  ['004_digitized_provenance', m004],
  ['005_digitize_jobs', m005],
  ['006_record_allowed_accesses', m006],
  ['007_company_agents', m007],
  ['008_agent_scopes', m008],
  ['009_set_based_access_recording', m009],
  ['010_consent_fillfactor', m010],
  ['011_ledger_times_and_alarms', m011],
  ['012_consent_requests_and_notifications', m012],
  ['013_holder_identifiers_and_corrections', m013],
  ['014_digitize_tasks', m014],
];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
