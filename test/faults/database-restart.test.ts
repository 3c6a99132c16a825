/**
 * Fault: the database server crashes and stays down for a few seconds while clients issue licences. The
 * test owns a private PostgreSQL cluster and stops it with `pg_ctl stop -m immediate` (every server
 * process quits at once, as in a crash), keeps it down, then starts it again (crash recovery from WAL).
 * The service, its own process, is never restarted. Shows: while the database is down every answer is a
 * prompt 503 problem+json DATABASE_UNAVAILABLE with Retry-After and no internals, never a 500 or a hang;
 * /readyz says unavailable, then ready; issuance resumes by itself; no acknowledged licence is lost and
 * none is duplicated (the clients retry with their Idempotency-Keys); the anchorer, whose advisory-lock
 * session died with the server, takes up its work again; a digitization job caught by the crash pauses and
 * finishes once the database is back, each good row issued once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { POOL_ACQUIRE_TIMEOUT_MS } from '../../src/db/database.ts';
import { assertAnchoredCheckpointMatchesLeaves, assertLicenceLogConsistent, LICENCE_LOG_ORIGIN } from '../support/log-consistency.ts';
import { departmentToken, freePort, ServiceProcess, sleep } from '../support/service-process.ts';
import { DEPARTMENTS } from '../support/test-vault.ts';
import { buildFaultManifest, submitDigitizeJob } from './fault-manifest.ts';
import { IssuingClients } from './issuing-clients.ts';
import type { IssueAttempt } from './issuing-clients.ts';
import { PrivatePostgres } from './private-postgres.ts';

const DOWN_MS = 4000;
/** No answer may take longer than this: the pool's acquire timeout plus scheduling slack on a busy machine. */
const ANSWER_BOUND_MS = POOL_ACQUIRE_TIMEOUT_MS + 3000;
const STACK_TRACE = /\n\s+at |node_modules|\/src\/|\.ts:\d+|ECONNREFUSED|127\.0\.0\.1/;

describe('fault: database restart mid-load', function () {
  this.timeout(180_000);
  let pg: PrivatePostgres | undefined;
  let dataDir: string;
  let service: ServiceProcess | undefined;
  let db: Knex | undefined;

  before(async function () {
    const created = await PrivatePostgres.create();
    if ('skipReason' in created) {
      console.warn(`\n  !!! database-restart fault test SKIPPED: ${created.skipReason}\n`);
      this.skip();
    }
    pg = created;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-fault-db-'));
    service = await ServiceProcess.start({ dataDir, databaseUrl: pg.url, port: await freePort(), env: { ANCHOR_INTERVAL_MS: '500' } });
    db = knexFactory({ client: 'pg', connection: pg.url, pool: { min: 0, max: 2 } });
  });
  after(async () => {
    await service?.kill();
    await db?.destroy();
    pg?.destroy();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const readiness = async () => {
    const res = await fetch(`${service!.baseUrl}/readyz`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
    return { status: res.status, body: (await res.json()) as { checks: { database: { ok: boolean } } } };
  };

  it('answers 503 DATABASE_UNAVAILABLE while PostgreSQL is down, recovers without a restart, and loses nothing', async () => {
    const pid = service!.pid;
    const token = await departmentToken(service!.baseUrl, dataDir, DEPARTMENTS.market);
    const clients = new IssuingClients({ baseUrl: service!.baseUrl, token, clients: 4, keyPrefix: 'db-restart', retryDelayMs: 100, requestTimeoutMs: 20_000 });
    clients.start();
    let downAt = 0;
    let startingAt = 0;
    let upAt = 0;
    let readyWhileDown: Awaited<ReturnType<typeof readiness>>;
    let listWhileDown: { status: number; contentType: string | null; code?: string };
    try {
      await sleep(1500);
      pg!.stopImmediately();
      downAt = Date.now();
      await sleep(DOWN_MS / 2);
      readyWhileDown = await readiness();
      // Reads fail the same clean way as writes.
      const list = await fetch(`${service!.baseUrl}/licences`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
      listWhileDown = { status: list.status, contentType: list.headers.get('content-type'), code: ((await list.json()) as { code?: string }).code };
      await sleep(DOWN_MS / 2);
      startingAt = Date.now();
      pg!.start();
      upAt = Date.now();
      const deadline = Date.now() + 30_000;
      while (!clients.attempts.some((a) => a.startedAt > upAt && (a.status === 201 || a.status === 200)) && Date.now() < deadline) await sleep(100);
      await sleep(1000);
    } finally {
      await clients.stop();
    }

    const recoveredAt = Math.min(...clients.attempts.filter((a) => a.startedAt > upAt && (a.status === 201 || a.status === 200)).map((a) => a.endedAt));
    const during = (a: IssueAttempt) => a.startedAt >= downAt && a.endedAt <= startingAt;
    const outage = clients.attempts.filter(during);
    const unavailable = clients.attempts.filter((a) => a.status === 503);
    const describe = (a: IssueAttempt) => `${a.status ?? a.error} ${a.body?.slice(0, 300) ?? ''}`;

    expect(service!.exited, `the service process died:\n${service!.tail()}`).to.equal(false);
    expect(service!.pid).to.equal(pid);
    expect(clients.attempts.filter((a) => a.status === null).map(describe), 'every request got an HTTP answer (no cut connection, no hang)').to.deep.equal([]);
    const unexpected = clients.attempts.filter((a) => ![200, 201, 503].includes(a.status!));
    expect(unexpected.map(describe), `only 201/200 or 503, never a 500; the service logged:\n${unexpected.map((a) => service!.linesMentioning(a.requestId ?? '?')).join('\n')}`).to.deep.equal([]);
    expect(outage.length, 'requests were made while the database was down').to.be.greaterThan(10);
    expect(outage.filter((a) => a.status !== 503).map(describe), 'every request while it was down: 503').to.deep.equal([]);
    for (const a of unavailable) {
      expect(a.contentType).to.match(/^application\/problem\+json/);
      expect(a.code).to.equal('DATABASE_UNAVAILABLE');
      expect(a.retryAfter).to.match(/^\d+$/);
      expect(a.body, 'no internals in the answer').to.not.match(STACK_TRACE);
    }
    const slowest = Math.max(...clients.attempts.map((a) => a.endedAt - a.startedAt));
    expect(slowest, 'every answer within the bound').to.be.lessThan(ANSWER_BOUND_MS);

    expect(readyWhileDown!.status).to.equal(503);
    expect(readyWhileDown!.body.checks.database.ok).to.equal(false);
    expect(JSON.stringify(readyWhileDown!.body), 'the public readiness answer names no host or driver message').to.not.match(/127\.0\.0\.1|ECONNREFUSED|terminat/i);
    expect(listWhileDown!).to.deep.equal({ status: 503, contentType: 'application/problem+json; charset=utf-8', code: 'DATABASE_UNAVAILABLE' });
    expect(Number.isFinite(recoveredAt), 'issuance resumed after the database came back').to.equal(true);
    expect((await readiness()).status, 'ready again').to.equal(200);

    // Nothing acknowledged is lost, nothing is issued twice.
    expect(clients.abandoned).to.deep.equal([]);
    const acknowledged = [...clients.acknowledged.values()];
    const rows = await db!('licences').where('idempotency_key', 'like', 'db-restart-%').select('id', 'idempotency_key');
    expect(rows.length).to.equal(acknowledged.length);
    const byKey = new Map(rows.map((r) => [r.idempotency_key as string, r.id as string]));
    for (const ack of acknowledged) expect(byKey.get(ack.key), ack.key).to.equal(ack.licenceId);
    const { licences } = await assertLicenceLogConsistent(db!);
    expect(licences).to.equal(acknowledged.length);
    // The anchorer's lock session died with the server; it must take the lock again and anchor it all.
    const deadline = Date.now() + 30_000;
    const sizes = async () => (await db!.raw(`select (select size from log_heads where origin = ?) as log, (select coalesce(max(size), 0) from log_checkpoints where origin = ? and anchor is not null) as anchored`, [LICENCE_LOG_ORIGIN, LICENCE_LOG_ORIGIN])).rows[0];
    for (let s = await sizes(); Number(s.anchored) < Number(s.log) && Date.now() < deadline; s = await sizes()) await sleep(200);
    await assertAnchoredCheckpointMatchesLeaves(db!);

    console.log(`      database restart: down ${((startingAt - downAt) / 1000).toFixed(1)} s (+${((upAt - startingAt) / 1000).toFixed(1)} s crash recovery); ${clients.attempts.length} requests, ${outage.length} while down (all 503), ${unavailable.length} 503s in all, 0 500s, slowest answer ${slowest} ms; issuing again ${recoveredAt - upAt} ms after the server was up; ${acknowledged.length} licences acknowledged, 0 lost, 0 duplicated`);
  });

  it('pauses a digitization job while the database is down and finishes it afterwards, each good row issued once', async () => {
    const pid = service!.pid;
    const manifest = buildFaultManifest(path.join(dataDir, 'manifest-db-restart'), 200);
    const token = await departmentToken(service!.baseUrl, dataDir, DEPARTMENTS.market);
    const jobId = await submitDigitizeJob(service!.baseUrl, token, manifest);
    const digitized = async () => Number((await db!('licences').whereNotNull('provenance').count({ n: '*' }))[0]!.n);

    // Crash the database once the job is under way, keep it down, start it again.
    const started = Date.now() + 60_000;
    while ((await digitized()) < 5 && Date.now() < started) await sleep(100);
    pg!.stopImmediately();
    await sleep(DOWN_MS);
    pg!.start();
    const issuedAtCrash = await digitized();

    let job: { state: string; summary: { issued: number; alreadyDone: number; rejected: Record<string, number> } } | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const res = await fetch(`${service!.baseUrl}/digitize/jobs/${jobId}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
      if (res?.status === 200) {
        job = (await res.json()) as typeof job;
        if (job!.state === 'done' || job!.state === 'failed') break;
      }
      await sleep(250);
    }
    expect(service!.exited, `the service process died:\n${service!.tail()}`).to.equal(false);
    expect(service!.pid, 'the service was never restarted').to.equal(pid);
    expect(job?.state, 'the job finished by itself after the database came back').to.equal('done');
    expect(issuedAtCrash, 'the crash came in the middle of the job').to.be.within(1, manifest.goodKeys.length - 1);
    expect(job!.summary.issued + job!.summary.alreadyDone).to.equal(manifest.goodKeys.length);
    expect(job!.summary.rejected).to.deep.equal({ BAD_HOLDER_ID: manifest.badRows });
    const perSource = await db!.raw(`select provenance->>'sourceSystem' as system, provenance->>'sourceRecordId' as record, count(*) as n from licences where provenance is not null group by 1, 2`);
    expect(perSource.rows.filter((r: { n: string }) => Number(r.n) !== 1), 'no source record issued twice').to.deep.equal([]);
    expect(perSource.rows.map((r: { system: string; record: string }) => `${r.system}/${r.record}`).sort()).to.deep.equal([...manifest.goodKeys].sort());
    await assertLicenceLogConsistent(db!);
    // Through both outages the service wrote nothing but structured (pino JSON) log lines.
    expect(service!.unstructuredLinesSinceReady().slice(0, 5)).to.deep.equal([]);
    console.log(`      database restart during digitization: ${issuedAtCrash} of ${manifest.goodKeys.length} good rows issued at the crash; the job paused, resumed and finished; each good row issued once`);
  });
});
