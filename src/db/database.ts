/**
 * Database port: a knex instance on PostgreSQL (production) or PGlite (embedded default). Both speak the
 * same SQL dialect, so the stores have one implementation and the store suite runs on both engines.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from './migrations/index.ts';

export type Database = Knex;

export type DatabaseTarget =
  | { engine: 'postgres'; url: string; poolMax?: number }
  | { engine: 'pglite'; directory: string | null /* null = in memory */ };

export function openDatabase(target: DatabaseTarget): Database {
  if (target.engine === 'postgres') {
    return knexFactory({
      client: 'pg',
      connection: target.url,
      pool: { min: 0, max: target.poolMax ?? 10 },
    });
  }
  if (target.directory) fs.mkdirSync(path.dirname(target.directory), { recursive: true });
  return knexFactory({
    client: ClientPgLite as unknown as typeof Knex.Client,
    dialect: 'postgres',
    connection: target.directory ? { filename: target.directory } : {},
  } as Knex.Config);
}

export async function migrateToLatest(db: Database): Promise<void> {
  await db.migrate.latest({ migrationSource, tableName: 'knex_migrations' });
}

export function engineOf(db: Database): 'postgres' | 'pglite' {
  return db.client.config.client === 'pg' ? 'postgres' : 'pglite';
}
