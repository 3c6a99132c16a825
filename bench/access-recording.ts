/**
 * The statement that records allowed exchange requests (group commit, ExchangeStore): the set-based
 * record_allowed_accesses of migration 009 against migration 006's loop, installed next to it under another
 * name, on the same batches of 50 requests under 10 consents, alternating. PostgreSQL runs each call in one
 * backend, so the time per call is its CPU. Called by bench/run.ts (exchange section).
 */
import crypto from 'node:crypto';
import { createConsentStore } from '../src/consent/consent-store.ts';
import type { Consent } from '../src/consent/consent-types.ts';
import { CREATE as LOOP_006 } from '../src/db/migrations/006_record_allowed_accesses.ts';
import { createLicenceStore } from '../src/licences/licence-store.ts';
import type { TestDatabase } from '../test/support/databases.ts';
import { insertIssuer, licenceRecord } from '../test/support/licence-records.ts';
import { median } from './statistics.ts';

const HOLDER = '91350100M000100Y43';
const LICENCE_ID = 'BL.111101050000100149.0000000001.01.X';
const BATCH = 50;
const CALLS = Number(process.env.BENCH_RECORDING_CALLS ?? 200);

function consent(): Consent {
  return {
    id: `con_${crypto.randomUUID()}`, holder: { id: HOLDER, kind: 'organisation' }, requester: 'TAX', purpose: { code: 'S', text: 's' },
    licenceTypes: ['business-licence'], licenceIds: null, fields: [], allowDocument: false,
    validFrom: new Date(Date.now() - 60_000).toISOString(), validUntil: new Date(Date.now() + 3600_000).toISOString(),
    maxUses: 1_000_000, uses: 0, storedStatus: 'ACTIVE', revokedAt: null, createdAt: new Date().toISOString(), artefact: 'jws', grantedByAgent: null, withdrawnByAgent: null,
  };
}

/** One batch as ExchangeStore sends it: { consentId, legalBasisId, now, row } per request. */
function batchOf(consentIds: string[]): string {
  const now = new Date().toISOString();
  return JSON.stringify(Array.from({ length: BATCH }, (_, i) => ({
    consentId: consentIds[i % consentIds.length], legalBasisId: null, now,
    row: {
      id: `acc_${crypto.randomUUID()}`, at: now, requester_code: 'TAX', official_id: 'bench', case_number: 'B-1', service_item: 'S', basis_kind: 'consent',
      basis_id: consentIds[i % consentIds.length], holder_id: HOLDER, licence_ids: [LICENCE_ID], fields: ['name'], result: 'ALLOWED', reason_code: 'OK',
      record_sha256: crypto.randomBytes(32).toString('hex'),
    },
  })));
}

export async function accessRecordingBench(t: TestDatabase): Promise<Record<string, unknown>> {
  await insertIssuer(t.db);
  await createLicenceStore(t.db).insert(licenceRecord(LICENCE_ID));
  const consents = Array.from({ length: 10 }, consent);
  for (const c of consents) await createConsentStore(t.db).insert(c);
  await t.db.raw(LOOP_006.replace('CREATE FUNCTION record_allowed_accesses', 'CREATE OR REPLACE FUNCTION record_allowed_accesses_loop'));
  const ids = consents.map((c) => c.id);
  const msPerCall: Record<'setBased' | 'loop', number[]> = { setBased: [], loop: [] };
  for (let call = 0; call < CALLS; call++) {
    for (const [kind, fn] of [['setBased', 'record_allowed_accesses'], ['loop', 'record_allowed_accesses_loop']] as const) {
      const batch = batchOf(ids);
      const started = process.hrtime.bigint();
      const { rows } = await t.db.raw<{ rows: unknown[] }>(`SELECT ord, statuses FROM ${fn}(?::jsonb)`, [batch]);
      msPerCall[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
      if (rows.length !== BATCH) throw new Error(`${fn} recorded ${rows.length} of ${BATCH}`);
    }
  }
  await t.db.raw('DROP FUNCTION record_allowed_accesses_loop(jsonb)');
  const row = (kind: 'setBased' | 'loop', what: string) => ({ what, medianMsPerBatch: +median(msPerCall[kind]).toFixed(2), msPerRequest: +(median(msPerCall[kind]) / BATCH).toFixed(3) });
  const rows = [row('setBased', 'set-based (migration 009)'), row('loop', 'one statement per step (migration 006)')];
  console.log(`record_allowed_accesses, ${CALLS} batches of ${BATCH} requests under 10 consents each way, alternating (round trip included):`);
  console.table(rows);
  return { accessRecording: rows };
}
