/**
 * Digitization as an API batch job: the upload is stored in a job directory, the job is queued in the
 * database and run in the background, one at a time per replica, through the same pipeline as the CLI.
 * A replica that restarts resumes its queued and running jobs: the pipeline is idempotent, so finished
 * rows are reported as already done and nothing is issued twice.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { Database } from '../db/database.ts';
import { isDatabaseUnavailableError, isoTime as iso } from '../db/database.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { LicenceService } from '../licences/licence-service.ts';
import type { Logger } from '../observability/logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { digitize } from './digitize-pipeline.ts';
import type { DigitizeProgress } from './digitize-pipeline.ts';
import type { ManifestEncoding } from './manifest-reader.ts';
import { extractScanArchive } from './scan-archive.ts';

/** Backoff while the database is unavailable during a job: 1 s, doubling, at most 30 s. */
const JOB_RETRY_FIRST_MS = 1000;
const JOB_RETRY_MAX_MS = 30_000;

export interface DigitizeJob {
  id: string;
  department: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  options: { manifestName: string; encoding: ManifestEncoding; dryRun: boolean };
  progress: DigitizeProgress | null;
  summary: Record<string, unknown> | null;
  error: string | null;
  errorReportKey: string | null;
  createdAt: string;
  updatedAt: string;
}

const fromRow = (r: Record<string, any>): DigitizeJob => ({
  id: r.id, department: r.department, state: r.state, options: r.options, progress: r.progress, summary: r.summary, error: r.error,
  errorReportKey: r.error_report_key, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
});

export class DigitizeJobs {
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: { db: Database; licences: LicenceService; catalogue: LicenceTypeCatalogue; missingGlyphs: (t: string) => string[]; objects: ObjectStore; jobsDir: string; logger: Logger },
  ) {}

  /** Where an upload for a new job goes (the route's multipart parser writes the files there). */
  newJobDir(): { id: string; dir: string } {
    const id = `dgj_${crypto.randomUUID()}`;
    const dir = path.join(this.deps.jobsDir, id);
    fs.mkdirSync(dir, { recursive: true });
    return { id, dir };
  }

  async submit(principal: Principal | null, upload: { id: string; dir: string; manifestName: string; encoding?: ManifestEncoding; dryRun?: boolean }): Promise<DigitizeJob> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'issuer')) throw DomainError.forbidden('ROLE_REQUIRED', 'digitization needs a department token with the issuer role');
    const now = new Date().toISOString();
    await this.deps.db('digitize_jobs').insert({
      id: upload.id, department: principal.code, state: 'queued',
      options: JSON.stringify({ manifestName: upload.manifestName, encoding: upload.encoding ?? 'auto', dryRun: Boolean(upload.dryRun) }),
      created_at: now, updated_at: now,
    });
    this.kick();
    return (await this.get(principal, upload.id))!;
  }

  async get(principal: Principal | null, id: string): Promise<DigitizeJob> {
    const row = await this.deps.db('digitize_jobs').where({ id }).first();
    if (!row || !(hasRole(principal, 'issuer') && principal.code === row.department)) throw DomainError.notFound('JOB_NOT_FOUND', `no digitization job ${id} of your department`);
    return fromRow(row);
  }

  async errorReport(principal: Principal | null, id: string): Promise<Uint8Array> {
    const job = await this.get(principal, id);
    if (!job.errorReportKey) throw DomainError.conflict('JOB_NOT_FINISHED', `job ${id} is ${job.state}; its error report comes when it is done`);
    const bytes = await this.deps.objects.get(job.errorReportKey);
    if (!bytes) throw DomainError.notFound('REPORT_MISSING', 'the error report is gone');
    return bytes;
  }

  /** Starts the worker loop (also resumes jobs a previous run of this replica left unfinished). */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Waits until no job is queued or running in this process (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    // Nothing here may take the process down with an unhandled rejection: an unfinished job stays queued
    // or running in the table and resumes at the next start or upload.
    this.running = this.loop()
      .catch((error) => this.deps.logger.error({ err: error }, 'digitization worker stopped; unfinished jobs resume at the next start or upload'))
      .finally(() => (this.running = null));
  }

  private async loop(): Promise<void> {
    for (let outages = 0; ; ) {
      if (this.stopped) return;
      try {
        const next = await this.deps.db('digitize_jobs').whereIn('state', ['running', 'queued']).orderBy('created_at').first();
        if (!next || !fs.existsSync(path.join(this.deps.jobsDir, next.id))) return; // other replicas' jobs have their files elsewhere
        await this.run(fromRow(next));
        outages = 0;
      } catch (error) {
        if (!isDatabaseUnavailableError(error)) throw error;
        // The database is down or restarting: pause and resume the job where it stopped (the pipeline is
        // idempotent, so finished rows are reported as already done), rather than fail a whole batch.
        outages += 1;
        const delayMs = Math.min(JOB_RETRY_MAX_MS, JOB_RETRY_FIRST_MS * 2 ** (outages - 1));
        this.deps.logger.warn({ err: error, retryInMs: delayMs }, 'digitization paused: the database is unavailable');
        await this.pause(delayMs);
      }
    }
  }

  /** Waits `ms`, or less if the service is stopping. */
  private async pause(ms: number): Promise<void> {
    for (const until = Date.now() + ms; Date.now() < until && !this.stopped; ) await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())));
  }

  private async run(job: DigitizeJob): Promise<void> {
    const dir = path.join(this.deps.jobsDir, job.id);
    const update = (fields: Record<string, unknown>) => this.deps.db('digitize_jobs').where({ id: job.id }).update({ ...fields, updated_at: new Date().toISOString() });
    await update({ state: 'running' });
    try {
      const scansDir = path.join(dir, 'scans');
      if (!fs.existsSync(path.join(dir, '.extracted'))) {
        fs.rmSync(scansDir, { recursive: true, force: true });
        await extractScanArchive(path.join(dir, 'scans.zip'), scansDir);
        fs.writeFileSync(path.join(dir, '.extracted'), '');
      }
      let lastWrite = 0;
      const reportPath = path.join(dir, 'errors.csv');
      const summary = await digitize(
        { licences: this.deps.licences, catalogue: this.deps.catalogue, missingGlyphs: this.deps.missingGlyphs },
        {
          manifest: path.join(dir, path.basename(job.options.manifestName)), scansDir, errorReport: reportPath, encoding: job.options.encoding, dryRun: job.options.dryRun, department: job.department,
          onProgress: (progress) => {
            if (Date.now() - lastWrite > 1000) {
              lastWrite = Date.now();
              update({ progress: JSON.stringify(progress) }).catch((error) => this.deps.logger.warn({ err: error, job: job.id }, 'could not record job progress'));
            }
          },
        },
      );
      const key = `digitize-jobs/${job.id.toLowerCase()}/errors.csv`;
      await this.deps.objects.put(key, new Uint8Array(fs.readFileSync(reportPath)), 'text/csv');
      await update({ state: 'done', summary: JSON.stringify(summary), progress: JSON.stringify({ processed: summary.rows, issued: summary.issued, errors: summary.rejectedRows + summary.conflicts }), error_report_key: key });
    } catch (error) {
      if (isDatabaseUnavailableError(error)) throw error; // the loop pauses and resumes the job
      this.deps.logger.error({ err: error, job: job.id }, 'digitization job failed');
      await update({ state: 'failed', error: (error as Error).message.slice(0, 1000) });
    }
  }
}
