/**
 * The authorisation matrix: every role × route × own/other data cell asserted from one table, so a new
 * route or role cannot slip through without a decision. Roles: anonymous, issuer, requester with consent,
 * requester without consent, requester with a legal basis, holder, other holder, auditor, admin, the
 * holder's appointed agent, an agent it appointed for its consents only, and a person claiming to be its
 * agent (all three with X-Acting-For: the holder).
 */
import { expect } from 'chai';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';
import { FOOD } from './exchange.test.ts';

type Role = 'anonymous' | 'issuer' | 'requesterWithConsent' | 'requesterNoConsent' | 'requesterLegalBasis' | 'holder' | 'otherHolder' | 'auditor' | 'admin' | 'agent' | 'consentsAgent' | 'notAgent';
const ROLES: Role[] = ['anonymous', 'issuer', 'requesterWithConsent', 'requesterNoConsent', 'requesterLegalBasis', 'holder', 'otherHolder', 'auditor', 'admin', 'agent', 'consentsAgent', 'notAgent'];
/** The agent roles send their own (person) token and act for the holder, company A. */
const ACTING_FOR_HOLDER: Partial<Record<Role, boolean>> = { agent: true, consentsAgent: true, notAgent: true };
/** Appointed by company A for its consents only. */
const CONSENTS_AGENT = '110105198505050011';

describe('authorisation matrix', function () {
  this.timeout(120_000);
  let vault: TestVault;
  const tokens = {} as Record<Role, string | undefined>;
  let foodId: string;
  let consentId: string;
  let legalBasisId: string;

  before(async () => {
    vault = await TestVault.start({ env: { EXCHANGE_RATE_PER_HOLDER_PER_MINUTE: '10000' } });
    const [market, tax, health, companyA, companyB, auditor, admin] = await Promise.all([
      vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.tax), vault.departmentToken(DEPARTMENTS.health),
      vault.holderToken(HOLDERS.companyA), vault.holderToken(HOLDERS.companyB), vault.departmentToken(DEPARTMENTS.audit), vault.departmentToken(DEPARTMENTS.admin),
    ]);
    const [personA, personB, personC] = await Promise.all([vault.holderToken(HOLDERS.personA), vault.holderToken(HOLDERS.personB), vault.holderToken(CONSENTS_AGENT)]);
    Object.assign(tokens, { anonymous: undefined, issuer: market, requesterWithConsent: tax, requesterNoConsent: health, requesterLegalBasis: health, holder: companyA, otherHolder: companyB, auditor, admin, agent: personA, consentsAgent: personC, notAgent: personB });
    const appointed = await vault.request('POST', '/me/agents', { token: companyA, json: { agentId: HOLDERS.personA, validUntil: new Date(Date.now() + 3600_000).toISOString() } });
    expect(appointed.status).to.equal(201);
    const consentsOnly = await vault.request('POST', '/me/agents', { token: companyA, json: { agentId: CONSENTS_AGENT, scopes: ['consents'], validUntil: new Date(Date.now() + 3600_000).toISOString() } });
    expect(consentsOnly.status).to.equal(201);
    foodId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
    await vault.vault.anchorer.runOnce(true);
    consentId = (await vault.request('POST', '/me/consents', { token: companyA, json: { requester: DEPARTMENTS.tax, purpose: { code: 'SVC', text: 't' }, licenceTypes: ['food-business-licence'], fields: ['premises'], validUntil: new Date(Date.now() + 3600_000).toISOString(), maxUses: 1000 } })).body.id;
    legalBasisId = (await vault.request('POST', '/exchange/legal-bases', { token: admin, json: { requester: DEPARTMENTS.health, serviceItem: { code: 'SVC', name: 'n' }, licenceTypes: ['food-business-licence'], fields: ['premises'], legalReference: '《食品安全法》' } })).body.id;
  });
  after(async () => vault?.stop());

  // Each route: how to call it for a role, and the expected status per role.
  const routes: Array<{ name: string; call: (role: Role) => [string, string, unknown?]; expect: Record<Role, number> }> = [
    {
      name: 'POST /exchange/queries (own basis)',
      call: (role) => ['POST', '/exchange/queries', {
        holderId: HOLDERS.companyA, serviceItem: 'SVC', caseNumber: 'C1', officialId: 'O1', fields: ['premises'], query: { kind: 'verify', licenceId: foodId },
        basis: role === 'requesterLegalBasis' ? { kind: 'legal-basis', legalBasisId } : { kind: 'consent', consentId },
      }],
      // requesterNoConsent (health) presents tax's consent: NO_CONSENT; requesterLegalBasis (health) uses its legal basis
      expect: { anonymous: 401, issuer: 403, requesterWithConsent: 200, requesterNoConsent: 403, requesterLegalBasis: 200, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 },
    },
    { name: 'GET /licences/{id}', call: () => ['GET', `/licences/${foodId}`], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 404, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 404, admin: 404, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /licences/{id}/document', call: () => ['GET', `/licences/${foodId}/document`], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 404, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 404, admin: 404, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /licences/{id}/receipt', call: () => ['GET', `/licences/${foodId}/receipt`], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 404, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 200, admin: 404, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /licences/{id}/history', call: () => ['GET', `/licences/${foodId}/history`], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 404, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 200, admin: 404, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'POST /licences/{id}/status-changes', call: () => ['POST', `/licences/${foodId}/status-changes`, { action: 'suspend', reason: 'matrix' }], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /licences', call: () => ['GET', '/licences'], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 200, otherHolder: 200, auditor: 403, admin: 403, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /me/consents', call: () => ['GET', '/me/consents'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 200, otherHolder: 200, auditor: 403, admin: 403, agent: 200, consentsAgent: 200, notAgent: 403 } },
    { name: 'GET /consents/{id}', call: () => ['GET', `/consents/${consentId}`], expect: { anonymous: 401, issuer: 404, requesterWithConsent: 200, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 404, admin: 404, agent: 200, consentsAgent: 200, notAgent: 403 } },
    { name: 'GET /me/accesses', call: () => ['GET', '/me/accesses'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 200, otherHolder: 200, auditor: 403, admin: 403, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /exchange/access-log', call: () => ['GET', '/exchange/access-log'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 200, admin: 200, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /exchange/alerts', call: () => ['GET', '/exchange/alerts'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 200, admin: 200, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /exchange/legal-bases', call: () => ['GET', '/exchange/legal-bases'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 200, requesterNoConsent: 200, requesterLegalBasis: 200, holder: 403, otherHolder: 403, auditor: 200, admin: 200, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'POST /exchange/legal-bases', call: () => ['POST', '/exchange/legal-bases', { requester: DEPARTMENTS.tax, serviceItem: { code: 'X', name: 'x' }, licenceTypes: ['business-licence'], fields: [], legalReference: 'r' }], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 201, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /transparency/leaves', call: () => ['GET', '/transparency/leaves?start=0&end=1'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 200, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'POST /me/consents', call: () => ['POST', '/me/consents', { requester: DEPARTMENTS.tax, purpose: { code: 'S', text: 't' }, licenceTypes: ['business-licence'], fields: [], validUntil: new Date(Date.now() + 3600_000).toISOString(), maxUses: 1 }], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 201, otherHolder: 201, auditor: 403, admin: 403, agent: 201, consentsAgent: 201, notAgent: 403 } },
    { name: 'GET /me/agents', call: () => ['GET', '/me/agents'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 200, otherHolder: 200, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'POST /me/agents', call: () => ['POST', '/me/agents', { agentId: '110105198001010016', validUntil: new Date(Date.now() + 3600_000).toISOString() }], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 201, otherHolder: 201, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /me/agencies', call: () => ['GET', '/me/agencies'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
  ];

  for (const route of routes) {
    for (const role of ROLES) {
      it(`${route.name} as ${role} → ${route.expect[role]}`, async () => {
        const [method, path, json] = route.call(role);
        const headers: Record<string, string> = ACTING_FOR_HOLDER[role] ? { 'x-acting-for': HOLDERS.companyA } : {};
        const res = await vault.request(method, path, { token: tokens[role], headers, ...(json === undefined ? {} : { json }) });
        expect(res.status, JSON.stringify(res.body)).to.equal(route.expect[role]);
        if (role === 'requesterNoConsent' && route.name.startsWith('POST /exchange/queries')) expect(res.body.code).to.equal('NO_CONSENT');
        if (role === 'notAgent') expect(res.body.code).to.equal('AGENT_NOT_APPOINTED');
        if (role === 'consentsAgent' && res.status === 403) expect(res.body.code).to.be.oneOf(['AGENT_SCOPE_NOT_GRANTED', 'AGENT_OPERATION_NOT_ALLOWED']);
      });
    }
  }

  it('recorded every exchange request of the matrix in the access log, refusals included', async () => {
    const log = (await vault.request('GET', '/exchange/access-log', { token: tokens.auditor })).body.items as Array<{ requester: string; reasonCode: string }>;
    expect(log.some((r) => r.requester === DEPARTMENTS.tax && r.reasonCode === 'OK')).to.equal(true);
    expect(log.some((r) => r.requester === DEPARTMENTS.health && r.reasonCode === 'NO_CONSENT')).to.equal(true);
    expect(log.some((r) => r.requester === DEPARTMENTS.health && r.reasonCode === 'OK')).to.equal(true);
  });
});
