/*
 * RFC 9162 (Certificate Transparency v2) Merkle tree hashing and
 * consistency-proof verification (§2.1.4.2), SHA-256.
 *
 *   leaf hash  = SHA-256(0x00 || leaf)
 *   node hash  = SHA-256(0x01 || left || right)
 *
 * Tree sizes are handled as BigInt internally: the verification algorithm
 * right-shifts the (size - 1) values, and JavaScript's bitwise operators on
 * numbers truncate to 32 bits.
 */
import { createHash } from 'node:crypto';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export const HASH_SIZE = 32;

export function hashLeaf(leaf: Uint8Array): Buffer {
    return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
    return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

function toBigInt(n: number | bigint, name: string): bigint {
    if (typeof n === 'bigint') {
        return n;
    }
    if (!Number.isSafeInteger(n)) {
        throw new RangeError(`${name} must be a safe integer`);
    }
    return BigInt(n);
}

/**
 * Verifies that `proof` proves the tree of size `first` with root `firstHash`
 * is a prefix of the tree of size `second` with root `secondHash`
 * (RFC 9162 §2.1.4.2). Returns false on any mismatch; never throws for a
 * well-typed but wrong proof.
 *
 * Edge cases outside the RFC algorithm's precondition (0 < first < second):
 *   - first == second: valid iff the proof is empty and the roots are equal;
 *   - first == 0: valid iff the proof is empty (the empty tree is a prefix of
 *     every tree);
 *   - first > second: never valid.
 */
export function verifyConsistency(
    first: number | bigint,
    second: number | bigint,
    firstHash: Uint8Array,
    secondHash: Uint8Array,
    proof: readonly Uint8Array[],
): boolean {
    const m = toBigInt(first, 'first');
    const n = toBigInt(second, 'second');
    if (m < 0n || n < 0n || m > n) {
        return false;
    }
    if (firstHash.length !== HASH_SIZE || secondHash.length !== HASH_SIZE) {
        return false;
    }
    if (proof.some((p) => p.length !== HASH_SIZE)) {
        return false;
    }
    if (m === n) {
        return proof.length === 0 && Buffer.from(firstHash).equals(secondHash);
    }
    if (m === 0n) {
        return proof.length === 0;
    }

    // 1. An empty consistency_path fails.
    if (proof.length === 0) {
        return false;
    }
    // 2. If first is an exact power of 2, prepend first_hash.
    const path: Uint8Array[] = (m & (m - 1n)) === 0n ? [firstHash, ...proof] : [...proof];
    // 3. fn = first - 1, sn = second - 1.
    let fn = m - 1n;
    let sn = n - 1n;
    // 4. If LSB(fn) is set, right-shift both until it is not.
    while ((fn & 1n) === 1n) {
        fn >>= 1n;
        sn >>= 1n;
    }
    // 5. fr = sr = first value of the path.
    let fr: Buffer = Buffer.from(path[0] as Uint8Array);
    let sr: Buffer = Buffer.from(path[0] as Uint8Array);
    // 6. For each subsequent value c.
    for (let i = 1; i < path.length; i++) {
        const c = path[i] as Uint8Array;
        if (sn === 0n) {
            return false;
        }
        if ((fn & 1n) === 1n || fn === sn) {
            fr = hashChildren(c, fr);
            sr = hashChildren(c, sr);
            if ((fn & 1n) === 0n) {
                while ((fn & 1n) === 0n && fn !== 0n) {
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
    // 7. fr == first_hash, sr == second_hash, sn == 0.
    return fr.equals(firstHash) && sr.equals(secondHash) && sn === 0n;
}
