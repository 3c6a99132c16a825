/**
 * Database port: a knex instance on PostgreSQL (production) or PGlite (embedded default). Both speak the
 * same SQL dialect, so the stores have one implementation and the store suite runs on both engines.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import pg from 'pg';
import type { Knex } from 'knex';
import type { Logger } from '../observability/logger.ts';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from './migrations/index.ts';

export type Database = Knex;

export type DatabaseTarget =
  | { engine: 'postgres'; url: string; poolMax?: number; statementTimeoutMs?: number }
  | { engine: 'pglite'; directory: string | null /* null = in memory */ };

// DATE columns as 'YYYY-MM-DD' strings: node-pg's default turns them into local-midnight Date objects,
// which shift by a day in any timezone east or west of the server's.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);

/**
 * While PostgreSQL is down a request must fail fast (503, retry later) rather than queue for knex's default
 * 60 s: wait at most this long for a pooled connection, and this long for a new one to be established.
 */
export const POOL_ACQUIRE_TIMEOUT_MS = 5000;
export const CONNECT_TIMEOUT_MS = 3000;

/** The default of DATABASE_STATEMENT_TIMEOUT_MS: no statement of this service should run anywhere near it. */
export const STATEMENT_TIMEOUT_MS = 30_000;

/**
 * How long the client waits for an answer to a statement: the server cancels it at the statement timeout
 * (SQLSTATE 57014); this catches a connection that hangs without failing (a network path that drops
 * packets silently), where no cancellation can arrive.
 */
export function readTimeoutMs(statementTimeoutMs: number): number {
  return statementTimeoutMs + Math.min(5000, statementTimeoutMs);
}

/**
 * Whether the pool may hand a pg client out again. One whose statement timed out on the client is still
 * waiting for that answer (its query is still the active one): pg would queue the next statement behind
 * it, so it is dropped and replaced. One that has just answered an error is fine, even before its
 * ReadyForQuery message arrives.
 */
export function isUsableConnection(connection: { readyForQuery?: boolean; _activeQuery?: unknown; _getActiveQuery?: () => unknown }): boolean {
  if (connection.readyForQuery === true) return true;
  const active = typeof connection._getActiveQuery === 'function' ? connection._getActiveQuery() : connection._activeQuery;
  return active === null || active === undefined;
}

export function openDatabase(target: DatabaseTarget, logger?: Logger): Database {
  const log = logger ? driverLog(logger) : undefined;
  if (target.engine === 'postgres') {
    const statementTimeoutMs = target.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
    const timeouts = statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs, query_timeout: readTimeoutMs(statementTimeoutMs) } : {};
    return knexFactory({
      client: 'pg',
      connection: { connectionString: target.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, ...timeouts },
      pool: { min: 0, max: target.poolMax ?? 10, validate: isUsableConnection },
      acquireConnectionTimeout: POOL_ACQUIRE_TIMEOUT_MS,
      log,
    });
  }
  if (target.directory) fs.mkdirSync(path.dirname(target.directory), { recursive: true });
  return knexFactory({
    client: ClientPgLite as unknown as typeof Knex.Client,
    dialect: 'postgres',
    connection: target.directory ? { filename: target.directory } : {},
    log,
  } as Knex.Config);
}

/**
 * knex writes its own warnings ("Connection Error: …" while the server is down) with console.* unless
 * given a logger: route them into the service's structured log, so every output line is pino JSON.
 */
function driverLog(logger: Logger): Knex.Config['log'] {
  const text = (message: unknown) => (typeof message === 'string' ? message : message instanceof Error ? message.message : JSON.stringify(message));
  return {
    warn: (message: unknown) => logger.warn({ driver: text(message) }, 'database driver warning'),
    error: (message: unknown) => logger.error({ driver: text(message) }, 'database driver error'),
    deprecate: (method: string, alternative: string) => logger.warn({ driver: `${method} is deprecated; use ${alternative}` }, 'database driver warning'),
    debug: () => undefined,
  };
}

export async function migrateToLatest(db: Database): Promise<void> {
  // A migration may build an index over every licence ever issued: it runs on its own connection,
  // without the statement timeout meant for requests.
  const migrator = engineOf(db) === 'postgres' ? withoutTimeouts(db) : db;
  try {
    await migrator.migrate.latest({ migrationSource, tableName: 'knex_migrations' });
  } finally {
    if (migrator !== db) await migrator.destroy();
  }
}

function withoutTimeouts(db: Database): Database {
  const config = db.client.config as Knex.Config;
  const { statement_timeout: _statement, query_timeout: _read, ...connection } = config.connection as Record<string, unknown>;
  return knexFactory({ ...config, connection, pool: { min: 0, max: 1 } });
}

/** A timestamptz column as ISO 8601 (node-pg gives Date objects, PGlite may give strings). */
export function isoTime(value: Date | string): string {
  return new Date(value).toISOString();
}

export function engineOf(db: Database): 'postgres' | 'pglite' {
  return db.client.config.client === 'pg' ? 'postgres' : 'pglite';
}

// PostgreSQL SQLSTATEs (PostgreSQL docs, Appendix A): class 08 is "connection exception"; 57P01
// admin_shutdown, 57P02 crash_shutdown and 57P03 cannot_connect_now are a server stopping, crashing or
// still starting up. None of them says anything about the request: the same request succeeds later.
// 57014 query_canceled: the statement timeout (or an operator) cancelled the statement; the database is
// overloaded or blocked, not the request wrong.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres (8.x) reports a statement that outlived query_timeout, a socket closed under it, a connect
// that outlived connectionTimeoutMillis and a query on a client whose socket already failed by message
// only; knex prefixes the SQL ("ROLLBACK - …").
const UNAVAILABLE_MESSAGES = [/(?:^| - )Query read timeout$/, /(?:^| - )Connection terminated unexpectedly$/, /(?:^| - )timeout expired$/, /(?:^| - )Client has encountered a connection error and is not queryable$/];

/**
 * True when an error means "the database cannot be reached right now" (server down, restarting, network
 * cut, pool starved), as opposed to a fault of the request or the code: the HTTP edge answers the first
 * kind with 503 and Retry-After, the second with 500.
 */
export function isDatabaseUnavailableError(error: unknown): boolean {
  return unavailable(error, 0);
}

function unavailable(error: unknown, depth: number): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (code.startsWith('08') && code.length === 5) return true;
  if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
  if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // knex's pool gave up waiting for a connection (a query timeout is a KnexTimeoutError too, but not this one).
  if (e.name === 'KnexTimeoutError' && message.includes('Timeout acquiring a connection')) return true;
  // Node reports a failed connect to a host with several addresses as an AggregateError of per-address errors.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => unavailable(inner, depth + 1))) return true;
  return e.cause !== undefined && unavailable(e.cause, depth + 1);
}
