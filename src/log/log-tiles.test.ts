/**
 * C2SP tlog-tiles geometry and formats, checked against the spec's own examples, and the tile client
 * against trees built straight from the RFC 9162 definition (rootFromLeafHashes), no store involved.
 */
import crypto from 'node:crypto';
import { expect } from 'chai';
import { OBJECT_KEY_PATTERN } from '../storage/object-store.ts';
import { hashLeaf, rootFromLeafHashes, verifyConsistency, verifyInclusion } from '../proofs/merkle.ts';
import {
  auditTiledLog,
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  formatTileIndex,
  nodeInTiles,
  originSlug,
  parseTileResourcePath,
  tilePath,
  tilesBetween,
  TiledLogReader,
  TileError,
  treeTiles,
  TILE_WIDTH,
} from './log-tiles.ts';
import type { TileCoordinates } from './log-tiles.ts';

const describeTiles = (tiles: TileCoordinates[]) => tiles.map((t) => tilePath(t));

describe('C2SP tlog-tiles paths', () => {
  it('writes <N> in 3-digit groups, all but the last with an x (the spec: 1234067 → x001/x234/067)', () => {
    expect(formatTileIndex(1234067)).to.equal('x001/x234/067');
    expect(formatTileIndex(0)).to.equal('000');
    expect(formatTileIndex(999)).to.equal('999');
    expect(formatTileIndex(1000)).to.equal('x001/000');
    expect(formatTileIndex(1234)).to.equal('x001/234');
    expect(formatTileIndex(1_000_000)).to.equal('x001/x000/000');
    expect(tilePath({ level: 0, index: 1234, width: 17 })).to.equal('tile/0/x001/234.p/17');
    expect(tilePath({ level: 2, index: 5, width: 256 })).to.equal('tile/2/005');
    expect(entriesPath(1234067, 256)).to.equal('tile/entries/x001/x234/067');
    expect(entriesPath(0, 1)).to.equal('tile/entries/000.p/1');
    expect(() => tilePath({ level: 0, index: 0, width: 0 })).to.throw(RangeError);
    expect(() => tilePath({ level: 64, index: 0, width: 256 })).to.throw(RangeError);
  });

  it('parses exactly the canonical paths back', () => {
    for (let i = 0; i < 500; i++) {
      const tile = { level: crypto.randomInt(0, 64), index: i < 250 ? crypto.randomInt(0, 3000) : crypto.randomInt(0, 2 ** 40), width: crypto.randomInt(1, 257) };
      expect(parseTileResourcePath(tilePath(tile))).to.deep.equal({ kind: 'hashes', ...tile });
      expect(parseTileResourcePath(entriesPath(tile.index, tile.width))).to.deep.equal({ kind: 'entries', level: 0, index: tile.index, width: tile.width });
    }
    expect(parseTileResourcePath('checkpoint')).to.deep.equal({ kind: 'checkpoint' });
    for (const bad of [
      'tile/0/x000/001', 'tile/00/000', 'tile/64/000', 'tile/0/000.p/256', 'tile/0/000.p/0', 'tile/0/000.p/017', 'tile/0/1', 'tile/0/x001',
      'tile/entries/000.p', 'tile/0/000/', 'checkpoint/', 'tile/0/X001/000', 'tile/-1/000', 'tile/0/x1000/000', 'tile/0/0001', 'tile/entries',
      'tile/0/x001/x002', 'tile/data/000', 'tile/0/000.p/', 'tile/0/.p/3', '/tile/0/000', 'tile/0/000.p/1/2', 'tile/1/000?x', '',
    ]) {
      expect(parseTileResourcePath(bad), bad).to.equal(null);
    }
  });

  it('makes origin slugs that are object-key segments, readable, and distinct for distinct origins', () => {
    expect(originSlug('vault.example.gov.cn/licences')).to.equal('vault.example.gov.cn_2flicences');
    expect(originSlug('127.0.0.1:8080/accesses')).to.equal('127.0.0.1_3a8080_2faccesses');
    expect(originSlug('licence-vault.local/licences')).to.equal('licence-vault.local_2flicences');
    expect(originSlug('A.b')).to.equal('0__41.b');
    expect(originSlug('.x..y-')).to.equal('0__2ex._2ey-');
    expect(originSlug('-a_b')).to.equal('0__2da_5fb');
    const origins = ['A', '0A', '0_41', 'a/b', 'a:b', 'a_b', 'a_2fb', 'A/b', 'a.b', 'a..b', 'a/b/', 'vault.example.gov.cn/licences', 'vault.example.gov.cn/accesses', '政务.example/licences', 'x'];
    const slugs = origins.map(originSlug);
    expect(new Set(slugs).size).to.equal(origins.length);
    for (const slug of slugs) {
      expect(slug, slug).to.match(OBJECT_KEY_PATTERN);
      expect(slug).to.not.include('..');
      expect(`tlog/${slug}/tile/0/x001/234.p/17`).to.match(OBJECT_KEY_PATTERN);
    }
  });
});

describe('C2SP tlog-tiles tree geometry', () => {
  it('has the spec\'s tiles for a tree of 70 000 leaves and of 256 leaves', () => {
    const tiles = treeTiles(70_000);
    const at = (level: number) => tiles.filter((t) => t.level === level);
    expect(at(0).filter((t) => t.width === TILE_WIDTH)).to.have.length(273);
    expect(at(0).filter((t) => t.width < TILE_WIDTH)).to.deep.equal([{ level: 0, index: 273, width: 112 }]);
    expect(at(1)).to.deep.equal([{ level: 1, index: 0, width: 256 }, { level: 1, index: 1, width: 17 }]);
    expect(at(2)).to.deep.equal([{ level: 2, index: 0, width: 1 }]);
    expect(at(3)).to.deep.equal([]);
    expect(treeTiles(256)).to.deep.equal([{ level: 0, index: 0, width: 256 }, { level: 1, index: 0, width: 1 }]);
    expect(treeTiles(0)).to.deep.equal([]);
    expect(treeTiles(1)).to.deep.equal([{ level: 0, index: 0, width: 1 }]);
  });

  it('writes each full tile once across any sequence of checkpoints, and each checkpoint\'s partial tiles', () => {
    for (let run = 0; run < 20; run++) {
      const written = new Map<string, number>();
      let size = 0;
      while (size < 80_000) {
        const next = size + (run % 2 === 0 ? crypto.randomInt(1, 3000) : crypto.randomInt(1, 300));
        for (const path of describeTiles(tilesBetween(size, next))) written.set(path, (written.get(path) ?? 0) + 1);
        // After the step, every tile of the new tree exists.
        for (const path of describeTiles(treeTiles(next))) expect(written.has(path), `${path} of ${next}`).to.equal(true);
        size = next;
      }
      for (const [path, n] of written) expect(n, path).to.equal(1);
    }
    expect(tilesBetween(1000, 1000)).to.deep.equal([]);
    // Amortised cost of a checkpoint every 1 000 leaves: ~3.9 full level-0 tiles, and a few partial ones.
    expect(describeTiles(tilesBetween(999_000, 1_000_000))).to.deep.equal(['tile/0/x003/902', 'tile/0/x003/903', 'tile/0/x003/904', 'tile/0/x003/905', 'tile/0/x003/906.p/64', 'tile/1/015.p/66']);
  });

  it('places a stored node in its tile', () => {
    expect(nodeInTiles({ level: 0, index: 1000 })).to.deep.equal({ tileLevel: 0, tileIndex: 3, offset: 232, count: 1 });
    expect(nodeInTiles({ level: 12, index: 17 })).to.deep.equal({ tileLevel: 1, tileIndex: 1, offset: 16, count: 16 });
    expect(nodeInTiles({ level: 8, index: 272 })).to.deep.equal({ tileLevel: 1, tileIndex: 1, offset: 16, count: 1 });
    expect(nodeInTiles({ level: 16, index: 0 })).to.deep.equal({ tileLevel: 2, tileIndex: 0, offset: 0, count: 1 });
    expect(nodeInTiles({ level: 7, index: 3 })).to.deep.equal({ tileLevel: 0, tileIndex: 1, offset: 128, count: 128 });
  });
});

describe('C2SP tlog-tiles entry bundles', () => {
  it('prefixes each entry with its big-endian uint16 length', () => {
    const entries = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
    const bundle = encodeEntryBundle(entries);
    expect(Array.from(bundle.subarray(0, 5))).to.deep.equal([0, 3, 1, 2, 3]);
    expect(Array.from(bundle.subarray(5, 9))).to.deep.equal([0, 0, 1, 44]);
    expect(decodeEntryBundle(bundle).map((e) => Array.from(e))).to.deep.equal(entries.map((e) => Array.from(e)));
    expect(decodeEntryBundle(encodeEntryBundle([new Uint8Array(65_535)]))[0]).to.have.length(65_535);
    expect(() => encodeEntryBundle([new Uint8Array(65_536)])).to.throw(TileError).with.property('code', 'TILE_ENTRY_TOO_LARGE');
    expect(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1))).to.throw(TileError).with.property('code', 'TILE_MALFORMED');
    expect(() => decodeEntryBundle(new Uint8Array([0]))).to.throw(TileError).with.property('code', 'TILE_MALFORMED');
  });
});

/** The tiles of every tree size in `sizes`, from the definition: a level-L tile hash is the MTH of a full tile below. */
function tileSet(leaves: Uint8Array[], sizes: number[]): Map<string, Uint8Array> {
  const levels: Uint8Array[][] = [leaves.map(hashLeaf)];
  while (levels.at(-1)!.length >= TILE_WIDTH) {
    const below = levels.at(-1)!;
    levels.push(Array.from({ length: Math.floor(below.length / TILE_WIDTH) }, (_, i) => rootFromLeafHashes(below.slice(i * TILE_WIDTH, (i + 1) * TILE_WIDTH))));
  }
  const out = new Map<string, Uint8Array>();
  for (const size of sizes) {
    for (const tile of treeTiles(size)) {
      const first = tile.index * TILE_WIDTH;
      out.set(tilePath(tile), Buffer.concat(levels[tile.level]!.slice(first, first + tile.width)));
      if (tile.level === 0) out.set(entriesPath(tile.index, tile.width), encodeEntryBundle(leaves.slice(first, first + tile.width)));
    }
  }
  return out;
}

describe('tile client (TiledLogReader, auditTiledLog)', function () {
  this.timeout(60_000);
  const leaves = Array.from({ length: 66_000 }, (_, i) => new TextEncoder().encode(JSON.stringify({ i, r: crypto.randomBytes(6).toString('hex') })));
  const leafHashes = leaves.map(hashLeaf);
  const sizes = [1, 2, 255, 256, 257, 511, 512, 1000, 4097, 65_535, 65_536, 65_537, 66_000];
  const tiles = tileSet(leaves, sizes);
  const fetches: string[] = [];
  const fetch = async (path: string) => {
    fetches.push(path);
    return tiles.get(path) ?? null;
  };

  it('rebuilds the root of every size, inclusion and consistency proofs, from tiles alone', async () => {
    const reader = new TiledLogReader(fetch);
    const roots = new Map<number, Uint8Array>();
    for (const size of sizes) {
      const root = await reader.root(size);
      expect(Buffer.from(root).toString('hex'), `root of ${size}`).to.equal(Buffer.from(rootFromLeafHashes(leafHashes.slice(0, size))).toString('hex'));
      roots.set(size, root);
      for (let k = 0; k < 10; k++) {
        const index = crypto.randomInt(0, size);
        verifyInclusion(leafHashes[index]!, index, size, await reader.inclusionProof(index, size), root);
        expect(Buffer.from(await reader.entry(index, size)).equals(Buffer.from(leaves[index]!))).to.equal(true);
      }
    }
    for (let i = 1; i < sizes.length; i++) {
      const [a, b] = [sizes[i - 1]!, sizes[i]!];
      verifyConsistency(a, b, await reader.consistencyProof(a, b), roots.get(a)!, roots.get(b)!);
    }
  });

  it('fetches only the partial tiles a size needs, and O(log n) tiles for a proof', async () => {
    fetches.length = 0;
    const reader = new TiledLogReader(fetch);
    await reader.inclusionProof(70, 65_537);
    // Leaves 0..65 535 are one perfect subtree (tiles 0/000 and 1/000), leaf 65 536 is alone on the right.
    expect(fetches.sort()).to.deep.equal(['tile/0/000', 'tile/0/256.p/1', 'tile/1/000']);
  });

  it('audits a whole log and catches a changed entry, tile or root', async () => {
    const audit = await auditTiledLog(fetch, { size: 66_000, rootHash: rootFromLeafHashes(leafHashes) });
    expect(audit).to.deep.equal({ size: 66_000, tiles: 258 + 2 + 1, entryBundles: 258, entries: 66_000 });
    const tamper = (path: string, change: (b: Uint8Array) => Uint8Array) => async (p: string) => (p === path ? change(new Uint8Array(tiles.get(p)!)) : (tiles.get(p) ?? null));
    const flip = (b: Uint8Array) => {
      b[b.length - 1]! ^= 1;
      return b;
    };
    const root = rootFromLeafHashes(leafHashes);
    for (const path of ['tile/entries/007', 'tile/0/257.p/208', 'tile/1/001.p/1']) {
      const error = await auditTiledLog(tamper(path, flip), { size: 66_000, rootHash: root }).then(() => null, (e) => e);
      expect(error, path).to.be.instanceOf(TileError);
      expect(['TILE_MISMATCH', 'TILE_MALFORMED']).to.include((error as TileError).code);
    }
    const missing = await auditTiledLog(async (p) => (p === 'tile/0/003' ? null : (tiles.get(p) ?? null)), { size: 66_000, rootHash: root }).then(() => null, (e) => e);
    expect(missing).to.have.property('code', 'TILE_MISSING');
    const wrongRoot = await auditTiledLog(fetch, { size: 66_000, rootHash: leafHashes[0]! }).then(() => null, (e) => e);
    expect(wrongRoot).to.have.property('code', 'TILE_MISMATCH');
  });
});
