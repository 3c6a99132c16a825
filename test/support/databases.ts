/**
 * The same store tests on every engine (Backstage's TestDatabases pattern): embedded PGlite always, and
 * the local PostgreSQL (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test). Each opened
 * PostgreSQL database is a fresh one created for the test and dropped afterwards, so runs never collide.
 * Where PostgreSQL is not reachable the suite skips loudly — except on CI, where that is a failure.
 */
import crypto from 'node:crypto';
import knexFactory from 'knex';
import { migrateToLatest, openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/database.ts';

export type TestEngine = 'pglite' | 'postgres';
export const TEST_ENGINES: readonly TestEngine[] = ['pglite', 'postgres'];

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  db: Database;
  engine: TestEngine;
  url: string | null;
  dispose(): Promise<void>;
}

let postgresReachable: Promise<string | null> | undefined;

/** Returns null when PostgreSQL answers, or the reason it does not. */
export function postgresUnavailableReason(): Promise<string | null> {
  postgresReachable ??= (async () => {
    const admin = knexFactory({ client: 'pg', connection: { connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 }, pool: { min: 0, max: 1 } });
    try {
      await admin.raw('select 1');
      return null;
    } catch (error) {
      return `PostgreSQL at ${ADMIN_URL} not reachable: ${(error as Error).message}`;
    } finally {
      await admin.destroy();
    }
  })();
  return postgresReachable;
}

/** For a mocha `before` hook: skips (or on CI fails) when the engine is not available. */
export async function skipUnlessAvailable(ctx: Mocha.Context, engine: TestEngine): Promise<void> {
  if (engine !== 'postgres') return;
  const reason = await postgresUnavailableReason();
  if (!reason) return;
  if (process.env.CI === 'true') throw new Error(`PostgreSQL is required on CI: ${reason}`);
  console.warn(`\n  !!! PostgreSQL store tests SKIPPED: ${reason} — start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n`);
  ctx.skip();
}

export async function openTestDatabase(engine: TestEngine, opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const db = openDatabase({ engine: 'pglite', directory: null });
    if (opts.migrate !== false) await migrateToLatest(db);
    return { db, engine, url: null, dispose: () => db.destroy() };
  }
  const name = `lv_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = openDatabase({ engine: 'postgres', url: url.toString(), poolMax: 20 });
  if (opts.migrate !== false) await migrateToLatest(db);
  return {
    db,
    engine,
    url: url.toString(),
    async dispose() {
      await db.destroy();
      await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.destroy();
    },
  };
}
