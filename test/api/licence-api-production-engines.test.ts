/**
 * The same issuance path on the production engines: PostgreSQL (a fresh database) and a real S3 server
 * (Ceph's RADOS Gateway started by scripts/s3-test-server.sh) through the minio client. Skips loudly
 * where either is missing, except on CI.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { loadS3TestConfig } from '../support/s3-test-config.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

describe('licence API on PostgreSQL + S3 (RADOS Gateway)', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let vault: TestVault;

  before(async function () {
    await skipUnlessAvailable(this, 'postgres');
    const s3 = await loadS3TestConfig();
    if ('skipReason' in s3) {
      console.warn(`\n  !!! production-engine API test SKIPPED: ${s3.skipReason}\n`);
      this.skip();
    }
    db = await openTestDatabase('postgres');
    vault = await TestVault.start({
      env: { DATABASE_URL: db.url!, S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: s3.bucket, S3_REGION: s3.region },
    });
  });
  after(async () => {
    await vault?.stop();
    await db?.dispose();
  });

  it('issues, stores in S3, records in PostgreSQL and serves the signed PDF', async () => {
    const market = await vault.departmentToken(DEPARTMENTS.market);
    const issued = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    expect(issued.status, JSON.stringify(issued.body)).to.equal(201);
    const ready = await vault.request('GET', '/readyz');
    expect(ready.body.checks).to.deep.include({ database: { ok: true, required: true, kind: 'postgres' }, objectStore: { ok: true, required: true, kind: 's3' } });

    const stored = await vault.vault.objects.get(`licences/sha256/${issued.body.document.sha256}.pdf`);
    expect(stored).to.not.equal(null);
    const row = await db.db('licences').where({ id: issued.body.id }).first();
    expect(row.document_sha256).to.equal(issued.body.document.sha256);

    const holder = await vault.holderToken(HOLDERS.companyA);
    const pdf = await vault.request('GET', `/licences/${issued.body.id}/document`, { token: holder });
    expect(crypto.createHash('sha256').update(pdf.bytes).digest('hex')).to.equal(issued.body.document.sha256);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lv-prod-')), 'l.pdf');
    fs.writeFileSync(file, pdf.bytes);
    expect(spawnSync('pdfsig', [file], { encoding: 'utf8' }).stdout).to.include('Signature is Valid.');
  });

  it('answers 503 and writes nothing while the object store is unreachable, and recovers', async () => {
    const s3 = (await loadS3TestConfig()) as Exclude<Awaited<ReturnType<typeof loadS3TestConfig>>, { skipReason: string }>;
    const target = new URL(s3.endpoint);
    const proxy = await TcpProxy.start(Number(target.port), target.hostname);
    const viaProxy = await TestVault.start({
      env: { DATABASE_URL: db.url!, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: s3.bucket, S3_REGION: s3.region },
    });
    try {
      const market = await viaProxy.departmentToken(DEPARTMENTS.market);
      expect((await viaProxy.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).status).to.equal(201);
      const rowsBefore = (await db.db('licences').count({ n: '*' }))[0]!.n;
      await proxy.stop();
      const refused = await viaProxy.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
      expect(refused.status).to.equal(503);
      expect(refused.body.code).to.equal('OBJECT_STORE_UNAVAILABLE');
      expect(refused.headers.get('retry-after')).to.equal('5');
      expect(JSON.stringify(refused.body), 'no host or driver message in the answer').to.not.match(/127\.0\.0\.1|ECONNREFUSED|socket/i);
      expect((await db.db('licences').count({ n: '*' }))[0]!.n).to.equal(rowsBefore);
      const notReady = await viaProxy.request('GET', '/readyz');
      expect(notReady.status).to.equal(503);
      expect(notReady.body.checks.objectStore).to.deep.include({ ok: false, required: true });
      expect(JSON.stringify(notReady.body), 'the public readiness answer names no host').to.not.match(/127\.0\.0\.1|ECONNREFUSED|socket/i);
      await proxy.restart();
      expect((await viaProxy.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).status).to.equal(201);
    } finally {
      await viaProxy.stop();
      await proxy.stop();
    }
  });
});

/** A loopback TCP proxy that can be cut and restored on the same port: a real "store unreachable" fault. */
class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private constructor(readonly targetPort: number, readonly targetHost: string, public port = 0) {}

  static async start(targetPort: number, targetHost: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    await proxy.restart();
    return proxy;
  }

  async restart(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
