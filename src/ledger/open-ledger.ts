import path from 'node:path';
import { loadOrCreateSecret } from '../auth/key-files.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { EmbeddedLedger } from './embedded-ledger.ts';
import { FabricLedger, fabricConfigFromEnv } from './fabric-ledger.ts';
import type { Ledger } from './ledger.ts';

/** The configured ledger: Fabric when FABRIC_* is set, else the embedded one, whose seed is made on first start. */
export function openLedger(config: Config, db: Database, keysDir: string): Ledger {
  const fabric = config.fabricEnv ? fabricConfigFromEnv(config.fabricEnv) : null;
  if (fabric) return new FabricLedger(fabric);
  return new EmbeddedLedger(db, new Uint8Array(loadOrCreateSecret(path.join(keysDir, 'embedded-ledger.seed'))));
}
