/**
 * Runs the anchorer on a worker thread (anchorer-thread-entry.ts). Sequencing the access log and
 * checkpointing take CPU in proportion to the requests; on the request thread they take turns with
 * requests, on a thread of their own they use another core. Measured at 50 connections with the anchorer
 * in a second process: 12% more exchange queries per second, 0.25-0.29 instead of 0.30-0.34 ms of request
 * thread CPU per query.
 *
 * A thread that dies (an uncaught error, the database gone at start) is started again after 1, 2, 4 … 60 s;
 * leadership across replicas stays with the PostgreSQL advisory lock, which a dead thread's connection
 * releases.
 */
import type { Worker } from 'node:worker_threads';
import { siblingEntry, spawnTypeScriptWorker } from '../bootstrap/typescript-worker.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { AnchorCycleReport } from './anchorer.ts';

export interface AnchorerThreadData {
  config: Config;
}

export type AnchorerThreadMessage = { kind: 'started' } | { kind: 'cycle'; report: AnchorCycleReport };

export interface AnchorerThread {
  /** Times the thread was started again after it died. */
  readonly restarts: number;
  /** The running worker (tests end it to check the restart). */
  readonly worker: Worker | null;
  /** Asks the thread to finish its cycle and close; ends it by force after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const ENTRY = siblingEntry(import.meta.url, 'anchorer-thread-entry');

export function startAnchorerThread(options: { config: Config; logger: Logger; onCycle: (report: AnchorCycleReport) => void }): AnchorerThread {
  const { logger } = options;
  let worker: Worker | null = null;
  let stopping = false;
  let restarts = 0;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | null = null;

  const spawn = () => {
    const current = spawnTypeScriptWorker(ENTRY, { config: options.config } satisfies AnchorerThreadData);
    worker = current;
    current.on('message', (message: AnchorerThreadMessage) => {
      if (message.kind !== 'cycle') return;
      if (!message.report.error) failures = 0;
      options.onCycle(message.report);
    });
    current.on('error', (error) => logger.error({ err: error }, 'anchorer thread failed'));
    current.on('exit', (code) => {
      if (worker === current) worker = null;
      if (stopping) return;
      failures += 1;
      const delayMs = Math.min(60_000, 1000 * 2 ** (failures - 1));
      logger.error({ code, restartInMs: delayMs }, 'anchorer thread ended; starting it again');
      restartTimer = setTimeout(() => {
        restarts += 1;
        spawn();
      }, delayMs);
      restartTimer.unref();
    });
  };
  spawn();

  return {
    get restarts() {
      return restarts;
    },
    get worker() {
      return worker;
    },
    async stop(graceMs = 15_000) {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const current = worker;
      if (!current) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.postMessage({ kind: 'stop' });
      const timer = setTimeout(() => void current.terminate(), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
