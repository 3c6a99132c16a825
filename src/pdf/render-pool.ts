/**
 * Worker-thread pool for render + PAdES sign (render-worker.ts), and a LicenceDocumentFactory on top of it.
 *
 * Why hand-written and not piscina: piscina is not a dependency, and its workers load the task file with
 * a plain dynamic import, which hits the tsx problem described in runtime/typescript-worker.ts; the
 * pool needed here is small (one job in flight per worker, FIFO queue, replace-on-crash) and has no other
 * users.
 *
 * The worker is started through spawnTypeScriptWorker (runtime/typescript-worker.ts): tsx needs
 * registering inside each worker.
 *
 * Backpressure: at most `maxQueue` (default size * 4) jobs wait for a worker. When the queue is full,
 * `render` WAITS for room (FIFO) by default instead of failing: a licence issue request has already
 * passed validation and is cheap to hold, a burst should cost latency, not 5xx. Waiting callers hold
 * only their closure (no message is posted), so the queue in the workers' ports stays bounded. Set
 * `overflow: 'reject'` for load shedding: `render` then rejects with code RENDER_POOL_BUSY (map to 503).
 *
 * Crashes: a worker that exits while a job is in flight rejects that job (RENDER_WORKER_CRASHED; not
 * retried, so a job that kills its worker cannot kill the whole pool) and is replaced; a job running past
 * `jobTimeoutMs` terminates its worker the same way (RENDER_TIMEOUT). A worker that dies
 * before it is ready (e.g. no font loads) puts the pool in a failed state instead of respawn-looping.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { siblingEntry, spawnTypeScriptWorker } from '../runtime/typescript-worker.ts';
import { DEFAULT_FONT_PATHS, GlyphMissingError } from './fonts.ts';
import type { FontChain } from './fonts.ts';
import type { PadesSigner } from './pades.ts';
import type { LicenceDocumentInput } from './render-licence.ts';
import type { RenderWorkerData, RenderWorkerRequest, RenderWorkerResponse, SerializedRenderError } from './render-worker.ts';
import type { LicenceDocumentFactory, SigningMaterial } from '../licences/licence-document.ts';

export interface RenderPoolOptions {
  /** Worker threads. Default: os.availableParallelism(). */
  size?: number;
  /** Font chain paths, loaded once per worker. Default DEFAULT_FONT_PATHS. */
  fontPaths?: readonly string[];
  /** Jobs allowed to wait for a worker. Default size * 4. */
  maxQueue?: number;
  /** Full queue: 'wait' (default) for room, or 'reject' with RENDER_POOL_BUSY. */
  overflow?: 'wait' | 'reject';
  /** A job running longer than this terminates its worker (RENDER_TIMEOUT; the worker is replaced). Default 30 s. */
  jobTimeoutMs?: number;
  /** Enables renderPoolTestHooks(pool). Tests only. */
  testHooks?: boolean;
}

export interface RenderOptions {
  signingTime: Date;
  reason?: string;
  location?: string;
}

export interface RenderPoolStats {
  size: number;
  ready: number;
  busy: number;
  queued: number;
  waiting: number;
  completed: number;
  failed: number;
  restarts: number;
}

export interface RenderPool {
  readonly size: number;
  /** Render + sign one licence on a worker. GlyphMissingError is rethrown as a GlyphMissingError. */
  render(input: LicenceDocumentInput, signer: PadesSigner, opts: RenderOptions): Promise<Uint8Array>;
  /** Resolves once every current worker (replacements included) has loaded its fonts; rejects (RENDER_POOL_START_FAILED) if one cannot start. */
  ready(): Promise<void>;
  stats(): RenderPoolStats;
  /**
   * Stops accepting jobs (later `render` calls reject with RENDER_POOL_CLOSED), lets accepted jobs
   * finish, then terminates the workers. `{ force: true }` rejects queued/in-flight jobs and terminates now.
   */
  close(opts?: { force?: boolean }): Promise<void>;
}

export type RenderPoolErrorCode = 'RENDER_POOL_CLOSED' | 'RENDER_POOL_BUSY' | 'RENDER_WORKER_CRASHED' | 'RENDER_TIMEOUT' | 'RENDER_POOL_START_FAILED';

export class RenderPoolError extends Error {
  readonly code: RenderPoolErrorCode;
  constructor(code: RenderPoolErrorCode, message: string) {
    super(message);
    this.name = 'RenderPoolError';
    this.code = code;
  }
}

interface Job {
  request: RenderWorkerRequest;
  resolve(pdf: Uint8Array): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  lastError: Error | null;
  timedOut: boolean;
  timer: NodeJS.Timeout | null;
  /** Settles when the worker has loaded its fonts (or rejects when it exits before that). */
  started: Promise<void>;
  markStarted(err?: Error): void;
}

const WORKER_URL = siblingEntry(import.meta.url, 'render-worker');

function spawnWorker(workerData: RenderWorkerData): Worker {
  return spawnTypeScriptWorker(WORKER_URL, workerData);
}

function reviveError(e: SerializedRenderError): Error {
  if (e.code === 'GLYPH_MISSING' && e.char !== undefined) return new GlyphMissingError(e.char, e.missing ?? []);
  const err = new Error(e.message) as Error & { code?: string; codePoint?: string };
  if (e.name) err.name = e.name;
  if (e.code !== undefined) err.code = e.code;
  if (e.codePoint !== undefined) err.codePoint = e.codePoint;
  if (e.stack) err.stack = `${err.stack ?? ''}\n    --- in render worker ---\n${e.stack}`;
  return err;
}

interface PoolInternals {
  testHooks: boolean;
  slots: () => Slot[];
  submit: (request: RenderWorkerRequest) => Promise<Uint8Array>;
  nextId: () => number;
}

const internals = new WeakMap<RenderPool, PoolInternals>();

export function createRenderPool(options: RenderPoolOptions = {}): RenderPool {
  const size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
  const maxQueue = Math.max(1, Math.floor(options.maxQueue ?? size * 4));
  const overflow = options.overflow ?? 'wait';
  const jobTimeoutMs = options.jobTimeoutMs ?? 30_000;
  const workerData: RenderWorkerData = { fontPaths: [...(options.fontPaths ?? DEFAULT_FONT_PATHS)], testHooks: options.testHooks === true };

  const queue: Job[] = [];
  const waiters: Array<() => void> = [];
  let closed = false;
  let terminating = false;
  let failure: RenderPoolError | null = null;
  let seq = 0;
  let outstanding = 0;
  let onIdle: (() => void) | null = null;
  let closing: Promise<void> | null = null;
  const counts = { completed: 0, failed: 0, restarts: 0 };

  const slots: Slot[] = [];

  function start(index: number): void {
    let markStarted!: (err?: Error) => void;
    const started = new Promise<void>((res, rej) => {
      markStarted = (err) => (err ? rej(err) : res());
    });
    started.catch(() => {}); // observed through ready()
    const slot: Slot = { worker: spawnWorker(workerData), ready: false, job: null, lastError: null, timedOut: false, timer: null, started, markStarted };
    slots[index] = slot;
    const { worker } = slot;
    worker.on('message', (msg: RenderWorkerResponse) => {
      if (slots[index] !== slot) return;
      if (msg.kind === 'ready') {
        slot.ready = true;
        slot.markStarted();
        // Ref'd while starting and while a job is in flight, so pending work keeps the process alive; an
        // idle pool does not. (unref only here, after the listeners: adding a 'message' listener re-refs.)
        worker.unref();
        pump();
        return;
      }
      const job = slot.job;
      if (!job || job.request.id !== msg.id) return; // cannot happen: one job in flight per worker
      slot.job = null;
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      worker.unref();
      if (msg.kind === 'result') {
        counts.completed++;
        job.resolve(msg.pdf);
      } else {
        counts.failed++;
        job.reject(reviveError(msg.error));
      }
      pump();
    });
    worker.on('error', (err) => {
      slot.lastError = err;
    });
    worker.on('exit', (code) => {
      if (slots[index] !== slot) return;
      const why = `render worker ${index} exited with code ${code}${slot.lastError ? `: ${slot.lastError.message}` : ''}`;
      const job = slot.job;
      slot.job = null;
      if (slot.timer) clearTimeout(slot.timer);
      const closedErr = failure ?? new RenderPoolError('RENDER_POOL_CLOSED', 'render pool closed');
      const startErr = terminating ? closedErr : new RenderPoolError('RENDER_POOL_START_FAILED', why);
      if (!slot.ready) slot.markStarted(startErr);
      if (job) {
        counts.failed++;
        if (terminating) job.reject(closedErr);
        else if (slot.timedOut) job.reject(new RenderPoolError('RENDER_TIMEOUT', `render job exceeded ${jobTimeoutMs} ms; worker ${index} terminated`));
        else job.reject(new RenderPoolError('RENDER_WORKER_CRASHED', why));
      }
      if (terminating) return;
      if (!slot.ready) {
        fail(startErr);
        return;
      }
      counts.restarts++;
      start(index);
    });
  }

  function fail(err: RenderPoolError): void {
    if (failure) return;
    failure = err;
    for (const job of queue.splice(0)) job.reject(err);
    for (const wake of waiters.splice(0)) wake();
    void terminateAll();
  }

  async function terminateAll(): Promise<void> {
    terminating = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  function pump(): void {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.request);
      slot.timer = setTimeout(() => {
        slot.timedOut = true;
        void slot.worker.terminate();
      }, jobTimeoutMs);
      slot.timer.unref();
      waiters.shift()?.(); // one queue place freed: admit one waiting caller
    }
  }

  function settled(): void {
    outstanding--;
    if (outstanding === 0 && onIdle) onIdle();
  }

  async function submit(request: RenderWorkerRequest): Promise<Uint8Array> {
    if (closed) throw new RenderPoolError('RENDER_POOL_CLOSED', 'render pool is closed');
    if (failure) throw failure;
    outstanding++;
    try {
      if (queue.length >= maxQueue || waiters.length > 0) {
        if (overflow === 'reject') throw new RenderPoolError('RENDER_POOL_BUSY', `render queue is full (${maxQueue} jobs waiting)`);
        await new Promise<void>((wake) => waiters.push(wake));
        if (failure) throw failure;
      }
      return await new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        pump();
      });
    } finally {
      settled();
    }
  }

  for (let i = 0; i < size; i++) start(i);

  const pool: RenderPool = {
    size,
    render(input, signer, opts) {
      return submit({
        kind: 'render',
        id: ++seq,
        input,
        signer: { keyPem: signer.keyPem, chainPem: [...signer.chainPem] },
        signingTime: opts.signingTime.getTime(),
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.location !== undefined ? { location: opts.location } : {}),
      });
    },
    async ready() {
      for (;;) {
        const current = [...slots];
        await Promise.all(current.map((s) => s.started));
        if (current.every((s, i) => slots[i] === s)) return; // no worker was replaced meanwhile
      }
    },
    stats: () => ({
      size,
      ready: slots.filter((s) => s.ready).length,
      busy: slots.filter((s) => s.job).length,
      queued: queue.length,
      waiting: waiters.length,
      ...counts,
    }),
    close(opts = {}) {
      closed = true;
      if (opts.force && onIdle) onIdle(); // a graceful close in progress becomes a forced one
      closing ??= (async () => {
        if (!opts.force && !failure && outstanding > 0) {
          await new Promise<void>((res) => {
            onIdle = res;
          });
        }
        failure ??= new RenderPoolError('RENDER_POOL_CLOSED', 'render pool closed');
        for (const job of queue.splice(0)) job.reject(failure);
        for (const wake of waiters.splice(0)) wake();
        await terminateAll();
      })();
      return closing;
    },
  };
  internals.set(pool, { testHooks: options.testHooks === true, slots: () => slots, submit, nextId: () => ++seq });
  return pool;
}

/** Test-only access; throws unless the pool was created with `testHooks: true`. */
export function renderPoolTestHooks(pool: RenderPool): {
  workers(): Worker[];
  /** Sends a job that makes its worker call process.exit(code); the promise rejects when the worker dies. */
  exitWorker(code?: number): Promise<Uint8Array>;
  /** Sends a job that busy-loops forever in its worker (only the job timeout ends it). */
  hangWorker(): Promise<Uint8Array>;
} {
  const p = internals.get(pool);
  if (!p?.testHooks) throw new Error('renderPoolTestHooks: pool was not created with testHooks: true');
  return {
    workers: () => p.slots().map((s) => s.worker),
    exitWorker: (code = 7) => p.submit({ kind: 'test', action: 'exit', id: p.nextId(), code }),
    hangWorker: () => p.submit({ kind: 'test', action: 'hang', id: p.nextId(), code: 0 }),
  };
}

/**
 * LicenceDocumentFactory backed by the pool: same contract as createPdfDocumentFactory
 * (licences/pdf-document-factory.ts); `fonts` is a main-thread chain used only for missingGlyphs.
 */
export function createPooledDocumentFactory(
  pool: RenderPool,
  fonts: FontChain,
  signingMaterial: (issuerCode: string) => Promise<SigningMaterial>,
): LicenceDocumentFactory {
  return {
    missingGlyphs: (text) => fonts.findMissingGlyphs(text),
    async produce(input, issuerCode, signingTime) {
      const signer = await signingMaterial(issuerCode);
      return pool.render(input, signer, {
        signingTime,
        reason: `E-licence ${input.licenceId} issued`,
        location: 'Licence Vault',
      });
    },
  };
}
