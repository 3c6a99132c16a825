import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import express from 'express';
import { createHttpServer } from './http-server.ts';

function demoApp(): express.Express {
  const app = express();
  app.use(express.json());
  app.get('/items/:id', (req, res) => {
    res.status(203).set('X-Seen', req.get('x-client') ?? 'none').json({ id: req.params.id, path: req.path, query: req.query, secure: req.secure });
  });
  app.post('/echo', (req, res) => {
    res.status(201).json({ body: req.body, type: req.is('application/json') });
  });
  app.use((error: { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error.status ?? 500).json({ error: error.type });
  });
  return app;
}

type DemoRequest = { method: string; path: string; body?: string; headers?: Record<string, string> };

async function answers(server: http.Server, requests: DemoRequest[]) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const out = [];
    for (const r of requests) {
      const res = await fetch(`${base}${r.path}`, { method: r.method, body: r.body, headers: r.headers });
      out.push({ status: res.status, type: res.headers.get('content-type'), seen: res.headers.get('x-seen'), body: await res.text() });
    }
    return out;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('the HTTP server', () => {
  it("hands express requests and responses that already have express's prototypes", async () => {
    const app = demoApp();
    const server = createHttpServer(app);
    const arrived: Array<{ request: unknown; response: unknown; isRequest: boolean; isResponse: boolean }> = [];
    // Runs before express: what node built, before express changes anything.
    server.prependListener('request', (req, res) => {
      arrived.push({ request: Object.getPrototypeOf(req), response: Object.getPrototypeOf(res), isRequest: req instanceof http.IncomingMessage, isResponse: res instanceof http.ServerResponse });
    });
    await answers(server, [{ method: 'GET', path: '/items/1' }, { method: 'POST', path: '/echo', body: '{}', headers: { 'content-type': 'application/json' } }]);
    expect(arrived).to.have.length(2);
    for (const a of arrived) {
      expect(a.request).to.equal(app.request);
      expect(a.response).to.equal(app.response);
      expect(a.isRequest && a.isResponse).to.equal(true);
    }
  });

  it('answers as express on a plain node server does', async () => {
    const requests: DemoRequest[] = [
      { method: 'GET', path: '/items/a%20b?x=1&x=2', headers: { 'x-client': 'c1' } },
      { method: 'POST', path: '/echo', body: JSON.stringify({ a: [1, '二'] }), headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: '/echo', body: '{not json', headers: { 'content-type': 'application/json' } },
      { method: 'DELETE', path: '/nowhere' },
    ];
    const ours = await answers(createHttpServer(demoApp()), requests);
    const plain = await answers(http.createServer(demoApp()), requests);
    expect(ours).to.deep.equal(plain);
    expect(ours.map((a) => a.status)).to.deep.equal([203, 201, 400, 404]);
    expect(JSON.parse(ours[0]!.body)).to.deep.include({ id: 'a b', path: '/items/a%20b' });
  });

  it('lets requests share their shape in V8, where a plain server gives each request a map of its own', function () {
    this.timeout(60_000);
    // Requests through the same express app; V8 says whether two of them share a map. The last two of eight
    // are compared: the maps the first requests make may still be generalised by later ones (a field's
    // representation or type widens), and on a loaded machine that took more than one request (comparing the
    // 2nd and 3rd of 3 differed in 4 of 30 runs with both cores busy, the 7th and 8th of 8 in none).
    const script = `
      import http from 'node:http';
      import express from 'express';
      const { createHttpServer } = await import(${JSON.stringify(fileURLToPath(new URL('./http-server.ts', import.meta.url)))});
      for (const kind of ['ours', 'plain']) {
        const app = express();
        const seen = [];
        app.use(express.json());
        app.use((req, res) => { seen.push([req, res]); res.json({ ok: true }); });
        const server = kind === 'ours' ? createHttpServer(app) : http.createServer(app);
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        for (let i = 0; i < 8; i++) await (await fetch('http://127.0.0.1:' + server.address().port + '/x?i=' + i)).text();
        await new Promise((resolve) => server.close(resolve));
        console.log(kind, %HaveSameMap(seen[6][0], seen[7][0]), %HaveSameMap(seen[6][1], seen[7][1]));
      }
    `;
    const run = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.trim().split('\n')).to.deep.equal(['ours true true', 'plain false false']);
  });
});
