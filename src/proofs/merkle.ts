/**
 * RFC 9162 (Certificate Transparency v2, same tree as RFC 6962) Merkle tree
 * hashing, incremental root computation, proof *planning* for a log that stores
 * perfect-subtree hashes, and proof verification.
 *
 * Pure and browser-compatible: no `node:*`, no Buffer, no I/O. Hashes are
 * `Uint8Array`s of 32 bytes (SHA-256 via @noble/hashes).
 *
 * Indices and sizes are JS `number`s: non-negative safe integers (< 2^53).
 * Bit manipulation is done internally with `bigint` so that it is exact above
 * 2^32 (JS bitwise operators on numbers truncate to 32 bits).
 *
 * Node addressing (`NodeId`): `{ level, index }` is the hash of the PERFECT
 * subtree of 2^level leaves covering leaves [index * 2^level, (index + 1) * 2^level).
 * Level 0 nodes are leaf hashes (hashLeaf of the entry). A log that stores every
 * perfect subtree hash as soon as it is complete (see `CompactRange.append`) can
 * serve any root, inclusion proof or consistency proof with O(log n) reads; the
 * non-perfect ("ephemeral") nodes on the ragged right edge are re-composed from
 * perfect ones (see `ProofNodes` and `rehashProof`), mirroring
 * transparency-dev/merkle `proof.Nodes`.
 */
import { sha256 } from '@noble/hashes/sha2.js';

import { bytesEqual } from './bytes.ts';
import { fail } from './verification-error.ts';
import type { VerificationErrorCode } from './verification-error.ts';

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** Identifies a perfect subtree: 2^level leaves starting at leaf index * 2^level. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A perfect-subtree hash together with its address, as the storage layer persists it. */
export interface StoredNode extends NodeId {
  readonly hash: Uint8Array;
}

/** Synchronous lookup of a stored perfect-subtree hash (the caller prefetches the NodeIds). */
export type GetNode = (level: number, index: number) => Uint8Array;

/**
 * Which stored hashes a proof needs, and how to turn them into the proof.
 *
 * `nodes` lists the perfect subtrees to fetch. The proof is `nodes` mapped to
 * their hashes, except that the slice `nodes[rehashBegin, rehashEnd)` (empty when
 * rehashBegin === rehashEnd) stands for ONE proof element: a non-perfect subtree
 * on the right edge of the tree. Those nodes are ordered right-to-left (lowest
 * level first); the element is folded as
 *   h = hash[rehashBegin]; for j in (rehashBegin, rehashEnd): h = hashChildren(hash[j], h).
 * `rehashProof` does exactly that.
 */
export interface ProofNodes {
  readonly nodes: readonly NodeId[];
  readonly rehashBegin: number;
  readonly rehashEnd: number;
}

// Why: the empty tree has a defined root so size-0 checkpoints are verifiable (RFC 9162 §2.1.1: MTH({}) = HASH()).
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

// Why: domain-separates leaves from interior nodes to prevent second-preimage attacks (RFC 9162 §2.1.1: MTH({d0}) = HASH(0x00 || d0)).
export function hashLeaf(leaf: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + leaf.length);
  buf[0] = LEAF_PREFIX;
  buf.set(leaf, 1);
  return sha256(buf);
}

// Why: interior node hash of two subtree hashes (RFC 9162 §2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))).
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

// Why: reference MTH straight from the definition, for tests and small trees (RFC 9162 §2.1.1, k = largest power of two < n).
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  const mth = (lo: number, hi: number): Uint8Array => {
    const n = hi - lo;
    if (n === 0) return EMPTY_ROOT;
    if (n === 1) return leafHashes[lo] as Uint8Array;
    const k = largestPowerOfTwoBelow(n);
    return hashChildren(mth(lo, lo + k), mth(lo + k, hi));
  };
  return mth(0, leafHashes.length);
}

// Why: a tree of `size` leaves is the right-to-left fold of its perfect subtrees, the binary decomposition of size (RFC 9162 §2.1.1 split rule).
export function rootNodes(size: number): NodeId[] {
  assertCount(size, 'size');
  return alignedRangeNodes(0n, BigInt(size));
}

// Why: lets a log compute any historical root from O(log n) stored perfect-subtree hashes (RFC 9162 §2.1.1 MTH).
export function rootFromNodes(size: number, getNode: GetNode): Uint8Array {
  const ids = rootNodes(size);
  if (ids.length === 0) return EMPTY_ROOT;
  let h: Uint8Array | undefined;
  for (let i = ids.length - 1; i >= 0; i--) {
    const id = ids[i] as NodeId;
    const node = fetchNode(getNode, id);
    h = h === undefined ? node : hashChildren(node, h);
  }
  return h as Uint8Array;
}

/**
 * Incremental Merkle tree builder ("compact range" [0, size) of transparency-dev/merkle):
 * keeps only the O(log n) perfect-subtree hashes of the right edge.
 */
export class CompactRange {
  #size: number;
  /** Hashes of the perfect subtrees decomposing [0, size), left to right (decreasing level). */
  #hashes: Uint8Array[];

  constructor() {
    this.#size = 0;
    this.#hashes = [];
  }

  // Why: resume appending after a restart from O(log n) stored nodes instead of rereading leaves (RFC 9162 §2.1.1 decomposition).
  static fromNodes(size: number, getNode: GetNode): CompactRange {
    const range = new CompactRange();
    range.#size = size;
    range.#hashes = rootNodes(size).map((id) => fetchNode(getNode, id));
    return range;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  // Why: appending leaf i completes node (0,i) and each ancestor whose subtree it fills; returning them lets storage persist every perfect subtree once (RFC 9162 §2.1.1).
  append(leafHash: Uint8Array): StoredNode[] {
    assertHash(leafHash, 'leafHash');
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('tree size overflow');
    const leafIndex = this.#size;
    const completed: StoredNode[] = [{ level: 0, index: leafIndex, hash: leafHash }];
    let hash = leafHash;
    let level = 0;
    let n = leafIndex; // number of leaves before this one, shifted down by `level`
    while (n % 2 === 1) {
      const left = this.#hashes.pop() as Uint8Array;
      hash = hashChildren(left, hash);
      level += 1;
      n = Math.floor(n / 2);
      completed.push({ level, index: Math.floor(leafIndex / 2 ** level), hash });
    }
    this.#hashes.push(hash);
    this.#size += 1;
    return completed;
  }

  // Why: current root in O(log n) without rereading leaves (RFC 9162 §2.1.1 MTH, folded right to left).
  root(): Uint8Array {
    if (this.#hashes.length === 0) return EMPTY_ROOT;
    let h = this.#hashes[this.#hashes.length - 1] as Uint8Array;
    for (let i = this.#hashes.length - 2; i >= 0; i--) {
      h = hashChildren(this.#hashes[i] as Uint8Array, h);
    }
    return h;
  }

  /** The right-edge perfect subtrees currently held (same ids as `rootNodes(size)`). */
  nodes(): StoredNode[] {
    const ids = rootNodes(this.#size);
    return ids.map((id, i) => ({ ...id, hash: this.#hashes[i] as Uint8Array }));
  }
}

// Why: names the stored nodes for PATH(m, D[n]) so storage serves it in O(log n) reads (RFC 9162 §2.1.3.1).
export function inclusionProofNodes(index: number, size: number): ProofNodes {
  assertCount(index, 'index');
  assertCount(size, 'size');
  if (index >= size) throw new RangeError(`index ${index} out of bounds for tree size ${size}`);
  return skipFirst(planNodes(BigInt(index), 0, BigInt(size)));
}

// Why: names the stored nodes for PROOF(m, D[n]) so storage serves it in O(log n) reads (RFC 9162 §2.1.4.1).
export function consistencyProofNodes(size1: number, size2: number): ProofNodes {
  assertCount(size1, 'size1');
  assertCount(size2, 'size2');
  if (size1 > size2) throw new RangeError(`size1 ${size1} > size2 ${size2}`);
  // Empty proof: equal trees (SUBPROOF(m, D[m], true) = {}) or growth from the empty tree.
  if (size1 === 0 || size1 === size2) return { nodes: [], rehashBegin: 0, rehashEnd: 0 };
  const s1 = BigInt(size1);
  // Smallest perfect subtree at the right edge of the old tree; the proof starts from it.
  const level = trailingZeros(s1);
  const index = (s1 - 1n) >> BigInt(level);
  const plan = planNodes(index, level, BigInt(size2));
  // If size1 is a power of two that subtree IS the old root, which the verifier already has.
  return isPowerOfTwo(s1) ? skipFirst(plan) : plan;
}

// Why: turns fetched perfect-subtree hashes into the wire proof, composing the one ephemeral right-edge node (RFC 9162 §2.1.1 MTH of D[k:n]).
export function rehashProof(plan: ProofNodes, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length !== plan.nodes.length) {
    throw new RangeError(`got ${hashes.length} hashes but the plan has ${plan.nodes.length} nodes`);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < hashes.length; i++) {
    let h = hashes[i] as Uint8Array;
    if (i === plan.rehashBegin && plan.rehashEnd > plan.rehashBegin) {
      for (i += 1; i < plan.rehashEnd; i++) h = hashChildren(hashes[i] as Uint8Array, h);
      i -= 1;
    }
    out.push(h);
  }
  return out;
}

// Why: inclusion proof PATH(m, D[n]) built from stored perfect-subtree hashes (RFC 9162 §2.1.3.1).
export function buildInclusionProof(index: number, size: number, getNode: GetNode): Uint8Array[] {
  const plan = inclusionProofNodes(index, size);
  return rehashProof(plan, plan.nodes.map((id) => fetchNode(getNode, id)));
}

// Why: consistency proof PROOF(m, D[n]) built from stored perfect-subtree hashes (RFC 9162 §2.1.4.1).
export function buildConsistencyProof(size1: number, size2: number, getNode: GetNode): Uint8Array[] {
  const plan = consistencyProofNodes(size1, size2);
  return rehashProof(plan, plan.nodes.map((id) => fetchNode(getNode, id)));
}

// Why: recompute the root a leaf's audit path implies, with the exact fn/sn walk of RFC 9162 §2.1.3.2.
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  const code: VerificationErrorCode = 'INCLUSION_PROOF_INVALID';
  checkCount(index, 'index', code);
  checkCount(size, 'size', code);
  checkHash(leafHash, 'leaf hash', code);
  proof.forEach((p, i) => checkHash(p, `proof[${i}]`, code));
  // Step 1: leaf_index must be < tree_size.
  if (index >= size) fail(code, `leaf index ${index} is not below tree size ${size}`);
  const expected = inclusionProofLength(BigInt(index), BigInt(size));
  if (proof.length !== expected) {
    fail(code, `inclusion proof has ${proof.length} hashes, expected ${expected} for index ${index} in size ${size}`);
  }
  // Steps 2-4.
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) fail(code, 'inclusion proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashChildren(p, r);
      if ((fn & 1n) === 0n) {
        while (!((fn & 1n) === 1n || fn === 0n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5: sn must be 0.
  if (sn !== 0n) fail(code, 'inclusion proof is too short');
  return r;
}

// Why: proves a leaf hash is at `index` in the tree with `root` (RFC 9162 §2.1.3.2); throws INCLUSION_PROOF_INVALID.
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root', 'INCLUSION_PROOF_INVALID');
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  if (!bytesEqual(computed, root)) {
    fail('INCLUSION_PROOF_INVALID', `inclusion proof for index ${index} does not lead to the given root of size ${size}`);
  }
}

// Why: checks root1 against the proof and returns the size2 root it implies, with the exact fn/sn walk of RFC 9162 §2.1.4.2.
export function rootFromConsistencyProof(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
): Uint8Array {
  const code: VerificationErrorCode = 'CONSISTENCY_PROOF_INVALID';
  checkCount(size1, 'size1', code);
  checkCount(size2, 'size2', code);
  checkHash(root1, 'root1', code);
  proof.forEach((p, i) => checkHash(p, `proof[${i}]`, code));
  if (size1 > size2) fail(code, `size1 ${size1} is larger than size2 ${size2}`);
  if (size1 === size2) {
    // SUBPROOF(m, D[m], true) = {}: the proof between equal sizes is empty and the roots are equal.
    if (proof.length !== 0) fail(code, 'consistency proof between equal sizes must be empty');
    return root1;
  }
  if (size1 === 0) {
    // Every tree extends the empty tree; only the empty proof is accepted, and root1 must be MTH({}).
    if (proof.length !== 0) fail(code, 'consistency proof from the empty tree must be empty');
    if (!bytesEqual(root1, EMPTY_ROOT)) fail(code, 'root of the empty tree must be SHA-256("")');
    fail(code, 'the size2 root cannot be derived from the empty tree; use verifyConsistency');
  }
  // Step 1: an empty path fails.
  if (proof.length === 0) fail(code, 'consistency proof is empty');
  const s1 = BigInt(size1);
  const s2 = BigInt(size2);
  const expected = consistencyProofLength(s1, s2);
  if (proof.length !== expected) {
    fail(code, `consistency proof has ${proof.length} hashes, expected ${expected} for ${size1} -> ${size2}`);
  }
  // Step 2: if first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(s1) ? [root1, ...proof] : [...proof];
  // Steps 3-4.
  let fn = s1 - 1n;
  let sn = s2 - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0n) fail(code, 'consistency proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if ((fn & 1n) === 0n) {
        while (!((fn & 1n) === 1n || fn === 0n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7: fr == first_hash and sn == 0.
  if (sn !== 0n) fail(code, 'consistency proof is too short');
  if (!bytesEqual(fr, root1)) fail(code, `consistency proof does not match the size ${size1} root`);
  return sr;
}

// Why: proves the size2 tree is an append-only extension of the size1 tree (RFC 9162 §2.1.4.2); throws CONSISTENCY_PROOF_INVALID.
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const code: VerificationErrorCode = 'CONSISTENCY_PROOF_INVALID';
  checkHash(root2, 'root2', code);
  if (size1 === 0) {
    checkCount(size2, 'size2', code);
    checkHash(root1, 'root1', code);
    proof.forEach((p, i) => checkHash(p, `proof[${i}]`, code));
    if (proof.length !== 0) fail(code, 'consistency proof from the empty tree must be empty');
    if (!bytesEqual(root1, EMPTY_ROOT)) fail(code, 'root of the empty tree must be SHA-256("")');
    if (size2 === 0 && !bytesEqual(root2, EMPTY_ROOT)) fail(code, 'roots of equal-size trees differ');
    return;
  }
  const computed = rootFromConsistencyProof(size1, size2, proof, root1);
  if (!bytesEqual(computed, root2)) {
    fail(code, `consistency proof does not match the size ${size2} root`);
  }
}

// Why: root/hash comparison for verification results (RFC 9162 §2.1.3.2 step 5); inputs are public, so timing is irrelevant.
// ---------------------------------------------------------------------------
// Internals.

// Why: port of transparency-dev/merkle proof.nodes — seed node, its siblings up to the fork, the ephemeral right part, then left perfect subtrees (RFC 9162 §2.1.3.1).
function planNodes(index: bigint, level: number, size: bigint): ProofNodes {
  // The fork is where the path from (level, index) diverges from the path to leaf `size`.
  const inner = bitLength(index ^ (size >> BigInt(level))) - 1;
  const forkLevel = level + inner;
  const forkIndex = index >> BigInt(inner);
  const begin = forkIndex << BigInt(forkLevel);
  const end = (forkIndex + 1n) << BigInt(forkLevel);

  const nodes: NodeId[] = [toNodeId(level, index)];
  let curLevel = level;
  let curIndex = index;
  for (; curLevel < forkLevel; curLevel++, curIndex >>= 1n) {
    nodes.push(toNodeId(curLevel, curIndex ^ 1n));
  }
  // The ephemeral node (the fork's right sibling, cut by the tree edge) covers [end, size).
  let rehashBegin = nodes.length;
  nodes.push(...alignedRangeNodes(end, size).reverse());
  let rehashEnd = nodes.length;
  // The perfect subtrees of [0, begin) complete the path to the root, lowest first.
  nodes.push(...alignedRangeNodes(0n, begin).reverse());
  if (rehashBegin >= rehashEnd) {
    rehashBegin = 0;
    rehashEnd = 0;
  }
  return { nodes, rehashBegin, rehashEnd };
}

// Why: the first planned node is the proof's own starting point (leaf, or old root when size1 is 2^k), which the verifier already has (RFC 9162 §2.1.4.2 step 2).
function skipFirst(plan: ProofNodes): ProofNodes {
  const shifted = plan.rehashBegin < plan.rehashEnd;
  return {
    nodes: plan.nodes.slice(1),
    rehashBegin: shifted ? plan.rehashBegin - 1 : 0,
    rehashEnd: shifted ? plan.rehashEnd - 1 : 0,
  };
}

// Why: binary decomposition of an aligned leaf range into perfect subtrees (RFC 9162 §2.1.1 split rule; transparency-dev compact.RangeNodes).
/**
 * Perfect subtrees covering [begin, end), left to right (decreasing level).
 * Requires begin to be 0 or a multiple of a power of two >= end - begin, which
 * holds for every range used here (prefixes and the fork's right sibling).
 */
function alignedRangeNodes(begin: bigint, end: bigint): NodeId[] {
  const out: NodeId[] = [];
  let count = end - begin;
  let pos = begin;
  for (let lvl = bitLength(count) - 1; lvl >= 0; lvl--) {
    const bit = 1n << BigInt(lvl);
    if ((count & bit) !== 0n) {
      out.push(toNodeId(lvl, pos >> BigInt(lvl)));
      pos += bit;
      count -= bit;
    }
  }
  return out;
}

// Why: exact expected PATH length so wrong-length proofs fail with a clear message (RFC 9162 §2.1.3.2, implied by the sn checks).
// Expected PATH length: inner part below the divergence from leaf size-1, plus one border hash per set bit above it.
function inclusionProofLength(index: bigint, size: bigint): number {
  const inner = bitLength(index ^ (size - 1n));
  return inner + popCount(index >> BigInt(inner));
}

// Why: exact expected PROOF length, mirroring transparency-dev decompInclProof (RFC 9162 §2.1.4.2, implied by the sn checks).
function consistencyProofLength(size1: bigint, size2: bigint): number {
  const inner = bitLength((size1 - 1n) ^ (size2 - 1n)) - trailingZeros(size1);
  const border = popCount((size1 - 1n) >> BigInt(bitLength((size1 - 1n) ^ (size2 - 1n))));
  return (isPowerOfTwo(size1) ? 0 : 1) + inner + border;
}

// Why: NodeId indices are numbers for storage/JSON; always < 2^53 because they address leaves below a safe-integer size (RFC 9162 §2.1.1 tree layout).
function toNodeId(level: number, index: bigint): NodeId {
  return { level, index: Number(index) };
}

// Why: a wrong-sized stored hash would silently corrupt every proof; fail loudly instead (RFC 9162 §2.1: hashes are HASH_SIZE bytes).
function fetchNode(getNode: GetNode, id: NodeId): Uint8Array {
  const h = getNode(id.level, id.index);
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new RangeError(`getNode(${id.level}, ${id.index}) did not return a ${HASH_SIZE}-byte hash`);
  }
  return h;
}

// Why: exact bit arithmetic on sizes above 2^32 for the fn/sn walks (RFC 9162 §2.1.3.2).
function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

// Why: level of the smallest perfect subtree at the right edge of a tree of size n (RFC 9162 §2.1.4.1 SUBPROOF split).
function trailingZeros(n: bigint): number {
  if (n === 0n) return 0;
  let z = 0;
  while (((n >> BigInt(z)) & 1n) === 0n) z++;
  return z;
}

// Why: number of border hashes above the inner proof part (RFC 9162 §2.1.3.2).
function popCount(n: bigint): number {
  let c = 0;
  for (const ch of n.toString(2)) if (ch === '1') c++;
  return c;
}

// Why: a power-of-two size1 means the old root is itself a node of the new tree (RFC 9162 §2.1.4.2 step 2).
function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

// Why: the MTH split point k (RFC 9162 §2.1.1: largest power of two smaller than n).
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Why: builders are server-side; bad arguments are programming errors, not verification failures (RFC 9162 §2.1 sizes are uint64; we cap at 2^53-1).
function assertCount(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

// Why: every leaf/node hash is exactly HASH_SIZE bytes (RFC 9162 §2.1, SHA-256).
function assertHash(h: Uint8Array, name: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new RangeError(`${name} must be a ${HASH_SIZE}-byte Uint8Array`);
  }
}

// Why: untrusted proof inputs must fail with a stable code, never a bare exception (RFC 9162 §2.1.3.2 step 1).
function checkCount(n: number, name: string, code: VerificationErrorCode): void {
  if (!Number.isSafeInteger(n) || n < 0) fail(code, `${name} must be a non-negative safe integer, got ${String(n)}`);
}

// Why: wrong-length hashes in untrusted input fail with a stable code (RFC 9162 §2.1, SHA-256).
function checkHash(h: Uint8Array, name: string, code: VerificationErrorCode): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) fail(code, `${name} must be a ${HASH_SIZE}-byte hash`);
}

