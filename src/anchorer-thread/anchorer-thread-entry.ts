/**
 * The anchorer thread's entry (started by anchorer-thread.ts): the anchorer with a database pool, ledger
 * and logger of its own, reporting each cycle to the request thread for the metrics. `stop` ends it
 * cleanly: the cycle in progress finishes, the advisory lock is released and the pool closed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { dataDirLayout } from '../bootstrap/dev-environment.ts';
import { openDatabase } from '../db/database.ts';
import { createLogger } from '../observability/logger.ts';
import { createAnchorer, loadOrCreateCheckpointSigner, openLedger, openObjectStore } from '../compose-anchorer.ts';
import type { AnchorerThreadData, AnchorerThreadMessage } from './anchorer-thread.ts';

const { config } = workerData as AnchorerThreadData;
const port = parentPort!;
const post = (message: AnchorerThreadMessage) => port.postMessage(message);
const logger = createLogger(config.logLevel).child({ component: 'anchorer', thread: 'anchorer' });
const db = openDatabase({ engine: 'postgres', url: config.databaseUrl!, poolMax: 3, statementTimeoutMs: config.databaseStatementTimeoutMs }, logger);
const keysDir = dataDirLayout(config.dataDir).keysDir;
const ledger = openLedger(config, db, keysDir);
const objects = await openObjectStore(config);
const anchorer = createAnchorer({
  config, db, ledger, objects, signer: loadOrCreateCheckpointSigner(keysDir, config.transparency.logOrigin), logger,
  onCycle: (report) => post({ kind: 'cycle', report }),
});

let stopping = false;
port.on('message', (message: { kind: string }) => {
  if (message.kind !== 'stop' || stopping) return;
  stopping = true;
  void (async () => {
    await anchorer.stop();
    await ledger.close().catch((error) => logger.warn({ err: error }, 'anchorer thread: could not close the ledger'));
    await objects.close().catch((error) => logger.warn({ err: error }, 'anchorer thread: could not close the object store'));
    await db.destroy();
    process.exit(0); // in a worker, ends this thread only
  })();
});
anchorer.start();
