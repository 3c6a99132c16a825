/**
 * The vault on a real two-organisation Fabric network (scripts/fabric-test-network.sh: one peer per
 * organisation, etcdraft, TLS, the chaincode as a service, an endorsement policy that needs both
 * organisations). Skipped with a message where there is no network, except under CI=true (then it fails).
 *
 *  - the policy holds: a status write endorsed by one organisation only is invalidated;
 *  - issue → anchor → receipt → CLI verify → revoke → CLI verify refused → valid at T before and after;
 *  - a revocation made while Org2's peer is down is "pending on the ledger" during the outage, and once the
 *    peer is back the answer for a time inside the outage is "revoked", by the change's own time;
 *  - Org1's peer (the gateway) down: 503 + Retry-After on the three ledger routes, CLI exit 2 with a JSON
 *    report; issuance goes on; once the peer is back everything anchors, nothing lost;
 *  - a ledger holding a larger, foreign tree for the origin: an alarm, and nothing marked anchored.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';
import { expect } from 'chai';
import { FabricLedger } from '../../src/ledger/fabric-ledger.ts';
import type { FabricLedgerConfig } from '../../src/ledger/fabric-ledger.ts';
import { hashLeaf, rootFromLeafHashes } from '../../src/proofs/merkle.ts';
import { runCli } from '../support/cli.ts';
import { openTestDatabase } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { loadFabricTestNetwork, startFabricPeer, stopFabricPeer } from '../support/fabric-test-network.ts';
import type { FabricTestNetwork } from '../support/fabric-test-network.ts';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../support/test-vault.ts';

/** A fresh pair of origins: the network keeps every earlier run's anchors. */
function freshOrigins() {
  const run = `e2e-${crypto.randomUUID().slice(0, 8)}.test`;
  return { LOG_ORIGIN: `${run}/licences`, ACCESS_LOG_ORIGIN: `${run}/accesses` };
}

function gatewayFor(config: FabricLedgerConfig) {
  const client = new grpc.Client(config.endpoint, grpc.credentials.createSsl(Buffer.from(config.tlsRootCertPem)), config.hostAlias ? { 'grpc.ssl_target_name_override': config.hostAlias } : {});
  const gateway = connect({ client, identity: { mspId: config.mspId, credentials: Buffer.from(config.certPem) }, signer: signers.newPrivateKeySigner(crypto.createPrivateKey(config.keyPem)), hash: hash.sha256 });
  return { contract: gateway.getNetwork(config.channel).getContract(config.chaincode), close: () => { gateway.close(); client.close(); } };
}

describe('the vault on a two-organisation Fabric network', function () {
  this.timeout(300_000);
  let network: FabricTestNetwork;
  let t: TestDatabase;
  let ledger: FabricLedger;
  let vault: TestVault;
  let market: string;
  let auditor: string;
  let dir: string;

  before(async function () {
    const loaded = await loadFabricTestNetwork();
    if ('skipReason' in loaded) {
      console.warn(`\n  !!! Fabric network tests SKIPPED: ${loaded.skipReason}\n`);
      this.skip();
    }
    network = loaded;
    t = await openTestDatabase('pglite');
    ledger = new FabricLedger(network.org1);
    vault = await TestVault.start({ overrides: { db: t.db, ledger }, env: freshOrigins() });
    [market, auditor] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.audit)]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-fabric-e2e-'));
  });
  after(async () => {
    // Whatever happened, leave both peers running for the next suite.
    if (network) for (const org of ['org1', 'org2'] as const) await startFabricPeer(org).catch(() => undefined);
    await vault?.stop();
    await ledger?.close();
    await t?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const issue = async () => {
    const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.id as string;
  };
  const validity = async (id: string, at?: Date) => (await vault.request('GET', `/licences/${id}/validity${at ? `?at=${encodeURIComponent(at.toISOString())}` : ''}`, { token: auditor })).body;
  /** The PDF and receipt on disk, and `licence-vault verify --json` on them as a separate process. */
  const cliVerify = async (id: string) => {
    const pdf = (await vault.vault.licences.documentForLink(id))!.bytes;
    const receipt = (await vault.request('GET', `/licences/${id}/receipt`, { token: auditor })).body;
    const pdfFile = path.join(dir, `${id}.pdf`);
    const receiptFile = path.join(dir, `${id}.receipt.json`);
    fs.writeFileSync(pdfFile, pdf);
    fs.writeFileSync(receiptFile, JSON.stringify(receipt));
    const run = await runCli(['verify', pdfFile, '--receipt', receiptFile, '--url', vault.baseUrl, '--json']);
    return { status: run.status, report: JSON.parse(run.stdout), stderr: run.stderr, receipt };
  };
  /** Anchoring cycles until the outbox is empty and every leaf is anchored (the ledger may be coming back). */
  const anchorUntilSettled = async (deadlineMs = 60_000) => {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const report = await vault.vault.anchorer.runOnce(true);
      const pending = await t.db('ledger_status_outbox').whereNull('anchor').count({ n: '*' });
      const unanchored = await t.db('log_checkpoints').whereNull('anchor').count({ n: '*' });
      if (report.error === null && Number(pending[0]!.n) === 0 && Number(unanchored[0]!.n) === 0) return;
      if (Date.now() > until) throw new Error(`not settled: ${report.error}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  it('enforces the endorsement policy: a status write endorsed by Org1 only is invalidated and changes nothing', async () => {
    const { contract, close } = gatewayFor(network.org1);
    try {
      const id = `policy-${crypto.randomUUID()}`;
      const proposal = contract.newProposal('SetStatus', { arguments: ['policy.test/licences', id, 'revoked', 'a'.repeat(64), new Date().toISOString()], endorsingOrganizations: ['Org1MSP'] });
      const transaction = await proposal.endorse();
      const commit = await transaction.submit();
      const status = await commit.getStatus();
      expect(status.successful).to.equal(false);
      expect(status.code).to.equal(10); // ENDORSEMENT_POLICY_FAILURE (a transaction validation code)
      expect(await ledger.getLicenceStatus('policy.test/licences', id)).to.equal(null);
    } finally {
      close();
    }
  });

  it('issue → anchor → receipt → CLI verify → revoke → CLI verify refused → valid at T before and after', async () => {
    const id = await issue();
    await anchorUntilSettled();
    const first = await cliVerify(id);
    expect(first.status, JSON.stringify(first.report.checks)).to.equal(0);
    expect(first.report).to.include({ ok: true, complete: true });
    // The receipt cites the ledger's own transaction, block and time.
    const anchor = first.receipt.anchor;
    expect(anchor).to.include({ network: 'fabric', channel: network.org1.channel, chaincode: network.org1.chaincode });
    expect(anchor.blockNumber).to.be.a('number').and.greaterThan(0);
    const onLedger = (await ledger.getAnchoredCheckpoint(vault.config.transparency.logOrigin))!;
    expect(onLedger.txId).to.equal(anchor.coveredBySize ? onLedger.txId : anchor.txId);
    expect(anchor.anchoredAt).to.equal(onLedger.txId === anchor.txId ? onLedger.anchoredAt : anchor.anchoredAt);

    const beforeRevocation = new Date();
    await new Promise((r) => setTimeout(r, 50));
    expect((await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'obtained by fraud' } })).status).to.equal(200);
    await anchorUntilSettled();
    const second = await cliVerify(id);
    expect(second.status).to.equal(1);
    expect(second.report.checks.find((c: { check: string }) => c.check === 'status')).to.include({ ok: false, code: 'LICENCE_REVOKED' });
    expect(await validity(id, beforeRevocation)).to.include({ valid: true, basis: 'anchored-issuance', ledgerStatus: 'active', provedBy: 'ledger-fact-at-time' });
    const now = await validity(id);
    expect(now, JSON.stringify(now)).to.include({ valid: false, basis: 'ledger-status', ledgerStatus: 'revoked', provedBy: 'ledger-fact-at-time' });
  });

  it('answers a revocation made while Org2\'s peer was down: pending during the outage, revoked since the change\'s own time after', async () => {
    const id = await issue();
    await anchorUntilSettled();
    const beforeRevocation = new Date();
    await stopFabricPeer('org2');
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect((await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'revoked during an outage' } })).status).to.equal(200);
      await new Promise((r) => setTimeout(r, 50));
      const insideOutage = new Date();
      const attempt = await vault.vault.anchorer.runOnce(true);
      expect(attempt.error, 'the status write cannot be endorsed by both organisations now').to.match(/LEDGER_UNAVAILABLE/);
      const revokedAt = ((await vault.request('GET', `/licences/${id}/history`, { token: market })).body.items as Array<{ action: string; at: string }>).find((e) => e.action === 'revoke')!.at;
      expect(await validity(id, insideOutage)).to.deep.include({ valid: false, basis: 'pending-on-ledger', pendingChange: { status: 'revoked', changedAt: revokedAt } });
      await startFabricPeer('org2');
      await anchorUntilSettled();
      const answer = await validity(id, insideOutage);
      expect(answer).to.include({ valid: false, basis: 'ledger-status', ledgerStatus: 'revoked', provedBy: 'later-ledger-fact' });
      expect(Date.parse(answer.ledgerRecordedAt)).to.be.greaterThan(insideOutage.getTime());
      expect(await validity(id, beforeRevocation)).to.include({ valid: true, ledgerStatus: 'active' });
    } finally {
      await startFabricPeer('org2');
    }
  });

  it('answers 503 + Retry-After while Org1\'s peer (the gateway) is down, CLI exit 2 with a report; nothing is lost and everything anchors after', async () => {
    const id = await issue();
    await anchorUntilSettled();
    const pdf = (await vault.vault.licences.documentForLink(id))!.bytes;
    await stopFabricPeer('org1');
    let duringOutage: string;
    try {
      for (const [what, res] of [
        ['validity', await vault.request('GET', `/licences/${id}/validity`, { token: auditor })],
        ['facts', await vault.request('GET', `/ledger/facts?licenceId=${encodeURIComponent(id)}`)],
        ['verify', await vault.request('POST', '/verify', { json: { pdf: Buffer.from(pdf).toString('base64') } })],
      ] as const) {
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(503);
        expect(res.headers.get('retry-after'), what).to.match(/^\d+$/);
        expect(res.body.code, what).to.equal('LEDGER_UNAVAILABLE');
      }
      const cli = await cliVerify(id);
      expect(cli.status).to.equal(2);
      expect(cli.report).to.include({ verdict: 'could-not-check', ok: false });
      duringOutage = await issue(); // issuance never waits for the ledger
      expect((await vault.vault.anchorer.runOnce(true)).error).to.match(/LEDGER_UNAVAILABLE/);
    } finally {
      await startFabricPeer('org1');
    }
    await anchorUntilSettled();
    const after = await cliVerify(duringOutage);
    expect(after.status, after.stderr).to.equal(0);
    expect(after.report).to.include({ ok: true, complete: true });
  });

  it('raises an alarm and marks nothing anchored when the ledger holds a larger, foreign tree for the origin', async () => {
    const origins = freshOrigins();
    // Another deployment (or a newer copy of this database) anchored 20 leaves under this origin.
    const foreign = Array.from({ length: 20 }, () => hashLeaf(crypto.randomBytes(16)));
    await ledger.anchorCheckpoint({ origin: origins.LOG_ORIGIN, size: 20, rootHash: rootFromLeafHashes(foreign), consistencyProof: [] });
    const db = await openTestDatabase('pglite');
    const other = await TestVault.start({ overrides: { db: db.db, ledger }, env: origins });
    try {
      const token = await other.departmentToken(DEPARTMENTS.market);
      for (let i = 0; i < 3; i++) expect((await other.request('POST', '/licences', { token, json: businessLicenceRequest() })).status).to.equal(201);
      const report = await other.vault.anchorer.runOnce(true);
      expect(report.alarm).to.equal(true);
      expect(report.error).to.match(/ANCHORING_ALARM \(rollback\)/);
      expect(Number((await db.db('log_checkpoints').where({ origin: origins.LOG_ORIGIN }).whereNotNull('anchor').count({ n: '*' }))[0]!.n)).to.equal(0);
      const ready = (await other.request('GET', '/readyz')).body;
      expect(ready.status).to.equal('degraded');
      expect(ready.checks.anchoring).to.include({ ok: false });
      expect(ready.checks.anchoring.error).to.match(/rollback alarm on .*ledger size 20, log size 3/);
      const metrics = Buffer.from((await other.request('GET', '/metrics')).bytes).toString('utf8');
      expect(metrics).to.match(/^anchoring_alarms_open 1$/m);
      expect(metrics).to.match(/^anchoring_lag_leaves 3$/m);
      const alarms = (await other.request('GET', '/transparency/alarms', { token: await other.departmentToken(DEPARTMENTS.audit) })).body.items;
      expect(alarms).to.have.length(1);
      expect(alarms[0]).to.include({ origin: origins.LOG_ORIGIN, kind: 'rollback', ledgerSize: 20, logSize: 3 });
      // A receipt is never handed out as anchored by the foreign transaction.
      const receipt = (await other.request('GET', `/licences/${(await db.db('licences').first()).id}/receipt`, { token })).body;
      expect(receipt.anchor).to.equal(null);
    } finally {
      await other.stop();
      await db.dispose();
    }
  });
});
