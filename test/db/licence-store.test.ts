/**
 * The licence and department stores, one suite run on every engine (PGlite and PostgreSQL), so the
 * embedded default cannot drift from production.
 */
import { expect } from 'chai';
import { createDepartmentStore } from '../../src/departments/department-store.ts';
import { createLicenceStore } from '../../src/licences/licence-store.ts';
import { LicenceStoreConflict } from '../../src/licences/licence-types.ts';
import { migrateToLatest } from '../../src/db/database.ts';
import { migrationSource } from '../../src/db/migrations/index.ts';
import { openTestDatabase, skipUnlessAvailable, TEST_ENGINES } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { insertIssuer, ISSUER, LOG, licenceRecord } from '../support/licence-records.ts';

const statusEffects = (id: string) => ({ log: [{ origin: LOG, subject: id, leaf: { kind: 'licence.status', licenceId: id } }], ledger: [{ origin: LOG, licenceId: id, status: 'suspended' as const, reasonSha256: 'e'.repeat(64), changedAt: '2026-02-01T00:00:00.000Z' }] });
const leavesAbout = async (db: TestDatabase['db'], id: string) => (await db('log_leaves').where({ subject: id }).orderBy('leaf_index')).map((r) => JSON.parse(r.leaf_data).kind);

for (const engine of TEST_ENGINES) {
  describe(`stores on ${engine}`, function () {
    this.timeout(60_000);
    let t: TestDatabase;

    before(async function () {
      await skipUnlessAvailable(this, engine);
      t = await openTestDatabase(engine);
      await insertIssuer(t.db);
    });
    after(async () => t?.dispose());

    it('round-trips departments, including JSON columns', async () => {
      const departments = createDepartmentStore(t.db);
      const d = await departments.get(ISSUER);
      expect(d).to.deep.equal({ code: ISSUER, nameZh: '市场监管局', nameEn: 'Market Regulation', roles: ['issuer'], jwks: { keys: [] }, signingChainPem: ['PEM'] });
      await departments.upsert({ ...d!, roles: ['issuer', 'auditor'] });
      expect((await departments.get(ISSUER))!.roles).to.deep.equal(['issuer', 'auditor']);
      expect(await departments.get('nope')).to.equal(null);
    });

    it('allocates serials without duplicates under 40 concurrent callers', async () => {
      const store = createLicenceStore(t.db);
      const serials = await Promise.all(Array.from({ length: 40 }, () => store.allocateSerial('XX', ISSUER)));
      const asNumbers = serials.map(Number).sort((a, b) => a - b);
      expect(new Set(asNumbers).size).to.equal(40);
      expect(asNumbers[0]).to.equal(1);
      expect(asNumbers[39]).to.equal(40);
      expect(await store.allocateSerial('YY', ISSUER)).to.equal(1n);
    });

    it('round-trips a licence exactly (dates, JSON, characters outside the BMP)', async () => {
      const store = createLicenceStore(t.db);
      const r = licenceRecord('BL.111101050000100149.0000000001.01.G');
      await store.insert(r);
      expect(await store.get(r.licence.id)).to.deep.equal(r.licence);
      expect(await store.history(r.licence.id)).to.deep.equal([r.event]);
      expect(await store.getDisclosable(r.licence.id)).to.deep.equal({ licence: r.licence, fieldSalts: r.fieldSalts });
      // the log leaf and the ledger outbox entry were written in the same transaction
      expect(await leavesAbout(t.db, r.licence.id)).to.deep.equal(['licence.issued']);
      expect(await t.db('ledger_status_outbox').where({ licence_id: r.licence.id })).to.have.length(1);
    });

    it('refuses a second licence with the same idempotency key, and finds it by key', async () => {
      const store = createLicenceStore(t.db);
      await store.insert(licenceRecord('BL.111101050000100149.0000000002.01.X', {}, 'key-1'));
      let error: unknown;
      try {
        await store.insert(licenceRecord('BL.111101050000100149.0000000003.01.X', {}, 'key-1'));
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(LicenceStoreConflict);
      expect(await store.get('BL.111101050000100149.0000000003.01.X')).to.equal(null);
      // a failed write leaves no leaf and no outbox entry behind
      expect(await leavesAbout(t.db, 'BL.111101050000100149.0000000003.01.X')).to.deep.equal([]);
      expect(await t.db('ledger_status_outbox').where({ licence_id: 'BL.111101050000100149.0000000003.01.X' })).to.have.length(0);
      const found = await store.findByIdempotencyKey(ISSUER, 'key-1');
      expect(found?.licence.id).to.equal('BL.111101050000100149.0000000002.01.X');
    });

    it('changes status only from the allowed states (compare-and-set), once under concurrency', async () => {
      const store = createLicenceStore(t.db);
      const id = 'BL.111101050000100149.0000000004.01.X';
      await store.insert(licenceRecord(id));
      const event = { licenceId: id, action: 'suspend' as const, fromStatus: 'active' as const, toStatus: 'suspended' as const, reason: 'r', actor: ISSUER, at: '2026-02-01T00:00:00.000Z' };
      const results = await Promise.all(Array.from({ length: 8 }, () => store.changeStatus(id, ['active'], event, statusEffects(id))));
      expect(results.filter((r) => r.changed)).to.have.length(1);
      expect((await store.get(id))!.status).to.equal('suspended');
      expect((await store.history(id)).map((e) => e.action)).to.deep.equal(['issue', 'suspend']);
      expect(await leavesAbout(t.db, id)).to.deep.equal(['licence.issued', 'licence.status']); // one status leaf, not eight
      expect(await store.changeStatus('missing', ['active'], event, statusEffects('missing'))).to.deep.equal({ changed: false, licence: null });
    });

    it('renews atomically and refuses a second renewal of the same licence', async () => {
      const store = createLicenceStore(t.db);
      const id = 'BL.111101050000100149.0000000005.01.X';
      await store.insert(licenceRecord(id));
      const successor = licenceRecord('BL.111101050000100149.0000000005.02.X', { version: 2, previousId: id });
      const supersede = { licenceId: id, action: 'renew' as const, fromStatus: 'active' as const, toStatus: 'superseded' as const, reason: 'renewed', actor: ISSUER, at: '2026-03-01T00:00:00.000Z' };
      expect((await store.renew(id, ['active'], successor, supersede, statusEffects(id))).changed).to.equal(true);
      expect((await store.get(id))!.status).to.equal('superseded');
      const fork = licenceRecord('BL.111101050000100149.0000000005.03.X', { version: 3, previousId: id });
      const second = await store.renew(id, ['active', 'suspended'], fork, supersede, statusEffects(id));
      expect(second.changed).to.equal(false);
      expect(await store.get(fork.licence.id)).to.equal(null);
    });

    it('appends log leaves without gaps or duplicates under concurrent writers, with correct roots', async () => {
      const { KnexLogStore } = await import('../../src/log/log-store.ts');
      const { rootFromLeafHashes, hashLeaf, verifyInclusion, verifyConsistency } = await import('../../src/proofs/merkle.ts');
      const store = createLicenceStore(t.db);
      const logs = new KnexLogStore(t.db);
      const before = await logs.size(LOG);
      await Promise.all(Array.from({ length: 25 }, (_, i) => store.insert(licenceRecord(`FB.111101050000100149.00000009${String(i).padStart(2, '0')}.01.X`))));
      const size = await logs.size(LOG);
      expect(size).to.equal(before + 25);
      const leaves = await logs.leaves(LOG, 0, size);
      expect(leaves.map((l) => l.index)).to.deep.equal(Array.from({ length: size }, (_, i) => i));
      const hashes = leaves.map((l) => hashLeaf(new TextEncoder().encode(l.data)));
      const root = await logs.root(LOG, size);
      expect(Buffer.from(root).toString('hex')).to.equal(Buffer.from(rootFromLeafHashes(hashes)).toString('hex'));
      for (const index of [0, Math.floor(size / 2), size - 1]) verifyInclusion(hashes[index]!, index, size, await logs.inclusionProof(LOG, index, size), root);
      const oldRoot = await logs.root(LOG, before);
      verifyConsistency(before, size, await logs.consistencyProof(LOG, before, size), oldRoot, root);
    });

    it('appends batches of any size at any tree size with the same roots as one leaf at a time', async () => {
      const { appendLeaves, KnexLogStore } = await import('../../src/log/log-store.ts');
      const { rootFromLeafHashes, hashLeaf } = await import('../../src/proofs/merkle.ts');
      const origin = `test/batches-${engine}`;
      const logs = new KnexLogStore(t.db);
      // batch sizes chosen to start at odd, even and power-of-two sizes and to complete deep subtrees
      const batches = [1, 1, 3, 1, 8, 2, 17, 5, 32, 1, 63];
      const hashes: Uint8Array[] = [];
      for (const size of batches) {
        const entries = Array.from({ length: size }, (_, k) => ({ origin, subject: `s${hashes.length + k}`, leaf: { n: hashes.length + k } }));
        const indices = await t.db.transaction((trx) => appendLeaves(trx, entries));
        expect(indices).to.deep.equal(Array.from({ length: size }, (_, k) => hashes.length + k));
        for (const e of entries) hashes.push(hashLeaf(new TextEncoder().encode(JSON.stringify(e.leaf))));
        const root = await logs.root(origin, hashes.length);
        expect(Buffer.from(root).toString('hex'), `after ${hashes.length} leaves`).to.equal(Buffer.from(rootFromLeafHashes(hashes)).toString('hex'));
      }
    });

    it('lists newest first with filters and keyset pagination', async () => {
      const store = createLicenceStore(t.db);
      for (let i = 0; i < 5; i++) {
        await store.insert(licenceRecord(`PQ.111101050000100149.000000010${i}.01.X`, { typeKey: 'professional-qualification', holder: { kind: 'person', id: '11010519491231002X', name: `n${i}` }, issuedAt: `2026-05-0${i + 1}T00:00:00.000Z` }));
      }
      const page1 = await store.list({ holderId: '11010519491231002X', limit: 2 });
      expect(page1.map((l) => l.holder.name)).to.deep.equal(['n4', 'n3']);
      const last = page1[1]!;
      const page2 = await store.list({ holderId: '11010519491231002X', limit: 10, after: { issuedAt: last.issuedAt, id: last.id } });
      expect(page2.map((l) => l.holder.name)).to.deep.equal(['n2', 'n1', 'n0']);
      expect(await store.list({ holderId: '11010519491231002X', typeKey: 'business-licence', limit: 10 })).to.deep.equal([]);
    });

    it('migrates down and up again cleanly', async () => {
      const fresh = await openTestDatabase(engine, { migrate: false });
      try {
        await migrateToLatest(fresh.db);
        await fresh.db.migrate.rollback({ migrationSource }, true);
        const tables = await fresh.db.raw("select table_name from information_schema.tables where table_schema = 'public' and table_name = 'licences'");
        expect(tables.rows).to.have.length(0);
        await migrateToLatest(fresh.db);
        expect((await fresh.db.raw("select count(*)::int as n from information_schema.tables where table_name = 'licences'")).rows[0].n).to.equal(1);
      } finally {
        await fresh.dispose();
      }
    });
  });
}
