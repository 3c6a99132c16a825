import { expect } from 'chai';
import fc from 'fast-check';
import { OpenAPIBackend } from 'openapi-backend';
import { loadOpenApiDocument, precompileRouting } from './openapi-document.ts';

/** What a router answers for a request: the operation's id, or the error it throws (404 / 405). */
function routed(router: { matchOperation(req: { method: string; path: string }, strict?: boolean): unknown }, method: string, path: string): string {
  try {
    const operation = router.matchOperation({ method, path }, true) as { operationId?: string };
    return operation.operationId ?? '(no id)';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('precompiled routing', () => {
  let original: OpenAPIBackend;
  let precompiled: OpenAPIBackend;
  let templates: string[];

  before(async () => {
    original = new OpenAPIBackend({ definition: loadOpenApiDocument() as never, quick: true });
    precompiled = new OpenAPIBackend({ definition: loadOpenApiDocument() as never, quick: true });
    await Promise.all([original.init(), precompiled.init()]);
    precompileRouting(precompiled.router as never);
    templates = [...new Set(original.getOperations().map((operation) => operation.path))];
  });

  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get'];

  it("routes every path of openapi.yaml, under every method, to what openapi-backend's own router chooses", () => {
    let compared = 0;
    for (const template of templates) {
      for (const value of ['x', 'abc-123', '%E4%B8%AD', 'documents', 'history', 'status-changes']) {
        const path = template.replace(/\{[^}]+\}/g, value);
        for (const candidate of [path, `${path}/`, `${path}?a=1`, `${path}/extra`]) {
          for (const method of methods) {
            expect(routed(precompiled.router, method, candidate), `${method} ${candidate}`).to.equal(routed(original.router, method, candidate));
            compared++;
          }
        }
      }
    }
    // A router that always answered 404 would agree on none of the routed paths above.
    expect(templates.map((t) => routed(precompiled.router, 'GET', t.replace(/\{[^}]+\}/g, 'x'))).filter((r) => !r.startsWith('40'))).to.have.length.greaterThan(20);
    expect(compared).to.be.greaterThan(1000);
  });

  it('agrees with it on arbitrary paths built from the API\'s own segments', () => {
    const segments = [...new Set(templates.flatMap((t) => t.split('/')).filter(Boolean)), 'x', '', '..', '.', 'a.b'];
    fc.assert(
      fc.property(fc.constantFrom(...methods), fc.array(fc.constantFrom(...segments), { maxLength: 5 }), fc.boolean(), (method, parts, trailing) => {
        const path = `/${parts.join('/')}${trailing ? '/' : ''}`;
        expect(routed(precompiled.router, method, path), `${method} ${path}`).to.equal(routed(original.router, method, path));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with it where templates overlap (exact path first, then the longest literal part, then 405)', async () => {
    const op = (operationId: string) => ({ operationId, responses: { 200: { description: 'ok' } } });
    const definition = {
      openapi: '3.0.3', info: { title: 'overlap', version: '1' },
      // The most general template comes first: the router must still prefer the more specific ones.
      paths: {
        '/{y}/{z}': { get: op('getYZ'), patch: op('patchYZ') },
        '/a/{x}': { get: op('getAX'), delete: op('deleteAX') },
        '/a/b': { post: op('postAB') },
        '/{y}/b': { get: op('getYB'), put: op('putYB') },
        '/a/{x}/c.json': { get: op('getAXC') },
        '/a/b/c.json': { put: op('putABC') },
      },
    };
    const plain = new OpenAPIBackend({ definition: definition as never, quick: true });
    const compiled = new OpenAPIBackend({ definition: structuredClone(definition) as never, quick: true });
    await Promise.all([plain.init(), compiled.init()]);
    precompileRouting(compiled.router as never);
    const answers = new Set<string>();
    const declared = Object.keys(definition.paths).map((template) => template.replace(/\{[^}]+\}/g, 'b'));
    const anyPath = fc.array(fc.constantFrom('a', 'b', 'c.json', 'cxjson', 'x'), { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
    fc.assert(
      fc.property(fc.constantFrom(...methods), fc.oneof(fc.constantFrom(...declared), anyPath), (method, path) => {
        const answer = routed(compiled.router, method, path);
        answers.add(answer.split(':')[0]!);
        expect(answer, `${method} ${path}`).to.equal(routed(plain.router, method, path));
      }),
      { numRuns: 3000 },
    );
    expect([...answers]).to.include.members(['getAX', 'postAB', 'getYB', 'getYZ', 'patchYZ', 'getAXC', 'putABC', '404-notFound', '405-methodNotAllowed']);
  });

  it('agrees with it under an API root other than /', async () => {
    const op = (operationId: string) => ({ operationId, responses: { 200: { description: 'ok' } } });
    const definition = { openapi: '3.0.3', info: { title: 'root', version: '1' }, paths: { '/': { get: op('getRoot') }, '/a/{x}': { get: op('getAX') } } };
    const plain = new OpenAPIBackend({ definition: definition as never, quick: true, apiRoot: '/v1' });
    const compiled = new OpenAPIBackend({ definition: structuredClone(definition) as never, quick: true, apiRoot: '/v1' });
    await Promise.all([plain.init(), compiled.init()]);
    precompileRouting(compiled.router as never);
    for (const path of ['/v1', '/v1/', '/v1/a/b', '/a/b', '/v1x/a/b', '/v1/a', '/', '/v1/v1/a/b']) {
      for (const method of ['GET', 'POST']) expect(routed(compiled.router, method, path), `${method} ${path}`).to.equal(routed(plain.router, method, path));
    }
    expect(routed(compiled.router, 'GET', '/a/b')).to.match(/^404/);
    expect(routed(compiled.router, 'GET', '/v1/a/b')).to.equal('getAX');
  });

  it("parses requests as openapi-backend's own parser does, taking the plain path where nothing needs parsing", async () => {
    const plain = new OpenAPIBackend({ definition: loadOpenApiDocument() as never, quick: true });
    const compiled = new OpenAPIBackend({ definition: loadOpenApiDocument() as never, quick: true });
    await Promise.all([plain.init(), compiled.init()]);
    let delegated = 0;
    const ownParser = compiled.router.parseRequest.bind(compiled.router);
    compiled.router.parseRequest = ((req: never, operation: never) => {
      delegated++;
      return ownParser(req, operation);
    }) as never;
    precompileRouting(compiled.router as never);
    delegated = 0;
    const operations = plain.getOperations() as unknown as Array<{ path: string }>;
    const request = fc.record({
      method: fc.constantFrom('GET', 'post', ' Put '),
      operation: fc.option(fc.nat(operations.length - 1), { nil: undefined }),
      path: fc.constantFrom('/healthz', '/exchange/queries', '/licences/abc', 'licences/abc/status', '/me/consents?limit=2', '/x/'),
      // Weighted towards plain requests (no cookie, no query, no body to parse), so both paths are well covered.
      headers: fc.oneof(
        { weight: 3, arbitrary: fc.dictionary(fc.constantFrom('authorization', 'Content-Type', 'X-Request-Id', 'accept'), fc.string({ maxLength: 12 })) },
        { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('authorization', 'cookie', 'Cookie', 'accept'), fc.string({ maxLength: 12 })) },
      ),
      query: fc.oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('limit', 'status', 'from'), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 2 }))) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      body: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.oneof(fc.constant(''), fc.jsonValue(), fc.constant('{"a":1}'), fc.constant('not json')) },
      ),
      // The operation's own path, its parameters filled in (so it has path parameters to find).
      ownPath: fc.boolean(),
    });
    let compared = 0;
    fc.assert(
      fc.property(request, ({ method, operation, path, headers, query, body, ownPath }) => {
        const op = operation === undefined ? undefined : operations[operation];
        const req = { method, path: ownPath && op ? op.path.replace(/\{[^}]+\}/g, 'v%201') : path, headers, query, body };
        const expected = plain.router.parseRequest(structuredClone(req) as never, op as never) as unknown as Record<string, unknown>;
        const actual = compiled.router.parseRequest(structuredClone(req) as never, op as never) as unknown as Record<string, unknown>;
        expect(actual, JSON.stringify(req)).to.deep.equal(expected);
        // The same member order and the same kind of cookie jar (the parsed form is spread into handler contexts).
        expect(JSON.stringify(actual)).to.equal(JSON.stringify(expected));
        expect(Object.getPrototypeOf(actual.cookies)).to.equal(Object.getPrototypeOf(expected.cookies));
        compared++;
      }),
      { numRuns: 3000 },
    );
    // Both paths were compared: some requests went to openapi-backend's parser, and many did not.
    expect(delegated).to.be.greaterThan(100);
    expect(compared - delegated).to.be.greaterThan(100);
  });
});
