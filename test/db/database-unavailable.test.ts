/**
 * isDatabaseUnavailableError decides between 503 (retry later) and 500 (a bug) at the HTTP edge. Real
 * errors where they can be provoked cheaply (a refused connection, a terminated session, a starved pool),
 * the shapes node-postgres and knex give for the rest, and errors that must stay 500s.
 */
import knexFactory from 'knex';
import { expect } from 'chai';
import { isDatabaseUnavailableError, isUsableConnection, migrateToLatest, openDatabase, POOL_ACQUIRE_TIMEOUT_MS, readTimeoutMs } from '../../src/db/database.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { startFreezingProxy } from '../support/freezing-proxy.ts';
import { freePort } from '../support/service-process.ts';

const caught = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
};

describe('isDatabaseUnavailableError', function () {
  this.timeout(30_000);

  it('recognises what node-postgres and knex report for a server that is gone, stopping, crashing or starting', () => {
    const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
    const unavailable: unknown[] = [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P02', 'terminating connection because of crash of another server process'),
      pgError('57P03', 'the database system is starting up'),
      pgError('57014', 'canceling statement due to statement timeout'),
      new Error('Query read timeout'),
      pgError('08006', 'connection failure'),
      pgError('08001', 'could not establish connection'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      new Error('Connection terminated unexpectedly'),
      new Error('insert into "licences" ("id") values ($1) - Connection terminated unexpectedly'),
      new Error('ROLLBACK - Client has encountered a connection error and is not queryable'),
      new Error('timeout expired'),
      Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'), { name: 'KnexTimeoutError' }),
      new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }), Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })]),
      Object.assign(new Error('wrapped'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }),
    ];
    for (const error of unavailable) expect(isDatabaseUnavailableError(error), String((error as Error).message)).to.equal(true);
  });

  it('leaves request faults and bugs alone (they stay 4xx or 500)', () => {
    const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });
    const notUnavailable: unknown[] = [
      pgError('23505', 'duplicate key value violates unique constraint'),
      pgError('42601', 'syntax error at or near "selec"'),
      pgError('40001', 'could not serialize access due to concurrent update'),
      Object.assign(new Error('Defined query timeout of 100ms exceeded when running query.'), { name: 'KnexTimeoutError' }),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      new Error('Connection terminated'), // we ended it ourselves
      new Error('select 1 - column "Connection terminated unexpectedly" does not exist'),
      new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), new Error('something else')]),
      'ECONNREFUSED',
      null,
      undefined,
    ];
    for (const error of notUnavailable) expect(isDatabaseUnavailableError(error), String((error as Error)?.message ?? error)).to.equal(false);
  });

  it('hands a connection out again after an error, but not while a timed-out statement is still pending on it', () => {
    expect(isUsableConnection({ readyForQuery: true, _activeQuery: null })).to.equal(true);
    expect(isUsableConnection({ readyForQuery: false, _activeQuery: null }), 'an error answered, ReadyForQuery not yet read').to.equal(true);
    expect(isUsableConnection({ readyForQuery: false, _activeQuery: { text: 'select 1' } }), 'read timeout: still waiting for the answer').to.equal(false);
    expect(isUsableConnection({ readyForQuery: false, _getActiveQuery: () => ({ text: 'select 1' }) })).to.equal(false);
  });

  it('recognises a real refused connection, within the connect timeout', async () => {
    const port = await freePort(); // nothing listens there
    const db = openDatabase({ engine: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/none` });
    try {
      const started = Date.now();
      const error = await caught(() => db.raw('select 1'));
      expect(isDatabaseUnavailableError(error), String(error)).to.equal(true);
      expect(Date.now() - started).to.be.lessThan(POOL_ACQUIRE_TIMEOUT_MS + 1000);
    } finally {
      await db.destroy();
    }
  });

  describe('on PostgreSQL', () => {
    let t: TestDatabase;
    before(async function () {
      await skipUnlessAvailable(this, 'postgres');
      t = await openTestDatabase('postgres', { migrate: false });
    });
    after(async () => t?.dispose());

    it('recognises a session terminated by the server (57P01) and a pool that cannot hand out a connection', async () => {
      const single = knexFactory({ client: 'pg', connection: t.url!, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 300, log: { warn() {} } });
      try {
        const pid = (await single.raw('select pg_backend_pid() as pid')).rows[0].pid;
        const sleeping = caught(() => single.raw('select pg_sleep(30)'));
        await new Promise((r) => setTimeout(r, 200));
        // The one connection is busy: the next query cannot get one within the acquire timeout.
        expect(isDatabaseUnavailableError(await caught(() => single.raw('select 1')))).to.equal(true);
        await t.db.raw('select pg_terminate_backend(?)', [pid]);
        const terminated = await sleeping;
        expect((terminated as { code?: string }).code).to.equal('57P01');
        expect(isDatabaseUnavailableError(terminated)).to.equal(true);
      } finally {
        await single.destroy();
      }
    });

    it('cancels a statement that outlives the statement timeout (57014, answered 503) and keeps serving', async () => {
      const db = openDatabase({ engine: 'postgres', url: t.url!, statementTimeoutMs: 300 });
      try {
        const started = Date.now();
        const error = await caught(() => db.raw('select pg_sleep(5)'));
        expect((error as { code?: string }).code).to.equal('57014');
        expect(isDatabaseUnavailableError(error)).to.equal(true);
        expect(Date.now() - started).to.be.lessThan(4000);
        expect((await db.raw('select 1 as ok')).rows[0].ok).to.equal(1);
      } finally {
        await db.destroy();
      }
    });

    it('gives up on a connection that hangs without failing, after the read timeout, and never hands it out again', async () => {
      const proxy = await startFreezingProxy({ host: new URL(t.url!).hostname, port: Number(new URL(t.url!).port || 5432) });
      const url = new URL(t.url!);
      url.port = String(proxy.port);
      const db = openDatabase({ engine: 'postgres', url: url.toString(), poolMax: 1, statementTimeoutMs: 300 });
      try {
        const firstPid = (await db.raw('select pg_backend_pid() as pid')).rows[0].pid;
        proxy.freezeOpenConnections();
        const started = Date.now();
        const error = await caught(() => db.raw('select 1'));
        expect(String(error)).to.include('Query read timeout');
        expect(isDatabaseUnavailableError(error)).to.equal(true);
        expect(Date.now() - started).to.be.within(readTimeoutMs(300) - 50, 4000);
        // The only pooled connection is still frozen: the pool must open a new one, not queue behind it.
        const nextPid = (await db.raw('select pg_backend_pid() as pid')).rows[0].pid;
        expect(nextPid).to.not.equal(firstPid);
      } finally {
        await db.destroy().catch(() => undefined);
        await proxy.close();
      }
    });

    it('runs migrations without the statement timeout meant for requests', async () => {
      const fresh = await openTestDatabase('postgres', { migrate: false });
      // 1 ms: any migration statement run under it would be cancelled.
      const db = openDatabase({ engine: 'postgres', url: fresh.url!, statementTimeoutMs: 1 });
      try {
        await migrateToLatest(db);
        expect(await fresh.db.schema.hasTable('access_log')).to.equal(true);
        // The request connection does carry it: cancelled by the server (57014) or, 1 ms being so short,
        // given up on by the client after 2 ms (which can come first on a busy machine).
        const timedOut = await caught(() => db.raw('select pg_sleep(0.05)'));
        expect(isDatabaseUnavailableError(timedOut), String(timedOut)).to.equal(true);
        expect(String((timedOut as { code?: string }).code ?? (timedOut as Error).message)).to.match(/57014|Query read timeout/);
      } finally {
        await db.destroy();
        await fresh.dispose();
      }
    });
  });
});
