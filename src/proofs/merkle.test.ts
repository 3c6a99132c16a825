import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

import {
  CompactRange,
  EMPTY_ROOT,
  buildConsistencyProof,
  buildInclusionProof,
  consistencyProofNodes,
  hashChildren,
  hashLeaf,
  inclusionProofNodes,
  rehashProof,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  rootFromLeafHashes,
  rootFromNodes,
  rootNodes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';
import type { GetNode, NodeId, StoredNode } from './merkle.ts';
import { VerificationError } from './verification-error.ts';
import type { VerificationErrorCode } from './verification-error.ts';

// RFC 6962 reference tree and published proofs (transparency-dev/merkle proof/verify_test.go), from the
// vector file the chaincode's copy of this code runs too (chaincode/test/merkle.test.ts).
const VECTORS = JSON.parse(readFileSync(new URL('../../test/vectors/rfc9162-merkle.json', import.meta.url), 'utf8')) as {
  leavesHex: string[];
  rootsHex: string[];
  inclusion: { index: number; size: number; proof: string[] }[];
  consistency: { size1: number; size2: number; proof: string[] }[];
};
const LEAVES = VECTORS.leavesHex.map((h) => hexToBytes(h));
const ROOTS = VECTORS.rootsHex;
const rootOf = (size: number): Uint8Array => hexToBytes(ROOTS[size - 1] as string);
const SOME_HASH = hexToBytes('abacaba000000000000000000000000000000000000000000060061e00123456');
const KNOWN_INCLUSION = VECTORS.inclusion;
const KNOWN_CONSISTENCY = VECTORS.consistency;

/** An in-memory "storage layer": every perfect subtree hash, persisted as CompactRange.append reports it. */
class NodeStore {
  readonly nodes = new Map<string, Uint8Array>();
  readonly range = new CompactRange();
  readonly roots: Uint8Array[] = [EMPTY_ROOT]; // roots[size], when tracked
  reads = 0;

  constructor(private readonly trackRoots = true) {}

  append(leafHash: Uint8Array): StoredNode[] {
    const completed = this.range.append(leafHash);
    for (const n of completed) {
      const key = `${n.level}/${n.index}`;
      expect(this.nodes.has(key), `node ${key} stored twice`).to.equal(false);
      this.nodes.set(key, n.hash);
    }
    if (this.trackRoots) this.roots.push(this.range.root());
    return completed;
  }

  readonly get: GetNode = (level, index) => {
    const h = this.nodes.get(`${level}/${index}`);
    if (h === undefined) throw new Error(`missing node ${level}/${index}`);
    this.reads++;
    return h;
  };
}

function expectCode(fn: () => unknown, code: VerificationErrorCode, why: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${why}: expected a VerificationError`).to.be.instanceOf(VerificationError);
  expect((thrown as VerificationError).code, why).to.equal(code);
}

function flipBit(proof: readonly Uint8Array[], i: number, bit: number): Uint8Array[] {
  const copy = proof.map((p) => p.slice());
  const el = copy[i] as Uint8Array;
  const byte = Math.floor(bit / 8) % el.length;
  el[byte] = (el[byte] as number) ^ (1 << bit % 8);
  return copy;
}

const leafHashes8 = LEAVES.map(hashLeaf);
const store8 = new NodeStore();
for (const h of leafHashes8) store8.append(h);

describe('transparency/merkle: RFC 9162 hashing', () => {
  it('hashLeaf/hashChildren/EMPTY_ROOT use the RFC 6962 domain-separated SHA-256', () => {
    expect(bytesToHex(EMPTY_ROOT)).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(bytesToHex(hashLeaf(new Uint8Array(0)))).to.equal(ROOTS[0]);
    expect(bytesToHex(hashChildren(leafHashes8[0] as Uint8Array, leafHashes8[1] as Uint8Array))).to.equal(ROOTS[1]);
    expect(bytesToHex(rootFromLeafHashes([]))).to.equal(bytesToHex(EMPTY_ROOT));
  });

  it('reproduces the RFC 6962 reference roots for sizes 1..8 (MTH, CompactRange, rootFromNodes)', () => {
    for (let size = 1; size <= 8; size++) {
      expect(bytesToHex(rootFromLeafHashes(leafHashes8.slice(0, size))), `MTH size ${size}`).to.equal(ROOTS[size - 1]);
      expect(bytesToHex(store8.roots[size] as Uint8Array), `CompactRange size ${size}`).to.equal(ROOTS[size - 1]);
      expect(bytesToHex(rootFromNodes(size, store8.get)), `rootFromNodes size ${size}`).to.equal(ROOTS[size - 1]);
    }
    expect(rootFromNodes(0, store8.get)).to.deep.equal(EMPTY_ROOT);
  });

  it('CompactRange.append reports exactly the perfect subtrees it completes', () => {
    const r = new CompactRange();
    const ids = (ns: StoredNode[]): string[] => ns.map((n) => `${n.level}/${n.index}`);
    expect(ids(r.append(leafHashes8[0] as Uint8Array))).to.deep.equal(['0/0']);
    expect(ids(r.append(leafHashes8[1] as Uint8Array))).to.deep.equal(['0/1', '1/0']);
    expect(ids(r.append(leafHashes8[2] as Uint8Array))).to.deep.equal(['0/2']);
    expect(ids(r.append(leafHashes8[3] as Uint8Array))).to.deep.equal(['0/3', '1/1', '2/0']);
    expect(r.nodes().map((n) => `${n.level}/${n.index}`)).to.deep.equal(['2/0']);
    // 2n - popcount(n) perfect subtrees exist for n leaves.
    expect(store8.nodes.size).to.equal(15);
  });

  it('CompactRange.fromNodes resumes from O(log n) stored nodes', () => {
    for (let size = 0; size <= 7; size++) {
      const r = CompactRange.fromNodes(size, store8.get);
      expect(r.size).to.equal(size);
      for (let i = size; i < 8; i++) r.append(leafHashes8[i] as Uint8Array);
      expect(bytesToHex(r.root())).to.equal(ROOTS[7]);
    }
    expect(rootNodes(13)).to.deep.equal([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
  });
});

describe('transparency/merkle: proof node plans', () => {
  it('inclusion plan for a ragged edge names perfect nodes plus one rehash range', () => {
    // Leaf 0 of 7: siblings (0,1), (1,1), then the ephemeral node over leaves [4,7) = (1,2) and (0,6).
    const plan = inclusionProofNodes(0, 7);
    expect(plan.nodes).to.deep.equal([
      { level: 0, index: 1 },
      { level: 1, index: 1 },
      { level: 0, index: 6 },
      { level: 1, index: 2 },
    ]);
    expect([plan.rehashBegin, plan.rehashEnd]).to.deep.equal([2, 4]);
    const fetched = plan.nodes.map((n: NodeId) => store8.get(n.level, n.index));
    const proof = rehashProof(plan, fetched);
    expect(proof).to.have.length(3);
    expect(bytesToHex(proof[2] as Uint8Array)).to.equal(
      bytesToHex(hashChildren(store8.get(1, 2), store8.get(0, 6))),
    );
  });

  it('plans without an ephemeral node have an empty rehash range', () => {
    const plan = inclusionProofNodes(3, 8);
    expect(plan.rehashBegin).to.equal(plan.rehashEnd);
    expect(consistencyProofNodes(4, 4).nodes).to.deep.equal([]);
    expect(consistencyProofNodes(0, 5).nodes).to.deep.equal([]);
  });

  it('rejects out-of-range arguments to the planners', () => {
    expect(() => inclusionProofNodes(3, 3)).to.throw(RangeError);
    expect(() => inclusionProofNodes(-1, 3)).to.throw(RangeError);
    expect(() => inclusionProofNodes(0.5, 3)).to.throw(RangeError);
    expect(() => consistencyProofNodes(5, 4)).to.throw(RangeError);
    expect(() => rehashProof(inclusionProofNodes(0, 8), [])).to.throw(RangeError);
  });

  it('builders reproduce the published transparency-dev/merkle proofs exactly, and they verify', () => {
    for (const v of KNOWN_INCLUSION) {
      const proof = buildInclusionProof(v.index, v.size, store8.get);
      expect(proof.map(bytesToHex), `inclusion ${v.index}/${v.size}`).to.deep.equal(v.proof);
      verifyInclusion(leafHashes8[v.index] as Uint8Array, v.index, v.size, v.proof.map(hexToBytes), rootOf(v.size));
    }
    for (const v of KNOWN_CONSISTENCY) {
      const proof = buildConsistencyProof(v.size1, v.size2, store8.get);
      expect(proof.map(bytesToHex), `consistency ${v.size1}->${v.size2}`).to.deep.equal(v.proof);
      verifyConsistency(v.size1, v.size2, v.proof.map(hexToBytes), rootOf(v.size1), rootOf(v.size2));
    }
  });
});

describe('transparency/merkle: exhaustive inclusion proofs for sizes 1..8', () => {
  const code = 'INCLUSION_PROOF_INVALID';
  let checked = 0;
  let tampered = 0;
  after(() => {
    expect(checked).to.equal(36);
    expect(tampered).to.be.greaterThan(500);
  });

  for (let size = 1; size <= 8; size++) {
    for (let index = 0; index < size; index++) {
      it(`index ${index} in size ${size}: verifies, and every tampering fails`, () => {
        const leaf = leafHashes8[index] as Uint8Array;
        const root = rootOf(size);
        const proof = buildInclusionProof(index, size, store8.get);
        verifyInclusion(leaf, index, size, proof, root);
        expect(rootFromInclusionProof(leaf, index, size, proof)).to.deep.equal(root);
        checked++;

        const bad = (why: string, f: () => unknown): void => {
          expectCode(f, code, why);
          tampered++;
        };
        for (let i = 0; i < proof.length; i++) {
          for (let bit = 0; bit < 256; bit += 37) {
            bad(`flip proof[${i}] bit ${bit}`, () => verifyInclusion(leaf, index, size, flipBit(proof, i, bit), root));
          }
        }
        if (proof.length > 0) {
          bad('drop last', () => verifyInclusion(leaf, index, size, proof.slice(0, -1), root));
          bad('drop first', () => verifyInclusion(leaf, index, size, proof.slice(1), root));
        }
        bad('append root', () => verifyInclusion(leaf, index, size, [...proof, root], root));
        bad('append zero', () => verifyInclusion(leaf, index, size, [...proof, new Uint8Array(32)], root));
        bad('prepend root', () => verifyInclusion(leaf, index, size, [root, ...proof], root));
        bad('short element', () => verifyInclusion(leaf, index, size, [...proof, new Uint8Array(0)], root));
        if (proof.length > 1) {
          bad('insert element', () =>
            verifyInclusion(leaf, index, size, [proof[0] as Uint8Array, SOME_HASH, ...proof.slice(1)], root),
          );
        }
        for (const wrongIndex of [index - 1, index + 1, index ^ 2, size, -1, 1.5]) {
          if (wrongIndex === index) continue;
          bad(`wrong index ${wrongIndex}`, () => verifyInclusion(leaf, wrongIndex, size, proof, root));
        }
        for (const wrongSize of [size * 2, Math.floor(size / 2), index, 0]) {
          if (wrongSize === size) continue;
          bad(`wrong size ${wrongSize}`, () => verifyInclusion(leaf, index, wrongSize, proof, root));
        }
        for (let other = 1; other <= 8; other++) {
          if (other === size) continue;
          bad(`root of size ${other}`, () => verifyInclusion(leaf, index, size, proof, rootOf(other)));
        }
        bad('empty-tree root', () => verifyInclusion(leaf, index, size, proof, EMPTY_ROOT));
        bad('random root', () => verifyInclusion(leaf, index, size, proof, SOME_HASH));
        bad('wrong leaf', () => verifyInclusion(hashLeaf(new Uint8Array([9])), index, size, proof, root));
        bad('raw leaf instead of leaf hash', () => verifyInclusion(LEAVES[7] as Uint8Array, index, size, proof, root));
        bad('other leaf', () =>
          verifyInclusion(leafHashes8[(index + 1) % 8] as Uint8Array, index, size, proof, root),
        );
      });
    }
  }

  it('index >= size and empty trees are rejected', () => {
    expectCode(() => verifyInclusion(SOME_HASH, 0, 0, [], EMPTY_ROOT), code, '0 of 0');
    expectCode(() => verifyInclusion(SOME_HASH, 1, 1, [], SOME_HASH), code, '1 of 1');
    expectCode(() => verifyInclusion(SOME_HASH, 2, 1, [], SOME_HASH), code, '2 of 1');
    expectCode(() => rootFromInclusionProof(SOME_HASH, 5, 5, [], ), code, '5 of 5');
    // Size-1 tree: the root is the leaf hash and the proof is empty.
    verifyInclusion(SOME_HASH, 0, 1, [], SOME_HASH);
  });
});

describe('transparency/merkle: exhaustive consistency proofs for sizes 1..8', () => {
  const code = 'CONSISTENCY_PROOF_INVALID';
  let checked = 0;
  after(() => expect(checked).to.equal(36));

  for (let size2 = 1; size2 <= 8; size2++) {
    for (let size1 = 1; size1 <= size2; size1++) {
      it(`${size1} -> ${size2}: verifies, and every tampering fails`, () => {
        const root1 = rootOf(size1);
        const root2 = rootOf(size2);
        const proof = buildConsistencyProof(size1, size2, store8.get);
        verifyConsistency(size1, size2, proof, root1, root2);
        expect(rootFromConsistencyProof(size1, size2, proof, root1)).to.deep.equal(root2);
        checked++;

        const bad = (why: string, f: () => unknown): void => expectCode(f, code, why);
        if (size1 === size2) expect(proof).to.deep.equal([]);
        for (let i = 0; i < proof.length; i++) {
          for (let bit = 0; bit < 256; bit += 41) {
            bad(`flip proof[${i}] bit ${bit}`, () => verifyConsistency(size1, size2, flipBit(proof, i, bit), root1, root2));
          }
        }
        if (proof.length > 0) {
          bad('empty proof', () => verifyConsistency(size1, size2, [], root1, root2));
          bad('drop last', () => verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2));
          bad('drop first', () => verifyConsistency(size1, size2, proof.slice(1), root1, root2));
          bad('prepend proof[0]', () => verifyConsistency(size1, size2, [proof[0] as Uint8Array, ...proof], root1, root2));
          bad('swapped roots', () => verifyConsistency(size1, size2, proof, root2, root1));
        }
        bad('append root1', () => verifyConsistency(size1, size2, [...proof, root1], root1, root2));
        bad('append root2', () => verifyConsistency(size1, size2, [...proof, root2], root1, root2));
        bad('prepend root1', () => verifyConsistency(size1, size2, [root1, ...proof], root1, root2));
        bad('prepend root2', () => verifyConsistency(size1, size2, [root2, ...proof], root1, root2));
        bad('short element', () => verifyConsistency(size1, size2, [...proof, new Uint8Array(31)], root1, root2));
        for (const wrong1 of [size1 - 1, size1 + 1, size1 ^ 2]) {
          if (wrong1 === size1) continue;
          bad(`wrong size1 ${wrong1}`, () => verifyConsistency(wrong1, size2, proof, root1, root2));
        }
        for (const wrong2 of [size2 * 2, Math.floor(size2 / 2), size1 - 1]) {
          if (wrong2 === size2) continue;
          bad(`wrong size2 ${wrong2}`, () => verifyConsistency(size1, wrong2, proof, root1, root2));
        }
        for (let other = 1; other <= 8; other++) {
          if (other !== size1) bad(`root1 of ${other}`, () => verifyConsistency(size1, size2, proof, rootOf(other), root2));
          if (other !== size2) bad(`root2 of ${other}`, () => verifyConsistency(size1, size2, proof, root1, rootOf(other)));
        }
        bad('random root1', () => verifyConsistency(size1, size2, proof, SOME_HASH, root2));
        bad('random root2', () => verifyConsistency(size1, size2, proof, root1, SOME_HASH));
      });
    }
  }

  it('edge cases: equal sizes, the empty tree, shrinking trees', () => {
    // size1 == size2: empty proof and equal roots only.
    verifyConsistency(3, 3, [], rootOf(3), rootOf(3));
    expectCode(() => verifyConsistency(3, 3, [], rootOf(3), rootOf(4)), code, 'equal sizes, different roots');
    expectCode(() => verifyConsistency(3, 3, [EMPTY_ROOT], rootOf(3), rootOf(3)), code, 'equal sizes, non-empty proof');
    // size1 == 0: valid only with an empty proof and root1 = SHA-256("").
    verifyConsistency(0, 5, [], EMPTY_ROOT, rootOf(5));
    verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT);
    expect(buildConsistencyProof(0, 5, store8.get)).to.deep.equal([]);
    expectCode(() => verifyConsistency(0, 5, [rootOf(5)], EMPTY_ROOT, rootOf(5)), code, 'from empty, non-empty proof');
    expectCode(() => verifyConsistency(0, 5, [], SOME_HASH, rootOf(5)), code, 'from empty, wrong root1');
    expectCode(() => verifyConsistency(0, 0, [], EMPTY_ROOT, SOME_HASH), code, '0 -> 0, wrong root2');
    // Time travel.
    expectCode(() => verifyConsistency(2, 1, [], rootOf(2), rootOf(1)), code, 'size1 > size2');
    expectCode(() => verifyConsistency(-1, 1, [], rootOf(1), rootOf(1)), code, 'negative size1');
  });
});

describe('transparency/merkle: properties over trees up to 10 000 leaves', function () {
  this.timeout(20_000);
  const N = 10_000;
  const store = new NodeStore(false);
  const leafHashes: Uint8Array[] = [];
  const rootCache = new Map<number, Uint8Array>();
  before(() => {
    for (let i = 0; i < N; i++) {
      const leaf = new Uint8Array([i & 255, (i >> 8) & 255, 0x4c, 0x56]);
      const h = hashLeaf(leaf);
      leafHashes.push(h);
      store.append(h);
    }
  });
  // Roots come from the stored perfect subtrees (O(log n) hashes); the next test pins them to MTH.
  const rootAt = (s: number): Uint8Array => {
    let r = rootCache.get(s);
    if (r === undefined) {
      r = rootFromNodes(s, store.get);
      rootCache.set(s, r);
    }
    return r;
  };

  it('CompactRange root equals MTH at every size up to 256, and at random sizes up to 10 000', () => {
    const small = new CompactRange();
    for (let s = 0; s <= 256; s++) {
      if (s > 0) small.append(leafHashes[s - 1] as Uint8Array);
      const mth = bytesToHex(rootFromLeafHashes(leafHashes.slice(0, s)));
      expect(bytesToHex(small.root()), `CompactRange size ${s}`).to.equal(mth);
      expect(bytesToHex(rootAt(s)), `rootFromNodes size ${s}`).to.equal(mth);
    }
    fc.assert(
      fc.property(fc.integer({ min: 257, max: N }), (s) => {
        const mth = bytesToHex(rootFromLeafHashes(leafHashes.slice(0, s)));
        expect(bytesToHex(CompactRange.fromNodes(s, store.get).root())).to.equal(mth);
        expect(bytesToHex(rootAt(s))).to.equal(mth);
      }),
      { numRuns: 6 },
    );
    expect(bytesToHex(store.range.root())).to.equal(bytesToHex(rootFromLeafHashes(leafHashes)));
  });

  it('built inclusion proofs verify, with O(log n) node reads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: N }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        ([size, index]) => {
          const plan = inclusionProofNodes(index, size);
          expect(plan.nodes.length).to.be.at.most(2 * Math.ceil(Math.log2(size + 1)) + 1);
          const proof = buildInclusionProof(index, size, store.get);
          verifyInclusion(leafHashes[index] as Uint8Array, index, size, proof, rootAt(size));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('built consistency proofs verify against MTH roots', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: N }).chain((s2) => fc.tuple(fc.integer({ min: 0, max: s2 }), fc.constant(s2))),
        ([size1, size2]) => {
          const proof = buildConsistencyProof(size1, size2, store.get);
          verifyConsistency(size1, size2, proof, rootAt(size1), rootAt(size2));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('randomly tampered proofs fail with the right code', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: N }).chain((size) =>
          fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 })),
        ),
        ([size, index, which, bit]) => {
          const proof = buildInclusionProof(index, size, store.get);
          if (proof.length === 0) return;
          const tampered = flipBit(proof, which % proof.length, bit);
          expectCode(
            () => verifyInclusion(leafHashes[index] as Uint8Array, index, size, tampered, rootAt(size)),
            'INCLUSION_PROOF_INVALID',
            'bit flip',
          );
        },
      ),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: N }).chain((s2) =>
          fc.tuple(fc.integer({ min: 1, max: s2 - 1 }), fc.constant(s2), fc.nat(), fc.integer({ min: 0, max: 255 })),
        ),
        ([size1, size2, which, bit]) => {
          const proof = buildConsistencyProof(size1, size2, store.get);
          const tampered = flipBit(proof, which % proof.length, bit);
          expectCode(
            () => verifyConsistency(size1, size2, tampered, rootAt(size1), rootAt(size2)),
            'CONSISTENCY_PROOF_INVALID',
            'bit flip',
          );
          expectCode(
            () => verifyConsistency(size1, size2, proof.slice(0, -1), rootAt(size1), rootAt(size2)),
            'CONSISTENCY_PROOF_INVALID',
            'truncated',
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('proof planning works at sizes near 2^53 without 32-bit truncation', () => {
    const size = 2 ** 53 - 1;
    const plan = inclusionProofNodes(2 ** 40 + 3, size);
    // 52 siblings below the fork + 52 perfect subtrees composing the one ephemeral node => 53 proof hashes.
    expect(plan.nodes.length).to.equal(104);
    expect(plan.rehashEnd - plan.rehashBegin).to.equal(52);
    for (const n of plan.nodes) {
      expect(Number.isSafeInteger(n.index)).to.equal(true);
      expect(n.index * 2 ** n.level).to.be.lessThan(size);
    }
    expect(rootNodes(size)).to.have.length(53);
    expect(consistencyProofNodes(2 ** 33 + 1, size).nodes.length).to.be.greaterThan(0);
  });
});
