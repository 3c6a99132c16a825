/*
 * Straightforward reference implementation of RFC 9162 §2.1.1 MTH and
 * §2.1.4.1 PROOF/SUBPROOF, used only to generate proofs in tests. It is
 * deliberately recursive and unoptimised so it mirrors the RFC text.
 */
import { createHash } from 'node:crypto';

import { hashChildren, hashLeaf } from '../../src/merkle';

/** RFC 6962 / 9162 test-vector leaves. */
export const RFC_LEAVES_HEX = [
    '',
    '00',
    '10',
    '2021',
    '3031',
    '40414243',
    '5051525354555657',
    '606162636465666768696a6b6c6d6e6f',
];

/** Roots of the trees of sizes 1..8 built from RFC_LEAVES_HEX (index 0 = size 1). */
export const RFC_ROOTS_HEX = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

export const RFC_LEAVES: Buffer[] = RFC_LEAVES_HEX.map((h) => Buffer.from(h, 'hex'));

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
    let k = 1;
    while (k * 2 < n) {
        k *= 2;
    }
    return k;
}

/** MTH(D[n]) over raw leaf data. */
export function mth(leaves: readonly Uint8Array[]): Buffer {
    const n = leaves.length;
    if (n === 0) {
        return hashEmpty();
    }
    if (n === 1) {
        return hashLeaf(leaves[0] as Uint8Array);
    }
    const k = splitPoint(n);
    return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function hashEmpty(): Buffer {
    return createHash('sha256').digest();
}

/** SUBPROOF(m, D[n], b). */
function subproof(m: number, leaves: readonly Uint8Array[], b: boolean): Buffer[] {
    const n = leaves.length;
    if (m === n) {
        return b ? [] : [mth(leaves)];
    }
    const k = splitPoint(n);
    if (m <= k) {
        return [...subproof(m, leaves.slice(0, k), b), mth(leaves.slice(k))];
    }
    return [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) for 0 < m <= n. */
export function consistencyProof(m: number, leaves: readonly Uint8Array[]): Buffer[] {
    if (m < 1 || m > leaves.length) {
        throw new RangeError(`consistencyProof: need 0 < m <= n, got m=${m} n=${leaves.length}`);
    }
    return subproof(m, leaves, true);
}

/** Deterministic pseudo-random leaves (no Math.random: reproducible across runs). */
export function syntheticLeaves(count: number, seed = 'licence-vault'): Buffer[] {
    return Array.from({ length: count }, (_, i) => createHash('sha256').update(`${seed}:${i}`).digest().subarray(0, 1 + (i % 31)));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
