import http from 'node:http';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import express from 'express';
import { listenLocally } from '../../test/support/local-server.ts';
import type { LocalServer } from '../../test/support/local-server.ts';
import { redactDocumentLinks } from '../exchange/document-links.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { redactQueryParameters, requestTelemetry } from './request-telemetry.ts';

describe('request telemetry', () => {
  const lines: Array<Record<string, any>> = [];
  const metrics = createMetrics();
  let server: LocalServer;
  let base: string;

  before(async () => {
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
    const app = express();
    app.use(requestTelemetry({ logger: createLogger('info', sink), metrics, operationOf: (res) => (res as express.Response).locals.operationId, redactUrl: redactDocumentLinks }));
    app.get('/ok', (_req, res) => { res.locals.operationId = 'getOk'; res.json({ ok: true }); });
    app.get('/exchange/documents/:token', (_req, res) => { res.locals.operationId = 'getExchangeDocument'; res.status(404).end(); });
    app.get('/fail', (_req, res) => { res.status(503).end(); });
    app.get('/slow', () => { /* never answers: the client gives up */ });
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(400).end());
    server = await listenLocally(app);
    base = server.base;
  });
  after(() => {
    server.close();
  });

  const waitForLines = async (n: number) => {
    for (let i = 0; i < 100 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lines).to.have.length(n);
  };

  it('logs one line per request with its id, operation, status and time, and echoes the id', async () => {
    lines.length = 0;
    const res = await fetch(`${base}/ok?x=1`, { headers: { 'x-request-id': 'client-id.1', authorization: 'Bearer secret-token', 'user-agent': 'probe' } });
    expect(res.headers.get('x-request-id')).to.equal('client-id.1');
    await waitForLines(1);
    expect(lines[0]).to.deep.include({ level: 30, msg: 'request completed', operation: 'getOk', res: { statusCode: 200 } });
    expect(lines[0]!.req).to.deep.include({ id: 'client-id.1', method: 'GET', url: '/ok?x=1', userAgent: 'probe' });
    expect(lines[0]!.responseTime).to.be.a('number');
    expect(JSON.stringify(lines[0])).to.not.include('secret-token');
  });

  it('replaces a request id it cannot trust with a new one', async () => {
    lines.length = 0;
    const res = await fetch(`${base}/ok`, { headers: { 'x-request-id': 'not ok; <script>' } });
    const id = res.headers.get('x-request-id')!;
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    await waitForLines(1);
    expect(lines[0]!.req.id).to.equal(id);
  });

  it('keeps the signature of a document link out of the log line, however the path is encoded', async () => {
    lines.length = 0;
    const paths = [
      '/exchange/documents/eyJsIjoiMSJ9.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw',
      '/exchange/documents/eyJsIjoiMSJ9%2Ec2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw',
      '/exchange/documents/%65yJsIjoiMSJ9%2ec2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw/',
      '/exchange/documents/c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw%',
    ];
    for (const p of paths) await fetch(`${base}${p}`);
    // The absolute form of the request target, which express routes by its path all the same.
    await new Promise<void>((resolve, reject) => {
      const { port } = new URL(base);
      http.request({ host: '127.0.0.1', port, path: `http://vault.example/exchange/documents/eyJsIjoiMSJ9.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw` }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
    });
    await waitForLines(paths.length + 1);
    expect(lines.map((l) => l.req.url)).to.deep.equal([
      '/exchange/documents/eyJsIjoiMSJ9.[redacted]',
      '/exchange/documents/eyJsIjoiMSJ9.[redacted]',
      '/exchange/documents/eyJsIjoiMSJ9.[redacted]',
      '/exchange/documents/[redacted]',
      '/exchange/documents/eyJsIjoiMSJ9.[redacted]',
    ]);
    expect(JSON.stringify(lines)).to.not.include('c2lnbmF0dXJl');
  });

  it('replaces the values of named query parameters, compared decoded', () => {
    expect(redactQueryParameters('/licences?holderId=11010519491231002X&limit=5', ['holderId'])).to.equal('/licences?holderId=[redacted]&limit=5');
    expect(redactQueryParameters('/licences?holder%49d=11010519491231002X', ['holderId'])).to.not.include('11010519491231002X');
    expect(redactQueryParameters('/licences?limit=5', ['holderId'])).to.equal('/licences?limit=5');
    expect(redactQueryParameters('/licences', ['holderId'])).to.equal('/licences');
  });

  it('logs a server error at error level and a request the client abandoned as aborted, in the log and the metrics', async () => {
    lines.length = 0;
    await fetch(`${base}/fail`);
    await waitForLines(1);
    expect(lines[0]).to.deep.include({ level: 50, msg: 'request errored', res: { statusCode: 503 } });
    await new Promise<void>((resolve) => {
      const req = http.get(`${base}/slow`);
      req.on('error', () => resolve());
      setTimeout(() => req.destroy(), 50);
    });
    await waitForLines(2);
    expect(lines[1]).to.deep.include({ level: 40, msg: 'request aborted', res: { statusCode: null } });
    const observed = (await metrics.httpDuration.get()).values.filter((v) => v.metricName === 'http_request_duration_seconds_count');
    expect(observed.map((v) => v.labels.status)).to.include.members(['200', '404', '503', 'aborted']);
  });
});
