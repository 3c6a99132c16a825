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
  if (aliases.length === 0) return { added, conflicts };
  // Set-based, two statements for any number of aliases (a batch of issuances brings several): insert what
  // is new (an identifier twice in the batch is inserted once, for its first alias), then read who holds the
  // others. The outcome is that of adding them one by one in order.
  const inserted = await executor('holder_identifiers')
    .insert(aliases.map((alias) => ({
      identifier: alias.identifier, kind: alias.kind, holder_id: alias.holderId, holder_kind: alias.holderKind, source: alias.source,
      licence_id: alias.licenceId, added_by: alias.addedBy, reason: alias.reason, added_at: alias.addedAt,
    })))
    .onConflict('identifier')
    .ignore()
    .returning('identifier');
  const newlyInserted = new Set(inserted.map((r: { identifier: string }) => r.identifier));
  const others = aliases.filter((alias) => !newlyInserted.has(alias.identifier));
  const holders = new Map<string, string>();
  if (others.length > 0) {
    const rows = await executor('holder_identifiers').whereIn('identifier', [...new Set(others.map((a) => a.identifier))]).select('identifier', 'holder_id');
    for (const r of rows) holders.set(r.identifier, r.holder_id);
  }
  const seen = new Set<string>();
  for (const alias of aliases) {
    const first = !seen.has(alias.identifier);
    seen.add(alias.identifier);
    if (first && newlyInserted.has(alias.identifier)) {
      added.push(alias);
      continue;
    }
    // Held by the batch's first alias of it when this statement inserted it, else by whoever the database names.
    const existingHolderId = newlyInserted.has(alias.identifier) ? aliases.find((a) => a.identifier === alias.identifier)!.holderId : holders.get(alias.identifier);
    if (existingHolderId !== undefined && existingHolderId !== alias.holderId) conflicts.push({ alias, existingHolderId });
  }
  if (conflicts.length > 0) {
    await executor('identifier_conflicts')
      .insert(conflicts.map(({ alias, existingHolderId }) => ({
        identifier: alias.identifier, kind: alias.kind, claimed_holder_id: alias.holderId, existing_holder_id: existingHolderId, source: alias.source,
        licence_id: alias.licenceId, claimed_by: alias.addedBy, reason: alias.reason, at: alias.addedAt,
      })))
      .onConflict(['identifier', 'claimed_holder_id'])
      .ignore();
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
