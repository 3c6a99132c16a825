/**
 * The log origins a database belongs to, pinned at first start (vault_settings), so the licence log and
 * the access log keep their names whatever later defaults or PUBLIC_BASE_URL say: a changed origin would
 * start a second, empty log behind the existing one, and its checkpoints would not verify with the
 * existing key. A database from before origins were pinned adopts the origins its logs already use.
 */
import type { Database } from '../db/database.ts';

export interface LogOrigins {
  licences: string;
  accesses: string;
}

/** What the first versions used as fixed defaults. */
const LEGACY_DEFAULTS: LogOrigins = { licences: 'licence-vault.local/licences', accesses: 'licence-vault.local/accesses' };

export class LogOriginMismatch extends Error {}

/**
 * The origins to use: the database's pinned ones; else the configured ones, which are then pinned. With
 * `explicit` (LOG_ORIGIN or ACCESS_LOG_ORIGIN set), a configured origin that differs from the pinned one is
 * an error, never a silent switch.
 */
export async function pinLogOrigins(db: Database, configured: LogOrigins, explicit: boolean): Promise<LogOrigins> {
  return db.transaction(async (trx) => {
    const rows = await trx('vault_settings').whereIn('key', ['log_origin.licences', 'log_origin.accesses']).forUpdate();
    const pinned = Object.fromEntries(rows.map((r) => [r.key, r.value])) as Record<string, string>;
    const existing = new Set((await trx('log_heads').select('origin')).map((r) => r.origin as string));
    const resolve = (log: keyof LogOrigins): string => {
      const stored = pinned[`log_origin.${log}`];
      if (stored) {
        if (explicit && stored !== configured[log]) {
          throw new LogOriginMismatch(`this database's ${log} log is "${stored}", but the configuration names "${configured[log]}": unset ${log === 'licences' ? 'LOG_ORIGIN' : 'ACCESS_LOG_ORIGIN'} or use another database`);
        }
        return stored;
      }
      // Logs written before pinning existed: keep their origin unless the configuration names another one.
      if (!explicit && !existing.has(configured[log]) && existing.has(LEGACY_DEFAULTS[log])) return LEGACY_DEFAULTS[log];
      return configured[log];
    };
    const origins: LogOrigins = { licences: resolve('licences'), accesses: resolve('accesses') };
    if (origins.licences === origins.accesses) throw new LogOriginMismatch(`the licence log and the access log need different origins, both are "${origins.licences}"`);
    await trx('vault_settings')
      .insert([{ key: 'log_origin.licences', value: origins.licences }, { key: 'log_origin.accesses', value: origins.accesses }])
      .onConflict('key')
      .ignore();
    return origins;
  });
}
