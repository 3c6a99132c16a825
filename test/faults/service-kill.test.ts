/**
 * Fault: kill -9 of the service. The service runs as its own process (`node --import tsx src/main.ts`) on
 * a PostgreSQL database and a local object directory; it is SIGKILLed at seeded random moments while
 * clients issue licences and while a digitization job runs, and restarted on the same database and data
 * directory each time. Afterwards nothing acknowledged is lost, nothing is issued twice, every licence has
 * exactly one issuance leaf, its document is stored with the recorded hash, and the anchored checkpoint
 * signs the root recomputed from the stored leaves.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { dataDirLayout } from '../../src/bootstrap/dev-environment.ts';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { createLocalDirectoryStore } from '../../src/storage/local-directory-store.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { assertAnchoredCheckpointMatchesLeaves, assertLicenceLogConsistent, LICENCE_LOG_ORIGIN } from '../support/log-consistency.ts';
import { departmentToken, freePort, ServiceProcess, sleep } from '../support/service-process.ts';
import { DEPARTMENTS } from '../support/test-vault.ts';
import { mulberry32 } from '../digitize/messy-manifest-generator.ts';
import { buildFaultManifest as buildManifest, submitDigitizeJob } from './fault-manifest.ts';
import { IssuingClients } from './issuing-clients.ts';

const SEED = Number(process.env.FAULT_SEED ?? 20260307);
const ISSUANCE_KILLS = 12;
const DIGITIZATION_KILLS = 8;
/**
 * Kills alternate between two kinds of moment. A recovery kill lands this long after the restarted service
 * answers /healthz, often before it has done any work again. A working kill waits until the service has made
 * progress since the restart (a licence acknowledged or a row issued), then lands this long after it. Waiting
 * for progress rather than a fixed time keeps the kills meaningful on slow machines too, where the first
 * licence after a start can take longer than the whole recovery window.
 */
const RECOVERY_KILL_MS = [150, 900] as const;
const WORKING_KILL_MS = [0, 600] as const;
const PROGRESS_TIMEOUT_MS = 60_000;

describe('fault: kill -9 of the service during issuance and digitization', function () {
  this.timeout(300_000);
  const random = mulberry32(SEED);
  const figures = { kills: 0, killsWithRequestsInFlight: 0, restarts: 0 };
  let db: TestDatabase;
  let dataDir: string;
  let port: number;
  let service: ServiceProcess | undefined;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    db = await openTestDatabase('postgres', { migrate: false });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-fault-kill-'));
    port = await freePort();
    service = await start();
  });
  after(async () => {
    await service?.kill();
    await db?.dispose();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (figures.kills > 0) console.log(`      kill -9 faults: ${figures.kills} kills (${figures.killsWithRequestsInFlight} of the issuance kills with requests in flight), ${figures.restarts} restarts, seed ${SEED}`);
  });

  // A short anchoring interval, so kills also land in the middle of checkpointing and anchoring.
  const start = () => ServiceProcess.start({ dataDir, databaseUrl: db.url!, port, env: { ANCHOR_INTERVAL_MS: '300', RENDER_WORKERS: '0' } });

  const randomIn = ([low, high]: readonly [number, number]) => low + Math.floor(random() * (high - low));

  /** Resolves once `progress()` exceeds its value at the call. */
  const waitForProgress = async (progress: () => Promise<number> | number) => {
    const before = await progress();
    const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
    while ((await progress()) <= before) {
      expect(Date.now(), `no progress within ${PROGRESS_TIMEOUT_MS} ms of a restart:\n${service!.tail()}`).to.be.below(deadline);
      expect(service!.exited, `the service died on its own:\n${service!.tail()}`).to.equal(false);
      await sleep(25);
    }
  };

  /**
   * Kill number `i` (see RECOVERY_KILL_MS / WORKING_KILL_MS), then restart. `progress` counts the work
   * done so far; `atKill` runs right before the kill, to record what the service was doing at that moment.
   */
  const killAtRandomPointAndRestart = async (i: number, progress: () => Promise<number> | number, atKill: () => Promise<void> | void = () => undefined) => {
    if (i % 2 === 0) await sleep(randomIn(RECOVERY_KILL_MS));
    else {
      await waitForProgress(progress);
      await sleep(randomIn(WORKING_KILL_MS));
    }
    expect(service!.exited, `the service died on its own:\n${service!.tail()}`).to.equal(false);
    await atKill();
    const exit = await service!.kill();
    expect(exit.signal).to.equal('SIGKILL');
    figures.kills += 1;
    service = await start();
    figures.restarts += 1;
  };

  const count = async (sql: string, bindings: ReadonlyArray<string | number> = []) => Number((await db.db.raw(sql, bindings)).rows[0].n);

  /** Every licence's document is in the object store and hashes to what its row records. */
  const assertDocumentsStored = async (rows: Array<{ id: string; document_key: string; document_sha256: string }>) => {
    const objects = await createLocalDirectoryStore(path.join(dataDir, 'objects'));
    for (const row of rows) {
      const bytes = await objects.get(row.document_key);
      expect(bytes, `document of ${row.id}`).to.not.equal(null);
      expect(crypto.createHash('sha256').update(bytes!).digest('hex'), `document of ${row.id}`).to.equal(row.document_sha256);
    }
    await objects.close();
  };

  /** Waits for the restarted service's own anchorer to anchor the whole log, then checks it against the leaves. */
  const assertAnchoredByService = async () => {
    const deadline = Date.now() + 30_000;
    const logSize = () => count('select coalesce(max(size), 0) as n from log_heads where origin = ?', [LICENCE_LOG_ORIGIN]);
    const anchoredSize = () => count('select coalesce(max(size), 0) as n from log_checkpoints where origin = ? and anchor is not null', [LICENCE_LOG_ORIGIN]);
    while ((await anchoredSize()) < (await logSize()) && Date.now() < deadline) await sleep(200);
    const seed = new Uint8Array(Buffer.from(fs.readFileSync(path.join(dataDirLayout(dataDir).keysDir, 'embedded-ledger.seed'), 'utf8').trim(), 'hex'));
    await assertAnchoredCheckpointMatchesLeaves(db.db, { ledger: new EmbeddedLedger(db.db, seed) });
  };

  it(`loses and duplicates no licence across ${ISSUANCE_KILLS} kills during issuance`, async () => {
    const token = await departmentToken(service!.baseUrl, dataDir, DEPARTMENTS.market);
    const clients = new IssuingClients({ baseUrl: service!.baseUrl, token, clients: 4, keyPrefix: 'kill-issue', retryDelayMs: 100 });
    clients.start();
    try {
      for (let i = 0; i < ISSUANCE_KILLS; i++) {
        await killAtRandomPointAndRestart(i, () => clients.acknowledged.size, () => {
          if (clients.requestsInFlight > 0) figures.killsWithRequestsInFlight += 1;
        });
      }
      await sleep(500);
    } finally {
      await clients.stop();
    }

    expect(clients.abandoned, 'keys never acknowledged or refused').to.deep.equal([]);
    const acknowledged = [...clients.acknowledged.values()];
    const rows = await db.db('licences').where('idempotency_key', 'like', 'kill-issue-%').select('id', 'idempotency_key', 'document_key', 'document_sha256');
    // Exactly one licence per acknowledged key, and it is the one the client was told about.
    expect(rows.length, 'licences = acknowledged keys').to.equal(acknowledged.length);
    const byKey = new Map(rows.map((r) => [r.idempotency_key as string, r]));
    for (const ack of acknowledged) {
      expect(byKey.get(ack.key)?.id, `licence of key ${ack.key}`).to.equal(ack.licenceId);
      expect(byKey.get(ack.key)?.document_sha256).to.equal(ack.documentSha256);
    }
    const { licences } = await assertLicenceLogConsistent(db.db);
    expect(licences).to.equal(acknowledged.length);
    await assertDocumentsStored(rows);
    await assertAnchoredByService();

    const replays = acknowledged.filter((a) => a.status === 200).length;
    const refused = clients.attempts.filter((a) => a.status === null).length;
    console.log(`      issuance: ${ISSUANCE_KILLS} kills; ${acknowledged.length} licences acknowledged, 0 lost, 0 duplicated; ${clients.attempts.length} requests (${refused} cut or refused, ${clients.attempts.filter((a) => a.status === 503).length} answered 503), ${replays} acknowledged by an idempotent replay after a cut response`);
    expect(acknowledged.length, 'enough issuance happened between kills to mean something').to.be.greaterThan(ISSUANCE_KILLS * 2);
    expect(figures.killsWithRequestsInFlight, 'kills landed during issuance').to.be.at.least(ISSUANCE_KILLS / 2);
  });

  it(`issues each good manifest row exactly once across ${DIGITIZATION_KILLS} kills during a digitization job`, async () => {
    const manifest = buildManifest(path.join(dataDir, 'manifest-src'), 200);
    const token = await departmentToken(service!.baseUrl, dataDir, DEPARTMENTS.market);
    const jobId = await submitDigitizeJob(service!.baseUrl, token, manifest);
    const jobState = async () => (await db.db('digitize_jobs').where({ id: jobId }).first()).state as string;
    const digitized = () => count('select count(*) as n from licences where provenance is not null');

    const issuedAtKill: number[] = [];
    for (let i = 0; i < DIGITIZATION_KILLS; i++) {
      await killAtRandomPointAndRestart(i, digitized, async () => {
        expect(await jobState(), `the job is still running at kill ${i + 1} (make the manifest larger if this machine is fast)`).to.not.equal('done');
        issuedAtKill.push(await digitized());
      });
    }
    const deadline = Date.now() + 120_000;
    let job: { state: string; summary: { issued: number; alreadyDone: number; rejected: Record<string, number> } } | undefined;
    while (Date.now() < deadline) {
      const res = await fetch(`${service!.baseUrl}/digitize/jobs/${jobId}`, { headers: { authorization: `Bearer ${token}` } });
      job = (await res.json()) as typeof job;
      if (job!.state === 'done' || job!.state === 'failed') break;
      await sleep(250);
    }
    expect(job?.state, JSON.stringify(job)).to.equal('done');
    expect(issuedAtKill.some((n) => n > 0 && n < manifest.goodKeys.length), `killed mid-batch (issued at each kill: ${issuedAtKill.join(', ')})`).to.equal(true);
    expect(job!.summary.issued + job!.summary.alreadyDone).to.equal(manifest.goodKeys.length);
    expect(job!.summary.rejected).to.deep.equal({ BAD_HOLDER_ID: manifest.badRows });

    const perSource = await db.db.raw(`select provenance->>'sourceSystem' as system, provenance->>'sourceRecordId' as record, count(*) as n from licences where provenance is not null group by 1, 2`);
    expect(perSource.rows.filter((r: { n: string }) => Number(r.n) !== 1), 'source records issued more than once').to.deep.equal([]);
    expect(perSource.rows.map((r: { system: string; record: string }) => `${r.system}/${r.record}`).sort()).to.deep.equal([...manifest.goodKeys].sort());
    await assertLicenceLogConsistent(db.db);
    await assertDocumentsStored(await db.db('licences').whereNotNull('provenance').select('id', 'document_key', 'document_sha256'));
    await assertAnchoredByService();
    console.log(`      digitization: ${DIGITIZATION_KILLS} kills; ${manifest.goodKeys.length} good rows issued exactly once (licences at each kill: ${issuedAtKill.join(', ')}), ${manifest.badRows} bad rows rejected`);
  });
});
