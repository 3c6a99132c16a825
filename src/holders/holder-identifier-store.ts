/** HolderIdentifierStore on knex (PostgreSQL or PGlite). */
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import { isoTime as iso } from '../db/database.ts';
import type { HolderAlias, HolderIdentifierStore, IdentifierConflict } from './holder-identifier-types.ts';

function aliasFromRow(r: Record<string, any>): HolderAlias {
  return {
    identifier: r.identifier, kind: r.kind, holderId: r.holder_id, holderKind: r.holder_kind, source: r.source,
    licenceId: r.licence_id, addedBy: r.added_by, reason: r.reason, addedAt: iso(r.added_at),
  };
}

/**
 * Adds aliases within the caller's transaction (issuance and digitization add them with the licence, so a
 * licence never exists without the identifiers it brought). An identifier another holder has is not
 * added: it is recorded as a conflict for the admin role, and the caller is told.
 */
export async function addAliasesIn(executor: Knex | Knex.Transaction, aliases: HolderAlias[]) {
  const added: HolderAlias[] = [];
  const conflicts: Array<{ alias: HolderAlias; existingHolderId: string }> = [];
  for (const alias of aliases) {
    const inserted = await executor('holder_identifiers')
      .insert({
        identifier: alias.identifier, kind: alias.kind, holder_id: alias.holderId, holder_kind: alias.holderKind, source: alias.source,
        licence_id: alias.licenceId, added_by: alias.addedBy, reason: alias.reason, added_at: alias.addedAt,
      })
      .onConflict('identifier')
      .ignore()
      .returning('identifier');
    if (inserted.length > 0) {
      added.push(alias);
      continue;
    }
    const existing = await executor('holder_identifiers').where({ identifier: alias.identifier }).first('holder_id');
    if (existing && existing.holder_id !== alias.holderId) {
      conflicts.push({ alias, existingHolderId: existing.holder_id });
      await executor('identifier_conflicts')
        .insert({
          identifier: alias.identifier, kind: alias.kind, claimed_holder_id: alias.holderId, existing_holder_id: existing.holder_id, source: alias.source,
          licence_id: alias.licenceId, claimed_by: alias.addedBy, reason: alias.reason, at: alias.addedAt,
        })
        .onConflict(['identifier', 'claimed_holder_id'])
        .ignore();
    }
  }
  return { added, conflicts };
}

export function createHolderIdentifierStore(db: Database): HolderIdentifierStore {
  return {
    async get(identifier) {
      const row = await db('holder_identifiers').where({ identifier }).first();
      return row ? aliasFromRow(row) : null;
    },
    async listForHolder(holderId) {
      return (await db('holder_identifiers').where({ holder_id: holderId }).orderBy('added_at')).map(aliasFromRow);
    },
    add: (aliases) => db.transaction((trx) => addAliasesIn(trx, aliases)),
    async recordConflict(c) {
      await db('identifier_conflicts')
        .insert({
          identifier: c.identifier, kind: c.kind, claimed_holder_id: c.claimedHolderId, existing_holder_id: c.existingHolderId, source: c.source,
          licence_id: c.licenceId, claimed_by: c.claimedBy, reason: c.reason, at: c.at,
        })
        .onConflict(['identifier', 'claimed_holder_id'])
        .ignore();
    },
    async conflicts(limit) {
      const rows = await db('identifier_conflicts').orderBy('at', 'desc').limit(limit);
      return rows.map((r): IdentifierConflict => ({
        id: Number(r.id), identifier: r.identifier, kind: r.kind, claimedHolderId: r.claimed_holder_id, existingHolderId: r.existing_holder_id,
        source: r.source, licenceId: r.licence_id, claimedBy: r.claimed_by, reason: r.reason, at: iso(r.at),
      }));
    },
    async disputed(identifier) {
      return Boolean(await db('identifier_conflicts').where({ identifier }).first('id'));
    },
    async holderExists(holderId) {
      return Boolean(await db('licences').where({ holder_id: holderId }).first('id'));
    },
  };
}
