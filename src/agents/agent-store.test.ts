import { expect } from 'chai';
import { openTestDatabase, skipUnlessAvailable, TEST_ENGINES } from '../../test/support/databases.ts';
import type { TestDatabase } from '../../test/support/databases.ts';
import { createAgentStore } from './agent-store.ts';
import type { AgentAppointment } from './agent-types.ts';
import { appointmentStatus } from './agent-types.ts';

const COMPANY = '91350100M000100Y43';
const AGENT = '11010519491231002X';

function appointment(id: string, overrides: Partial<AgentAppointment> = {}): AgentAppointment {
  return {
    id, companyId: COMPANY, agentId: AGENT, agentName: '张𠮷', scopes: ['licences', 'consents', 'accesses'], validFrom: '2026-01-01T00:00:00.000Z', validUntil: '2027-01-01T00:00:00.000Z',
    appointedAt: '2026-01-01T00:00:00.000Z', revokedAt: null, ...overrides,
  };
}

for (const engine of TEST_ENGINES) {
  describe(`agent appointments on ${engine}`, function () {
    this.timeout(60_000);
    let t: TestDatabase;

    before(async function () {
      await skipUnlessAvailable(this, engine);
      t = await openTestDatabase(engine);
    });
    after(async () => t?.dispose());

    it('round-trips appointments, lists them newest first by company and by agent, and revokes once', async () => {
      const store = createAgentStore(t.db);
      await store.insert(appointment('agt_1'));
      await store.insert(appointment('agt_2', { appointedAt: '2026-02-01T00:00:00.000Z', agentName: null, scopes: ['consents'] }));
      await store.insert(appointment('agt_3', { companyId: '91110000600037341L' }));
      expect(await store.get('agt_1')).to.deep.equal(appointment('agt_1'));
      expect((await store.get('agt_2'))!.scopes).to.deep.equal(['consents']);
      expect((await store.listByCompany(COMPANY)).map((a) => a.id)).to.deep.equal(['agt_2', 'agt_1']);
      expect((await store.listByAgent(AGENT)).map((a) => a.id)).to.have.members(['agt_1', 'agt_2', 'agt_3']);
      expect(await store.revoke('agt_1', '2026-03-01T00:00:00.000Z')).to.equal(true);
      expect(await store.revoke('agt_1', '2026-04-01T00:00:00.000Z')).to.equal(false);
      expect((await store.get('agt_1'))!.revokedAt).to.equal('2026-03-01T00:00:00.000Z');
      expect(await store.get('agt_9')).to.equal(null);
    });
  });
}

describe('appointmentStatus', () => {
  it('is PENDING before the window, ACTIVE in it, EXPIRED after it, REVOKED once revoked', () => {
    const a = appointment('agt_x');
    expect(appointmentStatus(a, new Date('2025-12-31T23:59:59Z'))).to.equal('PENDING');
    expect(appointmentStatus(a, new Date('2026-06-01T00:00:00Z'))).to.equal('ACTIVE');
    expect(appointmentStatus(a, new Date('2027-01-01T00:00:00Z'))).to.equal('EXPIRED');
    expect(appointmentStatus({ ...a, revokedAt: '2026-03-01T00:00:00.000Z' }, new Date('2026-06-01T00:00:00Z'))).to.equal('REVOKED');
  });
});
