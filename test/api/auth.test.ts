/**
 * Department authentication (RFC 7523 private_key_jwt → RFC 9068 access token) and holder tokens under
 * attack: every forged, stale or replayed credential is refused.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { dataDirLayout, loadDevClientKey } from '../../src/bootstrap/dev-environment.ts';
import { tokenRequestForm } from '../../src/auth/client-assertion.ts';
import { DEPARTMENTS, HOLDERS, PUBLIC_BASE_URL, TestVault } from '../support/test-vault.ts';

const TOKEN_URL = `${PUBLIC_BASE_URL}/oauth/token`;

describe('authentication', function () {
  this.timeout(60_000);
  let vault: TestVault;
  before(async () => {
    vault = await TestVault.start();
  });
  after(async () => vault?.stop());

  const exchange = (assertion: string, scope?: string) => vault.request('POST', '/oauth/token', { body: tokenRequestForm(assertion, scope) });
  const devKey = () => loadDevClientKey(dataDirLayout(vault.config.dataDir).devClientsDir, DEPARTMENTS.market);
  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: DEPARTMENTS.market, sub: DEPARTMENTS.market, aud: TOKEN_URL, iat: now, exp: now + 60, jti: crypto.randomUUID(), ...overrides };
  };

  it('issues a short-lived RFC 9068 access token for a valid assertion', async () => {
    const res = await exchange(await vault.clientAssertion(DEPARTMENTS.market));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ token_type: 'Bearer', scope: 'issuer' });
    expect(res.body.expires_in).to.be.within(1, 900);
    const header = JSON.parse(Buffer.from(res.body.access_token.split('.')[0], 'base64url').toString());
    expect(header.typ).to.equal('at+jwt');
    expect(res.headers.get('cache-control')).to.equal('no-store');
  });

  it('refuses an unsigned assertion (alg: none)', async () => {
    const unsigned = new UnsecuredJWT(claims()).encode();
    const res = await exchange(unsigned);
    expect(res.status).to.equal(401);
    expect(res.body.error).to.equal('invalid_client');
  });

  it('refuses an assertion signed by an unregistered key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const res = await exchange(await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(privateKey));
    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal('INVALID_CLIENT');
  });

  it('refuses HS256 with the registered public key as the secret (algorithm confusion)', async () => {
    const key = await devKey();
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const res = await exchange(await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(secret));
    expect(res.status).to.equal(401);
    const res2 = await exchange(await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(new TextEncoder().encode(String(key.publicJwk.x))));
    expect(res2.status).to.equal(401);
  });

  it('refuses an expired assertion and one that lives too long', async () => {
    const key = await devKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT(claims({ iat: now - 600, exp: now - 300 })).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
    expect((await exchange(expired)).status).to.equal(401);
    const tooLong = await new SignJWT(claims({ exp: now + 3600 })).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
    const res = await exchange(tooLong);
    expect(res.status).to.equal(401);
    expect(res.body.detail).to.match(/expire within/);
  });

  it('refuses a wrong audience', async () => {
    const res = await exchange(await vault.clientAssertion(DEPARTMENTS.market, 'https://elsewhere.example/token'));
    expect(res.status).to.equal(401);
    expect(res.body.detail).to.match(/aud/);
  });

  it('refuses a replayed assertion jti', async () => {
    const assertion = await vault.clientAssertion(DEPARTMENTS.market);
    expect((await exchange(assertion)).status).to.equal(200);
    const replay = await exchange(assertion);
    expect(replay.status).to.equal(401);
    expect(replay.body.detail).to.match(/replay/);
  });

  it("refuses a department's assertion claiming another department (iss/sub mismatch or unknown key)", async () => {
    const key = await devKey();
    const spoof = await new SignJWT(claims({ iss: DEPARTMENTS.tax, sub: DEPARTMENTS.tax })).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
    expect((await exchange(spoof)).status).to.equal(401);
  });

  it('refuses a scope the department does not hold', async () => {
    const res = await exchange(await vault.clientAssertion(DEPARTMENTS.tax), 'issuer');
    expect(res.status).to.equal(400);
    expect(res.body.error).to.equal('invalid_scope');
  });

  it('refuses a wrong grant type with a problem naming it', async () => {
    const form = tokenRequestForm(await vault.clientAssertion(DEPARTMENTS.market));
    form.set('grant_type', 'password');
    const res = await vault.request('POST', '/oauth/token', { body: form });
    expect(res.status).to.equal(400);
    expect(res.body.errors?.[0]?.field ?? res.body.error).to.match(/grant_type|unsupported_grant_type/);
  });

  it('refuses access tokens that were tampered with, forged, or are holder tokens from an untrusted issuer', async () => {
    const token = await vault.departmentToken(DEPARTMENTS.market);
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.scope = 'issuer admin auditor';
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect((await vault.request('GET', '/licences', { token: tampered })).status).to.equal(401);

    const { privateKey, publicKey } = await generateKeyPair('ES256');
    void (await exportJWK(publicKey));
    const forged = await new SignJWT({ scope: 'issuer' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).setIssuer(PUBLIC_BASE_URL).setAudience(PUBLIC_BASE_URL).setSubject(DEPARTMENTS.market).setExpirationTime('5m').sign(privateKey);
    expect((await vault.request('GET', '/licences', { token: forged })).status).to.equal(401);

    const foreignHolder = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://evil.example').setAudience('licence-vault').setSubject(HOLDERS.personA).setExpirationTime('5m').sign(privateKey);
    expect((await vault.request('GET', '/licences', { token: foreignHolder })).status).to.equal(401);

    const fakeDevIdp = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(`${PUBLIC_BASE_URL}/dev-idp`).setAudience('licence-vault').setSubject(HOLDERS.personA).setExpirationTime('5m').sign(privateKey);
    expect((await vault.request('GET', '/licences', { token: fakeDevIdp })).status).to.equal(401);
  });

  it('the development identity provider refuses an invalid identifier', async () => {
    const res = await vault.request('POST', '/dev-idp/token', { json: { subject: '110105194912310021' } });
    expect(res.status).to.equal(400);
    expect(res.body.errors[0].field).to.equal('subject');
    const fullWidth = await vault.request('POST', '/dev-idp/token', { json: { subject: '１１０１０５１９４９１２３１００２ｘ' } });
    expect(fullWidth.status).to.equal(200);
    expect(fullWidth.body.subject).to.equal('11010519491231002X');
  });

  it('does not offer the development identity provider when a real one is configured', async () => {
    // TestVault turns development sign-in on for the other tests; here it is left to the configuration's default.
    const prod = await TestVault.start({ env: { HOLDER_IDP_ISSUER: 'https://idp.gov.example', HOLDER_IDP_JWKS_URL: 'https://idp.gov.example/jwks.json', DEV_IDP_ENABLED: '' } });
    try {
      const res = await prod.request('POST', '/dev-idp/token', { json: { subject: HOLDERS.personA } });
      expect(res.status).to.equal(404);
      expect(res.body.code).to.equal('DEV_IDP_DISABLED');
    } finally {
      await prod.stop();
    }
  });
});
