/**
 * Database port: a knex instance on PostgreSQL (production) or PGlite (embedded default). Both speak the
 * same SQL dialect, so the stores have one implementation and the store suite runs on both engines.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import pg from 'pg';
import type { Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from './migrations/index.ts';

export type Database = Knex;

export type DatabaseTarget =
  | { engine: 'postgres'; url: string; poolMax?: number }
  | { engine: 'pglite'; directory: string | null /* null = in memory */ };

// DATE columns as 'YYYY-MM-DD' strings: node-pg's default turns them into local-midnight Date objects,
// which shift by a day in any timezone east or west of the server's.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);

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

/** A timestamptz column as ISO 8601 (node-pg gives Date objects, PGlite may give strings). */
export function isoTime(value: Date | string): string {
  return new Date(value).toISOString();
}

export function engineOf(db: Database): 'postgres' | 'pglite' {
  return db.client.config.client === 'pg' ? 'postgres' : 'pglite';
}
