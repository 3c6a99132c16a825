/**
 * A licence's dates are days of the Chinese calendar: a licence issued at 01:30 in Beijing (17:30 UTC the
 * day before) without a start date is valid from that Beijing day, and "was it valid at T" reads T as a
 * day in Beijing too.
 */
import { expect } from 'chai';
import { businessLicenceRequest, DEPARTMENTS, TestVault } from '../support/test-vault.ts';

describe('validity dates are days in China', function () {
  this.timeout(60_000);
  let vault: TestVault;
  const clock = new Date('2026-12-07T17:30:00Z'); // 2026-12-08 01:30 in Beijing

  before(async () => {
    vault = await TestVault.start({ overrides: { now: () => clock } });
  });
  after(async () => vault?.stop());

  it('starts a licence issued at 01:30 in Beijing on that Beijing day', async () => {
    const market = await vault.departmentToken(DEPARTMENTS.market);
    const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.validFrom).to.equal('2026-12-08');
    expect(res.body.issuedAt).to.equal('2026-12-07T17:30:00.000Z');
  });
});
