/**
 * Runs the anchorer on a worker thread (anchorer-thread-entry.ts). Sequencing the access log and
 * checkpointing take CPU in proportion to the requests; on the request thread they take turns with
 * requests, on a thread of their own they use another core. At 50 connections, alternating runs against the
 * in-process anchorer: 3 240-3 900 vs 2 940-3 150 exchange queries per second.
 *
 * A thread that dies (an uncaught error, a ledger or database it cannot even open) is started again after
 * 1, 2, 4 … 60 s (a database that does not answer does not end it: the anchorer retries with backoff);
 * leadership across replicas stays with the PostgreSQL advisory lock, which a dead thread's connection
 * releases.
 */
import type { Worker } from 'node:worker_threads';
import { siblingEntry, spawnTypeScriptWorker } from '../runtime/typescript-worker.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';
import type { AnchorCycleReport } from '../transparency/anchorer.ts';

export interface AnchorerThreadData {
  config: Config;
}

export type AnchorerThreadMessage = { kind: 'cycle'; report: AnchorCycleReport };

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
  let stopping: Promise<void> | null = null;
  let restarts = 0;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | null = null;

  const scheduleRestart = (why: Record<string, unknown>) => {
    failures += 1;
    const delayMs = Math.min(60_000, 1000 * 2 ** (failures - 1));
    logger.error({ ...why, restartInMs: delayMs }, 'anchorer thread ended; starting it again');
    restartTimer = setTimeout(() => {
      restarts += 1;
      spawn();
    }, delayMs);
    restartTimer.unref();
  };

  const spawn = () => {
    let current: Worker;
    try {
      current = spawnTypeScriptWorker(ENTRY, { config: options.config } satisfies AnchorerThreadData);
    } catch (error) {
      // At start-up the caller sees this; on a restart (inside a timer) nobody would, and it must not end the process.
      if (restarts === 0) throw error;
      scheduleRestart({ err: error });
      return;
    }
    worker = current;
    current.on('message', (message: AnchorerThreadMessage) => {
      if (!message.report.error) failures = 0;
      options.onCycle(message.report);
    });
    current.on('error', (error) => logger.error({ err: error }, 'anchorer thread failed'));
    current.on('exit', (code) => {
      if (worker === current) worker = null;
      if (!stopping) scheduleRestart({ code });
    });
  };
  spawn();

  const stop = async (graceMs: number) => {
    if (restartTimer) clearTimeout(restartTimer);
    const current = worker;
    if (!current) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.postMessage({ kind: 'stop' });
    const timer = setTimeout(() => void current.terminate(), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    get restarts() {
      return restarts;
    },
    get worker() {
      return worker;
    },
    stop(graceMs = 15_000) {
      stopping ??= stop(graceMs);
      return stopping;
    },
  };
}
