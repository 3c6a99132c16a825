/**
 * The ceiling for the exchange bench: a bare express + pg round trip (one query per request). With
 * BARE_SERVER=vault it runs on the service's own HTTP server (src/http/http-server.ts: requests born as
 * express's objects) instead of express's app.listen, to show what that server gives plain express.
 */
import http from 'node:http';
import express from 'express';
import pg from 'pg';
import { createHttpServer } from '../src/http/http-server.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.get('/ping', async (_req, res) => {
  const { rows } = await pool.query('select 1 as ok');
  res.json(rows[0]);
});
// http.createServer(app) is what express's app.listen makes.
const server = (process.env.BARE_SERVER === 'vault' ? createHttpServer(app) : http.createServer(app))
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
