import { expect } from 'chai';
import { openTestDatabase, skipUnlessAvailable } from '../../test/support/databases.ts';
import type { TestEngine } from '../../test/support/databases.ts';
import { KnexExchangeStore } from './exchange-store.ts';
import { SharedRateCounters } from './rate-counters.ts';

const T0 = new Date('2026-11-22T10:00:05Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

for (const engine of ['pglite', 'postgres'] as TestEngine[]) {
  describe(`shared rate counters (${engine})`, function () {
    this.timeout(60_000);
    let t: Awaited<ReturnType<typeof openTestDatabase>>;
    let store: KnexExchangeStore;

    before(async function () {
      await skipUnlessAvailable(this, engine);
      t = await openTestDatabase(engine);
      store = new KnexExchangeStore(t.db, 'test/accesses');
    });
    after(async () => t?.dispose());

    it('counts exactly within one replica, across syncs', async () => {
      const counters = new SharedRateCounters(store);
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) seen.push(counters.count('holder:exact', at(i)));
      await counters.sync();
      for (let i = 5; i < 8; i++) seen.push(counters.count('holder:exact', at(i)));
      await counters.sync();
      expect(seen).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
      const row = await t.db('exchange_rate_counters').where({ subject: 'holder:exact' }).first();
      expect(Number(row.count)).to.equal(8);
    });

    it('shares counts between replicas through the database after a sync', async () => {
      const a = new SharedRateCounters(store);
      const b = new SharedRateCounters(store);
      for (let i = 0; i < 10; i++) a.count('department:shared', at(i));
      await a.sync();
      // b has not synced yet: it sees only its own request…
      expect(b.count('department:shared', at(20))).to.equal(1);
      await b.sync();
      // …and after its sync, the total of both replicas
      expect(b.count('department:shared', at(21))).to.equal(12);
      await b.sync();
      expect(a.count('department:shared', at(22))).to.equal(11); // a's view is as of its last sync, plus its own
      await a.sync();
      expect(a.count('department:shared', at(23))).to.equal(14);
    });

    it('starts a new window each minute and forgets finished minutes once written', async () => {
      const counters = new SharedRateCounters(store);
      expect(counters.count('holder:rollover', at(0))).to.equal(1);
      expect(counters.count('holder:rollover', at(1))).to.equal(2);
      expect(counters.count('holder:rollover', at(60_000))).to.equal(1);
      await counters.sync();
      const rows = await t.db('exchange_rate_counters').where({ subject: 'holder:rollover' }).orderBy('minute');
      expect(rows.map((r) => Number(r.count))).to.deep.equal([2, 1]);
      expect(counters.count('holder:rollover', at(60_001))).to.equal(2);
    });

    it('writes the unsynced counts when stopped', async () => {
      const counters = new SharedRateCounters(store, 60_000);
      counters.start();
      counters.count('holder:stop', at(0));
      counters.count('holder:stop', at(1));
      await counters.stop();
      expect(Number((await t.db('exchange_rate_counters').where({ subject: 'holder:stop' }).first()).count)).to.equal(2);
    });

    it('keeps counts made while a sync is in flight', async () => {
      const counters = new SharedRateCounters(store);
      counters.count('holder:inflight', at(0));
      const syncing = counters.sync();
      counters.count('holder:inflight', at(1)); // counted after the sync took its snapshot
      await syncing;
      await counters.sync();
      expect(Number((await t.db('exchange_rate_counters').where({ subject: 'holder:inflight' }).first()).count)).to.equal(2);
      expect(counters.count('holder:inflight', at(2))).to.equal(3);
    });
  });
}
