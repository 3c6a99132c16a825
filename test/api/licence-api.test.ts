/**
 * The foundation's end-to-end path over HTTP on embedded defaults: issue → get → download → status
 * changes → renew, authorisation, and bad input. Every response is validated against openapi.yaml by
 * the TestVault client.
 */
import http from 'node:http';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { extractSignature } from '../../src/pdf/pades.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, qualificationRequest, TestVault } from '../support/test-vault.ts';

describe('licence API (embedded defaults)', function () {
  this.timeout(60_000);
  let vault: TestVault;
  let market: string; // issuer of business and food licences
  let hrss: string; // issuer of professional qualifications
  let tax: string; // requester
  let companyA: string;
  let companyB: string;
  let workDir: string;

  before(async () => {
    vault = await TestVault.start();
    [market, hrss, tax] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.hrss), vault.departmentToken(DEPARTMENTS.tax)]);
    [companyA, companyB] = await Promise.all([vault.holderToken(HOLDERS.companyA), vault.holderToken(HOLDERS.companyB)]);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lv-api-'));
  });
  after(async () => {
    await vault?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  const countRows = async () => Number(((await vault.vault.db('licences').count({ n: '*' })) as Array<{ n: string | number }>)[0]!.n);
  const countObjects = async () => (await vault.vault.objects.list('licences')).length;

  describe('issue → get → download → status → renew', () => {
    let id: string;
    let pdf: Uint8Array;

    it('issues a business licence and answers 201 with Location', async () => {
      const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      id = res.body.id;
      expect(id).to.match(/^BL\.111101050000100149\.\d{10}\.01\.[0-9A-Z]$/);
      expect(res.headers.get('location')).to.equal(`/licences/${id}`);
      expect(res.body.status).to.equal('active');
      expect(res.body.holder).to.deep.equal({ kind: 'organisation', id: HOLDERS.companyA, name: '北京𠮷𪚥餐饮管理有限公司' });
    });

    it('lets the issuer and the holder read it, and lists it for the holder', async () => {
      const byIssuer = await vault.request('GET', `/licences/${id}`, { token: market });
      const byHolder = await vault.request('GET', `/licences/${id}`, { token: companyA });
      expect(byIssuer.status).to.equal(200);
      expect(byHolder.body).to.deep.equal(byIssuer.body);
      const list = await vault.request('GET', '/licences', { token: companyA });
      expect(list.body.items.map((l: { id: string }) => l.id)).to.include(id);
    });

    it('tags a read with an ETag a client can revalidate with (304), and a write with none', async () => {
      const read = await vault.request('GET', `/licences/${id}`, { token: companyA });
      const etag = read.headers.get('etag');
      expect(etag).to.match(/^W\/"[0-9a-f]+-/);
      // Straight to the server (a 304 has no body for the contract check to read), and not with fetch,
      // which turns a conditional request into a Cache-Control: no-cache one.
      const again = await new Promise<number>((resolve, reject) => {
        http.get(`${vault.baseUrl}/licences/${id}`, { headers: { authorization: `Bearer ${companyA}`, 'if-none-match': etag! } }, (res) => resolve(res.resume().statusCode!)).on('error', reject);
      });
      expect(again).to.equal(304);
      const write = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() });
      expect(write.status).to.equal(201);
      expect(write.headers.get('etag')).to.equal(null);
      expect(write.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(Number(write.headers.get('content-length'))).to.equal(write.bytes.length);
    });

    it('downloads a PDF whose hash is the recorded one', async () => {
      const res = await vault.request('GET', `/licences/${id}/document`, { token: companyA });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/pdf');
      pdf = res.bytes;
      const meta = await vault.request('GET', `/licences/${id}`, { token: companyA });
      const sha = (await import('node:crypto')).createHash('sha256').update(pdf).digest('hex');
      expect(sha).to.equal(meta.body.document.sha256);
      expect(res.headers.get('digest')).to.equal(`sha-256=${Buffer.from(sha, 'hex').toString('base64')}`);
    });

    it('signs the PDF so that pdfsig accepts it and openssl verifies it against the issuer CA', () => {
      const file = path.join(workDir, 'licence.pdf');
      fs.writeFileSync(file, pdf);
      const pdfsig = spawnSync('pdfsig', [file], { encoding: 'utf8' });
      expect(pdfsig.stdout).to.include('Signature Validation: Signature is Valid.');
      expect(pdfsig.stdout).to.include('Total document signed');
      expect(pdfsig.stdout).to.include('ETSI.CAdES.detached');

      const { cmsDer, signedBytes } = extractSignature(pdf);
      fs.writeFileSync(path.join(workDir, 'sig.der'), cmsDer);
      fs.writeFileSync(path.join(workDir, 'content.bin'), signedBytes);
      const verify = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(workDir, 'sig.der'), '-content', path.join(workDir, 'content.bin'), '-CAfile', vault.issuerCaPath, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).to.equal(0);
      const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', path.join(workDir, 'sig.der')], { encoding: 'utf8' });
      expect(printed).to.match(/signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
    });

    it('fails both independent checks after one flipped byte', () => {
      const tampered = Buffer.from(pdf);
      const { byteRange } = extractSignature(pdf);
      const at = byteRange[0]! + byteRange[1]! + 100 < tampered.length ? byteRange[2]! + 50 : 500; // inside the second signed range
      tampered[at] = tampered[at]! ^ 0x01;
      const file = path.join(workDir, 'tampered.pdf');
      fs.writeFileSync(file, tampered);
      const pdfsig = spawnSync('pdfsig', [file], { encoding: 'utf8' });
      expect(pdfsig.stdout).to.not.include('Signature is Valid.');
      const { cmsDer, signedBytes } = extractSignature(tampered);
      fs.writeFileSync(path.join(workDir, 'sig2.der'), cmsDer);
      fs.writeFileSync(path.join(workDir, 'content2.bin'), signedBytes);
      const verify = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(workDir, 'sig2.der'), '-content', path.join(workDir, 'content2.bin'), '-CAfile', vault.issuerCaPath, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
      expect(verify.status).to.not.equal(0);
    });

    it('puts the holder name, including characters outside the BMP, into the PDF text', () => {
      const file = path.join(workDir, 'licence.pdf');
      const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      expect(text).to.include('北京𠮷𪚥餐饮管理有限公司');
      expect(text).to.include(id);
    });

    it('suspends, reinstates and revokes with reasons, keeping the history', async () => {
      const suspend = await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'suspend', reason: 'inspection pending' } });
      expect(suspend.status).to.equal(200);
      expect(suspend.body.status).to.equal('suspended');
      const again = await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'suspend', reason: 'twice' } });
      expect(again.status).to.equal(409);
      expect(again.body.code).to.equal('STATUS_TRANSITION_INVALID');
      const reinstate = await vault.request('POST', `/licences/${id}/status-changes`, { token: market, json: { action: 'reinstate', reason: 'inspection passed' } });
      expect(reinstate.body.status).to.equal('active');
      const history = await vault.request('GET', `/licences/${id}/history`, { token: companyA });
      expect(history.body.items.map((e: { action: string }) => e.action)).to.deep.equal(['issue', 'suspend', 'reinstate']);
      expect(history.body.items[1]).to.include({ fromStatus: 'active', toStatus: 'suspended', reason: 'inspection pending', actor: DEPARTMENTS.market });
    });

    it('renews into version 02 linked to the old one, which becomes superseded', async () => {
      const res = await vault.request('POST', `/licences/${id}/renewals`, { token: market, json: { reason: 'address changed', fields: { address: '北京市朝阳区建国路2号' } } });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.id).to.equal(`${id.split('.').slice(0, 3).join('.')}.02.${res.body.id.slice(-1)}`);
      expect(res.body).to.include({ version: 2, previousId: id, status: 'active' });
      expect(res.body.fields.address).to.equal('北京市朝阳区建国路2号');
      const old = await vault.request('GET', `/licences/${id}`, { token: market });
      expect(old.body.status).to.equal('superseded');
      const twice = await vault.request('POST', `/licences/${id}/renewals`, { token: market, json: { reason: 'again' } });
      expect(twice.status).to.equal(409);
      const revoke = await vault.request('POST', `/licences/${res.body.id}/status-changes`, { token: market, json: { action: 'revoke', reason: 'fraud' } });
      expect(revoke.body.status).to.equal('revoked');
      const reinstate = await vault.request('POST', `/licences/${res.body.id}/status-changes`, { token: market, json: { action: 'reinstate', reason: 'no' } });
      expect(reinstate.status).to.equal(409);
    });

    it('dates a health certificate given no start from its examination, not from the day it was issued', async () => {
      const hrss = await vault.departmentToken(DEPARTMENTS.hrss);
      const health = { type: 'health-certificate', holder: { id: HOLDERS.personA, name: '张𠮷' }, fields: { examinedOn: '2026-11-20', examiningInstitution: '朝阳区疾病预防控制中心', conclusion: '合格' } };
      const res = await vault.request('POST', '/licences', { token: hrss, json: health });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.validFrom).to.equal('2026-11-20');
      const explicit = await vault.request('POST', '/licences', { token: hrss, json: { ...health, validFrom: '2026-11-25' } });
      expect(explicit.body.validFrom).to.equal('2026-11-25');
      const bad = await vault.request('POST', '/licences', { token: hrss, json: { ...health, fields: { ...health.fields, examinedOn: '2026-02-30' } } });
      expect(bad.status).to.equal(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['fields.examinedOn']);
    });
  });

  describe('authorisation', () => {
    let businessId: string;
    let qualificationId: string;
    let personA: string;
    let personB: string;

    before(async () => {
      businessId = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
      qualificationId = (await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest(HOLDERS.personA) })).body.id;
      [personA, personB] = await Promise.all([vault.holderToken(HOLDERS.personA), vault.holderToken(HOLDERS.personB)]);
    });

    it('answers 401 without a token and with a garbage token', async () => {
      for (const [method, p] of [['GET', '/licences'], ['GET', `/licences/${businessId}`], ['GET', `/licences/${businessId}/document`], ['POST', '/licences']] as const) {
        const res = await vault.request(method, p, method === 'POST' ? { json: businessLicenceRequest() } : {});
        expect(res.status, `${method} ${p}`).to.equal(401);
        expect(res.body.code).to.equal('AUTHENTICATION_REQUIRED');
        expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
      }
      const garbage = await vault.request('GET', '/licences', { token: 'not.a.jwt' });
      expect(garbage.status).to.equal(401);
      expect(garbage.body.code).to.equal('TOKEN_INVALID');
    });

    it('refuses issuance by a department without the issuer role (403)', async () => {
      const res = await vault.request('POST', '/licences', { token: tax, json: businessLicenceRequest() });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('ROLE_REQUIRED');
    });

    it("refuses issuance of another department's licence type (403)", async () => {
      const res = await vault.request('POST', '/licences', { token: hrss, json: businessLicenceRequest() });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('LICENCE_TYPE_NOT_OWNED');
    });

    it('refuses issuance by a holder (403)', async () => {
      const res = await vault.request('POST', '/licences', { token: companyA, json: businessLicenceRequest() });
      expect(res.status).to.equal(403);
    });

    it("hides one holder's licence from another holder with 404, not 403", async () => {
      for (const suffix of ['', '/document', '/history']) {
        const other = await vault.request('GET', `/licences/${qualificationId}${suffix}`, { token: personB });
        expect(other.status, suffix).to.equal(404);
        expect(other.body.code).to.equal('LICENCE_NOT_FOUND');
        const own = await vault.request('GET', `/licences/${qualificationId}${suffix}`, { token: personA });
        expect(own.status, suffix).to.equal(200);
      }
      const companyB404 = await vault.request('GET', `/licences/${businessId}`, { token: companyB });
      expect(companyB404.status).to.equal(404);
      const list = await vault.request('GET', '/licences', { token: personB });
      expect(list.body.items).to.deep.equal([]);
    });

    it('hides a licence from departments other than its issuer (404) and lists only own issuance', async () => {
      expect((await vault.request('GET', `/licences/${businessId}`, { token: hrss })).status).to.equal(404);
      expect((await vault.request('GET', `/licences/${businessId}`, { token: tax })).status).to.equal(404);
      const list = await vault.request('GET', '/licences', { token: hrss });
      expect(list.body.items.every((l: { issuer: string }) => l.issuer === DEPARTMENTS.hrss)).to.equal(true);
      expect((await vault.request('GET', '/licences', { token: tax })).status).to.equal(403);
    });

    it('lets only the issuing department change status', async () => {
      const byHolder = await vault.request('POST', `/licences/${businessId}/status-changes`, { token: companyA, json: { action: 'revoke', reason: 'x' } });
      expect(byHolder.status).to.equal(403);
      const byOtherIssuer = await vault.request('POST', `/licences/${businessId}/status-changes`, { token: hrss, json: { action: 'revoke', reason: 'x' } });
      expect(byOtherIssuer.status).to.equal(404);
      const renewByOther = await vault.request('POST', `/licences/${businessId}/renewals`, { token: hrss, json: { reason: 'x' } });
      expect(renewByOther.status).to.equal(404);
      const still = await vault.request('GET', `/licences/${businessId}`, { token: market });
      expect(still.body.status).to.equal('active');
    });
  });

  describe('bad input gets problem+json and writes nothing', () => {
    let rowsBefore: number;
    let objectsBefore: number;
    beforeEach(async () => {
      rowsBefore = await countRows();
      objectsBefore = await countObjects();
    });
    afterEach(async () => {
      expect(await countRows(), 'licence rows').to.equal(rowsBefore);
      expect(await countObjects(), 'stored objects').to.equal(objectsBefore);
    });

    const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, code: string) => {
      expect(res.status, JSON.stringify(res.body)).to.equal(status);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(res.body.code).to.equal(code);
      expect(res.body.detail).to.be.a('string').and.not.match(/at .*\.ts:\d+/); // no stack traces
    };

    it('malformed JSON → 400 MALFORMED_JSON', async () => {
      const res = await vault.request('POST', '/licences', { token: market, body: '{"type": "business-licence",', headers: { 'content-type': 'application/json' } });
      expectProblem(res, 400, 'MALFORMED_JSON');
    });

    it('wrong content type → 415', async () => {
      const res = await vault.request('POST', '/licences', { token: market, body: 'type=business-licence', headers: { 'content-type': 'text/plain' } });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const none = await vault.request('POST', '/licences', { token: market, body: '{}' });
      expect(none.status).to.equal(415);
    });

    it('oversize body → 413', async () => {
      const big = businessLicenceRequest();
      (big.fields as Record<string, string>).businessScope = 'x'.repeat(300_000);
      const res = await vault.request('POST', '/licences', { token: market, json: big });
      expectProblem(res, 413, 'BODY_TOO_LARGE');
    });

    it('unknown licence type → 400 naming the field', async () => {
      const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest({ type: 'fishing-permit' }) });
      expectProblem(res, 400, 'LICENCE_TYPE_UNKNOWN');
      expect(res.body.errors).to.deep.equal([{ field: 'type', message: 'is not a licence type in the catalogue' }]);
    });

    it("schema violations → 400 listing each field of the type's schema", async () => {
      const req = businessLicenceRequest();
      const fields = req.fields as Record<string, unknown>;
      delete fields.legalRepresentative;
      fields.establishedOn = '2020-02-30';
      fields.shoeSize = 42;
      const res = await vault.request('POST', '/licences', { token: market, json: req });
      expectProblem(res, 400, 'FIELDS_INVALID');
      const byField = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
      expect(byField).to.have.property('fields.legalRepresentative', 'is required');
      expect(byField).to.have.property('fields.shoeSize', 'is not a field of this licence type');
      expect(byField['fields.establishedOn']).to.match(/date/);
    });

    it('request shape violations (contract) → 400 REQUEST_INVALID naming the property', async () => {
      const res = await vault.request('POST', '/licences', { token: market, json: { type: 'business-licence', holder: { id: HOLDERS.companyA }, fields: {}, colour: 'red' } });
      expectProblem(res, 400, 'REQUEST_INVALID');
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).to.include('holder.name');
      expect(fields).to.include('colour');
    });

    it('holder identifier with a wrong check character → 400 naming holder.id and why', async () => {
      const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest({ holder: { id: '91350100M000100Y44', name: '某公司' } }) });
      expectProblem(res, 400, 'HOLDER_ID_INVALID');
      expect(res.body.errors[0].field).to.equal('holder.id');
      expect(res.body.errors[0].message).to.match(/check/i);
      const person = await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest('110105194912310021') });
      expectProblem(person, 400, 'HOLDER_ID_INVALID');
      expect(person.body.errors[0].message).to.match(/resident ID/);
    });

    it('a person ID for an organisation licence → 400', async () => {
      const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest({ holder: { id: HOLDERS.personA, name: '张三' } }) });
      expectProblem(res, 400, 'HOLDER_ID_INVALID');
    });

    it('a character no font can draw → 400 naming the code point', async () => {
      const res = await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest(HOLDERS.personA, '张\u{10FFFD}') });
      expectProblem(res, 400, 'HOLDER_NAME_INVALID');
      expect(res.body.errors[0].message).to.include('U+10FFFD');
    });

    it('validity window that ends before it starts → 400', async () => {
      const res = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest({ validFrom: '2026-01-01', validUntil: '2025-01-01' }) });
      expectProblem(res, 400, 'VALIDITY_INVALID');
      expect(res.body.errors[0].field).to.equal('validUntil');
    });

    it('licence id with a wrong check character → 400 LICENCE_ID_INVALID; malformed → 400 REQUEST_INVALID', async () => {
      const res = await vault.request('GET', '/licences/BL.111101050000100149.0000000001.01.A', { token: market });
      // one of 36 check characters is right; pick a wrong one deterministically
      const wrong = res.status === 400 ? res : await vault.request('GET', '/licences/BL.111101050000100149.0000000001.01.B', { token: market });
      expectProblem(wrong, 400, 'LICENCE_ID_INVALID');
      const malformed = await vault.request('GET', '/licences/..%2F..%2Fetc%2Fpasswd', { token: market });
      expect(malformed.status).to.be.oneOf([400, 404]);
    });

    it('unknown route → 404 problem', async () => {
      const res = await fetch(`${vault.baseUrl}/nope`);
      expect(res.status).to.equal(404);
      expect((await res.json()).code).to.equal('ROUTE_NOT_FOUND');
    });
  });

  describe('idempotent issuance', () => {
    it('answers a retried request with the same licence and writes it once', async () => {
      const key = `idem-${Date.now()}`;
      const first = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest(), headers: { 'idempotency-key': key } });
      const second = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest(), headers: { 'idempotency-key': key } });
      expect(first.status).to.equal(201);
      expect(second.status).to.equal(200);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(second.body.id).to.equal(first.body.id);
      const rows = await vault.vault.db('licences').where({ idempotency_key: key });
      expect(rows).to.have.length(1);
    });

    it('refuses the same key with a different body (409)', async () => {
      const key = `idem-conflict-${Date.now()}`;
      await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest(), headers: { 'idempotency-key': key } });
      const other = await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest({ validFrom: '2025-01-01' }), headers: { 'idempotency-key': key } });
      expect(other.status).to.equal(409);
      expect(other.body.code).to.equal('IDEMPOTENCY_KEY_REUSED');
    });

    it('issues once under 10 concurrent retries with the same key', async () => {
      const key = `idem-race-${Date.now()}`;
      const results = await Promise.all(Array.from({ length: 10 }, () => vault.request('POST', '/licences', { token: market, json: businessLicenceRequest(), headers: { 'idempotency-key': key } })));
      const ids = new Set(results.map((r) => r.body.id));
      expect(ids.size, JSON.stringify(results.map((r) => r.status))).to.equal(1);
      expect(results.filter((r) => r.status === 201)).to.have.length(1);
      expect(await vault.vault.db('licences').where({ idempotency_key: key })).to.have.length(1);
    });
  });

  describe('operations endpoints', () => {
    it('serves /healthz, /readyz, /metrics, the spec and its docs page', async () => {
      expect((await vault.request('GET', '/healthz')).body).to.deep.equal({ status: 'ok' });
      const ready = await vault.request('GET', '/readyz');
      expect(ready.body.checks.database.ok).to.equal(true);
      expect(ready.body.checks.objectStore.kind).to.equal('local-directory');
      const metrics = await vault.request('GET', '/metrics');
      expect(Buffer.from(metrics.bytes).toString()).to.include('licences_issued_total');
      const spec = await vault.request('GET', '/openapi.yaml');
      expect(Buffer.from(spec.bytes).toString()).to.include('openapi: 3.1.0');
      const docs = await vault.request('GET', '/docs');
      expect(Buffer.from(docs.bytes).toString()).to.include('swagger-ui');
      const asset = await fetch(`${vault.baseUrl}/docs/assets/swagger-ui-bundle.js`);
      expect(asset.status).to.equal(200);
      const qr = await fetch(`${vault.baseUrl}/verify/BL.111101050000100149.0000000001.01.G`, { redirect: 'manual' });
      expect(qr.status).to.equal(302);
      expect(qr.headers.get('location')).to.equal('/app/verify.html?licence=BL.111101050000100149.0000000001.01.G');
    });
  });
});
