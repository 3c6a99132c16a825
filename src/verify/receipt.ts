/**
 * The issuance receipt (GET /licences/{id}/receipt) and its strict parser.
 * Pure and browser-compatible: no `node:*`, no Buffer, no I/O.
 */
import { base64Decode } from '../proofs/base64.ts';
import { HASH_SIZE } from '../proofs/merkle.ts';
import { fail } from '../proofs/verification-error.ts';
/**
 * The ledger transaction that anchored the receipt's checkpoint, as the receipt carries it (the service's
 * LedgerAnchor has this shape; the verifier defines what it reads, so it depends on no service code).
 */
export interface ReceiptAnchor {
  network: string;
  channel?: string;
  chaincode?: string;
  txId: string;
  blockNumber: number | null;
  anchoredAt: string;
  /** Set when this checkpoint is covered by the anchor of a later checkpoint of this size. */
  coveredBySize?: number;
}

export interface Receipt {
  licenceId: string;
  leafIndex: number;
  treeSize: number;
  /** The canonical JSON leaf, as a string; includes "documentSha256": "<hex>" and "licenceId". */
  leafData: string;
  /** Base64 of 32-byte hashes, RFC 9162 order. */
  inclusionProof: string[];
  /** The signed C2SP checkpoint note. */
  checkpoint: string;
  anchor: ReceiptAnchor | null;
}

/** The fields of the leaf the verifier relies on (other fields are carried but not interpreted). */
export interface LeafFields {
  licenceId: string;
  /** Lowercase hex SHA-256 of the signed PDF. */
  documentSha256: string;
  [key: string]: unknown;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Leaf kind written at issuance (src/licences/licence-leaves.ts). */
const ISSUED_KIND = 'licence.issued';

function malformed(message: string): never {
  return fail('RECEIPT_MALFORMED', `receipt malformed: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, path: string, opts: { nonEmpty?: boolean } = {}): string {
  const v = o[key];
  if (typeof v !== 'string') malformed(`${path}${key} must be a string, got ${describe(v)}`);
  if (opts.nonEmpty !== false && v.length === 0) malformed(`${path}${key} must not be empty`);
  return v;
}

function count(o: Record<string, unknown>, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    malformed(`${path}${key} must be a non-negative safe integer, got ${describe(v)}`);
  }
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return `number ${String(v)}`;
  return typeof v;
}

// Why: receipts arrive as untrusted JSON (CLI file, API body); every field is type-checked so the verifier never trips over a wrong shape.
export function parseReceipt(json: unknown): Receipt {
  if (!isRecord(json)) malformed(`expected a JSON object, got ${describe(json)}`);
  const licenceId = str(json, 'licenceId', '');
  const leafIndex = count(json, 'leafIndex', '');
  const treeSize = count(json, 'treeSize', '');
  if (leafIndex >= treeSize) malformed(`leafIndex ${leafIndex} must be below treeSize ${treeSize}`);
  const leafData = str(json, 'leafData', '');
  parseLeafData(leafData);
  const proof = json['inclusionProof'];
  if (!Array.isArray(proof)) malformed(`inclusionProof must be an array, got ${describe(proof)}`);
  const inclusionProof = proof.map((p: unknown, i: number) => {
    if (typeof p !== 'string') malformed(`inclusionProof[${i}] must be a string, got ${describe(p)}`);
    const bytes = base64Decode(p);
    if (bytes === undefined || bytes.length !== HASH_SIZE) {
      malformed(`inclusionProof[${i}] must be standard base64 of ${HASH_SIZE} bytes`);
    }
    return p;
  });
  const checkpoint = str(json, 'checkpoint', '');
  const anchor = parseAnchor(json['anchor']);
  return { licenceId, leafIndex, treeSize, leafData, inclusionProof, checkpoint, anchor };
}

function parseAnchor(v: unknown): ReceiptAnchor | null {
  if (v === null) return null;
  if (v === undefined) malformed('anchor must be an object or null, got undefined');
  if (!isRecord(v)) malformed(`anchor must be an object or null, got ${describe(v)}`);
  const network = str(v, 'network', 'anchor.');
  const txId = str(v, 'txId', 'anchor.');
  const anchoredAt = str(v, 'anchoredAt', 'anchor.');
  if (Number.isNaN(Date.parse(anchoredAt))) malformed(`anchor.anchoredAt is not a date-time: ${JSON.stringify(anchoredAt)}`);
  const bn = v['blockNumber'];
  if (bn !== null && (typeof bn !== 'number' || !Number.isSafeInteger(bn) || bn < 0)) {
    malformed(`anchor.blockNumber must be a non-negative safe integer or null, got ${describe(bn)}`);
  }
  const anchor: ReceiptAnchor = { network, txId, blockNumber: bn as number | null, anchoredAt };
  for (const key of ['channel', 'chaincode'] as const) {
    if (v[key] !== undefined) anchor[key] = str(v, key, 'anchor.');
  }
  const covered = v['coveredBySize'];
  if (covered !== undefined) {
    if (typeof covered !== 'number' || !Number.isSafeInteger(covered) || covered < 0) {
      malformed(`anchor.coveredBySize must be a non-negative safe integer, got ${describe(covered)}`);
    }
    anchor.coveredBySize = covered;
  }
  return anchor;
}

// Why: the leaf is the log entry itself; the verifier needs its licenceId and documentSha256 to bind the PDF to the log.
export function parseLeafData(leafData: string): LeafFields {
  let leaf: unknown;
  try {
    leaf = JSON.parse(leafData);
  } catch {
    malformed('leafData is not valid JSON');
  }
  if (!isRecord(leaf)) malformed(`leafData must be a JSON object, got ${describe(leaf)}`);
  // Only issuance leaves bind a document; a receipt pointing at e.g. a status-change leaf is not a licence receipt.
  if (leaf['kind'] !== undefined && leaf['kind'] !== ISSUED_KIND) {
    malformed(`leafData.kind must be ${JSON.stringify(ISSUED_KIND)} when present, got ${JSON.stringify(leaf['kind'])}`);
  }
  const licenceId = str(leaf, 'licenceId', 'leafData.');
  const documentSha256 = str(leaf, 'documentSha256', 'leafData.');
  if (!SHA256_HEX.test(documentSha256)) malformed('leafData.documentSha256 must be 64 lowercase hex digits');
  return { ...leaf, licenceId, documentSha256 };
}

/**
 * The hashes of a proof (an array of standard base64 strings of 32 bytes each), or the index of the first
 * element that is not one.
 */
export function decodeProofHashes(proof: readonly unknown[]): Uint8Array[] | { badIndex: number } {
  const hashes: Uint8Array[] = [];
  for (const [i, p] of proof.entries()) {
    const bytes = typeof p === 'string' ? base64Decode(p) : undefined;
    if (bytes === undefined || bytes.length !== HASH_SIZE) return { badIndex: i };
    hashes.push(bytes);
  }
  return hashes;
}

/** Decodes the (already validated) inclusion proof. */
export function decodeInclusionProof(proof: readonly string[]): Uint8Array[] {
  const hashes = decodeProofHashes(proof);
  if ('badIndex' in hashes) malformed(`inclusionProof[${hashes.badIndex}] must be standard base64 of ${HASH_SIZE} bytes`);
  return hashes;
}
