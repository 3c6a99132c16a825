/**
 * The embedded ledger: an append-only hash chain in the database, each entry signed with the ledger's
 * Ed25519 key. entry_hash = SHA-256(prev_hash ‖ height ‖ tx_id ‖ canonical value); the signature covers
 * entry_hash. It applies the chaincode's rules (grow only, consistent extension) so the embedded default
 * and Fabric behave alike. One machine only: production uses Fabric, which the operator cannot rewrite alone.
 */
import crypto from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Database } from '../db/database.ts';
import { verifyConsistency } from '../proofs/merkle.ts';
import { bytesEqual } from '../proofs/bytes.ts';
import { canonicalJson } from '../proofs/canonical-json.ts';
import type { AnchoredCheckpoint, AnchorRequest, Ledger, LedgerAnchor, LedgerLicenceStatus, LedgerStatusRecord, StatusChange } from './ledger.ts';
import { LedgerError } from './ledger.ts';

const GENESIS: Uint8Array = new Uint8Array(32);
const NETWORK = 'embedded';

interface EntryRow {
  height: string | number;
  tx_id: string;
  kind: string;
  state_key: string;
  value: string;
  prev_hash: Uint8Array;
  entry_hash: Uint8Array;
  signature: Uint8Array;
  created_at: Date | string;
}

export function entryHash(prevHash: Uint8Array, height: number, txId: string, value: string): Uint8Array {
  return new Uint8Array(crypto.createHash('sha256').update(prevHash).update(`\n${height}\n${txId}\n${value}`).digest());
}

export class EmbeddedLedger implements Ledger {
  readonly kind = 'embedded' as const;

  constructor(
    private readonly db: Database,
    /** 32-byte Ed25519 seed. */
    private readonly signingSeed: Uint8Array,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get publicKey(): Uint8Array {
    return ed25519.getPublicKey(this.signingSeed);
  }

  async anchorCheckpoint(request: AnchorRequest): Promise<LedgerAnchor> {
    const rootHex = Buffer.from(request.rootHash).toString('hex');
    return this.append('checkpoint', `checkpoint:${request.origin}`, async (current) => {
      if (current) {
        const stored = JSON.parse(current) as { size: number; rootHex: string };
        if (request.size === stored.size) {
          if (stored.rootHex === rootHex) return null; // idempotent re-anchor
          throw new LedgerError('FORK_DETECTED', `size ${request.size} already anchored with another root`);
        }
        if (request.size < stored.size) throw new LedgerError('SIZE_NOT_INCREASING', `size ${request.size} < anchored ${stored.size}`);
        try {
          verifyConsistency(stored.size, request.size, request.consistencyProof, Buffer.from(stored.rootHex, 'hex'), request.rootHash);
        } catch (error) {
          throw new LedgerError('CONSISTENCY_PROOF_INVALID', (error as Error).message);
        }
      } else if (request.consistencyProof.length > 0) {
        throw new LedgerError('INVALID_ARGUMENT', 'the first anchor of an origin takes no consistency proof');
      }
      return { origin: request.origin, size: request.size, rootHex };
    });
  }

  async getAnchoredCheckpoint(origin: string): Promise<AnchoredCheckpoint | null> {
    const row = await this.latest(`checkpoint:${origin}`);
    if (!row) return null;
    const v = JSON.parse(row.value) as { size: number; rootHex: string };
    return { origin, size: v.size, rootHash: new Uint8Array(Buffer.from(v.rootHex, 'hex')), txId: row.tx_id, blockNumber: Number(row.height), anchoredAt: new Date(row.created_at).toISOString() };
  }

  async setLicenceStatus(change: StatusChange): Promise<LedgerAnchor> {
    const changedAt = canonicalTime(change.changedAt);
    return this.append('status', statusKey(change.origin, change.licenceId), async (current) => {
      if (current) {
        const v = JSON.parse(current) as { status: string; reasonSha256: string; changedAt?: string };
        if (v.status === change.status && v.reasonSha256 === change.reasonSha256 && v.changedAt === changedAt) return null;
        // As the chaincode: a licence's changes are recorded in the order they were made.
        if (v.changedAt !== undefined && changedAt < v.changedAt) {
          throw new LedgerError('TIME_NOT_INCREASING', `licence ${change.licenceId}: change at ${changedAt} is earlier than its last change at ${v.changedAt}`);
        }
      }
      return { origin: change.origin, licenceId: change.licenceId, status: change.status, reasonSha256: change.reasonSha256, changedAt };
    });
  }

  async getLicenceStatus(origin: string, licenceId: string, atTime?: Date): Promise<LedgerStatusRecord | null> {
    const history = await this.statusHistory(origin, licenceId);
    if (!atTime) return history.at(-1) ?? null;
    return history.filter((h) => Date.parse(h.changedAt) <= atTime.getTime()).at(-1) ?? null;
  }

  async statusHistory(origin: string, licenceId: string): Promise<LedgerStatusRecord[]> {
    // Entries from before statuses were kept per origin sit under the licence id alone (one vault, one log).
    const rows = await this.db<EntryRow>('embedded_ledger_entries').whereIn('state_key', [statusKey(origin, licenceId), `status:${licenceId}`]).orderBy('height');
    return rows.map(toStatus);
  }

  async ping(): Promise<void> {
    await this.db.raw('select 1');
  }

  async close(): Promise<void> {}

  /** Recomputes the chain and checks every signature; returns the height verified (auditors, tests). */
  async verifyChain(): Promise<number> {
    const rows = await this.db<EntryRow>('embedded_ledger_entries').orderBy('height');
    let prev: Uint8Array = GENESIS;
    for (const row of rows) {
      const height = Number(row.height);
      if (!bytesEqual(new Uint8Array(row.prev_hash), prev)) throw new Error(`embedded ledger: chain broken at height ${height}`);
      const expected = entryHash(prev, height, row.tx_id, row.value);
      if (!bytesEqual(expected, new Uint8Array(row.entry_hash))) throw new Error(`embedded ledger: entry ${height} was altered`);
      if (!ed25519.verify(new Uint8Array(row.signature), expected, this.publicKey)) throw new Error(`embedded ledger: bad signature at height ${height}`);
      prev = expected;
    }
    return rows.length;
  }

  private latest(stateKey: string): Promise<EntryRow | undefined> {
    return this.db<EntryRow>('embedded_ledger_entries').where({ state_key: stateKey }).orderBy('height', 'desc').first();
  }

  /**
   * Appends one entry under an exclusive lock on the chain tip. `decide` sees the key's current value and
   * returns the new value, or null for an idempotent no-op (then the existing entry's anchor is returned).
   */
  private async append(kind: string, stateKey: string, decide: (current: string | null) => Promise<Record<string, unknown> | null>): Promise<LedgerAnchor> {
    return this.db.transaction(async (trx) => {
      await trx.raw('LOCK TABLE embedded_ledger_entries IN EXCLUSIVE MODE');
      const current = await trx<EntryRow>('embedded_ledger_entries').where({ state_key: stateKey }).orderBy('height', 'desc').first();
      const next = await decide(current?.value ?? null);
      if (next === null) return anchorOf(current!);
      const tip = await trx<EntryRow>('embedded_ledger_entries').orderBy('height', 'desc').first();
      const height = tip ? Number(tip.height) + 1 : 1;
      const prev = tip ? new Uint8Array(tip.entry_hash) : GENESIS;
      const txId = crypto.randomUUID();
      const value = canonicalJson(next)!;
      const hash = entryHash(prev, height, txId, value);
      const createdAt = this.now();
      await trx('embedded_ledger_entries').insert({
        height, tx_id: txId, kind, state_key: stateKey, value,
        prev_hash: Buffer.from(prev), entry_hash: Buffer.from(hash), signature: Buffer.from(ed25519.sign(hash, this.signingSeed)), created_at: createdAt,
      });
      return { network: NETWORK, txId, blockNumber: height, anchoredAt: createdAt.toISOString() };
    });
  }
}

function anchorOf(row: EntryRow): LedgerAnchor {
  return { network: NETWORK, txId: row.tx_id, blockNumber: Number(row.height), anchoredAt: new Date(row.created_at).toISOString() };
}

function statusKey(origin: string, licenceId: string): string {
  return `status:${origin}|${licenceId}`;
}

function toStatus(row: EntryRow): LedgerStatusRecord {
  const v = JSON.parse(row.value) as { licenceId: string; status: LedgerLicenceStatus; reasonSha256: string; changedAt?: string };
  const recordedAt = new Date(row.created_at).toISOString();
  // Entries written before changes carried their own time were stamped with the ledger's time only.
  return { licenceId: v.licenceId, status: v.status, reasonSha256: v.reasonSha256, txId: row.tx_id, changedAt: v.changedAt ?? recordedAt, recordedAt };
}

/** RFC 3339 in UTC with milliseconds, so times compare as strings (and as the chaincode writes them). */
export function canonicalTime(text: string): string {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) throw new LedgerError('INVALID_ARGUMENT', `not an RFC 3339 time: ${JSON.stringify(text)}`);
  return new Date(ms).toISOString();
}
