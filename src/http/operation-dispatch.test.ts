import { expect } from 'chai';
import type { Request } from 'express';
import { OpenAPIBackend } from 'openapi-backend';
import { createDispatcher } from './operation-dispatch.ts';

const ok = { 200: { description: 'ok' } };

async function apiWith(paths: Record<string, unknown>, securitySchemes: Record<string, unknown> = { bearer: { type: 'http', scheme: 'bearer' } }) {
  const api = new OpenAPIBackend({ definition: { openapi: '3.0.3', info: { title: 't', version: '1' }, security: [{ bearer: [] }], components: { securitySchemes }, paths } as never, quick: true });
  await api.init();
  return api;
}

const request = (method: string, path: string, headers: Record<string, string> = {}) => ({ method, path, query: {}, body: undefined, headers, headersDistinct: {} }) as unknown as Request;

describe('operation dispatch', () => {
  it('refuses to start when an operation needs a security scheme it cannot check', async () => {
    const api = await apiWith({ '/a': { get: { operationId: 'getA', security: [{ apiKey: [] }], responses: ok } } }, { apiKey: { type: 'apiKey', in: 'header', name: 'x-key' } });
    expect(() => createDispatcher(api, { handlers: { getA: async () => ({ status: 200 }) }, authenticate: async () => false })).to.throw(/getA needs security scheme\(s\) apiKey/);
  });

  it('authenticates only secured operations, and treats an optional requirement ({}) as met by anyone', async () => {
    const api = await apiWith({
      '/secured': { get: { operationId: 'secured', responses: ok } },
      '/public': { get: { operationId: 'public', security: [], responses: ok } },
      '/optional': { get: { operationId: 'optional', security: [{}, { bearer: [] }], responses: ok } },
    });
    const asked: string[] = [];
    const dispatch = createDispatcher(api, {
      handlers: Object.fromEntries(['secured', 'public', 'optional'].map((id) => [id, async (ctx) => ({ status: 200, json: { id, principal: ctx.principal } })])),
      authenticate: async (operation) => {
        asked.push(operation.operationId!);
        return false;
      },
    });
    expect((await dispatch(request('GET', '/secured'))).status).to.equal(401);
    expect((await dispatch(request('GET', '/public'))).json).to.deep.equal({ id: 'public', principal: null });
    expect((await dispatch(request('GET', '/optional'))).status).to.equal(200);
    expect(asked).to.deep.equal(['secured']);
    expect((await dispatch(request('GET', '/nowhere'))).status).to.equal(404);
    expect((await dispatch(request('POST', '/public'))).status).to.equal(405);
  });
});
