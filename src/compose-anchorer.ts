/**
 * The ledger and the anchorer, wired from the configuration in one place (part of the composition root,
 * beside compose.ts): the service builds them on its request thread, the anchorer thread
 * (src/anchorer-thread/anchorer-thread-entry.ts) builds its own copy without loading the HTTP service.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadOrCreateSecret, writeSecretFile } from './auth/key-files.ts';
import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import { KnexExchangeStore } from './exchange/exchange-store.ts';
import { EmbeddedLedger } from './ledger/embedded-ledger.ts';
import { FabricLedger, fabricConfigFromEnv } from './ledger/fabric-ledger.ts';
import type { Ledger } from './ledger/ledger.ts';
import type { Logger } from './observability/logger.ts';
import { Anchorer } from './transparency/anchorer.ts';
import type { AnchorCycleReport } from './transparency/anchorer.ts';
import { generateCheckpointSigner, parseSigner } from './proofs/checkpoint.ts';
import type { NoteSigner } from './proofs/checkpoint.ts';
import { KnexLogStore } from './log/log-store.ts';
import { LogTilePublisher } from './log/log-tiles.ts';
import type { ObjectStore } from './storage/object-store.ts';
import { createLocalDirectoryStore } from './storage/local-directory-store.ts';
import { createS3ObjectStore } from './storage/s3-object-store.ts';

/** The configured ledger: Fabric when FABRIC_* is set, else the embedded one, whose seed is made on first start. */
export function openLedger(config: Config, db: Database, keysDir: string): Ledger {
  const fabric = config.fabricEnv ? fabricConfigFromEnv(config.fabricEnv) : null;
  if (fabric) return new FabricLedger(fabric);
  return new EmbeddedLedger(db, new Uint8Array(loadOrCreateSecret(path.join(keysDir, 'embedded-ledger.seed'))));
}

/** The checkpoint signer (C2SP skey), generated on first start; its key name is the log origin. */
export function loadOrCreateCheckpointSigner(keysDir: string, origin: string): NoteSigner {
  const file = path.join(keysDir, 'log-checkpoint.skey');
  if (fs.existsSync(file)) {
    const signer = parseSigner(fs.readFileSync(file, 'utf8').trim());
    // C2SP: the key name is the origin; a key of another log would sign checkpoints nobody can verify.
    if (signer.name !== origin) throw new Error(`${file} is the checkpoint key of log "${signer.name}", not of "${origin}"`);
    return signer;
  }
  const { skey } = generateCheckpointSigner(origin);
  writeSecretFile(file, skey);
  return parseSigner(skey);
}

export function createAnchorer(parts: {
  config: Config;
  db: Database;
  ledger: Ledger;
  signer: NoteSigner;
  logger: Logger;
  onCycle?: (report: AnchorCycleReport) => void;
  now?: () => Date;
  keepLeadership?: boolean;
  /** Where the logs are published as C2SP tiles after each checkpoint. */
  objects: ObjectStore;
}): Anchorer {
  const { config, db } = parts;
  const accessLog = new KnexExchangeStore(db, config.transparency.accessLogOrigin);
  const logs = new KnexLogStore(db);
  const tiles = new LogTilePublisher({ logs, objects: parts.objects, logger: parts.logger.child({ component: 'log-tiles' }) });
  return new Anchorer({
    sequencers: [() => accessLog.sequencePending()], onCheckpoint: tiles.checkpointHook(),
    db, logs, ledger: parts.ledger, origins: [config.transparency.logOrigin, config.transparency.accessLogOrigin], signer: parts.signer,
    batchLeaves: config.transparency.anchorBatchLeaves, intervalMs: config.transparency.anchorIntervalMs,
    logger: parts.logger, now: parts.now, onCycle: parts.onCycle, keepLeadership: parts.keepLeadership,
  });
}

/** The object store the configuration names: S3 (MinIO in production) or a local directory. */
export async function openObjectStore(config: Config): Promise<ObjectStore> {
  return config.s3 ? createS3ObjectStore(config.s3) : createLocalDirectoryStore(path.join(config.dataDir, 'objects'));
}
