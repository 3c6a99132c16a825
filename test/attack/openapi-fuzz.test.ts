/**
 * The attack suite: ≥ 10 000 requests generated from openapi.yaml (fast-check arbitraries from each
 * operation's schemas, then mutated: wrong types, huge strings, deep JSON, path traversal in ids, SQL
 * metacharacters, invalid UTF-8), sent with every kind of credential. Asserted: no 5xx, no stack trace or
 * internal path in any response, security headers on every response, nothing written outside the rules,
 * and no secret in the logs.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import fc from 'fast-check';
import { OpenAPIBackend } from 'openapi-backend';
import { loadOpenApiDocument } from '../../src/http/openapi-document.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { businessLicenceRequest, DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

type Schema = Record<string, any>;
const REQUESTS = Number(process.env.ATTACK_REQUESTS ?? 10_000);

const NASTY_STRINGS = [
  '../../../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', "' OR '1'='1", '1; DROP TABLE licences; --', '"; SELECT pg_sleep(5); --',
  '${jndi:ldap://x}', '<script>alert(1)</script>', '\u0000', '%00', '\uFFFF', '𠮷'.repeat(300), 'A'.repeat(70_000), '{{7*7}}', '\\', '%', '/',
];

const nasty = fc.constantFrom(...NASTY_STRINGS);

/** An arbitrary for (a practical subset of) JSON Schema 2020-12 as used in openapi.yaml. */
function arbitraryFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 5) return fc.anything({ maxDepth: 2 });
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map((s: Schema) => arbitraryFor(s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'date') return fc.date({ min: new Date('1990-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
      if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.pattern) return fc.oneof(fc.stringMatching(new RegExp(schema.pattern)), nasty);
      return fc.oneof(fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 40) }), nasty);
    case 'integer':
      return fc.oneof(fc.integer({ min: schema.minimum ?? -5, max: schema.maximum ?? 1000 }), fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 31)));
    case 'number':
      return fc.double({ noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(arbitraryFor(schema.items, depth + 1), { maxLength: 4 });
    case 'object':
    default: {
      const props = Object.entries<Schema>(schema.properties ?? {});
      if (props.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), nasty), { maxKeys: 3 });
      const required = new Set<string>(schema.required ?? []);
      return fc.record(Object.fromEntries(props.map(([k, s]) => [k, arbitraryFor(s, depth + 1)])), { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) });
    }
  }
}

/** Mutations that a well-behaved client never sends. */
const mutate = (value: unknown): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constant(value) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
    { weight: 1, arbitrary: nasty },
    {
      weight: 2,
      arbitrary: fc.constant(value).chain((v) =>
        v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length
          ? fc.constantFrom(...Object.keys(v)).chain((k) => fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), nasty, fc.constant([1, 2])).map((bad) => ({ ...(v as object), [k]: bad })))
          : fc.constant(v),
      ),
    },
  );

/** Deeply nested JSON, as text (building it as an object would overflow the test's own stack). */
const deepJson = (levels: number) => Buffer.from(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);

interface Target {
  method: string;
  path: string;
  operationId: string;
  pathParams: Array<{ name: string; schema: Schema }>;
  queryParams: Array<{ name: string; schema: Schema }>;
  bodySchema: Schema | undefined;
  bodyType: string | undefined;
}

describe('attack suite: requests generated from openapi.yaml', function () {
  this.timeout(300_000);
  let vault: TestVault;
  const logLines: string[] = [];
  const tokens: Record<string, string | undefined> = {};
  let targets: Target[] = [];
  const secrets: string[] = [];

  before(async () => {
    const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(chunk.toString()); cb(); } });
    vault = await TestVault.start({ env: { LOG_LEVEL: 'info', EXCHANGE_RATE_PER_HOLDER_PER_MINUTE: '100000', EXCHANGE_RATE_PER_DEPARTMENT_PER_MINUTE: '100000', VERIFY_RATE_LIMIT_PER_MINUTE: '100000' }, overrides: { logger: createLogger('info', sink) } });
    tokens.issuer = await vault.departmentToken(DEPARTMENTS.market);
    tokens.requester = await vault.departmentToken(DEPARTMENTS.tax);
    tokens.auditor = await vault.departmentToken(DEPARTMENTS.audit);
    tokens.admin = await vault.departmentToken(DEPARTMENTS.admin);
    tokens.holder = await vault.holderToken(HOLDERS.companyA);
    tokens.none = undefined;
    tokens.garbage = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
    secrets.push(...Object.values(tokens).filter((t): t is string => Boolean(t) && t!.length > 40));
    secrets.push(await vault.clientAssertion(DEPARTMENTS.market));
    const issued = await vault.request('POST', '/licences', { token: tokens.issuer, json: businessLicenceRequest() });
    expect(issued.status).to.equal(201);
    secrets.push(await documentLinkSignature(vault, tokens));
    const api = new OpenAPIBackend({ definition: loadOpenApiDocument() as never, quick: true });
    await api.init();
    targets = (api.getOperations() as Array<Record<string, any>>).map((op) => {
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; schema: Schema }>;
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content ?? {};
      const bodyType = Object.keys(content)[0];
      return {
        method: op.method.toUpperCase(), path: op.path, operationId: op.operationId!,
        pathParams: params.filter((p) => p.in === 'path'), queryParams: params.filter((p) => p.in === 'query'),
        bodySchema: bodyType ? content[bodyType]!.schema : undefined, bodyType,
      };
    });
  });
  after(async () => vault?.stop());

  it(`answers ${REQUESTS} generated and mutated requests without a 5xx, a stack trace or a missing security header`, async () => {
    const rowsBefore = Number((await vault.vault.db('licences').count({ n: '*' }))[0]!.n);
    let sent = 0;
    let issuedByFuzz = 0;
    const statuses = new Map<number, number>();
    const perTarget = Math.ceil(REQUESTS / targets.length);
    for (const target of targets) {
      const samples = fc.sample(
        fc.record({
          role: fc.constantFrom(...Object.keys(tokens)),
          params: fc.record(Object.fromEntries(target.pathParams.map((p) => [p.name, fc.oneof(arbitraryFor(p.schema), nasty)]))),
          query: fc.record(Object.fromEntries(target.queryParams.map((p) => [p.name, fc.oneof(arbitraryFor(p.schema), nasty)])), { requiredKeys: [] }),
          body: target.bodySchema ? arbitraryFor(target.bodySchema).chain(mutate) : fc.constant(undefined),
          rawBody: fc.oneof(
            { weight: 18, arbitrary: fc.constant(null) },
            // invalid UTF-8 inside a JSON string
            { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff, ...b]), Buffer.from('"}')])) },
            // deep JSON
            { weight: 1, arbitrary: fc.constantFrom(1_000, 20_000).map(deepJson) },
          ),
        }),
        { numRuns: perTarget, seed: 20261122 },
      );
      await Promise.all(
        Array.from({ length: 8 }, async (_, lane) => {
          for (let i = lane; i < samples.length; i += 8) {
            const s = samples[i]!;
            const path = target.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String((s.params as Record<string, unknown>)[name] ?? 'x')));
            const query = new URLSearchParams(Object.entries(s.query as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
            const headers: Record<string, string> = {};
            const token = tokens[s.role];
            if (token) headers.authorization = `Bearer ${token}`;
            let body: string | Buffer | undefined;
            if (target.method !== 'GET' && (target.bodyType === 'application/json' || s.rawBody)) {
              headers['content-type'] = 'application/json';
              body = s.rawBody ?? (s.body === undefined ? undefined : JSON.stringify(s.body));
            } else if (target.bodyType === 'application/x-www-form-urlencoded' && s.body && typeof s.body === 'object') {
              headers['content-type'] = 'application/x-www-form-urlencoded';
              body = new URLSearchParams(Object.entries(s.body as Record<string, unknown>).map(([k, v]) => [k, String(v)])).toString();
            }
            const res = await fetch(`${vault.baseUrl}${path}${query ? `?${query}` : ''}`, { method: target.method, headers, body: body as BodyInit | undefined, redirect: "manual" });
            const text = await res.text();
            sent += 1;
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const where = `${target.method} ${path.slice(0, 150)} (${s.role}) → ${res.status}: ${text.slice(0, 300)}`;
            expect(res.status, where).to.be.below(500);
            expect(text, where).to.not.match(/\bat (?:async )?\S+ \(|node_modules|\/work\/|\.ts:\d+/);
            // 431: Node's own HTTP parser refuses an oversized request line before the app sees it.
            if (res.status !== 431) {
              expect(res.headers.get('x-content-type-options'), where).to.equal('nosniff');
              expect(res.headers.get('content-security-policy'), where).to.be.a('string');
              if (res.status >= 400) expect(res.headers.get('content-type') ?? '', where).to.match(/problem\+json/);
            }
            if (target.operationId === 'issueLicence' && res.status === 201) issuedByFuzz += 1;
          }
        }),
      );
    }
    expect(sent).to.be.at.least(REQUESTS);
    // Nothing written outside the rules: licences appear only through a valid issuer request.
    const rowsAfter = Number((await vault.vault.db('licences').count({ n: '*' }))[0]!.n);
    expect(rowsAfter - rowsBefore).to.be.at.most(issuedByFuzz + 0);
    console.log(`      attack suite: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  });

  it('never writes a secret to the logs', () => {
    const logs = logLines.join('');
    expect(logs.length).to.be.greaterThan(1000); // the requests were logged
    for (const secret of secrets) expect(logs.includes(secret), 'a token or assertion appears in the logs').to.equal(false);
    expect(logs).to.not.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    // Request lines carry no headers at all, so no bearer token or cookie can be in them.
    expect(logs).to.not.match(/"authorization"|"cookie"|Bearer /i);
  });

  it('logs each answered request once, with its request id, operation and status', () => {
    const completions = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request completed' || entry.msg === 'request errored');
    expect(completions.length).to.be.greaterThan(100);
    const ids = completions.map((entry) => entry.req.id);
    expect(new Set(ids).size).to.equal(ids.length);
    const routed = completions.filter((entry) => entry.operation !== undefined);
    expect(routed.length).to.be.greaterThan(completions.length / 2);
    for (const entry of routed) {
      expect(entry.operation).to.match(/^[a-zA-Z]+$/);
      expect(entry.res.statusCode).to.be.a('number');
    }
  });
});

/**
 * A consented download link is a bearer capability until it expires: fetch one, so its request is logged,
 * and return its signature, which must not reach the log.
 */
async function documentLinkSignature(vault: TestVault, tokens: Record<string, string | undefined>): Promise<string> {
  const food = await vault.request('POST', '/licences', {
    token: tokens.issuer,
    json: { type: 'food-business-licence', holder: { id: HOLDERS.companyA, name: '北京餐饮管理有限公司' }, fields: { legalRepresentative: '张三', premises: '北京市朝阳区建国路1号', mainBusinessFormat: '餐饮服务经营者', businessItems: '热食类食品制售' } },
  });
  const consent = await vault.request('POST', '/me/consents', {
    token: tokens.holder,
    json: { requester: DEPARTMENTS.tax, purpose: { code: 'FOOD-PERMIT-CHANGE', text: 'attack suite' }, licenceTypes: ['food-business-licence'], fields: ['premises'], validUntil: new Date(Date.now() + 3600_000).toISOString(), maxUses: 5, allowDocument: true },
  });
  const answer = await vault.request('POST', '/exchange/queries', {
    token: tokens.requester,
    json: { holderId: HOLDERS.companyA, serviceItem: 'FOOD-PERMIT-CHANGE', caseNumber: 'A-1', officialId: 'attack', basis: { kind: 'consent', consentId: consent.body.id }, query: { kind: 'verify', licenceId: food.body.id }, fields: ['premises'], includeDocument: true },
  });
  const link = new URL(answer.body.results[0].documentUrl as string);
  expect((await vault.request('GET', link.pathname)).status).to.equal(200);
  const signature = link.pathname.split('.').pop()!;
  expect(signature.length).to.be.greaterThan(40);
  return signature;
}

