/**
 * The log store on knex (PostgreSQL or PGlite). Appends run inside the caller's transaction and
 * serialise on the origin's head row; every perfect subtree hash is stored when it completes, so the root,
 * an inclusion proof and a consistency proof each cost one batched read of O(log n) nodes at any size.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalJson } from '../proofs/canonical-json.ts';
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import { buildConsistencyProof, buildInclusionProof, consistencyProofNodes, EMPTY_ROOT, hashChildren, hashLeaf, inclusionProofNodes, rootFromNodes, rootNodes } from '../proofs/merkle.ts';
import type { NodeId } from '../proofs/merkle.ts';
import type { LedgerAnchor } from '../ledger/ledger.ts';
import type { AnchoringAlarm, LogEntry, LogStore, StatusOutboxEntry, StoredCheckpoint, StoredLeaf } from './log-types.ts';

type Executor = Knex | Knex.Transaction;

export function canonicalLeaf(leaf: Record<string, unknown>): string {
  const text = canonicalJson(leaf);
  if (text === undefined) throw new Error('leaf is not JSON-serialisable');
  return text;
}

/** Appends entries in order within `trx`; returns their leaf indices. */
export async function appendLeaves(trx: Knex.Transaction, entries: LogEntry[]): Promise<number[]> {
  const indices = new Array<number>(entries.length);
  const byOrigin = new Map<string, number[]>();
  entries.forEach((entry, position) => {
    const positions = byOrigin.get(entry.origin);
    if (positions) positions.push(position);
    else byOrigin.set(entry.origin, [position]);
  });
  for (const [origin, positions] of byOrigin) {
    const first = await appendToLog(trx, origin, positions.map((p) => entries[p]!));
    positions.forEach((p, k) => (indices[p] = first + k));
  }
  return indices;
}

const ROWS_PER_INSERT = 5000;
const UTF8 = new TextEncoder();

/**
 * Appends a batch to one log with a fixed number of statements, whatever its size: move the head (which
 * locks it), read the stored left siblings the batch will complete, insert leaves and new perfect-subtree
 * nodes. Returns the first new leaf index.
 */
async function appendToLog(trx: Knex.Transaction, origin: string, entries: LogEntry[]): Promise<number> {
  // Lock the head and move it in one statement (the row lock is held to commit, which serialises
  // appenders); the row exists after the first append, so it is created only the first time.
  const moveHead = () => trx('log_heads').where({ origin }).increment('size', entries.length).returning('size');
  let moved = await moveHead();
  if (moved.length === 0) {
    await trx('log_heads').insert({ origin, size: 0 }).onConflict('origin').ignore();
    moved = await moveHead();
  }
  const start = Number(moved[0]!.size) - entries.length;
  const known = new Map<string, Uint8Array>();
  const nodeKey = (level: number, index: number) => `${level}/${index}`;
  const needed = frontierNodesCompletedBy(start, entries.length);
  if (needed.length > 0) {
    const rows = await trx('log_nodes').where({ origin }).whereIn(['level', 'node_index'], needed.map((n) => [n.level, n.index])).select('level', 'node_index', 'hash');
    for (const r of rows) known.set(nodeKey(Number(r.level), Number(r.node_index)), new Uint8Array(r.hash));
  }
  const leaves: Array<{ i: number; d: string; h: string; s: string }> = [];
  const nodes: Array<{ l: number; i: number; h: string }> = [];
  entries.forEach((entry, k) => {
    const index = start + k;
    const data = canonicalLeaf(entry.leaf);
    let hash = hashLeaf(UTF8.encode(data));
    const leafHashHex = bytesToHex(hash); // for PostgreSQL's decode(…, 'hex')
    leaves.push({ i: index, d: data, h: leafHashHex, s: entry.subject });
    let level = 0;
    let position = index;
    known.set(nodeKey(level, position), hash);
    nodes.push({ l: level, i: position, h: leafHashHex });
    // Each completed left sibling makes the parent perfect: carry upwards while we are a right child.
    while (position % 2 === 1) {
      const left = known.get(nodeKey(level, position - 1));
      if (!left) throw new Error(`log ${origin}: node ${level}/${position - 1} is missing`);
      hash = hashChildren(left, hash);
      level += 1;
      position = (position - 1) / 2;
      known.set(nodeKey(level, position), hash);
      nodes.push({ l: level, i: position, h: bytesToHex(hash) });
    }
  });
  await insertAsJson(trx, `INSERT INTO log_leaves (origin, leaf_index, leaf_data, leaf_hash, subject)
    SELECT ?, l.i, l.d, decode(l.h, 'hex'), l.s FROM json_to_recordset(?::json) AS l(i bigint, d text, h text, s text)`, origin, leaves);
  await insertAsJson(trx, `INSERT INTO log_nodes (origin, level, node_index, hash)
    SELECT ?, n.l, n.i, decode(n.h, 'hex') FROM json_to_recordset(?::json) AS n(l smallint, i bigint, h text)`, origin, nodes);
  return start;
}

/**
 * Runs `insert` (two placeholders: the origin, then a JSON array of rows) once per ROWS_PER_INSERT rows. One
 * JSON parameter per statement: PostgreSQL unpacks the rows, where a multi-row VALUES insert costs knex a
 * compile and pg a conversion per value, and PostgreSQL a parse of thousands of placeholders.
 */
async function insertAsJson(trx: Knex.Transaction, insert: string, origin: string, rows: unknown[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await trx.raw(insert, [origin, JSON.stringify(rows.slice(i, i + ROWS_PER_INSERT))]);
}

/**
 * The stored perfect subtrees on the tree's right edge (one per set bit of `size`) that appending
 * `count` leaves completes into a parent: the only old nodes the append has to read.
 */
function frontierNodesCompletedBy(size: number, count: number): Array<{ level: number; index: number }> {
  const nodes: Array<{ level: number; index: number }> = [];
  for (let level = 0, span = 1; span <= size; level += 1, span *= 2) {
    const hasSubtree = Math.floor(size / span) % 2 === 1;
    const completed = Math.floor((size + count) / (2 * span)) > Math.floor(size / (2 * span));
    if (hasSubtree && completed) nodes.push({ level, index: Math.floor(size / span) - 1 });
  }
  return nodes;
}

export async function enqueueLedgerStatus(trx: Knex.Transaction, entries: StatusOutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx('ledger_status_outbox').insert(entries.map((e) => ({ origin: e.origin, licence_id: e.licenceId, status: e.status, reason_sha256: e.reasonSha256, changed_at: e.changedAt })));
}

function toCheckpoint(r: Record<string, any>): StoredCheckpoint {
  return {
    origin: r.origin,
    size: Number(r.size),
    rootHash: new Uint8Array(r.root_hash),
    note: r.note,
    createdAt: new Date(r.created_at).toISOString(),
    anchor: r.anchor ?? null,
    anchorAttempts: Number(r.anchor_attempts),
    anchorError: r.anchor_error ?? null,
  };
}

export class KnexLogStore implements LogStore {
  constructor(private readonly db: Database) {}

  async size(origin: string, executor: Executor = this.db): Promise<number> {
    const head = await executor('log_heads').where({ origin }).first('size');
    return head ? Number(head.size) : 0;
  }

  /** Fetches the named perfect-subtree hashes in one query. */
  private async nodes(origin: string, ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
    const found = new Map<string, Uint8Array>();
    if (ids.length === 0) return found;
    const rows = await this.db('log_nodes')
      .where({ origin })
      .whereIn(['level', 'node_index'], ids.map((id) => [id.level, id.index]))
      .select('level', 'node_index', 'hash');
    for (const r of rows) found.set(`${r.level}:${Number(r.node_index)}`, new Uint8Array(r.hash));
    return found;
  }

  private async getter(origin: string, ids: readonly NodeId[]) {
    const found = await this.nodes(origin, ids);
    return (level: number, index: number): Uint8Array => {
      const hash = found.get(`${level}:${index}`);
      if (!hash) throw new Error(`log ${origin}: node ${level}:${index} is missing`);
      return hash;
    };
  }

  async root(origin: string, size: number): Promise<Uint8Array> {
    if (size === 0) return EMPTY_ROOT;
    return rootFromNodes(size, await this.getter(origin, rootNodes(size)));
  }

  async inclusionProof(origin: string, index: number, size: number): Promise<Uint8Array[]> {
    return buildInclusionProof(index, size, await this.getter(origin, inclusionProofNodes(index, size).nodes));
  }

  async consistencyProof(origin: string, size1: number, size2: number): Promise<Uint8Array[]> {
    return buildConsistencyProof(size1, size2, await this.getter(origin, consistencyProofNodes(size1, size2).nodes));
  }

  async leaves(origin: string, start: number, end: number): Promise<StoredLeaf[]> {
    const rows = await this.db('log_leaves').where({ origin }).andWhere('leaf_index', '>=', start).andWhere('leaf_index', '<', end).orderBy('leaf_index');
    return rows.map((r) => ({ origin, index: Number(r.leaf_index), subject: r.subject, data: r.leaf_data, createdAt: new Date(r.created_at).toISOString() }));
  }

  async leavesAbout(origin: string, subject: string): Promise<StoredLeaf[]> {
    const rows = await this.db('log_leaves').where({ origin, subject }).orderBy('leaf_index');
    return rows.map((r) => ({ origin, index: Number(r.leaf_index), subject: r.subject, data: r.leaf_data, createdAt: new Date(r.created_at).toISOString() }));
  }

  async latestCheckpoint(origin: string, opts: { anchoredOnly?: boolean } = {}): Promise<StoredCheckpoint | null> {
    const q = this.db('log_checkpoints').where({ origin }).orderBy('size', 'desc').first();
    if (opts.anchoredOnly) q.whereNotNull('anchor');
    const row = await q;
    return row ? toCheckpoint(row) : null;
  }

  /** The smallest checkpoint that covers leaf `index`, preferring anchored ones (for receipts). */
  async checkpointCovering(origin: string, index: number): Promise<StoredCheckpoint | null> {
    const anchored = await this.db('log_checkpoints').where({ origin }).andWhere('size', '>', index).whereNotNull('anchor').orderBy('size', 'desc').first();
    if (anchored) return toCheckpoint(anchored);
    const any = await this.db('log_checkpoints').where({ origin }).andWhere('size', '>', index).orderBy('size', 'desc').first();
    return any ? toCheckpoint(any) : null;
  }

  async firstAnchoredCheckpointCovering(origin: string, index: number): Promise<StoredCheckpoint | null> {
    const row = await this.db('log_checkpoints').where({ origin }).andWhere('size', '>', index).whereNotNull('anchor').orderBy('size', 'asc').first();
    return row ? toCheckpoint(row) : null;
  }

  async listCheckpoints(origin: string, limit: number, beforeSize?: number): Promise<StoredCheckpoint[]> {
    const q = this.db('log_checkpoints').where({ origin }).orderBy('size', 'desc').limit(limit);
    if (beforeSize !== undefined) q.andWhere('size', '<', beforeSize);
    return (await q).map(toCheckpoint);
  }

  async checkpointsAfter(origin: string, afterSize: number, limit: number): Promise<StoredCheckpoint[]> {
    return (await this.db('log_checkpoints').where({ origin }).andWhere('size', '>', afterSize).orderBy('size').limit(limit)).map(toCheckpoint);
  }

  async nodeHashes(origin: string, level: number, start: number, end: number): Promise<Uint8Array[]> {
    if (end <= start) return [];
    const rows = await this.db('log_nodes')
      .where({ origin, level })
      .andWhere('node_index', '>=', start)
      .andWhere('node_index', '<', end)
      .orderBy('node_index')
      .select('node_index', 'hash');
    // Perfect subtrees are stored when they complete, so a range below the tree size has no gaps.
    if (rows.length !== end - start) throw new Error(`log ${origin}: ${end - start - rows.length} of the level ${level} nodes [${start}, ${end}) are missing`);
    return rows.map((r) => new Uint8Array(r.hash));
  }

  async pendingCheckpoints(origin: string): Promise<StoredCheckpoint[]> {
    return (await this.db('log_checkpoints').where({ origin }).whereNull('anchor').orderBy('size')).map(toCheckpoint);
  }

  /** `createdAt` is the anchorer's clock, so its interval policy compares times from one clock. */
  async saveCheckpoint(origin: string, size: number, rootHash: Uint8Array, note: string, createdAt: Date): Promise<void> {
    await this.db('log_checkpoints').insert({ origin, size, root_hash: Buffer.from(rootHash), note, created_at: createdAt.toISOString() }).onConflict(['origin', 'size']).ignore();
  }

  async recordAnchor(origin: string, size: number, anchor: LedgerAnchor): Promise<void> {
    await this.db('log_checkpoints').where({ origin, size }).update({ anchor: JSON.stringify(anchor), anchor_error: null });
  }

  async recordAnchorFailure(origin: string, size: number, error: string): Promise<void> {
    await this.db('log_checkpoints').where({ origin, size }).update({ anchor_error: error.slice(0, 1000), anchor_attempts: this.db.raw('anchor_attempts + 1') });
  }

  async pendingStatusWrites(limit: number): Promise<Array<StatusOutboxEntry & { id: number }>> {
    const rows = await this.db('ledger_status_outbox').whereNull('anchor').orderBy('id').limit(limit);
    return rows.map((r) => ({ id: Number(r.id), origin: r.origin, licenceId: r.licence_id, status: r.status, reasonSha256: r.reason_sha256, changedAt: new Date(r.changed_at).toISOString() }));
  }

  async countPendingStatusWrites(): Promise<number> {
    const [row] = await this.db('ledger_status_outbox').whereNull('anchor').count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  async recordStatusWritten(id: number, anchor: LedgerAnchor): Promise<void> {
    await this.db('ledger_status_outbox').where({ id }).update({ anchor: JSON.stringify(anchor), last_error: null });
  }

  async recordStatusFailure(id: number, error: string): Promise<void> {
    await this.db('ledger_status_outbox').where({ id }).update({ last_error: error.slice(0, 1000), attempts: this.db.raw('attempts + 1') });
  }

  async raiseAlarm(alarm: Omit<AnchoringAlarm, 'firstSeenAt' | 'lastSeenAt'>, at: Date): Promise<void> {
    await this.db('anchoring_alarms')
      .insert({
        origin: alarm.origin, kind: alarm.kind, detail: alarm.detail.slice(0, 2000), ledger_size: alarm.ledgerSize, ledger_root_hex: alarm.ledgerRootHex,
        ledger_tx_id: alarm.ledgerTxId, log_size: alarm.logSize, first_seen_at: at, last_seen_at: at, cleared_at: null,
      })
      .onConflict(['origin', 'ledger_tx_id'])
      .merge({ kind: alarm.kind, detail: alarm.detail.slice(0, 2000), log_size: alarm.logSize, last_seen_at: at, cleared_at: null });
  }

  async clearAlarms(origin: string, at: Date): Promise<number> {
    return this.db('anchoring_alarms').where({ origin }).whereNull('cleared_at').update({ cleared_at: at });
  }

  async openAlarms(): Promise<AnchoringAlarm[]> {
    const rows = await this.db('anchoring_alarms').whereNull('cleared_at').orderBy('first_seen_at');
    return rows.map((r) => ({
      origin: r.origin, kind: r.kind, detail: r.detail, ledgerSize: Number(r.ledger_size), ledgerRootHex: r.ledger_root_hex, ledgerTxId: r.ledger_tx_id,
      logSize: Number(r.log_size), firstSeenAt: new Date(r.first_seen_at).toISOString(), lastSeenAt: new Date(r.last_seen_at).toISOString(),
    }));
  }
}

