/**
 * One contract suite for every Ledger adapter: the embedded signed hash chain always, and Hyperledger
 * Fabric on the two-organisation test network (scripts/fabric-test-network.sh; its settings from
 * FABRIC_* in the environment or the script's fabric.env), skipped with a message where there is none —
 * except under CI=true, where a missing network fails. Both must enforce append-only anchoring, keep each
 * status change's own time, and cite the ledger's own transaction, block and time, the same way.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { FabricLedger } from '../../src/ledger/fabric-ledger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { LedgerError } from '../../src/ledger/ledger.ts';
import { buildConsistencyProof, hashLeaf, rootFromLeafHashes } from '../../src/proofs/merkle.ts';
import { openTestDatabase } from '../support/databases.ts';
import { loadFabricTestNetwork } from '../support/fabric-test-network.ts';
import type { TestDatabase } from '../support/databases.ts';

interface Adapter {
  name: string;
  open(): Promise<{ ledger: Ledger; dispose(): Promise<void> } | { skip: string }>;
}

const adapters: Adapter[] = [
  {
    name: 'embedded',
    async open() {
      const t = await openTestDatabase('pglite');
      return { ledger: new EmbeddedLedger(t.db, crypto.randomBytes(32)), dispose: () => t.dispose() };
    },
  },
  {
    name: 'fabric',
    async open() {
      const network = await loadFabricTestNetwork();
      if ('skipReason' in network) return { skip: network.skipReason };
      const ledger = new FabricLedger(network.org1);
      return { ledger, dispose: () => ledger.close() };
    },
  },
];

/** A tree of n random leaves and a way to get proofs between its prefixes. */
function tree(n: number) {
  const hashes = Array.from({ length: n }, () => hashLeaf(crypto.randomBytes(16)));
  const getNode = (level: number, index: number) => rootFromLeafHashes(hashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
  return {
    root: (size: number) => rootFromLeafHashes(hashes.slice(0, size)),
    proof: (from: number, to: number) => buildConsistencyProof(from, to, getNode),
  };
}

for (const adapter of adapters) {
  describe(`Ledger contract: ${adapter.name}`, function () {
    this.timeout(120_000);
    let ledger: Ledger;
    let dispose: () => Promise<void>;
    const origin = `contract.test/${crypto.randomUUID()}`; // fresh origin per run: a real ledger keeps history

    before(async function () {
      const opened = await adapter.open();
      if ('skip' in opened) {
        console.warn(`\n  !!! ${adapter.name} ledger contract suite SKIPPED: ${opened.skip}\n`);
        this.skip();
      }
      ({ ledger, dispose } = opened);
    });
    after(async () => dispose?.());

    const t = tree(40);

    it('accepts a first anchor without a proof and reports it', async () => {
      const anchor = await ledger.anchorCheckpoint({ origin, size: 5, rootHash: t.root(5), consistencyProof: [] });
      expect(anchor.txId).to.be.a('string').and.not.equal('');
      const got = await ledger.getAnchoredCheckpoint(origin);
      expect(got?.size).to.equal(5);
      expect(Buffer.from(got!.rootHash).equals(Buffer.from(t.root(5)))).to.equal(true);
    });

    it('accepts a growing anchor with a valid consistency proof', async () => {
      await ledger.anchorCheckpoint({ origin, size: 13, rootHash: t.root(13), consistencyProof: t.proof(5, 13) });
      expect((await ledger.getAnchoredCheckpoint(origin))?.size).to.equal(13);
    });

    it('treats re-anchoring the same checkpoint as a no-op', async () => {
      await ledger.anchorCheckpoint({ origin, size: 13, rootHash: t.root(13), consistencyProof: [] });
      expect((await ledger.getAnchoredCheckpoint(origin))?.size).to.equal(13);
    });

    const refused = async (request: Parameters<Ledger['anchorCheckpoint']>[0], code: string) => {
      let error: unknown;
      try {
        await ledger.anchorCheckpoint(request);
      } catch (e) {
        error = e;
      }
      expect(error, 'anchor should be refused').to.be.instanceOf(LedgerError);
      expect((error as LedgerError).code).to.equal(code);
      expect((await ledger.getAnchoredCheckpoint(origin))?.size).to.equal(13);
    };

    it('refuses a shrinking anchor', () => refused({ origin, size: 8, rootHash: t.root(8), consistencyProof: [] }, 'SIZE_NOT_INCREASING'));

    it('refuses a fork at the same size', () => refused({ origin, size: 13, rootHash: tree(13).root(13), consistencyProof: [] }, 'FORK_DETECTED'));

    it('refuses a larger anchor whose history was rewritten', async () => {
      const other = tree(20);
      await refused({ origin, size: 20, rootHash: other.root(20), consistencyProof: t.proof(13, 20) }, 'CONSISTENCY_PROOF_INVALID');
    });

    it('cites its own transaction, block and time for an anchor, also when a retry finds it already written', async () => {
      const before = Date.now();
      const first = await ledger.anchorCheckpoint({ origin, size: 14, rootHash: t.root(14), consistencyProof: t.proof(13, 14) });
      const again = await ledger.anchorCheckpoint({ origin, size: 14, rootHash: t.root(14), consistencyProof: t.proof(13, 14) });
      const onLedger = (await ledger.getAnchoredCheckpoint(origin))!;
      for (const anchor of [first, again, onLedger]) {
        expect(anchor.txId).to.equal(first.txId);
        expect(anchor.blockNumber).to.be.a('number').and.to.equal(first.blockNumber);
        expect(anchor.anchoredAt).to.equal(first.anchoredAt);
      }
      // The ledger's clock, not the caller's: close to now, but the value the ledger holds.
      expect(Math.abs(Date.parse(first.anchoredAt) - before)).to.be.lessThan(60_000);
    });

    it('keeps each status change\'s own time beside the ledger\'s, and answers "valid at T" by the change\'s time', async () => {
      const id = `BL.111101050000100149.${String(Date.now() + 1).slice(-10)}.01.X`;
      // Revoked at R, an hour ago, during an outage; the queued write reaches the ledger only now.
      const revokedAt = new Date(Date.now() - 3600_000);
      const anchor = await ledger.setLicenceStatus({ origin, licenceId: id, status: 'revoked', reasonSha256: 'b'.repeat(64), changedAt: revokedAt.toISOString() });
      expect(anchor.blockNumber).to.be.a('number');
      const record = (await ledger.getLicenceStatus(origin, id))!;
      expect(record).to.include({ status: 'revoked', changedAt: revokedAt.toISOString(), txId: anchor.txId });
      expect(Date.parse(record.recordedAt)).to.be.greaterThan(revokedAt.getTime() + 3000_000);
      expect(record.recordedAt).to.equal(anchor.anchoredAt);
      // Inside the outage the licence was already revoked, though the ledger learnt it later.
      expect((await ledger.getLicenceStatus(origin, id, new Date(revokedAt.getTime() + 60_000)))?.status).to.equal('revoked');
      expect(await ledger.getLicenceStatus(origin, id, new Date(revokedAt.getTime() - 60_000))).to.equal(null);
      // A retry of the same change is a no-op citing the same transaction.
      expect((await ledger.setLicenceStatus({ origin, licenceId: id, status: 'revoked', reasonSha256: 'b'.repeat(64), changedAt: revokedAt.toISOString() })).txId).to.equal(anchor.txId);
    });

    it('refuses a status change earlier than the licence\'s last one (TIME_NOT_INCREASING)', async () => {
      const id = `BL.111101050000100149.${String(Date.now() + 2).slice(-10)}.01.X`;
      const now = Date.now();
      await ledger.setLicenceStatus({ origin, licenceId: id, status: 'suspended', reasonSha256: 'a'.repeat(64), changedAt: new Date(now - 1000).toISOString() });
      let error: unknown;
      try {
        await ledger.setLicenceStatus({ origin, licenceId: id, status: 'revoked', reasonSha256: 'b'.repeat(64), changedAt: new Date(now - 5000).toISOString() });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(LedgerError);
      expect((error as LedgerError).code).to.equal('TIME_NOT_INCREASING');
      expect((await ledger.getLicenceStatus(origin, id))?.status).to.equal('suspended');
    });

    it('keeps licence status with history and answers "status at time T"', async () => {
      const id = `BL.111101050000100149.${String(Date.now()).slice(-10)}.01.X`;
      expect(await ledger.getLicenceStatus(origin, id)).to.equal(null);
      await ledger.setLicenceStatus({ origin, licenceId: id, status: 'active', reasonSha256: 'a'.repeat(64), changedAt: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 20));
      const between = new Date();
      await new Promise((r) => setTimeout(r, 20));
      await ledger.setLicenceStatus({ origin, licenceId: id, status: 'revoked', reasonSha256: 'b'.repeat(64), changedAt: new Date().toISOString() });
      expect((await ledger.getLicenceStatus(origin, id))?.status).to.equal('revoked');
      expect((await ledger.getLicenceStatus(origin, id, between))?.status).to.equal('active');
      expect((await ledger.statusHistory(origin, id)).map((h) => h.status)).to.deep.equal(['active', 'revoked']);
    });
  });
}

describe('embedded ledger hash chain', () => {
  let t: TestDatabase;
  before(async () => {
    t = await openTestDatabase('pglite');
  });
  after(async () => t?.dispose());

  it('verifies its chain and detects an altered entry', async () => {
    const ledger = new EmbeddedLedger(t.db, crypto.randomBytes(32));
    for (let i = 0; i < 5; i++) await ledger.setLicenceStatus({ origin: 'chain.test/licences', licenceId: `L${i}`, status: 'active', reasonSha256: 'c'.repeat(64), changedAt: new Date().toISOString() });
    expect(await ledger.verifyChain()).to.equal(5);
    await t.db('embedded_ledger_entries').where({ height: 3 }).update({ value: '{"licenceId":"L2","reasonSha256":"x","status":"revoked"}' });
    let error: Error | undefined;
    try {
      await ledger.verifyChain();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/entry 3 was altered/);
  });
});
