/** openapi.yaml is a valid OpenAPI 3.1 document, and every operation declares its errors as problem+json. */
import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { loadOpenApiDocument } from '../../src/http/openapi-document.ts';

describe('openapi.yaml', () => {
  it('validates against the official OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(loadOpenApiDocument() as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(validator.version).to.equal('3.1');
  });

  it('gives every operation an operationId and declares every 4xx/5xx as application/problem+json', () => {
    const doc = loadOpenApiDocument() as { paths: Record<string, Record<string, any>>; components: { responses: Record<string, any> } };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        expect(op.operationId, `${method} ${path}`).to.be.a('string');
        for (const [status, response] of Object.entries<any>(op.responses)) {
          if (Number(status) < 400 || path === '/readyz') continue;
          const resolved = response.$ref ? doc.components.responses[response.$ref.split('/').pop()] : response;
          expect(Object.keys(resolved.content), `${method} ${path} ${status}`).to.deep.equal(['application/problem+json']);
        }
      }
    }
  });
});
