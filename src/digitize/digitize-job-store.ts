/**
 * The tables of digitization jobs (knex, PostgreSQL and PGlite alike): the job, its row ranges
 * (`digitize_tasks`, migration 014) and their error report lines (`digitize_task_errors`). The queue that
 * hands the ranges out is not here: it is pg-boss or the in-process queue (digitize-queue.ts).
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import { isoTime as iso } from '../db/database.ts';
import type { DigitizeProgress } from './digitize-pipeline.ts';
import type { DigitizeCounts, RepeatVerdict } from './digitize-pipeline.ts';
import { addCounts, noCounts } from './digitize-pipeline.ts';
import type { ErrorReportEntry } from './error-report.ts';
import type { ManifestEncoding, ManifestFormat } from './manifest-reader.ts';
import type { DigitizeWork } from './digitize-queue.ts';

export type DigitizeJobState = 'queued' | 'running' | 'done' | 'failed';

export interface DigitizeJobOptions {
  manifestFormat: ManifestFormat;
  encoding: ManifestEncoding;
  dryRun: boolean;
  /** Two-digit years yy ≤ centuryPivot are 20yy, the others 19yy; absent: such dates are refused. */
  centuryPivot?: number;
}

export interface DigitizeJobRecord {
  id: string;
  department: string;
  state: DigitizeJobState;
  options: DigitizeJobOptions;
  /** Rows in the manifest, once the planning pass has read it. */
  rows: number | null;
  summary: Record<string, unknown> | null;
  error: string | null;
  errorReportKey: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DigitizeTask {
  jobId: string;
  firstRow: number;
  lastRow: number;
  slice: number;
  state: 'pending' | 'done';
  repeats: Record<string, RepeatVerdict>;
  counts: DigitizeCounts | null;
  attempts: number;
}

const json = (v: unknown) => JSON.stringify(v);

type PgConnection = { query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }> };

/** The two-int advisory lock key of a range: a constant class for digitization ranges, a hash of the range. */
function rangeLockKey(jobId: string, firstRow: number): [number, number] {
  return [0x64677a72, crypto.createHash('sha256').update(`${jobId}#${firstRow}`).digest().readInt32BE(0)];
}
const parsed = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

const jobFromRow = (r: Record<string, any>): DigitizeJobRecord => {
  const options = parsed<Record<string, any>>(r.options);
  return {
    id: r.id, department: r.department, state: r.state,
    options: { manifestFormat: options.manifestFormat ?? 'csv', encoding: options.encoding ?? 'auto', dryRun: Boolean(options.dryRun), ...(options.centuryPivot !== undefined ? { centuryPivot: options.centuryPivot } : {}) },
    rows: parsed<{ rows?: number } | null>(r.progress)?.rows ?? null,
    summary: parsed(r.summary), error: r.error, errorReportKey: r.error_report_key, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
};

const taskFromRow = (r: Record<string, any>): DigitizeTask => ({
  jobId: r.job_id, firstRow: r.first_row, lastRow: r.last_row, slice: r.slice, state: r.state, repeats: parsed(r.repeats) ?? {}, counts: parsed(r.counts), attempts: r.attempts,
});

export class DigitizeJobStore {
  constructor(private readonly db: Database) {}

  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async insertJob(trx: Knex.Transaction, job: { id: string; department: string; options: DigitizeJobOptions }): Promise<void> {
    const now = new Date().toISOString();
    await trx('digitize_jobs').insert({ id: job.id, department: job.department, state: 'queued', options: json(job.options), created_at: now, updated_at: now });
  }

  async job(id: string, trx: Knex = this.db): Promise<DigitizeJobRecord | null> {
    const row = await trx('digitize_jobs').where({ id }).first();
    return row ? jobFromRow(row) : null;
  }

  /** The job's row, locked until the transaction ends: completions of a job's ranges take turns on it. */
  async lockJob(trx: Knex.Transaction, id: string): Promise<DigitizeJobRecord | null> {
    const row = await trx('digitize_jobs').where({ id }).forUpdate().first();
    return row ? jobFromRow(row) : null;
  }

  async updateJob(id: string, fields: { state?: DigitizeJobState; rows?: number; summary?: Record<string, unknown>; error?: string; errorReportKey?: string }, trx: Knex = this.db): Promise<void> {
    await trx('digitize_jobs').where({ id }).update({
      ...(fields.state ? { state: fields.state } : {}),
      ...(fields.rows !== undefined ? { progress: json({ rows: fields.rows }) } : {}),
      ...(fields.summary ? { summary: json(fields.summary) } : {}),
      ...(fields.error !== undefined ? { error: fields.error.slice(0, 1000) } : {}),
      ...(fields.errorReportKey ? { error_report_key: fields.errorReportKey } : {}),
      updated_at: new Date().toISOString(),
    });
  }

  async insertTasks(trx: Knex.Transaction, tasks: Array<Pick<DigitizeTask, 'jobId' | 'firstRow' | 'lastRow' | 'slice' | 'repeats'>>): Promise<void> {
    const now = new Date().toISOString();
    for (let i = 0; i < tasks.length; i += 500) {
      await trx('digitize_tasks')
        .insert(tasks.slice(i, i + 500).map((t) => ({ job_id: t.jobId, first_row: t.firstRow, last_row: t.lastRow, slice: t.slice, state: 'pending', repeats: json(t.repeats), attempts: 0, updated_at: now })))
        .onConflict(['job_id', 'first_row']).ignore();
    }
  }

  async task(jobId: string, firstRow: number, trx: Knex = this.db): Promise<DigitizeTask | null> {
    const row = await trx('digitize_tasks').where({ job_id: jobId, first_row: firstRow }).first();
    return row ? taskFromRow(row) : null;
  }

  /** Counts one more attempt at a range; its progress starts again from nothing. */
  async beginAttempt(jobId: string, firstRow: number): Promise<void> {
    // The database's clock, not this replica's: every replica compares it with the database's clock.
    await this.db('digitize_tasks').where({ job_id: jobId, first_row: firstRow }).update({ attempts: this.db.raw('attempts + 1'), progress: null, running_since: this.db.fn.now(), updated_at: new Date().toISOString() });
  }

  /**
   * Takes the range's session advisory lock on a connection of its own, held until `release`: PostgreSQL
   * lets go of it when the session ends, so a replica killed mid-range frees it at once. Null when another
   * session holds it (a live replica is running the range).
   */
  async holdRangeLock(jobId: string, firstRow: number): Promise<{ release(): Promise<void> } | null> {
    const [k1, k2] = rangeLockKey(jobId, firstRow);
    const connection = (await this.db.client.acquireConnection()) as PgConnection;
    let held = false;
    try {
      held = (await connection.query('select pg_try_advisory_lock($1, $2) as ok', [k1, k2])).rows[0]?.ok === true;
    } finally {
      if (!held) await this.db.client.releaseConnection(connection);
    }
    if (!held) return null;
    return {
      release: async () => {
        try {
          await connection.query('select pg_advisory_unlock($1, $2)', [k1, k2]);
        } finally {
          await this.db.client.releaseConnection(connection);
        }
      },
    };
  }

  /**
   * Ranges whose attempt began over `graceMs` ago and whose lock nobody holds: their replica died. Each is
   * marked as not running (only by one caller: compare-and-set on running_since) and returned once.
   */
  async orphanedRanges(graceMs: number): Promise<Array<{ jobId: string; firstRow: number }>> {
    const candidates = await this.db('digitize_tasks as t')
      .join('digitize_jobs as j', 'j.id', 't.job_id')
      .where('t.state', 'pending').andWhere('j.state', 'running')
      .whereNotNull('t.running_since').andWhereRaw(`t.running_since < now() - make_interval(secs => ?)`, [graceMs / 1000])
      .select('t.job_id', 't.first_row', this.db.raw('t.running_since::text as since'));
    const orphans: Array<{ jobId: string; firstRow: number }> = [];
    for (const c of candidates) {
      const [k1, k2] = rangeLockKey(c.job_id, c.first_row);
      const connection = (await this.db.client.acquireConnection()) as PgConnection;
      let free = false;
      try {
        free = (await connection.query('select pg_try_advisory_lock($1, $2) as ok', [k1, k2])).rows[0]?.ok === true;
        if (free) await connection.query('select pg_advisory_unlock($1, $2)', [k1, k2]);
      } finally {
        await this.db.client.releaseConnection(connection);
      }
      if (!free) continue;
      // (Compared as the database's own text: a JavaScript Date would drop the microseconds.)
      const cleared = await this.db('digitize_tasks').where({ job_id: c.job_id, first_row: c.first_row, state: 'pending' }).andWhereRaw('running_since = ?::timestamptz', [c.since]).update({ running_since: null });
      if (cleared === 1) orphans.push({ jobId: c.job_id, firstRow: c.first_row });
    }
    return orphans;
  }

  async recordProgress(jobId: string, firstRow: number, progress: DigitizeProgress): Promise<void> {
    await this.db('digitize_tasks').where({ job_id: jobId, first_row: firstRow, state: 'pending' }).update({ progress: json(progress), updated_at: new Date().toISOString() });
  }

  /**
   * A range is done up to `lastRow` (inclusive) with these counts and error lines; its earlier lines (of
   * an attempt that did not finish) are replaced.
   */
  async completeTask(trx: Knex.Transaction, task: DigitizeTask, lastRow: number, counts: DigitizeCounts, errors: ErrorReportEntry[]): Promise<void> {
    await trx('digitize_task_errors').where({ job_id: task.jobId }).whereBetween('row_number', [task.firstRow, lastRow]).delete();
    const seq = new Map<number, number>();
    const rows = errors.map((e) => {
      const n = seq.get(e.rowNumber) ?? 0;
      seq.set(e.rowNumber, n + 1);
      return { job_id: task.jobId, row_number: e.rowNumber, seq: n, source_system: e.sourceSystem ?? null, source_record_id: e.sourceRecordId ?? null, field: e.field, code: e.code, reason: e.reason };
    });
    for (let i = 0; i < rows.length; i += 500) await trx('digitize_task_errors').insert(rows.slice(i, i + 500));
    await trx('digitize_tasks').where({ job_id: task.jobId, first_row: task.firstRow }).update({ state: 'done', last_row: lastRow, counts: json(counts), progress: null, running_since: null, updated_at: new Date().toISOString() });
  }

  async pendingTasks(jobId: string, trx: Knex = this.db): Promise<number> {
    const row = await trx('digitize_tasks').where({ job_id: jobId, state: 'pending' }).count<{ n: string | number }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** What the job's ranges have counted: the finished ones, plus the progress of those running now. */
  async jobCounts(jobId: string): Promise<{ done: DigitizeCounts; running: DigitizeProgress }> {
    const rows = await this.db('digitize_tasks').where({ job_id: jobId }).select('state', 'counts', 'progress');
    let done = noCounts();
    const running: DigitizeProgress = { processed: 0, issued: 0, errors: 0 };
    for (const r of rows) {
      if (r.state === 'done') done = addCounts(done, parsed<DigitizeCounts>(r.counts));
      else if (r.progress) {
        const p = parsed<DigitizeProgress>(r.progress);
        running.processed += p.processed;
        running.issued += p.issued;
        running.errors += p.errors;
      }
    }
    return { done, running };
  }

  /** The job's error lines in row order, a page at a time (keyset pagination: flat memory). */
  async *errorLines(jobId: string, pageSize = 2000): AsyncGenerator<ErrorReportEntry> {
    for (let after: [number, number] = [-1, -1]; ; ) {
      const page = await this.db('digitize_task_errors')
        .where({ job_id: jobId })
        .andWhere((q) => q.where('row_number', '>', after[0]).orWhere((q2) => q2.where('row_number', after[0]).andWhere('seq', '>', after[1])))
        .orderBy([{ column: 'row_number' }, { column: 'seq' }])
        .limit(pageSize);
      for (const r of page) yield { rowNumber: r.row_number, sourceSystem: r.source_system ?? undefined, sourceRecordId: r.source_record_id ?? undefined, field: r.field, code: r.code, reason: r.reason };
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = [last.row_number, last.seq];
    }
  }

  async deleteErrorLines(trx: Knex.Transaction, jobId: string): Promise<void> {
    await trx('digitize_task_errors').where({ job_id: jobId }).delete();
  }

  /** Work an earlier run of the in-process queue left unfinished (the queue itself is memory). */
  async unfinishedWork(): Promise<DigitizeWork[]> {
    const jobs = await this.db('digitize_jobs').whereIn('state', ['queued', 'running']).orderBy('created_at').select('id', 'state');
    const work: DigitizeWork[] = [];
    for (const j of jobs) {
      if (j.state === 'queued') {
        work.push({ kind: 'plan', jobId: j.id });
        continue;
      }
      const pending = await this.db('digitize_tasks').where({ job_id: j.id, state: 'pending' }).orderBy('first_row').select('first_row');
      if (pending.length === 0) work.push({ kind: 'finish', jobId: j.id });
      for (const t of pending) work.push({ kind: 'rows', jobId: j.id, firstRow: t.first_row });
    }
    return work;
  }

  /** Job ids not yet done or failed (tests wait for none). */
  async unfinishedJobs(): Promise<string[]> {
    return (await this.db('digitize_jobs').whereIn('state', ['queued', 'running']).select('id')).map((r) => r.id as string);
  }
}
