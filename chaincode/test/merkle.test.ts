import { readFileSync } from 'node:fs';
import path from 'node:path';

import { expect } from 'chai';

import { hashChildren, hashLeaf, verifyConsistency } from '../src/merkle';
import {
    consistencyProof,
    hex,
    mth,
    RFC_LEAVES,
    RFC_ROOTS_HEX,
    syntheticLeaves,
} from './support/merkleReference';

const rootOf = (size: number): Buffer => Buffer.from(RFC_ROOTS_HEX[size - 1] as string, 'hex');
const h = (s: string): Buffer => Buffer.from(s, 'hex');

/**
 * The vector file the proof core runs too (src/proofs/merkle.test.ts): this chaincode keeps its own copy of
 * the Merkle code (it is packaged on its own), so both copies must agree with the same published vectors.
 */
const VECTORS = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'test', 'vectors', 'rfc9162-merkle.json'), 'utf8')) as {
    leavesHex: string[];
    rootsHex: string[];
    consistency: { size1: number; size2: number; proof: string[] }[];
};
const PUBLISHED_CONSISTENCY = VECTORS.consistency.map((v) => ({ first: v.size1, second: v.size2, proof: v.proof }));

function flipBit(b: Uint8Array, byte = 0): Buffer {
    const c = Buffer.from(b);
    c[byte] = (c[byte] as number) ^ 0x01;
    return c;
}

describe('merkle (RFC 9162)', () => {
    it('agrees with the shared vector file: the same leaves, and every root of sizes 1..8', () => {
        expect(VECTORS.leavesHex).to.deep.equal(RFC_LEAVES.map(hex));
        expect(VECTORS.rootsHex).to.deep.equal(RFC_ROOTS_HEX);
        for (let n = 1; n <= 8; n++) expect(hex(mth(RFC_LEAVES.slice(0, n))), `size ${n}`).to.equal(VECTORS.rootsHex[n - 1]);
        expect(PUBLISHED_CONSISTENCY.length).to.be.greaterThan(3);
    });

    it('hashes leaves and nodes with the 0x00 / 0x01 domain separation', () => {
        expect(hex(hashLeaf(Buffer.alloc(0)))).to.equal(RFC_ROOTS_HEX[0]);
        expect(hex(hashChildren(hashLeaf(RFC_LEAVES[0] as Buffer), hashLeaf(RFC_LEAVES[1] as Buffer)))).to.equal(
            RFC_ROOTS_HEX[1],
        );
    });

    it('reference MTH reproduces the RFC 6962 roots for sizes 1..8', () => {
        for (let n = 1; n <= 8; n++) {
            expect(hex(mth(RFC_LEAVES.slice(0, n))), `size ${n}`).to.equal(RFC_ROOTS_HEX[n - 1]);
        }
    });

    it('reference SUBPROOF reproduces the published consistency proofs, and they verify', () => {
        for (const v of PUBLISHED_CONSISTENCY) {
            const generated = consistencyProof(v.first, RFC_LEAVES.slice(0, v.second)).map(hex);
            expect(generated, `${v.first}->${v.second}`).to.deep.equal(v.proof);
            expect(verifyConsistency(v.first, v.second, rootOf(v.first), rootOf(v.second), v.proof.map(h))).to.equal(
                true,
            );
        }
    });

    it('every 1 <= m <= n <= 8 verifies against the RFC roots', () => {
        let checked = 0;
        for (let n = 1; n <= 8; n++) {
            for (let m = 1; m <= n; m++) {
                const proof = consistencyProof(m, RFC_LEAVES.slice(0, n));
                expect(verifyConsistency(m, n, rootOf(m), rootOf(n), proof), `${m}->${n}`).to.equal(true);
                checked++;
            }
        }
        expect(checked).to.equal(36);
    });

    it('every tampered 1 <= m < n <= 8 proof fails (each node, each root, sizes, length)', () => {
        for (let n = 2; n <= 8; n++) {
            for (let m = 1; m < n; m++) {
                const proof = consistencyProof(m, RFC_LEAVES.slice(0, n));
                const label = `${m}->${n}`;
                for (let i = 0; i < proof.length; i++) {
                    const bad = proof.map((p, j) => (j === i ? flipBit(p, i % 32) : p));
                    expect(verifyConsistency(m, n, rootOf(m), rootOf(n), bad), `${label} node ${i}`).to.equal(false);
                }
                expect(verifyConsistency(m, n, flipBit(rootOf(m)), rootOf(n), proof), `${label} first root`).to.equal(
                    false,
                );
                expect(verifyConsistency(m, n, rootOf(m), flipBit(rootOf(n)), proof), `${label} second root`).to.equal(
                    false,
                );
                expect(verifyConsistency(m, n, rootOf(m), rootOf(n), proof.slice(0, -1)), `${label} truncated`).to.equal(
                    false,
                );
                expect(
                    verifyConsistency(m, n, rootOf(m), rootOf(n), [...proof, rootOf(1)]),
                    `${label} extended`,
                ).to.equal(false);
                expect(verifyConsistency(m, n, rootOf(m), rootOf(n), []), `${label} empty`).to.equal(false);
                if (proof.length >= 2 && hex(proof[0] as Buffer) !== hex(proof[proof.length - 1] as Buffer)) {
                    const reversed = [...proof].reverse();
                    expect(verifyConsistency(m, n, rootOf(m), rootOf(n), reversed), `${label} reversed`).to.equal(false);
                }
                if (n < 8) {
                    // The m->n proof must not pass for the genuine tree of size n + 1.
                    expect(
                        verifyConsistency(m, n + 1, rootOf(m), rootOf(n + 1), proof),
                        `${label} proof reused for ${m}->${n + 1}`,
                    ).to.equal(false);
                }
                if (m > 1) {
                    // Claiming the proof starts from a different (smaller) tree must fail.
                    expect(verifyConsistency(m - 1, n, rootOf(m - 1), rootOf(n), proof), `${label} wrong first`).to.equal(
                        false,
                    );
                }
            }
        }
    });

    it('a proof between two different trees (fork) fails', () => {
        const forked = [...RFC_LEAVES.slice(0, 3), Buffer.from('ff', 'hex'), ...RFC_LEAVES.slice(4)];
        for (let n = 4; n <= 8; n++) {
            const forkRoot = mth(forked.slice(0, n));
            for (let m = 1; m <= 3; m++) {
                // Leaf 3 differs, so trees of size <= 3 are a genuine common prefix.
                const forkProof = consistencyProof(m, forked.slice(0, n));
                expect(verifyConsistency(m, n, rootOf(m), forkRoot, forkProof)).to.equal(true); // prefix is shared
            }
            for (let m = 4; m < n; m++) {
                // From size 4 on the histories diverge: no proof links them.
                const forkProof = consistencyProof(m, forked.slice(0, n));
                expect(verifyConsistency(m, n, rootOf(m), forkRoot, forkProof), `${m}->${n}`).to.equal(false);
                const honest = consistencyProof(m, RFC_LEAVES.slice(0, n));
                expect(verifyConsistency(m, n, rootOf(m), forkRoot, honest), `${m}->${n}`).to.equal(false);
            }
        }
    });

    it('handles edge cases: m == n, m == 0, m > n, wrong hash lengths', () => {
        expect(verifyConsistency(5, 5, rootOf(5), rootOf(5), [])).to.equal(true);
        expect(verifyConsistency(5, 5, rootOf(5), rootOf(6), [])).to.equal(false);
        expect(verifyConsistency(5, 5, rootOf(5), rootOf(5), [rootOf(1)])).to.equal(false);
        expect(verifyConsistency(0, 5, Buffer.alloc(32), rootOf(5), [])).to.equal(true);
        expect(verifyConsistency(0, 5, Buffer.alloc(32), rootOf(5), [rootOf(1)])).to.equal(false);
        expect(verifyConsistency(6, 5, rootOf(6), rootOf(5), [])).to.equal(false);
        expect(verifyConsistency(1, 8, rootOf(1).subarray(1), rootOf(8), [])).to.equal(false);
        const proof = consistencyProof(6, RFC_LEAVES);
        expect(verifyConsistency(6, 8, rootOf(6), rootOf(8), [proof[0] as Buffer, Buffer.alloc(31), proof[2] as Buffer]))
            .to.equal(false);
        expect(verifyConsistency(6n, 8n, rootOf(6), rootOf(8), proof)).to.equal(true);
    });

    it('all pairs of a larger synthetic tree (n <= 70) verify; first node tampered fails', function () {
        this.timeout(20000);
        const leaves = syntheticLeaves(70);
        const roots = Array.from({ length: 71 }, (_, i) => (i === 0 ? Buffer.alloc(32) : mth(leaves.slice(0, i))));
        for (const n of [17, 32, 33, 64, 70]) {
            for (let m = 1; m <= n; m++) {
                const proof = consistencyProof(m, leaves.slice(0, n));
                expect(verifyConsistency(m, n, roots[m] as Buffer, roots[n] as Buffer, proof), `${m}->${n}`).to.equal(true);
                if (proof.length > 0) {
                    const bad = [flipBit(proof[0] as Buffer), ...proof.slice(1)];
                    expect(verifyConsistency(m, n, roots[m] as Buffer, roots[n] as Buffer, bad), `${m}->${n}`).to.equal(
                        false,
                    );
                }
            }
        }
    });

    it('works for sizes beyond 2^32 (no 32-bit truncation in the shifts)', () => {
        // Structural check: with m = 2^32 and n = 2^32 + 1 the proof is
        // [MTH(D[2^32:2^32+1])] (m is a power of two, so first_hash is prepended).
        const m = 2 ** 32;
        const n = m + 1;
        const left = rootOf(8); // stands in for the 2^32-leaf root
        const leaf = hashLeaf(Buffer.from('x'));
        const right = hashChildren(left, leaf);
        expect(verifyConsistency(m, n, left, right, [leaf])).to.equal(true);
        expect(verifyConsistency(m, n, left, right, [flipBit(leaf)])).to.equal(false);
        // Truncating to 32 bits would turn m into 0 (empty-proof rule) / n into 1.
        expect(verifyConsistency(m, n, left, right, [])).to.equal(false);
    });
});
