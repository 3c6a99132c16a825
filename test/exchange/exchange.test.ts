/**
 * The consent-checked exchange over HTTP: consents and their artefacts, the refusal codes, field-level
 * disclosure verifiable against the anchored leaf, concurrency of consent uses, the holder's data
 * tracker with inclusion proofs, rate limits and alerts.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { verifyConsentArtefact } from '../../src/consent/consent-artefact.ts';
import { verifyDisclosedField } from '../../src/proofs/field-commitments.ts';
import { base64Decode, verifyCheckpoint } from '../../src/proofs/checkpoint.ts';
import { hashLeaf, verifyInclusion } from '../../src/proofs/merkle.ts';
import { accessRecordSha256 } from '../../src/exchange/exchange-store.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, PUBLIC_BASE_URL, TestVault } from '../support/test-vault.ts';

export const FOOD = (holderId: string = HOLDERS.companyA) => ({
  type: 'food-business-licence',
  holder: { id: holderId, name: '北京𠮷𪚥餐饮管理有限公司' },
  fields: { legalRepresentative: '张𠮷', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售', supervisoryAuthority: '建外市场监督管理所' },
});
export const HEALTH = (holderId: string = HOLDERS.personA) => ({
  type: 'health-certificate',
  holder: { id: holderId, name: '张𠮷' },
  fields: { examinedOn: '2026-03-01', examiningInstitution: '朝阳区疾病预防控制中心', conclusion: '合格' },
});

const inOneHour = () => new Date(Date.now() + 3600_000).toISOString();

describe('consent-checked exchange', function () {
  this.timeout(120_000);
  let vault: TestVault;
  let market: string;
  let hrss: string;
  let tax: string;
  let admin: string;
  let auditor: string;
  let companyA: string;
  let personA: string;
  let foodId: string;
  let businessId: string;
  let healthId: string;

  const query = (token: string, body: Record<string, unknown>) => vault.request('POST', '/exchange/queries', { token, json: { serviceItem: 'FOOD-PERMIT-CHANGE', caseNumber: 'TAX-2026-0001', officialId: 'official-007', fields: [], ...body } });
  const grant = (token: string, overrides: Record<string, unknown> = {}) =>
    vault.request('POST', '/me/consents', {
      token,
      json: { requester: DEPARTMENTS.tax, purpose: { code: 'FOOD-PERMIT-CHANGE', text: '食品经营许可变更核验' }, licenceTypes: ['food-business-licence'], fields: ['legalRepresentative', 'premises'], validUntil: inOneHour(), maxUses: 10, ...overrides },
    });

  before(async () => {
    // Limits are exercised in their own suite below; here they must not interfere.
    vault = await TestVault.start({ env: { EXCHANGE_RATE_PER_HOLDER_PER_MINUTE: '10000' } });
    [market, hrss, tax, admin, auditor, companyA, personA] = await Promise.all([
      vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.hrss), vault.departmentToken(DEPARTMENTS.tax),
      vault.departmentToken(DEPARTMENTS.admin), vault.departmentToken(DEPARTMENTS.audit), vault.holderToken(HOLDERS.companyA), vault.holderToken(HOLDERS.personA),
    ]);
    foodId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    businessId = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
    healthId = (await vault.request('POST', '/licences', { token: hrss, json: HEALTH() })).body.id;
    await vault.vault.anchorer.runOnce(true);
  });
  after(async () => vault?.stop());

  it('grants a consent whose signed artefact the department can verify with the published JWKS', async () => {
    const res = await grant(companyA);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ status: 'ACTIVE', requester: DEPARTMENTS.tax, uses: 0, maxUses: 10 });
    const jwks = (await vault.request('GET', '/.well-known/jwks.json')).body;
    const claims = await verifyConsentArtefact(res.body.artefact, jwks, PUBLIC_BASE_URL);
    expect(claims).to.deep.include({ consentId: res.body.id, purpose: { code: 'FOOD-PERMIT-CHANGE', text: '食品经营许可变更核验' } });
    expect(claims.dataConsumer.id).to.equal(DEPARTMENTS.tax);
    expect(claims.dataPrincipal.id).to.equal(HOLDERS.companyA);
    expect(claims.data.fields).to.deep.equal(['legalRepresentative', 'premises']);
    const forged = res.body.artefact.replace(/\.[^.]+$/, '.AAAA');
    let failed = false;
    await verifyConsentArtefact(forged, jwks, PUBLIC_BASE_URL).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('refuses consents for types that are never shared, fields that are not disclosable, or a non-requester', async () => {
    const notShared = await grant(personA, { licenceTypes: ['health-certificate'], fields: [] });
    expect(notShared.status).to.equal(400);
    expect(notShared.body.errors[0].message).to.match(/not shared/);
    const notDisclosable = await grant(companyA, { fields: ['legalRepresentative', 'shoeSize'] });
    expect(notDisclosable.status).to.equal(400);
    const notRequester = await grant(companyA, { requester: DEPARTMENTS.market });
    expect(notRequester.status).to.equal(400);
    expect((await grant(tax)).status).to.equal(403); // a department cannot grant consents
  });

  it('answers a consented verification with only the covered fields, each verifiable against the anchored leaf', async () => {
    const consent = (await grant(companyA)).body;
    const res = await query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId }, fields: ['legalRepresentative'] });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const [result] = res.body.results;
    expect(result.status).to.deep.include({ value: 'active', source: 'anchored-issuance' });
    expect(result.disclosedFields.map((f: { name: string }) => f.name)).to.deep.equal(['legalRepresentative']);
    const body = JSON.stringify(res.body);
    for (const hidden of ['北京市朝阳区建国路1号', '热食类食品制售', '建外市场监督管理所']) expect(body).to.not.include(hidden); // undisclosed values never leave
    const field = result.disclosedFields[0];
    verifyDisclosedField(field, result.fieldCommitmentRoot);
    // the root is the one in the anchored leaf, whose inclusion in a signed checkpoint verifies
    const leaf = JSON.parse(result.receipt.leafData);
    expect(leaf.fieldCommitmentRoot).to.equal(result.fieldCommitmentRoot);
    const checkpoint = verifyCheckpoint(result.receipt.checkpoint, vault.vault.transparency.vkey);
    verifyInclusion(hashLeaf(new TextEncoder().encode(result.receipt.leafData)), result.receipt.leafIndex, result.receipt.treeSize, result.receipt.inclusionProof.map((p: string) => base64Decode(p)!), checkpoint.rootHash);
    // a changed value or salt fails
    expect(() => verifyDisclosedField({ ...field, value: '李四' }, result.fieldCommitmentRoot)).to.throw();
    expect(() => verifyDisclosedField({ ...field, salt: Buffer.alloc(16).toString('base64') }, result.fieldCommitmentRoot)).to.throw();
    expect(result.documentUrl).to.equal(null);
    expect((await vault.request('GET', `/consents/${consent.id}`, { token: companyA })).body.uses).to.equal(1);
  });

  it('refuses precisely: no consent, wrong purpose, field not covered, document not covered, not shared, other holder', async () => {
    const consent = (await grant(companyA)).body;
    const base = { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId } };
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ ...base, basis: { kind: 'consent', consentId: 'cns_00000000-0000-0000-0000-000000000000' } }, 403, 'NO_CONSENT'],
      [{ ...base, basis: { kind: 'unconditional' } }, 403, 'NO_CONSENT'],
      [{ ...base, serviceItem: 'SOMETHING-ELSE' }, 403, 'PURPOSE_MISMATCH'],
      [{ ...base, fields: ['businessItems'] }, 403, 'FIELD_NOT_COVERED'],
      [{ ...base, includeDocument: true }, 403, 'FIELD_NOT_COVERED'],
      [{ ...base, query: { kind: 'verify', licenceId: businessId } }, 403, 'NO_CONSENT'],
      [{ holderId: HOLDERS.personA, basis: { kind: 'unconditional' }, query: { kind: 'verify', licenceId: healthId } }, 403, 'NOT_SHARED'],
      [{ holderId: HOLDERS.personA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'list', licenceType: 'health-certificate' } }, 403, 'NOT_SHARED'],
      [{ ...base, holderId: HOLDERS.companyB }, 404, 'LICENCE_NOT_FOUND'],
    ];
    for (const [body, status, code] of cases) {
      const res = await query(tax, body);
      expect(res.status, `${code}: ${JSON.stringify(res.body)}`).to.equal(status);
      expect(res.body.code).to.equal(code);
      expect(res.body.accessId).to.match(/^acc_/);
    }
    // refusals do not spend the consent
    expect((await vault.request('GET', `/consents/${consent.id}`, { token: companyA })).body.uses).to.equal(0);
  });

  it('shares the public fields of an unconditional type with any requester, and no more', async () => {
    const ok = await query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'unconditional' }, query: { kind: 'verify', licenceId: businessId }, fields: ['entityType', 'establishedOn'] });
    expect(ok.status).to.equal(200);
    expect(ok.body.results[0].disclosedFields.map((f: { name: string }) => f.name)).to.deep.equal(['entityType', 'establishedOn']);
    const more = await query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'unconditional' }, query: { kind: 'verify', licenceId: businessId }, fields: ['legalRepresentative'] });
    expect(more.body.code).to.equal('FIELD_NOT_COVERED');
  });

  it('applies a catalogued legal basis, logs catalogue changes, and stops at its revocation', async () => {
    const created = await vault.request('POST', '/exchange/legal-bases', {
      token: admin,
      json: { requester: DEPARTMENTS.tax, serviceItem: { code: 'TAX-REG', name: '税务登记' }, licenceTypes: ['food-business-licence'], fields: ['legalRepresentative'], legalReference: '《税收征收管理法》第十五条' },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.id;
    expect((await vault.request('POST', '/exchange/legal-bases', { token: tax, json: { requester: DEPARTMENTS.tax, serviceItem: { code: 'X', name: 'x' }, licenceTypes: ['food-business-licence'], fields: [], legalReference: 'x' } })).status).to.equal(403);
    const body = { holderId: HOLDERS.companyA, serviceItem: 'TAX-REG', basis: { kind: 'legal-basis', legalBasisId: id }, query: { kind: 'list', licenceType: 'food-business-licence' }, fields: ['legalRepresentative'] };
    const ok = await query(tax, body);
    expect(ok.status).to.equal(200);
    expect(ok.body.results.map((r: { licenceId: string }) => r.licenceId)).to.include(foodId);
    expect((await query(tax, { ...body, fields: ['premises'] })).body.code).to.equal('FIELD_NOT_COVERED');
    expect((await query(tax, { ...body, serviceItem: 'OTHER' })).body.code).to.equal('PURPOSE_MISMATCH');
    expect((await vault.request('POST', `/exchange/legal-bases/${id}/revocation`, { token: admin })).status).to.equal(200);
    expect((await query(tax, body)).body.code).to.equal('NO_CONSENT');
    const changes = (await vault.request('GET', '/exchange/catalogue-changes', { token: auditor })).body.items.filter((c: { entityId: string }) => c.entityId === id);
    expect(changes.map((c: { action: string }) => c.action)).to.deep.equal(['legal-basis.revoke', 'legal-basis.create']);
  });

  it('takes a withdrawal into account on the very next request', async () => {
    const consent = (await grant(companyA)).body;
    const body = { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] };
    expect((await query(tax, body)).status).to.equal(200);
    expect((await vault.request('POST', `/me/consents/${consent.id}/withdrawal`, { token: companyA })).body.status).to.equal('REVOKED');
    const refused = await query(tax, body);
    expect(refused.body.code).to.equal('CONSENT_REVOKED');
    expect((await vault.request('POST', `/me/consents/${consent.id}/withdrawal`, { token: companyA })).status).to.equal(409);
  });

  it('refuses a consent withdrawn or used up by another replica on the next request, though its terms are cached here', async () => {
    const withdrawn = (await grant(companyA)).body;
    const usedUp = (await grant(companyA, { maxUses: 5 })).body;
    const bodyFor = (consentId: string) => ({ holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] });
    // A first use caches each consent's terms in this process.
    expect((await query(tax, bodyFor(withdrawn.id))).status).to.equal(200);
    expect((await query(tax, bodyFor(usedUp.id))).status).to.equal(200);
    // Another replica changes the rows behind this process's back (no call into this process at all).
    await vault.vault.db('consents').where({ id: withdrawn.id }).update({ status: 'REVOKED' });
    await vault.vault.db('consents').where({ id: usedUp.id }).update({ uses: 5 });
    const revoked = await query(tax, bodyFor(withdrawn.id));
    expect([revoked.status, revoked.body.code]).to.deep.equal([403, 'CONSENT_REVOKED']);
    const exhausted = await query(tax, bodyFor(usedUp.id));
    expect([exhausted.status, exhausted.body.code]).to.deep.equal([403, 'CONSENT_EXHAUSTED']);
    // Neither refusal spent a use, and both are in the holder's access log as refused, with their reason.
    const uses = await vault.vault.db('consents').whereIn('id', [withdrawn.id, usedUp.id]).select('id', 'uses');
    expect(Object.fromEntries(uses.map((r: { id: string; uses: number }) => [r.id, Number(r.uses)]))).to.deep.equal({ [withdrawn.id]: 1, [usedUp.id]: 5 });
    const accesses = await vault.vault.db('access_log').whereIn('id', [revoked.body.accessId, exhausted.body.accessId]).select('id', 'result', 'reason_code');
    expect(accesses.map((a: { result: string; reason_code: string }) => `${a.result} ${a.reason_code}`).sort()).to.deep.equal(['REFUSED CONSENT_EXHAUSTED', 'REFUSED CONSENT_REVOKED']);
  });

  it('answers a licence\'s current status, though the licence is cached here: revoked by another replica', async () => {
    const licenceId = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body.id;
    await vault.vault.anchorer.runOnce(true);
    const consent = (await grant(companyA)).body;
    const verify = () => query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId }, fields: ['premises'] });
    const first = await verify();
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body.results[0].status).to.deep.include({ value: 'active', source: 'anchored-issuance' });
    // Another replica revokes it: no call into this process, which has the licence cached.
    await vault.vault.db('licences').where({ id: licenceId }).update({ status: 'revoked' });
    const second = await verify();
    expect(second.body.results[0].status).to.deep.include({ value: 'revoked', source: 'vault-pending-ledger' });
    expect(second.body.results[0].disclosedFields.map((f: { name: string }) => f.name)).to.deep.equal(['premises']);
  });

  it('refuses control characters and unpaired surrogates in the texts it records, with 400 naming the field', async () => {
    const consent = (await grant(companyA)).body;
    const base = { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] };
    for (const [field, value] of [['caseNumber', 'TAX-\u0000-1'], ['officialId', 'official-\ud800'], ['serviceItem', 'FOOD\u001fPERMIT']] as const) {
      const res = await query(tax, { ...base, [field]: value });
      expect(res.status, `${field}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(JSON.stringify(res.body.errors)).to.include(field);
    }
    expect((await vault.request('GET', `/consents/${consent.id}`, { token: companyA })).body.uses).to.equal(0);
  });

  it('refuses a legal basis revoked by another replica on the next request, though its terms are cached here', async () => {
    const basis = (await vault.request('POST', '/exchange/legal-bases', { token: admin, json: { requester: DEPARTMENTS.tax, serviceItem: { code: 'TAX-CHECK', name: '纳税核验' }, licenceTypes: ['food-business-licence'], fields: ['premises'], legalReference: '《税收征收管理法》' } })).body;
    const body = { holderId: HOLDERS.companyA, serviceItem: 'TAX-CHECK', basis: { kind: 'legal-basis', legalBasisId: basis.id }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] };
    expect((await query(tax, body)).status).to.equal(200);
    await vault.vault.db('legal_bases').where({ id: basis.id }).update({ revoked_at: new Date().toISOString() });
    const refused = await query(tax, body);
    expect([refused.status, refused.body.code]).to.deep.equal([403, 'NO_CONSENT']);
    const logged = await vault.vault.db('access_log').where({ id: refused.body.accessId }).first();
    expect([logged.result, logged.reason_code]).to.deep.equal(['REFUSED', 'NO_CONSENT']);
    // The next request is refused before the database: the revoked basis is read fresh.
    expect((await query(tax, body)).body.code).to.equal('NO_CONSENT');
  });

  it('refuses an expired consent', async () => {
    const consent = (await grant(companyA, { validUntil: new Date(Date.now() + 1200).toISOString() })).body;
    await new Promise((r) => setTimeout(r, 1500));
    const res = await query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId } });
    expect(res.body.code).to.equal('CONSENT_EXPIRED');
    expect((await vault.request('GET', `/consents/${consent.id}`, { token: tax })).body.status).to.equal('EXPIRED');
  });

  it('never over-uses a consent under 50 parallel requests', async () => {
    const consent = (await grant(companyA, { maxUses: 3 })).body;
    const body = { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] };
    const results = await Promise.all(Array.from({ length: 50 }, () => query(tax, body)));
    expect(results.filter((r) => r.status === 200)).to.have.length(3);
    expect(results.filter((r) => r.body.code === 'CONSENT_EXHAUSTED'), JSON.stringify(results.map((r) => r.body.code))).to.have.length(47);
    const after = (await vault.request('GET', `/consents/${consent.id}`, { token: companyA })).body;
    expect(after).to.include({ uses: 3, status: 'EXHAUSTED' });
  });

  it('gives a short-lived link to the PDF only when the consent allows the document', async () => {
    const consent = (await grant(companyA, { allowDocument: true })).body;
    const res = await query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId }, includeDocument: true });
    const url = new URL(res.body.results[0].documentUrl);
    const pdf = await vault.request('GET', url.pathname);
    expect(pdf.status).to.equal(200);
    const meta = await vault.request('GET', `/licences/${foodId}`, { token: companyA });
    expect(crypto.createHash('sha256').update(pdf.bytes).digest('hex')).to.equal(meta.body.document.sha256);
    const tampered = url.pathname.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await vault.request('GET', tampered)).status).to.equal(404);
  });

  it('refuses to serve a PDF behind a link when the stored object was altered behind the service\'s back', async () => {
    const otherFood = (await vault.request('POST', '/licences', { token: market, json: FOOD() })).body;
    await vault.vault.anchorer.runOnce(true);
    const consent = (await grant(companyA, { allowDocument: true })).body;
    const res = await query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: otherFood.id }, includeDocument: true });
    const link = new URL(res.body.results[0].documentUrl).pathname;
    const { licence: stored, bytes: original } = (await vault.vault.licences.documentForLink(otherFood.id))!;
    const altered = Uint8Array.from(original);
    const middle = altered.length >> 1;
    altered[middle] = altered[middle]! ^ 0x01;
    await vault.vault.objects.put(stored.document.key, altered, 'application/pdf');
    const refused = await vault.request('GET', link);
    expect(refused.status).to.equal(500);
    expect(refused.body.code).to.equal('DOCUMENT_CORRUPT');
    expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/);
    await vault.vault.objects.put(stored.document.key, original, 'application/pdf');
    expect((await vault.request('GET', link)).status).to.equal(200);
  });

  it("shows the holder every access to their data, with the reason, and each record's inclusion proof verifies", async () => {
    await vault.vault.anchorer.runOnce(true);
    const res = await vault.request('GET', '/me/accesses', { token: companyA });
    expect(res.status).to.equal(200);
    const items = res.body.items as Array<{ record: Record<string, any>; receipt: Record<string, any> | null }>;
    const reasons = new Set(items.map((i) => i.record.reasonCode));
    for (const code of ['OK', 'NO_CONSENT', 'PURPOSE_MISMATCH', 'FIELD_NOT_COVERED', 'CONSENT_REVOKED', 'CONSENT_EXPIRED', 'CONSENT_EXHAUSTED']) expect(reasons, code).to.include(code);
    expect(items.every((i) => i.record.holderId === HOLDERS.companyA)).to.equal(true);
    expect(items.every((i) => i.record.requester === DEPARTMENTS.tax && i.record.officialId === 'official-007' && i.record.caseNumber === 'TAX-2026-0001')).to.equal(true);
    for (const { record, receipt } of items) {
      expect(receipt, record.id).to.not.equal(null);
      const leaf = JSON.parse(receipt!.leafData);
      expect(leaf).to.include({ accessId: record.id, result: record.result, reasonCode: record.reasonCode, recordSha256: accessRecordSha256(record as never) });
      const checkpoint = verifyCheckpoint(receipt!.checkpoint, vault.vault.transparency.vkey, { expectedOrigin: res.body.origin });
      verifyInclusion(hashLeaf(new TextEncoder().encode(receipt!.leafData)), receipt!.leafIndex, receipt!.treeSize, receipt!.inclusionProof.map((p: string) => base64Decode(p)!), checkpoint.rootHash);
    }
    // another holder sees only requests made about them, and not companyA's licence they were refused for
    const other = await vault.request('GET', '/me/accesses', { token: await vault.holderToken(HOLDERS.companyB) });
    expect(other.body.items.map((i: { record: { holderId: string; reasonCode: string } }) => [i.record.holderId, i.record.reasonCode])).to.deep.equal([[HOLDERS.companyB, 'LICENCE_NOT_FOUND']]);
    expect(JSON.stringify(other.body)).to.not.include(foodId);
  });

  it('lets the holder detect an access record changed before it was sequenced: its leaf keeps the hash taken at the request', async () => {
    const consent = (await grant(companyA)).body;
    const res = await query(tax, { holderId: HOLDERS.companyA, basis: { kind: 'consent', consentId: consent.id }, query: { kind: 'verify', licenceId: foodId }, fields: ['premises'] });
    // Someone with database access rewrites who asked, before the anchorer appends the record.
    await vault.vault.db('access_log').where({ id: res.body.accessId }).update({ official_id: 'someone-else' });
    await vault.vault.anchorer.runOnce(true);
    const items = (await vault.request('GET', '/me/accesses', { token: companyA })).body.items as Array<{ record: Record<string, any>; receipt: Record<string, any> }>;
    const changed = items.find((i) => i.record.id === res.body.accessId)!;
    expect(changed.record.officialId).to.equal('someone-else');
    expect(JSON.parse(changed.receipt.leafData).recordSha256).to.not.equal(accessRecordSha256(changed.record as never));
    expect(JSON.parse(changed.receipt.leafData).recordSha256).to.equal(accessRecordSha256({ ...changed.record, officialId: 'official-007' } as never));
  });
});

describe('exchange rate limits and alerts', function () {
  this.timeout(120_000);

  it('limits requests per holder and raises an alert for many distinct holders', async () => {
    const vault = await TestVault.start({ env: { EXCHANGE_RATE_PER_HOLDER_PER_MINUTE: '2', EXCHANGE_ALERT_DISTINCT_HOLDERS: '3', EXCHANGE_PATTERN_CHECK_INTERVAL_MS: '0' } });
    try {
      const [market, tax, auditor] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.tax), vault.departmentToken(DEPARTMENTS.audit)]);
      const holders = [HOLDERS.companyA, HOLDERS.companyB, '91350100M000100Y43'.replace('M000100Y43', 'M000100Y43')];
      const ids: string[] = [];
      for (const h of [HOLDERS.companyA, HOLDERS.companyB]) ids.push((await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest({ holder: { id: h, name: '某公司' } }) })).body.id);
      const q = (holderId: string, licenceId: string) => vault.request('POST', '/exchange/queries', { token: tax, json: { holderId, serviceItem: 'S', caseNumber: 'C', officialId: 'O', basis: { kind: 'unconditional' }, query: { kind: 'verify', licenceId }, fields: [] } });
      expect((await q(HOLDERS.companyA, ids[0]!)).status).to.equal(200);
      expect((await q(HOLDERS.companyA, ids[0]!)).status).to.equal(200);
      const limited = await q(HOLDERS.companyA, ids[0]!);
      expect(limited.status).to.equal(429);
      expect(limited.body.code).to.equal('RATE_LIMITED');
      expect((await q(HOLDERS.companyB, ids[1]!)).status).to.equal(200);
      expect((await vault.request('GET', '/exchange/alerts', { token: auditor })).body.items).to.deep.equal([]);
      await q('11010519491231002X', ids[1]!); // a third distinct holder (refused: not theirs) still counts
      const alerts = (await vault.request('GET', '/exchange/alerts', { token: auditor })).body.items;
      expect(alerts).to.have.length(1);
      expect(alerts[0]).to.deep.include({ requester: DEPARTMENTS.tax, kind: 'MANY_DISTINCT_HOLDERS' });
      expect((await vault.request('GET', '/exchange/alerts', { token: tax })).status).to.equal(403);
      void holders;
    } finally {
      await vault.stop();
    }
  });
});
