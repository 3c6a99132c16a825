/** The ceiling for the exchange bench: a bare express + pg round trip (one query per request). */
import express from 'express';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.get('/ping', async (_req, res) => {
  const { rows } = await pool.query('select 1 as ok');
  res.json(rows[0]);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
