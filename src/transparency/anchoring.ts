/**
 * The anchorer's parts, built from the configuration in one place: the service builds them on its request
 * thread, the anchorer thread (anchorer-thread-entry.ts) builds its own copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeSecretFile } from '../auth/key-files.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { ExchangeStore } from '../exchange/exchange-store.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Logger } from '../observability/logger.ts';
import { Anchorer } from './anchorer.ts';
import type { AnchorCycleReport } from './anchorer.ts';
import { generateCheckpointSigner, parseSigner } from './checkpoint.ts';
import type { NoteSigner } from './checkpoint.ts';
import { LogStore } from './log-store.ts';

/** The checkpoint signer (C2SP skey), generated on first start; its key name is the log origin. */
export function loadOrCreateCheckpointSigner(keysDir: string, origin: string): NoteSigner {
  const file = path.join(keysDir, 'log-checkpoint.skey');
  if (fs.existsSync(file)) return parseSigner(fs.readFileSync(file, 'utf8').trim());
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
}): Anchorer {
  const { config, db } = parts;
  const accessLog = new ExchangeStore(db, config.transparency.accessLogOrigin);
  return new Anchorer({
    sequencers: [() => accessLog.sequencePending()],
    db, logs: new LogStore(db), ledger: parts.ledger, origins: [config.transparency.logOrigin, config.transparency.accessLogOrigin], signer: parts.signer,
    batchLeaves: config.transparency.anchorBatchLeaves, intervalMs: config.transparency.anchorIntervalMs,
    logger: parts.logger, now: parts.now, onCycle: parts.onCycle, keepLeadership: parts.keepLeadership,
  });
}
