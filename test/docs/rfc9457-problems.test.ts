/**
 * Problems are RFC 9457 and nothing else: no answer carries OAuth's `error` / `error_description` members,
 * except the OAuth token endpoint (POST /oauth/token), which keeps RFC 6749 §5.2's format there and only
 * there — on every refusal it makes, whatever refused it (the token service, the contract's validation, the
 * media-type check). Checked in the contract (openapi.yaml) and on a running vault.
 */
import { expect } from 'chai';
import { DomainError } from '../../src/errors/domain-error.ts';
import { loadOpenApiDocument } from '../../src/http/openapi-document.ts';
import { problemFromDomainError } from '../../src/http/problem.ts';
import { tokenRequestForm } from '../../src/auth/client-assertion.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';
import { openApiValidators } from './openapi-ajv.ts';

type Json = Record<string, any>;
const OAUTH_MEMBERS = ['error', 'error_description', 'error_uri'];
/** RFC 9457 §3.1's members, and this service's: code, and the extensions some problems carry. */
const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'instance', 'code', 'errors', 'accessId', 'consentId', 'identifier'];

describe('problems: RFC 9457 only (RFC 6749 at the token endpoint alone)', function () {
  this.timeout(120_000);
  const doc = loadOpenApiDocument() as Json;
  const validators = openApiValidators(doc);

  describe('in openapi.yaml', () => {
    it('has a Problem without OAuth members, and forbids them', () => {
      const problem = doc.components.schemas.Problem;
      for (const member of OAUTH_MEMBERS) expect(problem.properties, member).not.to.have.property(member);
      const validate = validators.at('/components/schemas/Problem');
      const body = { type: 'urn:licence-vault:problem:token-invalid', title: 'Unauthorized', status: 401, detail: 'access token rejected: expired', code: 'TOKEN_INVALID' };
      expect(validate(body)).to.equal(true);
      for (const member of OAUTH_MEMBERS) expect(validate({ ...body, [member]: 'invalid_token' }), member).to.equal(false);
    });

    it('answers with the OAuth members on POST /oauth/token only, on each of its refusals', () => {
      const oauthResponses = new Set(Object.entries<Json>(doc.components.responses).filter(([, r]) => JSON.stringify(r).includes('OAuthTokenProblem')).map(([name]) => name));
      const users: string[] = [];
      for (const [path, item] of Object.entries<Json>(doc.paths)) {
        for (const [method, op] of Object.entries<Json>(item)) {
          for (const [status, response] of Object.entries<Json>(op.responses ?? {})) {
            const oauth = JSON.stringify(response).includes('OAuthTokenProblem') || oauthResponses.has(String(response.$ref ?? '').split('/').pop()!);
            if (oauth) users.push(`${method.toUpperCase()} ${path} ${status}`);
            else if (Number(status) >= 400 && path !== '/readyz') expect(JSON.stringify(response), `${method} ${path} ${status}`).not.to.match(/error_description/);
          }
        }
      }
      expect(users).to.deep.equal(['POST /oauth/token 400', 'POST /oauth/token 401', 'POST /oauth/token 415', 'POST /oauth/token 503']);
    });
  });

  describe('at the edge', () => {
    it('drops OAuth members a domain error might carry anywhere else', () => {
      const error = new DomainError('forbidden', 'NO_CONSENT', 'no consent', { extensions: { accessId: 'acc_1', error: 'access_denied', error_description: 'no consent', error_uri: 'https://example.invalid' } });
      const body = problemFromDomainError(error).toBody('/exchange/queries');
      expect(body).to.include({ code: 'NO_CONSENT', accessId: 'acc_1', status: 403 });
      for (const member of OAUTH_MEMBERS) expect(body).not.to.have.property(member);
    });
  });

  describe('on a running vault', () => {
    let vault: TestVault;
    let market: string;
    let tax: string;
    let holder: string;
    let licenceId: string;
    before(async () => {
      vault = await TestVault.start();
      [market, tax, holder] = await Promise.all([vault.departmentToken(DEPARTMENTS.market), vault.departmentToken(DEPARTMENTS.tax), vault.holderToken(HOLDERS.personA)]);
      licenceId = (await vault.request('POST', '/licences', { token: market, json: businessLicenceRequest() })).body.id;
    });
    after(async () => vault?.stop());

    /** A raw request (some of these are not in the contract: malformed bodies, unknown routes, the tiles). */
    const send = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string | URLSearchParams } = {}) => {
      const res = await fetch(`${vault.baseUrl}${path}`, { method, headers: init.headers, body: init.body });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: JSON.parse(text) as Json };
    };
    const expectRfc9457 = (res: { status: number; headers: Headers; body: Json }, code: string, what: string) => {
      expect(res.headers.get('content-type'), what).to.equal('application/problem+json; charset=utf-8');
      expect(res.body, what).to.include({ status: res.status, code, type: `urn:licence-vault:problem:${code.toLowerCase().replace(/_/g, '-')}` });
      expect(res.body.title, what).to.be.a('string');
      expect(res.body.detail, what).to.be.a('string');
      for (const member of OAUTH_MEMBERS) expect(res.body, `${what}: ${member}`).not.to.have.property(member);
      expect(Object.keys(res.body).filter((k) => !PROBLEM_MEMBERS.includes(k)), `${what}: members beyond RFC 9457's and this service's`).to.deep.equal([]);
      const validate = validators.at('/components/schemas/Problem');
      expect(validate(res.body), `${what}: ${validators.errorsText(validate)}`).to.equal(true);
    };

    it('answers every other refusal as an RFC 9457 problem alone', async () => {
      const json = { 'content-type': 'application/json' };
      const cases: Array<[string, Promise<{ status: number; headers: Headers; body: Json }>, string]> = [
        ['no token', send('GET', '/licences'), 'AUTHENTICATION_REQUIRED'],
        ['a bad token', send('GET', '/licences', { headers: { authorization: 'Bearer abc.def.ghi' } }), 'TOKEN_INVALID'],
        ['not a bearer token', send('GET', '/licences', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 'TOKEN_INVALID'],
        ['no such route', send('GET', '/no-such-route'), 'ROUTE_NOT_FOUND'],
        ['a method not allowed', send('DELETE', '/licences'), 'METHOD_NOT_ALLOWED'],
        ['malformed JSON', send('POST', '/licences', { headers: { ...json, authorization: `Bearer ${market}` }, body: '{"type":' }), 'MALFORMED_JSON'],
        ['a media type not accepted', send('POST', '/licences', { headers: { 'content-type': 'text/plain', authorization: `Bearer ${market}` }, body: 'x' }), 'UNSUPPORTED_MEDIA_TYPE'],
        ['a request against the contract', send('POST', '/me/consents', { headers: { ...json, authorization: `Bearer ${holder}` }, body: '{"requester":"x"}' }), 'REQUEST_INVALID'],
        ['a holder issuing', send('POST', '/licences', { headers: { ...json, authorization: `Bearer ${holder}` }, body: JSON.stringify(businessLicenceRequest()) }), 'ROLE_REQUIRED'],
        ['another holder\'s licence', send('GET', `/licences/${licenceId}`, { headers: { authorization: `Bearer ${holder}` } }), 'LICENCE_NOT_FOUND'],
        ['a receipt before its checkpoint', send('GET', `/licences/${licenceId}/receipt`, { headers: { authorization: `Bearer ${market}` } }), 'RECEIPT_PENDING'],
        ['a bad identifier at the development sign-in', send('POST', '/dev-idp/token', { headers: json, body: '{"subject":"110105194912310021"}' }), 'HOLDER_ID_INVALID'],
        ['an exchange refusal', send('POST', '/exchange/queries', { headers: { ...json, authorization: `Bearer ${tax}` }, body: JSON.stringify({ holderId: HOLDERS.companyA, serviceItem: '11110105000010030Y-0002', caseNumber: 'TAX-2026-0042', officialId: 'tax-officer-017', basis: { kind: 'consent', consentId: 'cns_00000000-0000-0000-0000-000000000000' }, query: { kind: 'verify', licenceId }, fields: ['address'] }) }), 'NO_CONSENT'],
        ['a log tile outside the API', send('GET', '/tlog/no-such-log/checkpoint'), 'LOG_NOT_FOUND'],
      ];
      for (const [what, answer, code] of cases) expectRfc9457(await answer, code, what);
    });

    const token = (form: URLSearchParams | string, headers: Record<string, string> = {}) => send('POST', '/oauth/token', { body: form, headers });
    const expectOAuth = (res: { status: number; headers: Headers; body: Json }, status: number, error: string, what: string) => {
      expect(res.status, what).to.equal(status);
      expect(res.headers.get('content-type'), what).to.equal('application/problem+json; charset=utf-8');
      // RFC 6749 §5.2 …
      expect(res.body, what).to.include({ error, error_description: res.body.detail });
      // … inside an RFC 9457 problem, so either kind of client reads it.
      expect(res.body, what).to.include({ status });
      expect(res.body.type, what).to.match(/^urn:licence-vault:problem:/);
      // A client authenticates here with its assertion, not a bearer token: no bearer challenge; and not cached.
      expect(res.headers.get('www-authenticate'), what).to.equal(null);
      expect(res.headers.get('cache-control'), what).to.equal('no-store');
      const validate = validators.at('/components/schemas/OAuthTokenProblem');
      expect(validate(res.body), `${what}: ${validators.errorsText(validate)}`).to.equal(true);
    };

    it('keeps RFC 6749 §5.2 members at the token endpoint, whatever refuses the request', async () => {
      const assertion = await vault.clientAssertion(DEPARTMENTS.tax);
      expectOAuth(await token(tokenRequestForm('eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.')), 401, 'invalid_client', 'an unknown client');
      expectOAuth(await token(tokenRequestForm(assertion, 'issuer')), 400, 'invalid_scope', 'a role the department does not hold');
      const password = tokenRequestForm(await vault.clientAssertion(DEPARTMENTS.tax));
      password.set('grant_type', 'password');
      expectOAuth(await token(password), 400, 'unsupported_grant_type', 'another grant type');
      expectOAuth(await token(new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' })), 400, 'invalid_request', 'no client assertion');
      expectOAuth(await token('{"grant_type":"client_credentials"}', { 'content-type': 'application/json' }), 415, 'invalid_request', 'JSON instead of a form');
      // And the endpoint still issues tokens.
      expect((await token(tokenRequestForm(await vault.clientAssertion(DEPARTMENTS.tax)))).status).to.equal(200);
    });
  });
});
