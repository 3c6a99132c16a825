/**
 * The licence log's invariants, checked straight from the database after concurrency, crashes or
 * outages: the head size equals the number of leaves, leaf indices run 0 … size-1 with no gap and no
 * duplicate, every stored leaf hash is the RFC 9162 §2.1.1 hash of its stored data, and every licence has
 * exactly one `licence.issued` leaf. The checkpoint check recomputes the Merkle tree head from the stored
 * leaves alone (not from the node table the service maintains) and compares it with what was signed.
 */
import { expect } from 'chai';
import type { Database } from '../../src/db/database.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { parseCheckpoint } from '../../src/proofs/checkpoint.ts';
import { bytesEqual } from '../../src/proofs/bytes.ts';
import { hashLeaf, rootFromLeafHashes } from '../../src/proofs/merkle.ts';

/** The licence log's origin in services started by test/support/service-process.ts (set there explicitly). */
export const LICENCE_LOG_ORIGIN = 'licence-vault.test/licences';
export const ACCESS_LOG_ORIGIN = 'licence-vault.test/accesses';

const count = async (db: Database, sql: string, bindings: ReadonlyArray<string | number>) => Number((await db.raw(sql, bindings)).rows[0].n);

/** Asserts the invariants above; returns the log size and the number of licences it covers. */
export async function assertLicenceLogConsistent(db: Database, origin = LICENCE_LOG_ORIGIN): Promise<{ size: number; licences: number }> {
  const size = await count(db, 'select coalesce(max(size), 0) as n from log_heads where origin = ?', [origin]);
  expect(await count(db, 'select count(*) as n from log_leaves where origin = ?', [origin]), 'one leaf per head position').to.equal(size);
  expect(await count(db, 'select count(distinct leaf_index) as n from log_leaves where origin = ? and leaf_index >= 0 and leaf_index < ?', [origin, size]), 'leaf indices 0 … size-1, no gap').to.equal(size);

  const leaves = await db('log_leaves').where({ origin }).orderBy('leaf_index').select('leaf_index', 'leaf_data', 'leaf_hash');
  for (const leaf of leaves) {
    const recomputed = hashLeaf(new TextEncoder().encode(leaf.leaf_data));
    expect(bytesEqual(recomputed, new Uint8Array(leaf.leaf_hash)), `leaf ${leaf.leaf_index}: stored hash is the hash of its data`).to.equal(true);
  }

  const issuedLeaf = `select subject, count(*) as leaves from log_leaves where origin = ? and (leaf_data::jsonb)->>'kind' = 'licence.issued' group by subject`;
  expect(await count(db, `select count(*) as n from (${issuedLeaf}) s where s.leaves <> 1`, [origin]), 'no licence with two issuance leaves').to.equal(0);
  const licences = await count(db, 'select count(*) as n from licences', []);
  expect(await count(db, `select count(*) as n from licences l join (${issuedLeaf}) s on s.subject = l.id`, [origin]), 'every licence has its issuance leaf').to.equal(licences);
  expect(await count(db, `select count(*) as n from (${issuedLeaf}) s where not exists (select 1 from licences l where l.id = s.subject)`, [origin]), 'no issuance leaf without its licence').to.equal(0);
  return { size, licences };
}

/** The Merkle tree head of the first `size` stored leaves, computed from their data alone. */
export async function rootFromStoredLeaves(db: Database, size: number, origin = LICENCE_LOG_ORIGIN): Promise<Uint8Array> {
  const leaves = await db('log_leaves').where({ origin }).andWhere('leaf_index', '<', size).orderBy('leaf_index').select('leaf_data');
  expect(leaves.length).to.equal(size);
  return rootFromLeafHashes(leaves.map((l) => hashLeaf(new TextEncoder().encode(l.leaf_data))));
}

/**
 * Asserts the newest anchored checkpoint covers the whole log and signs the root recomputed from its
 * leaves, and (given the ledger) that the ledger's anchor is that same tree head.
 */
export async function assertAnchoredCheckpointMatchesLeaves(db: Database, opts: { origin?: string; ledger?: Ledger } = {}): Promise<{ size: number }> {
  const { origin = LICENCE_LOG_ORIGIN, ledger } = opts;
  const size = await count(db, 'select coalesce(max(size), 0) as n from log_heads where origin = ?', [origin]);
  const checkpoint = await db('log_checkpoints').where({ origin }).whereNotNull('anchor').orderBy('size', 'desc').first();
  expect(checkpoint, 'an anchored checkpoint exists').to.not.equal(undefined);
  expect(Number(checkpoint.size), 'the anchored checkpoint covers the whole log').to.equal(size);
  const recomputed = await rootFromStoredLeaves(db, size, origin);
  expect(Buffer.from(checkpoint.root_hash).toString('hex'), 'checkpoint root = root of the stored leaves').to.equal(Buffer.from(recomputed).toString('hex'));
  const signed = parseCheckpoint(checkpoint.note);
  expect(signed.size).to.equal(size);
  expect(Buffer.from(signed.rootHash).toString('hex'), 'the signed note carries that root').to.equal(Buffer.from(recomputed).toString('hex'));
  if (ledger) {
    const onLedger = await ledger.getAnchoredCheckpoint(origin);
    expect(onLedger?.size, 'the ledger holds the anchor of that size').to.equal(size);
    expect(Buffer.from(onLedger!.rootHash).toString('hex'), 'the ledger holds that root').to.equal(Buffer.from(recomputed).toString('hex'));
  }
  return { size };
}
