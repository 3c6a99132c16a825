/**
 * Digitization as an API batch job, shared by every replica.
 *
 * The upload (manifest and zip of scans) is stored in the object store under the job's prefix, streamed
 * (chunked-objects.ts). The job then goes through the work queue (pg-boss on PostgreSQL, in-process on
 * PGlite) in three kinds of work, any of which any replica may take:
 *   plan    one pass over the manifest: split it into row ranges (slices of JSON lines in the object
 *           store), and decide which rows repeat an earlier row's source record (no range sees the
 *           others' rows); the ranges go into `digitize_tasks` and onto the queue in one transaction;
 *   rows    one range through the pipeline (the same one the CLI runs), its error lines and counts
 *           recorded with the range in one transaction. A range that is still running at half its lease
 *           stops reading, records what it finished and queues the rest as a new range. On the shared
 *           queue the replica running a range holds its session advisory lock; PostgreSQL drops it with a
 *           killed replica's session, and every replica's sweep (every 2 s) queues such a range again at
 *           once, without waiting for the lease (the backstop, for a replica whose session outlives it);
 *   finish  when the last range is done: the counts merged into the summary, the error lines merged in row
 *           order into one report (UTF-8 with BOM) in the object store, served by GET /digitize/jobs/{id}/errors.
 * Exactly once per (source system, source record id) holds however often a range runs, and on however many
 * replicas at once: the licence service issues a row inside the licence's own transaction under the
 * idempotency key of its source record, so a range re-run after its replica died reports the rows that
 * replica had finished as already done.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Writable } from 'node:stream';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { Database } from '../db/database.ts';
import { engineOf } from '../db/database.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { LicenceService } from '../licences/licence-service.ts';
import type { Logger } from '../observability/logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { createChunkedObjectWriter, deleteChunked, openChunked, putChunked } from './chunked-objects.ts';
import { digitizeRows, RepeatTracker } from './digitize-pipeline.ts';
import type { DigitizeCounts, DigitizeProgress, RepeatVerdict } from './digitize-pipeline.ts';
import { DigitizeJobStore } from './digitize-job-store.ts';
import type { DigitizeJobOptions, DigitizeJobRecord, DigitizeTask } from './digitize-job-store.ts';
import { InProcessWorkQueue } from './digitize-queue.ts';
import type { DigitizeWork, DigitizeWorkQueue } from './digitize-queue.ts';
import { createErrorReport } from './error-report.ts';
import type { ErrorReportEntry } from './error-report.ts';
import { isCenturyPivot } from './historic-dates.ts';
import { isParseError, ManifestError, readManifest } from './manifest-reader.ts';
import type { ManifestEncoding, ManifestItem } from './manifest-reader.ts';
import { PgBossWorkQueue } from './pg-boss-queue.ts';
import { normaliseRow } from './row-normaliser.ts';
import { openScanArchive, ScanArchiveError, scansInArchive } from './scan-archive.ts';
import type { ScanArchive } from './scan-archive.ts';

/** Rows per range: about 10 s of work for one replica, so a kill costs little and the ranges spread out. */
export const DEFAULT_ROWS_PER_TASK = 250;
/** How often each replica looks for ranges whose replica died, and how old an attempt must be to be looked at. */
const SWEEP_INTERVAL_MS = 2000;
const ORPHAN_GRACE_MS = 2000;

/** The job as the API shows it. */
export interface DigitizeJob {
  id: string;
  department: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  options: DigitizeJobOptions;
  progress: (DigitizeProgress & { rows: number | null }) | null;
  summary: Record<string, unknown> | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UploadedJob {
  id: string;
  manifestName: string;
  encoding?: ManifestEncoding;
  dryRun?: boolean;
  centuryPivot?: number;
}

export interface DigitizeJobsDeps {
  db: Database;
  licences: LicenceService;
  catalogue: LicenceTypeCatalogue;
  missingGlyphs: (t: string) => string[];
  objects: ObjectStore;
  logger: Logger;
  /** Default: pg-boss on PostgreSQL, the in-process queue on PGlite. */
  queue?: DigitizeWorkQueue;
  rowsPerTask?: number;
  /** Seconds a claim on work lasts (default 30); a row range wraps up at half of it. */
  leaseSeconds?: number;
  /** Rows in flight at once within a range (default 8). */
  concurrency?: number;
}

const prefixOf = (id: string) => `digitize-jobs/${id.toLowerCase()}`;
const keys = {
  manifest: (id: string) => `${prefixOf(id)}/manifest`,
  scans: (id: string) => `${prefixOf(id)}/scans`,
  slice: (id: string, n: number) => `${prefixOf(id)}/slices/${String(n).padStart(6, '0')}.jsonl`,
  report: (id: string) => `${prefixOf(id)}/errors.csv`,
};

/** The report's URL in the API: what a job shows instead of any path. */
export const errorReportUrl = (id: string) => `/digitize/jobs/${id}/errors`;

/** A row as a slice line: its number, and its raw cells or its parse error. */
type SliceLine = { n: number; line: number; raw: Record<string, unknown> } | { n: number; line: number; parseError: string; fatal?: boolean };

export class DigitizeJobs {
  private readonly store: DigitizeJobStore;
  private readonly queue: DigitizeWorkQueue;
  private readonly rowsPerTask: number;
  private stopping = false;
  private started: Promise<void> | null = null;
  private sweeper: Promise<void> | null = null;
  /** Open scan archives by job (reading a zip's central directory once per replica, not once per range). */
  private readonly archives = new Map<string, Promise<ScanArchive>>();

  constructor(private readonly deps: DigitizeJobsDeps) {
    this.store = new DigitizeJobStore(deps.db);
    this.rowsPerTask = deps.rowsPerTask ?? DEFAULT_ROWS_PER_TASK;
    this.queue =
      deps.queue ??
      (engineOf(deps.db) === 'postgres'
        ? new PgBossWorkQueue(deps.db, deps.logger, { leaseSeconds: deps.leaseSeconds })
        : new InProcessWorkQueue({ unfinished: () => this.store.unfinishedWork(), logger: deps.logger, leaseSeconds: deps.leaseSeconds }));
  }

  get queueKind(): DigitizeWorkQueue['kind'] {
    return this.queue.kind;
  }

  /**
   * Where an upload for a new job goes when the multipart parser streams each file to a writable: straight
   * into the object store under the job's prefix. `discard` removes what a refused upload stored.
   */
  newUpload(): { id: string; open(storedName: string): Writable; discard(): Promise<void> } {
    const id = newJobId();
    return {
      id,
      open: (storedName) => createChunkedObjectWriter(this.deps.objects, storedName === 'scans.zip' ? keys.scans(id) : keys.manifest(id)),
      discard: async () => {
        await deleteChunked(this.deps.objects, keys.manifest(id));
        await deleteChunked(this.deps.objects, keys.scans(id));
      },
    };
  }

  async submit(principal: Principal | null, upload: UploadedJob): Promise<DigitizeJob> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'issuer')) throw DomainError.forbidden('ROLE_REQUIRED', 'digitization needs a department token with the issuer role');
    if (upload.centuryPivot !== undefined && !isCenturyPivot(upload.centuryPivot)) {
      throw DomainError.invalid('UPLOAD_INVALID', 'the century pivot is a two-digit year, 0–99', [{ field: 'centuryPivot', message: 'must be a whole number 0–99' }]);
    }
    const options: DigitizeJobOptions = {
      manifestFormat: /\.(jsonl|ndjson)$/i.test(upload.manifestName) ? 'jsonl' : 'csv',
      encoding: upload.encoding ?? 'auto',
      dryRun: Boolean(upload.dryRun),
      ...(upload.centuryPivot !== undefined ? { centuryPivot: upload.centuryPivot } : {}),
    };
    await this.whenStarted();
    await this.store.transaction(async (trx) => {
      await this.store.insertJob(trx, { id: upload.id, department: principal.code, options });
      await this.queue.send([{ kind: 'plan', jobId: upload.id }], trx);
    });
    return this.get(principal, upload.id);
  }

  async get(principal: Principal | null, id: string): Promise<DigitizeJob> {
    const job = await this.ownJob(principal, id);
    let progress: DigitizeJob['progress'] = null;
    if (job.state === 'running' || job.state === 'done') {
      const { done, running } = await this.store.jobCounts(id);
      progress = { rows: job.rows, processed: done.rows + running.processed, issued: done.issued + running.issued, errors: errorLinesOf(done) + running.errors };
    }
    return { id: job.id, department: job.department, state: job.state, options: job.options, progress, summary: job.summary, error: job.error, createdAt: job.createdAt, updatedAt: job.updatedAt };
  }

  async errorReport(principal: Principal | null, id: string): Promise<Uint8Array> {
    const job = await this.ownJob(principal, id);
    if (!job.errorReportKey) throw DomainError.conflict('JOB_NOT_FINISHED', `job ${id} is ${job.state}; its error report comes when it is done`);
    const bytes = await this.deps.objects.get(job.errorReportKey);
    if (!bytes) throw DomainError.notFound('REPORT_MISSING', 'the error report is gone');
    return bytes;
  }

  /** Starts taking work (on PGlite also the work an earlier run of this process left unfinished). */
  start(): void {
    this.stopping = false;
    this.started ??= this.startQueue();
  }

  /** Stops taking work; a range in hand stops reading rows, records what it finished and queues the rest. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.started?.catch(() => undefined);
    await this.sweeper;
    this.sweeper = null;
    await this.queue.stop();
    this.started = null;
    for (const archive of this.archives.values()) archive.then((a) => a.close(), () => undefined);
    this.archives.clear();
  }

  /** Waits until no job is queued or running (tests); throws after `timeoutMs`. */
  async idle(timeoutMs = 300_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; (await this.store.unfinishedJobs()).length > 0; ) {
      if (Date.now() > deadline) throw new Error(`digitization jobs still unfinished after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async startQueue(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.queue.start((work, deadline) => this.handle(work, deadline), (work, reason) => this.giveUp(work, reason), () => !this.stopping);
        if (this.queue.reclaim && !this.stopping) this.sweeper = this.sweepOrphans();
        return;
      } catch (error) {
        // The database is not there yet: keep trying in the background; uploads wait for it (whenStarted).
        const delayMs = Math.min(30_000, 1000 * 2 ** (attempt - 1));
        this.deps.logger.warn({ err: error, retryInMs: delayMs }, 'digitization queue could not start; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /**
   * Every few seconds, on every replica: a range whose attempt began but whose advisory lock nobody holds
   * lost its replica (PostgreSQL ended the killed process's session and with it the lock): its claim is given
   * up at once, so another replica takes it over within seconds instead of when the lease runs out.
   */
  private async sweepOrphans(): Promise<void> {
    while (!this.stopping) {
      try {
        for (const orphan of await this.store.orphanedRanges(ORPHAN_GRACE_MS)) {
          this.deps.logger.warn({ job: orphan.jobId, firstRow: orphan.firstRow }, 'a digitization range lost its replica; queued again');
          await this.queue.reclaim!({ kind: 'rows', ...orphan });
        }
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'could not look for digitization ranges that lost their replica');
      }
      for (const until = Date.now() + SWEEP_INTERVAL_MS; Date.now() < until && !this.stopping; ) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async whenStarted(): Promise<void> {
    if (!this.started) this.start();
    await this.started;
  }

  private async ownJob(principal: Principal | null, id: string): Promise<DigitizeJobRecord> {
    const job = await this.store.job(id);
    if (!job || !(hasRole(principal, 'issuer') && principal.code === job.department)) throw DomainError.notFound('JOB_NOT_FOUND', `no digitization job ${id} of your department`);
    return job;
  }

  private async handle(work: DigitizeWork, deadline: number): Promise<void> {
    if (work.kind === 'plan') return this.plan(work.jobId);
    if (work.kind === 'rows') return this.runRows(work.jobId, work.firstRow, deadline);
    return this.finish(work.jobId);
  }

  private async fail(jobId: string, message: string): Promise<void> {
    this.deps.logger.warn({ job: jobId, reason: message }, 'digitization job failed');
    await this.store.updateJob(jobId, { state: 'failed', error: message });
  }

  /** Work that failed too often: the job fails with a reason (what was issued stays issued, exactly once). */
  private async giveUp(work: DigitizeWork, reason: string): Promise<void> {
    const job = await this.store.job(work.jobId);
    if (!job || job.state === 'done' || job.state === 'failed') return;
    if (work.kind === 'rows') {
      const task = await this.store.task(work.jobId, work.firstRow);
      return this.fail(work.jobId, `rows ${work.firstRow}–${task?.lastRow ?? '?'} could not be digitized: ${reason}; rows issued so far stay issued, and a new upload of the manifest reports them as already done`);
    }
    return this.fail(work.jobId, `the batch could not be ${work.kind === 'plan' ? 'read' : 'finished'}: ${reason}`);
  }

  // --- plan ----------------------------------------------------------------------------------------

  private async plan(jobId: string): Promise<void> {
    const job = await this.store.job(jobId);
    if (!job || job.state !== 'queued') return; // planned already (this is a retry)
    const manifest = await openChunked(this.deps.objects, keys.manifest(jobId));
    const scans = await openChunked(this.deps.objects, keys.scans(jobId));
    if (!manifest || !scans) return this.fail(jobId, 'the upload is incomplete: the manifest or the zip of scans is missing');
    let archive: ScanArchive;
    try {
      archive = await this.archive(jobId);
    } catch (error) {
      if (error instanceof ScanArchiveError) return this.fail(jobId, `scans: ${error.message}`);
      throw error;
    }
    const tracker = new RepeatTracker();
    const tasks: Array<Pick<DigitizeTask, 'jobId' | 'firstRow' | 'lastRow' | 'slice' | 'repeats'>> = [];
    let slice: SliceLine[] = [];
    let repeats: Record<string, RepeatVerdict> = {};
    let rows = 0;
    const flush = async () => {
      if (slice.length === 0) return;
      const n = tasks.length;
      await this.deps.objects.put(keys.slice(jobId, n), new TextEncoder().encode(slice.map((l) => JSON.stringify(l)).join('\n') + '\n'), 'application/x-ndjson');
      tasks.push({ jobId, firstRow: slice[0]!.n, lastRow: slice[slice.length - 1]!.n, slice: n, repeats });
      slice = [];
      repeats = {};
    };
    try {
      for await (const item of readManifest(manifest.stream(), { encoding: job.options.encoding, format: job.options.manifestFormat })) {
        rows += 1;
        slice.push(sliceLine(item));
        if (!isParseError(item)) {
          const normalised = normaliseRow(item.raw, { catalogue: this.deps.catalogue, missingGlyphs: this.deps.missingGlyphs, scanExists: (name) => archive.has(name), centuryPivot: job.options.centuryPivot });
          const verdict = normalised.ok ? tracker.verdict(normalised.row) : null;
          if (verdict) repeats[String(item.rowNumber)] = verdict;
        }
        if (slice.length >= this.rowsPerTask) await flush();
      }
      await flush();
    } catch (error) {
      if (error instanceof ManifestError) return this.fail(jobId, `manifest: ${error.message}`);
      throw error;
    }
    await this.store.transaction(async (trx) => {
      const locked = await this.store.lockJob(trx, jobId);
      if (!locked || locked.state !== 'queued') return;
      await this.store.insertTasks(trx, tasks);
      await this.store.updateJob(jobId, { state: 'running', rows }, trx);
      await this.queue.send(tasks.length > 0 ? tasks.map((t) => ({ kind: 'rows', jobId, firstRow: t.firstRow })) : [{ kind: 'finish', jobId }], trx);
    });
  }

  // --- rows ----------------------------------------------------------------------------------------

  private async runRows(jobId: string, firstRow: number, deadline: number): Promise<void> {
    const [job, task] = await Promise.all([this.store.job(jobId), this.store.task(jobId, firstRow)]);
    if (!job || !task || task.state === 'done' || job.state !== 'running') return;
    // Shared queue: the range's advisory lock says "a live replica runs it" for as long as this session lives.
    const lock = this.queue.reclaim ? await this.store.holdRangeLock(jobId, firstRow) : null;
    // Held: a live replica is running this range (this claim came from its lease running out); it finishes
    // the range, and should it die, the orphan sweep queues the range again.
    if (this.queue.reclaim && !lock) return;
    try {
      await this.runRowsLocked(job, task, deadline);
    } finally {
      await lock?.release().catch((error) => this.deps.logger.warn({ err: error, job: jobId }, 'could not release a row range lock (its session ending releases it)'));
    }
  }

  private async runRowsLocked(job: DigitizeJobRecord, task: DigitizeTask, deadline: number): Promise<void> {
    const { id: jobId } = job;
    const { firstRow } = task;
    await this.store.beginAttempt(jobId, firstRow);
    const [archive, sliceBytes] = await Promise.all([this.archive(jobId), this.deps.objects.get(keys.slice(jobId, task.slice))]);
    if (!sliceBytes) return this.fail(jobId, `rows ${task.firstRow}–${task.lastRow}: their slice of the manifest is missing from the object store`);
    const items = sliceItems(sliceBytes, task.firstRow, task.lastRow);
    const errors: ErrorReportEntry[] = [];
    let lastWrite = 0;
    const outcome = await digitizeRows(
      { licences: this.deps.licences, catalogue: this.deps.catalogue, missingGlyphs: this.deps.missingGlyphs },
      items,
      scansInArchive(archive),
      { write: async (entry) => void errors.push(entry) },
      {
        dryRun: job.options.dryRun, department: job.department, centuryPivot: job.options.centuryPivot, concurrency: this.deps.concurrency,
        repeats: new Map(Object.entries(task.repeats).map(([row, verdict]) => [Number(row), verdict])),
        shouldStop: () => this.stopping || Date.now() >= deadline,
        onProgress: (progress) => {
          if (Date.now() - lastWrite < 1000) return;
          lastWrite = Date.now();
          this.store.recordProgress(jobId, firstRow, progress).catch((error) => this.deps.logger.warn({ err: error, job: jobId }, 'could not record digitization progress'));
        },
      },
    );
    const lastDone = outcome.stopped && outcome.lastRow !== null ? outcome.lastRow : task.lastRow;
    await this.store.transaction(async (trx) => {
      // Ranges of one job complete one at a time (the job's row is locked), so exactly one of them sees
      // that none is left and queues the finish.
      const locked = await this.store.lockJob(trx, jobId);
      const current = await this.store.task(jobId, firstRow, trx);
      if (!locked || locked.state !== 'running' || !current || current.state === 'done') return; // another attempt finished it first
      await this.store.completeTask(trx, current, lastDone, outcome.counts, errors);
      const next: DigitizeWork[] = [];
      if (lastDone < current.lastRow) {
        const rest = Object.fromEntries(Object.entries(current.repeats).filter(([row]) => Number(row) > lastDone));
        await this.store.insertTasks(trx, [{ jobId, firstRow: lastDone + 1, lastRow: current.lastRow, slice: current.slice, repeats: rest }]);
        next.push({ kind: 'rows', jobId, firstRow: lastDone + 1 });
      } else if ((await this.store.pendingTasks(jobId, trx)) === 0) {
        next.push({ kind: 'finish', jobId });
      }
      await this.queue.send(next, trx);
    });
  }

  private archive(jobId: string): Promise<ScanArchive> {
    let archive = this.archives.get(jobId);
    if (!archive) {
      archive = (async () => {
        const file = await openChunked(this.deps.objects, keys.scans(jobId), { cacheParts: 8 });
        if (!file) throw new ScanArchiveError('the zip of scans is missing');
        return openScanArchive(file);
      })();
      archive.catch(() => this.archives.delete(jobId));
      this.archives.set(jobId, archive);
      // A replica works on few jobs at once: keep the two most recent.
      while (this.archives.size > 2) {
        const [oldest, value] = this.archives.entries().next().value!;
        this.archives.delete(oldest);
        value.then((a) => a.close(), () => undefined);
      }
    }
    return archive;
  }

  // --- finish --------------------------------------------------------------------------------------

  private async finish(jobId: string): Promise<void> {
    const job = await this.store.job(jobId);
    if (!job || job.state !== 'running' || (await this.store.pendingTasks(jobId)) > 0) return;
    const { done } = await this.store.jobCounts(jobId);
    // The merged report: every range's lines, in row order (keyset pages from the database), UTF-8 with BOM.
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const report = createErrorReport(out);
    for await (const line of this.store.errorLines(jobId)) await report.write(line);
    await report.close();
    const reportKey = keys.report(jobId);
    const bytes = Buffer.concat(chunks);
    await this.deps.objects.put(reportKey, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'text/csv');
    const summary = { ...done, dryRun: job.options.dryRun, errorReport: errorReportUrl(jobId), seconds: (Date.now() - Date.parse(job.createdAt)) / 1000 };
    const finished = await this.store.transaction(async (trx) => {
      const locked = await this.store.lockJob(trx, jobId);
      if (!locked || locked.state !== 'running') return false;
      await this.store.updateJob(jobId, { state: 'done', summary, errorReportKey: reportKey }, trx);
      await this.store.deleteErrorLines(trx, jobId);
      return true;
    });
    if (!finished) return;
    // The slices were this job's working copy of the manifest; the upload itself is kept.
    for (const key of await this.deps.objects.list(`${prefixOf(jobId)}/slices/`)) await this.deps.objects.delete(key).catch(() => undefined);
    this.archives.get(jobId)?.then((a) => a.close(), () => undefined);
    this.archives.delete(jobId);
  }
}

function newJobId(): string {
  return `dgj_${crypto.randomUUID()}`;
}

function errorLinesOf(counts: DigitizeCounts): number {
  return Object.values(counts.rejected).reduce((a, b) => a + b, 0);
}

function sliceLine(item: ManifestItem): SliceLine {
  return isParseError(item) ? { n: item.rowNumber, line: item.line, parseError: item.parseError, ...(item.fatal ? { fatal: true } : {}) } : { n: item.rowNumber, line: item.line, raw: item.raw };
}

async function* sliceItems(bytes: Uint8Array, firstRow: number, lastRow: number): AsyncGenerator<ManifestItem> {
  for (const text of new TextDecoder().decode(bytes).split('\n')) {
    if (text === '') continue;
    const l = JSON.parse(text) as SliceLine;
    if (l.n < firstRow || l.n > lastRow) continue;
    yield 'raw' in l ? { rowNumber: l.n, line: l.line, raw: l.raw } : { rowNumber: l.n, line: l.line, parseError: l.parseError, ...(l.fatal ? { fatal: true } : {}) };
  }
}

