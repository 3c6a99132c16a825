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
/** The organisation code (GB 11714) company A's USCC embeds: an identifier of company A in the crosswalk. */
const ORG_CODE_A = HOLDERS.companyA.slice(8, 17);

describe('authorisation matrix', function () {
  this.timeout(120_000);
  let vault: TestVault;
  const tokens = {} as Record<Role, string | undefined>;
  let foodId: string;
  let consentId: string;
  let legalBasisId: string;
  let businessId: string;
  /** A correction companyA asked for (with evidence), one to reject and one to approve. */
  let correctionId: string;
  let toReject: string;
  let toApprove: string;

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
    businessId = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
    const [second, third] = await Promise.all([1, 2].map(async () => (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id as string));
    const ask = async (licenceId: string, evidence?: object) => {
      const res = await vault.request('POST', `/me/licences/${licenceId}/corrections`, { token: companyA, json: { fields: { address: '北京市朝阳区建国路2号' }, reason: '地址有误', evidence } });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.id as string;
    };
    correctionId = await ask(businessId, { fileName: 'scan.pdf', contentBase64: Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64') });
    toReject = await ask(second!);
    toApprove = await ask(third!);
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

    // The crosswalk: company A's identifiers are its own, its issuer's and the oversight roles'; nobody else learns it exists.
    { name: 'GET /holders/{id}/identifiers', call: () => ['GET', `/holders/${HOLDERS.companyA}/identifiers`], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 404, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 200, admin: 200, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'POST /holders/{id}/identifiers', call: () => ['POST', `/holders/${HOLDERS.companyA}/identifiers`, { identifier: '110105000123456', kind: 'registration-number', reason: '工商档案记载的原注册号' }], expect: { anonymous: 401, issuer: 201, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /identifier-conflicts', call: () => ['GET', '/identifier-conflicts'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 200, admin: 200, agent: 403, consentsAgent: 403, notAgent: 403 } },
    {
      name: 'POST /exchange/queries (holder by organisation code)',
      call: () => ['POST', '/exchange/queries', { holderId: ORG_CODE_A, serviceItem: 'SVC', caseNumber: 'C2', officialId: 'O1', fields: ['premises'], query: { kind: 'verify', licenceId: foodId }, basis: { kind: 'consent', consentId } }],
      expect: { anonymous: 401, issuer: 403, requesterWithConsent: 200, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 },
    },
    // Corrections: the holder (or its agent with the licences scope) asks; the issuing department decides; auditors read.
    { name: 'POST /me/licences/{id}/corrections', call: () => ['POST', `/me/licences/${foodId}/corrections`, { fields: { premises: '北京市朝阳区建国路3号' }, reason: '经营场所有误' }], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 201, otherHolder: 404, auditor: 403, admin: 403, agent: 409, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /me/corrections', call: () => ['GET', '/me/corrections'], expect: { anonymous: 401, issuer: 403, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 200, otherHolder: 200, auditor: 403, admin: 403, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /corrections', call: () => ['GET', '/corrections'], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 200, admin: 200, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /corrections/{id}', call: () => ['GET', `/corrections/${correctionId}`], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 404, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 200, admin: 200, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /corrections/{id}/evidence', call: () => ['GET', `/corrections/${correctionId}/evidence`], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 404, requesterNoConsent: 404, requesterLegalBasis: 404, holder: 200, otherHolder: 404, auditor: 200, admin: 200, agent: 200, consentsAgent: 403, notAgent: 403 } },
    { name: 'GET /corrections/settings', call: () => ['GET', '/corrections/settings'], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'PUT /corrections/settings', call: () => ['PUT', '/corrections/settings', { deadlineDays: 15 }], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    // Only the issuer decides (once: the roles after it would meet a decided request, but are refused before that).
    { name: 'POST /corrections/{id}/rejection', call: () => ['POST', `/corrections/${toReject}/rejection`, { reason: '与档案一致' }], expect: { anonymous: 401, issuer: 200, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
    { name: 'POST /corrections/{id}/approval', call: () => ['POST', `/corrections/${toApprove}/approval`, { reason: '经核对属实' }], expect: { anonymous: 401, issuer: 201, requesterWithConsent: 403, requesterNoConsent: 403, requesterLegalBasis: 403, holder: 403, otherHolder: 403, auditor: 403, admin: 403, agent: 403, consentsAgent: 403, notAgent: 403 } },
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

  it('never shows one holder another through an identifier of theirs', async () => {
    for (const identifier of [ORG_CODE_A, '110105000123456', HOLDERS.companyA]) {
      const res = await vault.request('GET', `/licences?holderId=${identifier}`, { token: tokens.otherHolder });
      expect(res.status).to.be.oneOf([200, 403]);
      if (res.status === 200) expect(res.body.items.every((l: { holder: { id: string } }) => l.holder.id === HOLDERS.companyB), JSON.stringify(res.body)).to.equal(true);
    }
  });

  it('recorded every exchange request of the matrix in the access log, refusals included', async () => {
    const log = (await vault.request('GET', '/exchange/access-log', { token: tokens.auditor })).body.items as Array<{ requester: string; reasonCode: string }>;
    expect(log.some((r) => r.requester === DEPARTMENTS.tax && r.reasonCode === 'OK')).to.equal(true);
    expect(log.some((r) => r.requester === DEPARTMENTS.health && r.reasonCode === 'NO_CONSENT')).to.equal(true);
    expect(log.some((r) => r.requester === DEPARTMENTS.health && r.reasonCode === 'OK')).to.equal(true);
  });
});
