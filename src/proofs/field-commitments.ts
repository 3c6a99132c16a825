/**
 * Salted field commitments (as OpenAttestation / OpenCerts do): each field is committed as
 * SHA-256(canonical JSON {name, salt, value}); the commitments, ordered by field name, are the leaves of an
 * RFC 9162 Merkle tree whose root goes into the licence's log leaf. Disclosing a field = its value, salt
 * and inclusion proof; undisclosed fields stay hidden behind their salted hashes.
 * Pure and browser-compatible (no node: imports), so the verifier and the pages can use it.
 */
import { canonicalJson } from './canonical-json.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { buildInclusionProof, hashLeaf, rootFromLeafHashes, verifyInclusion } from './merkle.ts';
import { base64Decode, base64Encode } from './checkpoint.ts';

export interface DisclosedField {
  name: string;
  value: unknown;
  /** base64 salt */
  salt: string;
  /** position of the field in name order, and the number of committed fields */
  index: number;
  count: number;
  /** base64 RFC 9162 inclusion proof of the commitment */
  proof: string[];
}

export function fieldCommitment(name: string, value: unknown, salt: string): Uint8Array {
  const text = canonicalJson({ name, salt, value });
  if (text === undefined) throw new Error(`field ${name} is not JSON-serialisable`);
  return sha256(new TextEncoder().encode(text));
}

function leafHashes(fields: Record<string, unknown>, salts: Record<string, string>): { names: string[]; hashes: Uint8Array[] } {
  const names = Object.keys(fields).sort();
  const hashes = names.map((name) => {
    const salt = salts[name];
    if (!salt) throw new Error(`no salt for field ${name}`);
    return hashLeaf(fieldCommitment(name, fields[name], salt));
  });
  return { names, hashes };
}

export function fieldCommitmentRoot(fields: Record<string, unknown>, salts: Record<string, string>): string {
  return bytesToHex(rootFromLeafHashes(leafHashes(fields, salts).hashes));
}

/**
 * The commitment tree of a licence's fields, built once, as a function that discloses any subset. A
 * licence's fields and salts never change, so a caller answering many queries about one licence can keep
 * it; each field's disclosure (its proof hashes the tree's nodes again) is worked out once, and handed out
 * frozen, the same for every caller.
 */
export function fieldDiscloser(fields: Record<string, unknown>, salts: Record<string, string>): (which: string[]) => DisclosedField[] {
  const { names, hashes } = leafHashes(fields, salts);
  const getNode = treeGetter(hashes);
  const disclosed = new Map<string, DisclosedField>();
  const disclose = (name: string): DisclosedField => {
    let field = disclosed.get(name);
    if (!field) {
      const index = names.indexOf(name);
      const proof = Object.freeze(buildInclusionProof(index, names.length, getNode).map(base64Encode)) as string[];
      field = Object.freeze({ name, value: fields[name], salt: salts[name]!, index, count: names.length, proof });
      disclosed.set(name, field);
    }
    return field;
  };
  return (which) => which.filter((name) => names.includes(name)).map(disclose);
}

/** Throws VerificationError(INCLUSION_PROOF_INVALID) when the field does not belong to the root. */
export function verifyDisclosedField(field: DisclosedField, rootHex: string): void {
  const proof = field.proof.map((p) => {
    const bytes = base64Decode(p);
    if (!bytes) throw new Error('proof element is not base64');
    return bytes;
  });
  const root = Uint8Array.from(rootHex.match(/../g)!.map((h) => parseInt(h, 16)));
  verifyInclusion(hashLeaf(fieldCommitment(field.name, field.value, field.salt)), field.index, field.count, proof, root);
}

/** Perfect-subtree hashes of a small in-memory tree, in the shape the proof builders ask for. */
function treeGetter(leafHashes: Uint8Array[]) {
  return (level: number, index: number): Uint8Array => rootFromLeafHashes(leafHashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
}
