/**
 * Company agents over HTTP: a company appoints a person, who then acts for it with X-Acting-For; the
 * consents it grants name the agent; revocation and expiry count on the next request; nobody else gets in.
 */
import http from 'node:http';
import { expect } from 'chai';
import { verifyConsentArtefact } from '../../src/consent/consent-artefact.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, PUBLIC_BASE_URL, TestVault } from '../support/test-vault.ts';

const inOneHour = () => new Date(Date.now() + 3600_000).toISOString();

describe('company agents', function () {
  this.timeout(120_000);
  let vault: TestVault;
  let companyA: string;
  let companyB: string;
  let personA: string;
  let personB: string;
  let market: string;
  let licenceId: string;

  const asAgent = (token: string, company: string = HOLDERS.companyA) => ({ token, headers: { 'x-acting-for': company } });
  const appoint = (token: string, json: Record<string, unknown>) => vault.request('POST', '/me/agents', { token, json: { agentId: HOLDERS.personA, agentName: '张𠮷', validUntil: inOneHour(), ...json } });
  const consentRequest = { requester: DEPARTMENTS.tax, purpose: { code: 'FOOD-PERMIT-CHANGE', text: '变更核验' }, licenceTypes: ['business-licence'], fields: [], validUntil: inOneHour(), maxUses: 3 };

  before(async () => {
    vault = await TestVault.start();
    [companyA, companyB, personA, personB, market] = await Promise.all([
      vault.holderToken(HOLDERS.companyA), vault.holderToken(HOLDERS.companyB), vault.holderToken(HOLDERS.personA, '张𠮷'), vault.holderToken(HOLDERS.personB), vault.departmentToken(DEPARTMENTS.market),
    ]);
    licenceId = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
  });
  after(async () => vault?.stop());

  it('lets an appointed person act for the company: its licences, its consents (naming the agent), its data tracker', async () => {
    const appointment = await appoint(companyA, {});
    expect(appointment.status, JSON.stringify(appointment.body)).to.equal(201);
    expect(appointment.body).to.include({ companyId: HOLDERS.companyA, agentId: HOLDERS.personA, agentName: '张𠮷', status: 'ACTIVE', revokedAt: null });
    expect(appointment.body.scopes, 'all scopes when none are named').to.deep.equal(['licences', 'consents', 'accesses']);

    const licences = await vault.request('GET', '/licences', asAgent(personA));
    expect(licences.status).to.equal(200);
    expect(licences.body.items.map((l: { id: string }) => l.id)).to.include(licenceId);
    expect((await vault.request('GET', `/licences/${licenceId}/document`, asAgent(personA))).status).to.equal(200);

    const granted = await vault.request('POST', '/me/consents', { ...asAgent(personA), json: consentRequest });
    expect(granted.status, JSON.stringify(granted.body)).to.equal(201);
    expect(granted.body).to.include({ grantedByAgent: HOLDERS.personA, withdrawnByAgent: null });
    expect(granted.body.holder).to.deep.equal({ id: HOLDERS.companyA, kind: 'organisation' });
    const jwks = (await vault.request('GET', '/.well-known/jwks.json')).body;
    const claims = await verifyConsentArtefact(granted.body.artefact, jwks, PUBLIC_BASE_URL);
    expect(claims.dataPrincipal).to.deep.equal({ type: 'ORGANISATION', id: HOLDERS.companyA });
    expect((claims as unknown as { grantedBy: unknown }).grantedBy).to.deep.equal({ type: 'AGENT', id: HOLDERS.personA });

    // The company sees the consent its agent granted, and the agent withdraws it on the company's behalf.
    const mine = await vault.request('GET', '/me/consents', { token: companyA });
    expect(mine.body.items.map((c: { id: string }) => c.id)).to.include(granted.body.id);
    const withdrawn = await vault.request('POST', `/me/consents/${granted.body.id}/withdrawal`, asAgent(personA));
    expect(withdrawn.body).to.include({ status: 'REVOKED', withdrawnByAgent: HOLDERS.personA });
    expect((await vault.request('GET', '/me/accesses', asAgent(personA))).status).to.equal(200);

    // Without the header the person is themselves: none of the company's data.
    const own = await vault.request('GET', '/licences', { token: personA });
    expect(own.body.items.map((l: { id: string }) => l.id)).to.not.include(licenceId);
    expect((await vault.request('GET', '/me/agencies', { token: personA })).body.items.map((a: { companyId: string }) => a.companyId)).to.include(HOLDERS.companyA);
  });

  it('refuses a person who is not appointed, or appointed for another company, with 403 AGENT_NOT_APPOINTED', async () => {
    const notAppointed = await vault.request('GET', '/me/consents', asAgent(personB));
    expect([notAppointed.status, notAppointed.body.code]).to.deep.equal([403, 'AGENT_NOT_APPOINTED']);
    const otherCompany = await vault.request('GET', '/licences', asAgent(personA, HOLDERS.companyB));
    expect([otherCompany.status, otherCompany.body.code]).to.deep.equal([403, 'AGENT_NOT_APPOINTED']);
  });

  it('refuses X-Acting-For from a company or a department (403), and a malformed code (400)', async () => {
    const fromCompany = await vault.request('GET', '/me/consents', asAgent(companyB));
    expect([fromCompany.status, fromCompany.body.code]).to.deep.equal([403, 'ACTING_FOR_NOT_ALLOWED']);
    const fromDepartment = await vault.request('GET', '/licences', asAgent(market));
    expect([fromDepartment.status, fromDepartment.body.code]).to.deep.equal([403, 'ACTING_FOR_NOT_ALLOWED']);
    const malformed = await vault.request('GET', '/me/consents', asAgent(personA, '91350100M000100Y4X'));
    expect([malformed.status, malformed.body.code]).to.deep.equal([400, 'ACTING_FOR_INVALID']);
    const empty = await vault.request('GET', '/me/consents', asAgent(personA, ''));
    expect([empty.status, empty.body.code]).to.deep.equal([400, 'ACTING_FOR_INVALID']);
    // Two header lines (fetch would join them; node:http sends them apart): ambiguous, so refused.
    const twice = await new Promise<{ status: number; code: string }>((resolve, reject) => {
      const req = http.request(`${vault.baseUrl}/me/consents`, { headers: { authorization: `Bearer ${personA}`, 'x-acting-for': [HOLDERS.companyA, HOLDERS.companyA] } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, code: JSON.parse(text).code }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(twice).to.deep.equal({ status: 400, code: 'ACTING_FOR_INVALID' });
  });

  it('lets only the company itself appoint, list and revoke agents', async () => {
    // Appointing is none of an agent's scopes: refused at the edge, before the service's own check.
    const byAgent = await vault.request('POST', '/me/agents', { ...asAgent(personA), json: { agentId: HOLDERS.personB, validUntil: inOneHour() } });
    expect([byAgent.status, byAgent.body.code]).to.deep.equal([403, 'AGENT_OPERATION_NOT_ALLOWED']);
    const byPerson = await vault.request('POST', '/me/agents', { token: personB, json: { agentId: HOLDERS.personA, validUntil: inOneHour() } });
    expect([byPerson.status, byPerson.body.code]).to.deep.equal([403, 'COMPANY_REQUIRED']);
    expect((await vault.request('GET', '/me/agents', asAgent(personA))).status).to.equal(403);
    const listed = await vault.request('GET', '/me/agents', { token: companyA });
    expect(listed.status).to.equal(200);
    expect(listed.body.items.every((a: { companyId: string }) => a.companyId === HOLDERS.companyA)).to.equal(true);
    // Another company cannot revoke (or learn of) company A's appointment.
    const someone = listed.body.items[0].id;
    expect((await vault.request('POST', `/me/agents/${someone}/revocation`, { token: companyB })).status).to.equal(404);
  });

  it('refuses an agent on the next request after revocation, and outside the appointment window', async () => {
    const companyBAgent = await appoint(companyB, { agentId: HOLDERS.personB });
    expect((await vault.request('GET', '/me/consents', asAgent(personB, HOLDERS.companyB))).status).to.equal(200);
    const revoked = await vault.request('POST', `/me/agents/${companyBAgent.body.id}/revocation`, { token: companyB });
    expect(revoked.body).to.include({ status: 'REVOKED' });
    const after = await vault.request('GET', '/me/consents', asAgent(personB, HOLDERS.companyB));
    expect([after.status, after.body.code]).to.deep.equal([403, 'AGENT_NOT_APPOINTED']);
    expect((await vault.request('POST', `/me/agents/${companyBAgent.body.id}/revocation`, { token: companyB })).status).to.equal(409);

    const later = await appoint(companyB, { agentId: HOLDERS.personB, validFrom: new Date(Date.now() + 600_000).toISOString() });
    expect(later.body.status).to.equal('PENDING');
    expect((await vault.request('GET', '/me/consents', asAgent(personB, HOLDERS.companyB))).status).to.equal(403);
  });

  it("holds an agent to the appointment's scopes: a consents-only agent grants consents but reads no licence or data tracker", async () => {
    const scoped = await appoint(companyB, { agentId: HOLDERS.personA, scopes: ['consents'] });
    expect(scoped.status, JSON.stringify(scoped.body)).to.equal(201);
    expect(scoped.body.scopes).to.deep.equal(['consents']);
    const asScoped = asAgent(personA, HOLDERS.companyB);
    const granted = await vault.request('POST', '/me/consents', { ...asScoped, json: consentRequest });
    expect(granted.status, JSON.stringify(granted.body)).to.equal(201);
    expect(granted.body.holder.id).to.equal(HOLDERS.companyB);
    expect((await vault.request('GET', `/consents/${granted.body.id}`, asScoped)).status).to.equal(200);
    for (const [method, path] of [['GET', '/licences'], ['GET', `/licences/${licenceId}`], ['GET', `/licences/${licenceId}/document`], ['GET', '/me/accesses']] as const) {
      const refused = await vault.request(method, path, asScoped);
      expect([refused.status, refused.body.code], `${method} ${path}`).to.deep.equal([403, 'AGENT_SCOPE_NOT_GRANTED']);
    }
    // The same person's broader appointment by company A is untouched.
    expect((await vault.request('GET', '/licences', asAgent(personA))).status).to.equal(200);
    // A second, broader appointment by company B widens what the person may do for it.
    await appoint(companyB, { agentId: HOLDERS.personA, scopes: ['accesses'] });
    expect((await vault.request('GET', '/me/accesses', asScoped)).status).to.equal(200);
    const unknown = await appoint(companyB, { agentId: HOLDERS.personA, scopes: ['payments'] });
    expect([unknown.status, unknown.body.code]).to.deep.equal([400, 'REQUEST_INVALID']);
  });

  it('refuses an appointment with a bad resident ID or window, naming the field', async () => {
    const bad = await appoint(companyA, { agentId: '110105194912310039', validUntil: new Date(Date.now() - 1000).toISOString() });
    expect([bad.status, bad.body.code]).to.deep.equal([400, 'AGENT_APPOINTMENT_INVALID']);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).to.deep.equal(['agentId', 'validUntil']);
  });
});
