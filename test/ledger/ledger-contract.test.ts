/**
 * One contract suite for every Ledger adapter: the embedded signed hash chain always, and Hyperledger
 * Fabric when FABRIC_GATEWAY_ENDPOINT and friends point at a network (README: "Fabric integration test");
 * skipped with a message otherwise. Both must enforce append-only anchoring the same way.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { EmbeddedLedger } from '../../src/ledger/embedded-ledger.ts';
import { FabricLedger, fabricConfigFromEnv } from '../../src/ledger/fabric-ledger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { LedgerError } from '../../src/ledger/ledger.ts';
import { buildConsistencyProof, hashLeaf, rootFromLeafHashes } from '../../src/proofs/merkle.ts';
import { openTestDatabase } from '../support/databases.ts';
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
      const config = fabricConfigFromEnv(process.env);
      if (!config) return { skip: 'FABRIC_GATEWAY_ENDPOINT is not set (see README "Fabric integration test")' };
      const ledger = new FabricLedger(config);
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

    it('keeps licence status with history and answers "status at time T"', async () => {
      const id = `BL.111101050000100149.${String(Date.now()).slice(-10)}.01.X`;
      expect(await ledger.getLicenceStatus(id)).to.equal(null);
      await ledger.setLicenceStatus({ licenceId: id, status: 'active', reasonSha256: 'a'.repeat(64), changedAt: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 20));
      const between = new Date();
      await new Promise((r) => setTimeout(r, 20));
      await ledger.setLicenceStatus({ licenceId: id, status: 'revoked', reasonSha256: 'b'.repeat(64), changedAt: new Date().toISOString() });
      expect((await ledger.getLicenceStatus(id))?.status).to.equal('revoked');
      expect((await ledger.getLicenceStatus(id, between))?.status).to.equal('active');
      expect((await ledger.statusHistory(id)).map((h) => h.status)).to.deep.equal(['active', 'revoked']);
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
    for (let i = 0; i < 5; i++) await ledger.setLicenceStatus({ licenceId: `L${i}`, status: 'active', reasonSha256: 'c'.repeat(64), changedAt: new Date().toISOString() });
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
