/**
 * The statement that records an allowed exchange request, on every engine: it spends a consent use
 * exactly when it records, and reads the licences' current status in the same round trip.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { createConsentStore } from '../consent/consent-store.ts';
import type { Consent } from '../consent/consent-types.ts';
import { createLicenceStore } from '../licences/licence-store.ts';
import { openTestDatabase, skipUnlessAvailable, TEST_ENGINES } from '../../test/support/databases.ts';
import type { TestDatabase } from '../../test/support/databases.ts';
import { insertIssuer, licenceRecord } from '../../test/support/licence-records.ts';
import { KnexExchangeStore } from './exchange-store.ts';
import type { AccessRecord } from './exchange-types.ts';

const HOLDER = '91350100M000100Y43';
const ACTIVE_ID = 'BL.111101050000100149.0000000001.01.X';
const REVOKED_ID = 'BL.111101050000100149.0000000002.01.X';

function consent(overrides: Partial<Consent> = {}): Consent {
  return {
    id: `con_${crypto.randomUUID()}`, holder: { id: HOLDER, kind: 'organisation' }, requester: 'TAX', purpose: { code: 'S', text: 's' },
    licenceTypes: ['business-licence'], licenceIds: null, fields: [], allowDocument: false,
    validFrom: new Date(Date.now() - 60_000).toISOString(), validUntil: new Date(Date.now() + 3600_000).toISOString(),
    maxUses: 10, uses: 0, storedStatus: 'ACTIVE', revokedAt: null, createdAt: new Date().toISOString(), artefact: 'jws', grantedByAgent: null, withdrawnByAgent: null, ...overrides,
  };
}

function access(overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    id: `acc_${crypto.randomUUID()}`, at: new Date().toISOString(), requester: 'TAX', officialId: 'official-1', caseNumber: 'case-1',
    serviceItem: 'S', basisKind: 'consent', basisId: null, holderId: HOLDER, licenceIds: [ACTIVE_ID], fields: [], result: 'ALLOWED', reasonCode: 'OK', ...overrides,
  };
}

for (const engine of TEST_ENGINES) {
  describe(`exchange store on ${engine}: recording allowed requests`, function () {
    this.timeout(60_000);
    let t: TestDatabase;
    let store: KnexExchangeStore;

    before(async function () {
      await skipUnlessAvailable(this, engine);
      t = await openTestDatabase(engine);
      store = new KnexExchangeStore(t.db, 'test.local/accesses');
      await insertIssuer(t.db);
      const licences = createLicenceStore(t.db);
      await licences.insert(licenceRecord(ACTIVE_ID));
      await licences.insert(licenceRecord(REVOKED_ID));
      await t.db('licences').where({ id: REVOKED_ID }).update({ status: 'revoked' });
    });
    after(async () => t?.dispose());

    const recorded = async (id: string) => (await t.db('access_log').where({ id })).length;

    it('records the request and returns the current status of each licence it names', async () => {
      const both = access({ basisKind: 'unconditional', licenceIds: [ACTIVE_ID, REVOKED_ID] });
      const statuses = await store.recordAllowedAccess(both, null, new Date());
      expect(Object.fromEntries(statuses!)).to.deep.equal({ [ACTIVE_ID]: 'active', [REVOKED_ID]: 'revoked' });
      expect(await recorded(both.id)).to.equal(1);
      // A list query that found nothing is recorded too, with no statuses.
      const none = access({ basisKind: 'unconditional', licenceIds: [] });
      expect((await store.recordAllowedAccess(none, null, new Date()))!.size).to.equal(0);
      expect(await recorded(none.id)).to.equal(1);
    });

    it('spends exactly the uses a consent has under 20 parallel requests, and records only those', async () => {
      const threeUses = consent({ maxUses: 3 });
      await createConsentStore(t.db).insert(threeUses);
      const requests = Array.from({ length: 20 }, () => access({ basisId: threeUses.id }));
      const results = await Promise.all(requests.map((r) => store.recordAllowedAccess(r, { consentId: threeUses.id }, new Date())));
      expect(results.filter((r) => r !== null)).to.have.length(3);
      for (const r of results) if (r) expect(r.get(ACTIVE_ID)).to.equal('active');
      expect((await createConsentStore(t.db).get(threeUses.id))!.uses).to.equal(3);
      expect((await t.db('access_log').whereIn('id', requests.map((r) => r.id))).length).to.equal(3);
    });

    it('handles a batch in order: uses spent up to the maximum, unusable consents skipped, other bases recorded', async () => {
      const consents = createConsentStore(t.db);
      const twoUses = consent({ maxUses: 2 });
      const withdrawn = consent({ storedStatus: 'REVOKED', revokedAt: new Date().toISOString() });
      await consents.insert(twoUses);
      await consents.insert(withdrawn);
      const now = new Date();
      const calls: Array<[AccessRecord, string | null]> = [
        [access({ basisId: twoUses.id }), twoUses.id], [access({ basisId: twoUses.id }), twoUses.id], [access({ basisId: withdrawn.id }), withdrawn.id],
        [access({ basisId: twoUses.id }), twoUses.id], [access({ basisKind: 'legal-basis', basisId: 'lb_1' }), null],
      ];
      const results = await Promise.all(calls.map(([record, consentId]) => store.recordAllowedAccess(record, consentId ? { consentId } : null, now)));
      expect(results.map((r) => (r ? 'recorded' : 'refused'))).to.deep.equal(['recorded', 'recorded', 'refused', 'refused', 'recorded']);
      // recorded in the order the requests came (the access log's sequence follows it)
      const kept = await t.db('access_log').whereIn('id', calls.map(([r]) => r.id)).orderBy('seq').select('id');
      expect(kept.map((r: { id: string }) => r.id)).to.deep.equal([calls[0]![0].id, calls[1]![0].id, calls[4]![0].id]);
      expect((await consents.get(twoUses.id))!.uses).to.equal(2);
    });

    it('judges each element of a batch at its own time: one refused as too early does not use up the consent of a later one', async () => {
      const consents = createConsentStore(t.db);
      const startsNow = new Date();
      const oneUse = consent({ maxUses: 1, validFrom: startsNow.toISOString() });
      await consents.insert(oneUse);
      const early = new Date(startsNow.getTime() - 1000);
      const later = new Date(startsNow.getTime() + 1000);
      const calls: Array<[AccessRecord, Date]> = [
        [access({ basisId: oneUse.id }), early], [access({ basisId: oneUse.id }), early], [access({ basisId: oneUse.id }), later], [access({ basisId: oneUse.id }), later],
      ];
      const results = await Promise.all(calls.map(([record, at]) => store.recordAllowedAccess(record, { consentId: oneUse.id }, at)));
      expect(results.map((r) => (r ? 'recorded' : 'refused'))).to.deep.equal(['refused', 'refused', 'recorded', 'refused']);
      expect((await consents.get(oneUse.id))!.uses).to.equal(1);
    });

    it('lets two replicas spend the same consents in opposite orders without deadlock or over-use', async () => {
      const consents = createConsentStore(t.db);
      const [x, y] = [consent({ maxUses: 200 }), consent({ maxUses: 200 })];
      await consents.insert(x!);
      await consents.insert(y!);
      const replicas = [store, new KnexExchangeStore(t.db, 'test.local/accesses')];
      // Waves of batches in which one replica names x first and the other y first.
      const results: Array<Map<string, string> | null> = [];
      for (let wave = 0; wave < 20; wave++) {
        const waves = await Promise.all(replicas.map((replica, r) => Promise.all(Array.from({ length: 20 }, (_, i) => {
          const consentId = (i + r) % 2 === 0 ? x!.id : y!.id;
          return replica.recordAllowedAccess(access({ basisId: consentId }), { consentId }, new Date());
        }))));
        results.push(...waves.flat());
      }
      expect(results.filter((r) => r !== null)).to.have.length(400);
      expect([(await consents.get(x!.id))!.uses, (await consents.get(y!.id))!.uses]).to.deep.equal([200, 200]);
    });

    it('spends uses in place: 2 000 uses of 20 consents leave the consents table no larger than twice its size', async () => {
      const consents = createConsentStore(t.db);
      const heapBytes = async () => Number((await t.db.raw("SELECT pg_relation_size('consents') AS n")).rows[0].n);
      // A signed artefact is about 1.2 KB and stored in the row, so a row version is about 1.6 KB.
      const used = Array.from({ length: 20 }, () => consent({ maxUses: 1000, artefact: crypto.randomBytes(900).toString('base64url') }));
      for (const c of used) await consents.insert(c);
      const before = await heapBytes();
      for (let wave = 0; wave < 50; wave++) {
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => {
          const consentId = used[i % used.length]!.id;
          return store.recordAllowedAccess(access({ basisId: consentId }), { consentId }, new Date());
        }));
        expect(results.every((r) => r !== null)).to.equal(true);
      }
      // Written elsewhere each time, 2 000 new row versions would take about 3 MB.
      expect(await heapBytes()).to.be.at.most(2 * before);
      expect((await consents.get(used[0]!.id))!.uses).to.equal(100);
    });

    it('writes nothing of a batch the database refuses, then writes its items alone: only the bad one fails', async () => {
      const consents = createConsentStore(t.db);
      const c = consent({ maxUses: 10 });
      await consents.insert(c);
      const first = access({ basisId: c.id });
      const lone = store.recordAllowedAccess(first, { consentId: c.id }, new Date()); // written alone; the next two wait
      const good = access({ basisId: c.id });
      const outcomes = [good, first].map((r) => store.recordAllowedAccess(r, { consentId: c.id }, new Date()).then(() => 'recorded', () => 'failed'));
      expect(await lone).to.not.equal(null);
      // The second batch repeats the first record's id: the unique key fails it as a whole, and then only
      // that record when each is written alone. Had the failed batch written anything, the good record
      // would now be a duplicate too, and the consent would show more than two uses.
      expect(await Promise.all(outcomes)).to.deep.equal(['recorded', 'failed']);
      expect(await recorded(good.id)).to.equal(1);
      expect((await consents.get(c.id))!.uses).to.equal(2);
    });

    it('records under a legal basis while it stands, and nothing once it is revoked', async () => {
      const basis = { id: `lb_${crypto.randomUUID()}`, requester: 'TAX', serviceItem: { code: 'S', name: 's' }, licenceTypes: ['business-licence'], fields: [], legalReference: '《法》', createdBy: 'ADMIN', createdAt: new Date().toISOString(), revokedAt: null };
      await store.createLegalBasis(basis);
      const before = access({ basisKind: 'legal-basis', basisId: basis.id });
      expect(await store.recordAllowedAccess(before, { legalBasisId: basis.id }, new Date())).to.not.equal(null);
      await store.revokeLegalBasis(basis.id, 'ADMIN', new Date().toISOString());
      const after = access({ basisKind: 'legal-basis', basisId: basis.id });
      expect(await store.recordAllowedAccess(after, { legalBasisId: basis.id }, new Date())).to.equal(null);
      expect([await recorded(before.id), await recorded(after.id)]).to.deep.equal([1, 0]);
    });

    it('records nothing and spends nothing under a withdrawn, expired or not yet valid consent', async () => {
      const consents = createConsentStore(t.db);
      const now = new Date();
      const unusable = [
        consent({ storedStatus: 'REVOKED', revokedAt: now.toISOString() }),
        consent({ validUntil: new Date(now.getTime() - 1000).toISOString() }),
        consent({ validFrom: new Date(now.getTime() + 60_000).toISOString() }),
      ];
      for (const c of unusable) {
        await consents.insert(c);
        const request = access({ basisId: c.id });
        expect(await store.recordAllowedAccess(request, { consentId: c.id }, now), c.id).to.equal(null);
        expect(await recorded(request.id)).to.equal(0);
        expect((await consents.get(c.id))!.uses).to.equal(0);
      }
    });
  });
}
