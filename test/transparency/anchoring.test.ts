/**
 * Issuance → log leaf → signed checkpoint → anchored on the ledger → receipt a verifier can check with
 * nothing but the vkey; status changes reach the ledger; a ledger outage loses nothing.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { base64Decode, verifyCheckpoint } from '../../src/proofs/checkpoint.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../../src/proofs/merkle.ts';
import { openTestDatabase } from '../support/databases.ts';
import { standInDocuments } from '../support/stand-in-documents.ts';
import { SwitchableLedger } from '../support/switchable-ledger.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

const b64 = (s: string) => base64Decode(s)!;

describe('transparency log and anchoring (API)', function () {
  this.timeout(120_000);
  let vault: TestVault;
  let market: string;
  let holder: string;
  let auditor: string;
  let vkey: string;

  before(async () => {
    vault = await TestVault.start();
    [market, holder, auditor] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.holderToken(HOLDERS.companyA), vault.departmentToken(DEPARTMENTS.audit)]);
    vkey = Buffer.from((await vault.request('GET', '/transparency/vkey')).bytes).toString('utf8').trim();
  });
  after(async () => vault?.stop());

  it('answers 409 RECEIPT_PENDING before the first checkpoint, then a receipt that verifies offline', async () => {
    const issued = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    const id = issued.body.id;
    const pending = await vault.request('GET', `/licences/${id}/receipt`, { token: holder });
    expect(pending.status).to.equal(409);
    expect(pending.body.code).to.equal('RECEIPT_PENDING');

    const cycle = await vault.vault.anchorer.runOnce(true);
    expect(cycle).to.include({ leader: true, checkpointsCreated: 1, checkpointsAnchored: 1, error: null });

    const receipt = (await vault.request('GET', `/licences/${id}/receipt`, { token: holder })).body;
    const leaf = JSON.parse(receipt.leafData);
    expect(leaf).to.include({ kind: 'licence.issued', licenceId: id, documentSha256: issued.body.document.sha256, fieldCommitmentRoot: issued.body.fieldCommitmentRoot });
    expect(leaf).to.not.have.property('holder'); // no personal data in the public log
    const checkpoint = verifyCheckpoint(receipt.checkpoint, vkey, { expectedOrigin: vault.config.transparency.logOrigin });
    expect(checkpoint.size).to.equal(receipt.treeSize);
    verifyInclusion(hashLeaf(new TextEncoder().encode(receipt.leafData)), receipt.leafIndex, receipt.treeSize, receipt.inclusionProof.map(b64), checkpoint.rootHash);
    expect(receipt.anchor).to.include({ network: 'embedded' });

    const facts = (await vault.request('GET', `/ledger/facts?licenceId=${id}`)).body;
    expect(facts.anchoredCheckpoint.size).to.equal(checkpoint.size);
    expect(facts.anchoredCheckpoint.rootHashBase64).to.equal(Buffer.from(checkpoint.rootHash).toString('base64'));
    expect(facts.licenceStatus).to.equal(null); // the ledger holds status changes only; issuance is anchored
  });

  it('refuses a receipt to another holder (404) and gives one to an auditor', async () => {
    const id = (await vault.request('GET', '/licences', { token: holder })).body.items[0].id;
    const other = await vault.holderToken(HOLDERS.companyB);
    expect((await vault.request('GET', `/licences/${id}/receipt`, { token: other })).status).to.equal(404);
    expect((await vault.request('GET', `/licences/${id}/receipt`, { token: auditor })).status).to.equal(200);
    expect((await vault.request('GET', `/licences/${id}/document`, { token: auditor })).status).to.equal(404);
  });

  it('publishes checkpoints that are consistent extensions of each other', async () => {
    for (let i = 0; i < 3; i++) await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    await vault.vault.anchorer.runOnce(true);
    const list = (await vault.request('GET', '/transparency/checkpoints')).body.items;
    expect(list.length).to.be.at.least(2);
    const [newer, older] = list;
    const proof = (await vault.request('GET', `/transparency/consistency?first=${older.size}&second=${newer.size}`)).body.proof;
    verifyConsistency(older.size, newer.size, proof.map(b64), b64(older.rootHash), b64(newer.rootHash));
    const latestNote = Buffer.from((await vault.request('GET', '/transparency/checkpoint')).bytes).toString('utf8');
    expect(verifyCheckpoint(latestNote, vkey).size).to.equal(newer.size);
    const leaves = await vault.request('GET', `/transparency/leaves?start=0&end=${newer.size}`, { token: auditor });
    expect(leaves.body.items).to.have.length(newer.size);
    expect((await vault.request('GET', '/transparency/leaves?start=0&end=2', { token: market })).status).to.equal(403);
  });

  it('puts a revocation on the ledger and answers "valid at time T" from it', async () => {
    const id = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
    await vault.vault.anchorer.runOnce(true);
    const beforeRevocation = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'obtained by fraud' } });
    await vault.vault.anchorer.runOnce(true);
    const now = (await vault.request('GET', `/licences/${id}/validity`, { token: auditor })).body;
    expect(now).to.include({ ledgerStatus: 'revoked', basis: 'ledger-status', valid: false, provedBy: 'ledger-fact-at-time' });
    const then = (await vault.request('GET', `/licences/${id}/validity?at=${encodeURIComponent(beforeRevocation.toISOString())}`, { token: auditor })).body;
    // Proved by the first anchor that covered the issuance (made before T), not by the one after the revocation.
    expect(then).to.include({ ledgerStatus: 'active', basis: 'anchored-issuance', valid: true, provedBy: 'ledger-fact-at-time' });
    expect(Date.parse(then.ledgerRecordedAt)).to.be.at.most(beforeRevocation.getTime());
    const beforeIssue = (await vault.request('GET', `/licences/${id}/validity?at=2001-01-01T00:00:00Z`, { token: auditor })).body;
    expect(beforeIssue).to.include({ basis: 'not-yet-issued', valid: false });
    const statusLeaves = (await vault.vault.db('log_leaves').where({ subject: id })).map((r) => JSON.parse(r.leaf_data));
    expect(statusLeaves.map((l) => l.kind)).to.deep.equal(['licence.issued', 'licence.status']);
    expect(statusLeaves[1]).to.include({ status: 'revoked', reasonSha256: crypto.createHash('sha256').update('obtained by fraud').digest('hex') });
  });
});

describe('ledger outage during issuance', function () {
  this.timeout(180_000);

  it('keeps issuing and revoking while the ledger is down; anchors all 1 000 licences and writes the revocations once it returns', async () => {
    const t = await openTestDatabase('pglite');
    const ledger = new SwitchableLedger(new EmbeddedLedger(t.db, crypto.randomBytes(32)));
    const vault = await TestVault.start({ overrides: { db: t.db, ledger, documents: standInDocuments } });
    try {
      const market = await vault.departmentToken(DEPARTMENTS.market);
      ledger.down = true;
      const ids: string[] = [];
      for (let batch = 0; batch < 50; batch++) {
        const results = await Promise.all(Array.from({ length: 20 }, () => vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })));
        for (const r of results) {
          expect(r.status).to.equal(201);
          ids.push(r.body.id);
        }
        if (batch % 10 === 0) {
          const cycle = await vault.vault.anchorer.runOnce(true);
          expect(cycle.error).to.match(/simulated outage/);
        }
      }
      expect(new Set(ids).size).to.equal(1000);
      const revoked = ids.filter((_, i) => i % 100 === 7);
      for (const id of revoked) {
        expect((await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'outage test' } })).status).to.equal(200);
      }
      const failing = await vault.vault.anchorer.runOnce(true);
      expect(failing.error).to.match(/simulated outage/);
      expect(vault.vault.anchorer.backoffMs()).to.be.greaterThan(1000); // backing off

      ledger.down = false;
      const recovered = await vault.vault.anchorer.runOnce(true);
      expect(recovered.error).to.equal(null);
      expect(recovered.statusWritten).to.equal(revoked.length);
      const size = Number((await t.db('log_heads').first()).size);
      expect(size).to.equal(1000 + revoked.length); // one issuance leaf each, one status leaf per revocation
      const anchored = await ledger.getAnchoredCheckpoint(vault.config.transparency.logOrigin);
      expect(anchored?.size).to.equal(size);
      expect(Number((await t.db('ledger_status_outbox').whereNull('anchor').count({ n: '*' }))[0]!.n)).to.equal(0);
      for (const id of revoked) expect((await ledger.getLicenceStatus(vault.config.transparency.logOrigin, id))?.status).to.equal('revoked');
      expect(await ledger.getLicenceStatus(vault.config.transparency.logOrigin, ids[0]!)).to.equal(null);
      // every checkpoint made during the outage is now covered by the anchor
      expect(Number((await t.db('log_checkpoints').whereNull('anchor').count({ n: '*' }))[0]!.n)).to.equal(0);
    } finally {
      await vault.stop();
      await t.dispose();
    }
  });
});
