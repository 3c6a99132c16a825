/**
 * Each deployment's log origin is its own by default (derived from its public URL), and a database keeps
 * the origins it was first started with: a later default, PUBLIC_BASE_URL or upgrade never starts a second,
 * empty log behind the existing one, and an explicit LOG_ORIGIN that contradicts the database stops
 * start-up with a clear message.
 */
import { expect } from 'chai';
import { defaultLogOrigin } from '../../src/config/config.ts';
import { LogOriginMismatch, pinLogOrigins } from '../../src/log/log-origins.ts';
import { openTestDatabase, TEST_ENGINES } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';

describe('log origins', () => {
  it('derives a default origin from the public URL, without the scheme', () => {
    expect(defaultLogOrigin('https://vault.example.gov.cn', 'licences')).to.equal('vault.example.gov.cn/licences');
    expect(defaultLogOrigin('http://127.0.0.1:8080', 'accesses')).to.equal('127.0.0.1:8080/accesses');
    expect(defaultLogOrigin('https://gov.example/lv/', 'licences')).to.equal('gov.example/lv/licences');
    expect(defaultLogOrigin('https://a.example', 'licences')).to.not.equal(defaultLogOrigin('https://b.example', 'licences'));
  });

  for (const engine of TEST_ENGINES) {
    describe(engine, () => {
      let t: TestDatabase;
      beforeEach(async () => {
        t = await openTestDatabase(engine);
      });
      afterEach(async () => t?.dispose());

      it('pins the origins at first start and keeps them when the default changes', async () => {
        const first = await pinLogOrigins(t.db, { licences: 'a.example/licences', accesses: 'a.example/accesses' }, false);
        expect(first).to.deep.equal({ licences: 'a.example/licences', accesses: 'a.example/accesses' });
        const later = await pinLogOrigins(t.db, { licences: 'b.example/licences', accesses: 'b.example/accesses' }, false);
        expect(later).to.deep.equal(first);
      });

      it('refuses an explicit origin that contradicts the pinned one, naming both', async () => {
        await pinLogOrigins(t.db, { licences: 'a.example/licences', accesses: 'a.example/accesses' }, false);
        let error: unknown;
        try {
          await pinLogOrigins(t.db, { licences: 'other/licences', accesses: 'a.example/accesses' }, true);
        } catch (e) {
          error = e;
        }
        expect(error).to.be.instanceOf(LogOriginMismatch);
        expect((error as Error).message).to.include('a.example/licences').and.include('other/licences').and.include('LOG_ORIGIN');
      });

      it('adopts the fixed origins of a database written before origins were pinned', async () => {
        await t.db('log_heads').insert([{ origin: 'licence-vault.local/licences', size: 3 }, { origin: 'licence-vault.local/accesses', size: 1 }]);
        expect(await pinLogOrigins(t.db, { licences: 'vault.example/licences', accesses: 'vault.example/accesses' }, false))
          .to.deep.equal({ licences: 'licence-vault.local/licences', accesses: 'licence-vault.local/accesses' });
      });
    });
  }
});
