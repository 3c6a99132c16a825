/**
 * The transparency logs served as tiles: C2SP tlog-tiles (https://c2sp.org/tlog-tiles), the static-asset
 * form of an RFC 6962/9162 log that Go's sumdb, Sigsum and transparency-dev/tessera clients read.
 *
 *   <prefix>/checkpoint                   the latest C2SP signed-note checkpoint (the only mutable object)
 *   <prefix>/tile/<L>/<N>[.p/<W>]         256 (or W) consecutive Merkle tree hashes of tile level L
 *   <prefix>/tile/entries/<N>[.p/<W>]     the entries hashed into level-0 tile N ("entry bundle")
 *
 * Tile height 8: a hash in a level-L tile is the root of a perfect subtree of 256^L leaves, i.e. our stored
 * node (level 8L, index) of `log_nodes`, so a tile is one range read of one tree level. `<N>` is written in
 * 3-digit groups, all but the last with an `x` (1234067 → `x001/x234/067`); a partial tile (the ragged right
 * edge of a tree) has `.p/<W>`, W in 1..255, and never changes once written: the tree is append-only, so the
 * first W hashes of a tile are fixed forever. Everything but the checkpoint is immutable.
 *
 * Choices the spec leaves to the log, and ours:
 * - Entries are the leaf bytes exactly as hashed: the UTF-8 RFC 8785 canonical JSON of `log_leaves.leaf_data`,
 *   so hashLeaf(entry) (SHA-256(0x00 ‖ entry), RFC 6962 §2.1) is the level-0 tile hash. An entry bundle is
 *   the entries each prefixed by its length as a big-endian uint16, so an entry is at most 65 535 bytes
 *   (ours are a few hundred); a longer one is refused with TILE_ENTRY_TOO_LARGE, never truncated.
 * - The URL prefix: the spec says the origin line SHOULD be one of the log's URL prefixes without the scheme
 *   (`vault.example.gov.cn/licences` → `https://vault.example.gov.cn/licences/`). Ours cannot be: that path is
 *   the licence API's (`/licences/{id}`), and origins are pinned for the life of a database (log-origins.ts).
 *   Each log's prefix is `<PUBLIC_BASE_URL>/tlog/<slug of its origin>` instead (see `originSlug`), the same
 *   layout as the object keys (`tlog/<slug>/…`), so a CDN or a bucket website can serve the store as it is.
 * - Partial tiles are kept for every checkpoint ever published (the spec allows deleting them once the full
 *   tile exists; we never delete anything), so any historical checkpoint stays verifiable from tiles.
 *
 * The file has three parts: pure tile geometry and formats; `TiledLogReader`, a tile client (pure, with an
 * injected fetch: a test, the bench or an auditor tool reads a log with it over HTTP or from a store); and
 * `LogTilePublisher`, which writes the tiles of each new checkpoint from the log store to the object store.
 */
import type { ObjectStore } from '../storage/object-store.ts';
import type { Logger } from '../observability/logger.ts';
import { bytesEqual } from '../proofs/bytes.ts';
import { parseCheckpoint, verifyCheckpoint } from '../proofs/checkpoint.ts';
import type { NoteVerifier, ParsedCheckpoint } from '../proofs/checkpoint.ts';
import {
  buildConsistencyProof,
  buildInclusionProof,
  consistencyProofNodes,
  EMPTY_ROOT,
  HASH_SIZE,
  hashLeaf,
  inclusionProofNodes,
  rootFromLeafHashes,
  rootFromNodes,
  rootNodes,
} from '../proofs/merkle.ts';
import type { GetNode, NodeId } from '../proofs/merkle.ts';
import type { LogStore } from './log-types.ts';

// ---------------------------------------------------------------------------
// Geometry and formats (pure).

/** Tree levels per tile (C2SP tlog-tiles: "tile height" 8). */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile: 2^TILE_HEIGHT. */
export const TILE_WIDTH = 256;
/** The object key prefix the tiles of every log sit under, unless configured otherwise. */
export const DEFAULT_TILE_KEY_PREFIX = 'tlog';
export const TILE_CONTENT_TYPE = 'application/octet-stream';
/** C2SP tlog-tiles: the checkpoint is served as `text/plain; charset=utf-8`. */
export const CHECKPOINT_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** An entry's length is a big-endian uint16 in an entry bundle. */
export const MAX_ENTRY_BYTES = 0xffff;

export type TileErrorCode =
  /** A tile, entry bundle or checkpoint a checkpoint needs is not there. */
  | 'TILE_MISSING'
  /** A tile or bundle is not the size or shape its path says. */
  | 'TILE_MALFORMED'
  /** Tiles disagree with each other, with their entries or with the checkpoint. */
  | 'TILE_MISMATCH'
  /** The published tiles are not this log's tree (another log's, or a database restored behind them). */
  | 'TILES_DIVERGED'
  /** A leaf longer than an entry bundle can carry. */
  | 'TILE_ENTRY_TOO_LARGE';

export class TileError extends Error {
  constructor(readonly code: TileErrorCode, message: string) {
    super(message);
    this.name = 'TileError';
  }
}

/** A tile: `width` hashes (256 when full) of tile level `level`, the `index`-th tile of that level. */
export interface TileCoordinates {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

export type TileResource =
  | { readonly kind: 'checkpoint' }
  | ({ readonly kind: 'hashes' } & TileCoordinates)
  | ({ readonly kind: 'entries' } & TileCoordinates);

const UTF8 = new TextEncoder();

// Why: C2SP tlog-tiles "<N>": zero-padded 3-digit groups, all but the last prefixed with x, so a directory and a file never share a name.
export function formatTileIndex(index: number): string {
  assertCount(index, 'tile index');
  let n = index;
  let out = String(n % 1000).padStart(3, '0');
  n = Math.floor(n / 1000);
  while (n > 0) {
    out = `x${String(n % 1000).padStart(3, '0')}/${out}`;
    n = Math.floor(n / 1000);
  }
  return out;
}

// Why: C2SP tlog-tiles "<prefix>/tile/<L>/<N>[.p/<W>]"; W only for a partial tile (1..255).
export function tilePath(tile: TileCoordinates): string {
  assertTile(tile);
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${partialSuffix(tile.width)}`;
}

// Why: C2SP tlog-tiles "<prefix>/tile/entries/<N>[.p/<W>]", N and W as for the level-0 tile.
export function entriesPath(index: number, width: number): string {
  assertTile({ level: 0, index, width });
  return `tile/entries/${formatTileIndex(index)}${partialSuffix(width)}`;
}

/**
 * Reads a path under a log's prefix (`checkpoint`, `tile/0/x001/234.p/17`, `tile/entries/005`), or null
 * for anything else. Strict: only the canonical spelling is accepted (no leading zero groups, no `.p/256`),
 * so each resource has exactly one path, one object key and one cache entry.
 */
export function parseTileResourcePath(path: string): TileResource | null {
  if (path === 'checkpoint') return { kind: 'checkpoint' };
  const parts = path.split('/');
  if (parts.length < 3 || parts[0] !== 'tile') return null;
  const entries = parts[1] === 'entries';
  let level = 0;
  if (!entries) {
    if (!/^(0|[1-9][0-9]?)$/.test(parts[1]!)) return null;
    level = Number(parts[1]);
    if (level > 63) return null;
  }
  let groups = parts.slice(2);
  let width = TILE_WIDTH;
  const beforeLast = groups.at(-2);
  if (beforeLast !== undefined && beforeLast.endsWith('.p')) {
    const w = groups.at(-1)!;
    if (!/^[1-9][0-9]{0,2}$/.test(w) || Number(w) >= TILE_WIDTH) return null;
    width = Number(w);
    groups = [...groups.slice(0, -2), beforeLast.slice(0, -2)];
  }
  let index = 0;
  for (let i = 0; i < groups.length; i++) {
    const last = i === groups.length - 1;
    const m = (last ? /^([0-9]{3})$/ : /^x([0-9]{3})$/).exec(groups[i]!);
    if (!m) return null;
    index = index * 1000 + Number(m[1]);
  }
  if (!Number.isSafeInteger(index) || formatTileIndex(index) !== groups.join('/')) return null;
  return entries ? { kind: 'entries', level: 0, index, width } : { kind: 'hashes', level, index, width };
}

/** The path of a resource under its log's prefix (the inverse of parseTileResourcePath). */
export function tileResourcePath(resource: TileResource): string {
  if (resource.kind === 'checkpoint') return 'checkpoint';
  return resource.kind === 'entries' ? entriesPath(resource.index, resource.width) : tilePath(resource);
}

/**
 * A log origin as one path segment of its tiles' object keys and URLs (`tlog/<slug>/…`): stable, readable
 * and reversible. Lower-case letters, digits and `-` stay; `.` stays unless it would start the slug or follow
 * another `.` (the object store refuses `..` and a leading dot); every other UTF-8 byte, `_` itself included,
 * becomes `_` and two lower-case hex digits; a slug that would then start with `_` gets `0_` in front. So `vault.example.gov.cn/licences` is
 * `vault.example.gov.cn_2flicences`, `127.0.0.1:8080/accesses` is `127.0.0.1_3a8080_2faccesses`, and two
 * origins never share a slug. The origin is pinned for the database's life, so the slug never changes.
 */
export function originSlug(origin: string): string {
  if (origin.length === 0) throw new RangeError('origin must not be empty');
  let out = '';
  for (const byte of UTF8.encode(origin)) {
    const ch = String.fromCharCode(byte);
    const plain = /[a-z0-9]/.test(ch) || (ch === '-' && out !== '') || (ch === '.' && out !== '' && !out.endsWith('.'));
    out += plain ? ch : `_${byte.toString(16).padStart(2, '0')}`;
  }
  // A segment must start with a letter or digit; `__` never occurs otherwise, so `0__` marks an escaped first byte.
  if (out.startsWith('_')) out = `0_${out}`;
  if (out.length > 200) throw new RangeError(`origin ${JSON.stringify(origin)} is too long for a tile key`);
  return out;
}

/** Number of hashes a tree of `size` leaves has at tile level `level`: one per complete subtree of 256^level leaves. */
export function hashesAtTileLevel(level: number, size: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

// Why: C2SP tlog-tiles "Partial Tiles": at level l a tree of size s has full tiles below floor(s/256^l)/256 and one of floor(s/256^l) mod 256 hashes.
/** Width of tile (level, index) in a tree of `size` leaves: 256, a partial width, or 0 when the tree has no such tile. */
export function tileWidth(level: number, index: number, size: number): number {
  const units = hashesAtTileLevel(level, size);
  const start = index * TILE_WIDTH;
  if (units <= start) return 0;
  return Math.min(TILE_WIDTH, units - start);
}

/** Every tile a tree of `size` leaves consists of, level by level, left to right (entry bundles mirror level 0). */
export function treeTiles(size: number): TileCoordinates[] {
  return tilesBetween(0, size);
}

/**
 * The tiles a tree of `toSize` has that a tree of `fromSize` has not: the full tiles completed in between,
 * and the right-edge partial tiles of `toSize` at each level whose hash count changed. This is what a
 * publisher writes for a new checkpoint; every other tile of `toSize` already exists, unchanged.
 */
export function tilesBetween(fromSize: number, toSize: number): TileCoordinates[] {
  assertCount(fromSize, 'fromSize');
  assertCount(toSize, 'toSize');
  if (fromSize > toSize) throw new RangeError(`fromSize ${fromSize} > toSize ${toSize}`);
  const out: TileCoordinates[] = [];
  for (let level = 0; hashesAtTileLevel(level, toSize) > 0; level++) {
    const before = hashesAtTileLevel(level, fromSize);
    const after = hashesAtTileLevel(level, toSize);
    if (before === after) continue; // nothing new at this level (nor above)
    for (let index = Math.floor(before / TILE_WIDTH); index < Math.floor(after / TILE_WIDTH); index++) out.push({ level, index, width: TILE_WIDTH });
    if (after % TILE_WIDTH > 0) out.push({ level, index: Math.floor(after / TILE_WIDTH), width: after % TILE_WIDTH });
  }
  return out;
}

/** Where stored node (level, index) sits in the tiles: its first tile hash and how many tile hashes it spans. */
export function nodeInTiles(node: NodeId): { tileLevel: number; tileIndex: number; offset: number; count: number } {
  const tileLevel = Math.floor(node.level / TILE_HEIGHT);
  const count = 2 ** (node.level - tileLevel * TILE_HEIGHT);
  const first = node.index * count;
  return { tileLevel, tileIndex: Math.floor(first / TILE_WIDTH), offset: first % TILE_WIDTH, count };
}

// Why: C2SP tlog-tiles "Log entries": a bundle is the entries, each prefixed by its big-endian uint16 length.
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_BYTES) throw new TileError('TILE_ENTRY_TOO_LARGE', `an entry of ${e.length} bytes does not fit a uint16 length prefix`);
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const e of entries) {
    out[o] = e.length >> 8;
    out[o + 1] = e.length & 0xff;
    out.set(e, o + 2);
    o += 2 + e.length;
  }
  return out;
}

// Why: inverse of encodeEntryBundle; a truncated or overlong bundle is malformed, never silently shortened.
export function decodeEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < bundle.length) {
    if (o + 2 > bundle.length) throw new TileError('TILE_MALFORMED', 'entry bundle ends inside a length prefix');
    const n = (bundle[o]! << 8) | bundle[o + 1]!;
    if (o + 2 + n > bundle.length) throw new TileError('TILE_MALFORMED', 'entry bundle ends inside an entry');
    out.push(bundle.subarray(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return out;
}

/** A tile's bytes as its hashes (views, not copies). */
export function splitTileHashes(bytes: Uint8Array, width: number, path = 'tile'): Uint8Array[] {
  if (bytes.length !== width * HASH_SIZE) throw new TileError('TILE_MALFORMED', `${path} has ${bytes.length} bytes, expected ${width} hashes (${width * HASH_SIZE} bytes)`);
  return Array.from({ length: width }, (_, i) => bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
}

// ---------------------------------------------------------------------------
// The tile client (pure; fetching is injected).

/** Fetches a resource by its path under the log's prefix (`checkpoint`, `tile/0/000`); null when it does not exist. */
export type FetchTileResource = (path: string) => Promise<Uint8Array | null>;

/**
 * Reads a log through its tiles only, the way a C2SP tlog-tiles client does: the checkpoint (verified with
 * the log's key), then exactly the tiles a root or proof needs, from which it rebuilds stored nodes; the
 * proofs it returns are RFC 9162 proofs, checked with merkle.ts like those of the service's API.
 * Tiles are immutable, so each path is fetched once and kept (call `forget()` to drop them).
 */
export class TiledLogReader {
  readonly #fetch: FetchTileResource;
  readonly #cache = new Map<string, Promise<Uint8Array>>();

  constructor(fetch: FetchTileResource) {
    this.#fetch = fetch;
  }

  /** The log's current checkpoint, verified with its key (and origin); never cached, it is the one mutable resource. */
  async checkpoint(vkey: string | NoteVerifier, expectedOrigin?: string): Promise<ParsedCheckpoint> {
    const note = await this.#fetch('checkpoint');
    if (!note) throw new TileError('TILE_MISSING', 'the log has no checkpoint');
    return verifyCheckpoint(note, vkey, expectedOrigin === undefined ? {} : { expectedOrigin });
  }

  forget(): void {
    this.#cache.clear();
  }

  /** The hashes of tile (level, index) as the tree of `size` has it: the full tile or its partial prefix. */
  async tileHashes(level: number, index: number, size: number): Promise<Uint8Array[]> {
    const width = tileWidth(level, index, size);
    if (width === 0) throw new RangeError(`a tree of ${size} leaves has no tile ${level}/${index}`);
    const path = tilePath({ level, index, width });
    return splitTileHashes(await this.#get(path), width, path);
  }

  /** The entries (leaf bytes) of level-0 tile `index` in the tree of `size`. */
  async entries(index: number, size: number): Promise<Uint8Array[]> {
    const width = tileWidth(0, index, size);
    if (width === 0) throw new RangeError(`a tree of ${size} leaves has no entry bundle ${index}`);
    const path = entriesPath(index, width);
    const entries = decodeEntryBundle(await this.#get(path));
    if (entries.length !== width) throw new TileError('TILE_MALFORMED', `${path} holds ${entries.length} entries, expected ${width}`);
    return entries;
  }

  /** Leaf `index`'s entry, checked against its level-0 tile hash. */
  async entry(index: number, size: number): Promise<Uint8Array> {
    const tile = Math.floor(index / TILE_WIDTH);
    const [entries, hashes] = await Promise.all([this.entries(tile, size), this.tileHashes(0, tile, size)]);
    const entry = entries[index % TILE_WIDTH]!;
    if (!bytesEqual(hashLeaf(entry), hashes[index % TILE_WIDTH]!)) throw new TileError('TILE_MISMATCH', `entry ${index} does not hash to its level-0 tile hash`);
    return entry;
  }

  /**
   * A synchronous getter of the stored nodes `ids` of the tree of `size`, built from the tiles that hold them
   * (fetched in parallel): a node of level 8L+k is the MTH of 2^k consecutive hashes of a level-L tile.
   */
  async nodes(size: number, ids: readonly NodeId[]): Promise<GetNode> {
    const where = ids.map((id) => ({ id, ...nodeInTiles(id) }));
    const tiles = new Map<string, Promise<Uint8Array[]>>();
    for (const w of where) {
      const key = `${w.tileLevel}/${w.tileIndex}`;
      if (!tiles.has(key)) tiles.set(key, this.tileHashes(w.tileLevel, w.tileIndex, size));
    }
    const found = new Map<string, Uint8Array>();
    for (const w of where) {
      const hashes = await tiles.get(`${w.tileLevel}/${w.tileIndex}`)!;
      const span = hashes.slice(w.offset, w.offset + w.count);
      if (span.length !== w.count) throw new RangeError(`node ${w.id.level}/${w.id.index} is not complete in a tree of ${size} leaves`);
      found.set(`${w.id.level}/${w.id.index}`, w.count === 1 ? span[0]! : rootFromLeafHashes(span));
    }
    return (level, index) => {
      const hash = found.get(`${level}/${index}`);
      if (!hash) throw new RangeError(`node ${level}/${index} was not fetched`);
      return hash;
    };
  }

  // Why: MTH of the first `size` leaves from O(log n) tile hashes (RFC 9162 §2.1.1 decomposition into perfect subtrees).
  async root(size: number): Promise<Uint8Array> {
    if (size === 0) return EMPTY_ROOT;
    return rootFromNodes(size, await this.nodes(size, rootNodes(size)));
  }

  // Why: RFC 9162 §2.1.3.1 PATH(index, D[size]) from tiles alone, the same plan the log store uses.
  async inclusionProof(index: number, size: number): Promise<Uint8Array[]> {
    return buildInclusionProof(index, size, await this.nodes(size, inclusionProofNodes(index, size).nodes));
  }

  // Why: RFC 9162 §2.1.4.1 PROOF(size1, D[size2]) from tiles alone.
  async consistencyProof(size1: number, size2: number): Promise<Uint8Array[]> {
    return buildConsistencyProof(size1, size2, await this.nodes(size2, consistencyProofNodes(size1, size2).nodes));
  }

  #get(path: string): Promise<Uint8Array> {
    let p = this.#cache.get(path);
    if (!p) {
      p = this.#fetch(path).then((bytes) => {
        if (!bytes) throw new TileError('TILE_MISSING', `${path} is missing`);
        return bytes;
      });
      p.catch(() => this.#cache.delete(path));
      this.#cache.set(path, p);
    }
    return p;
  }
}

export interface TiledLogAudit {
  size: number;
  tiles: number;
  entryBundles: number;
  entries: number;
}

/**
 * Reads and checks a whole log of `size` leaves from its tiles, as a monitor mirroring it would: every
 * entry bundle hashes to its level-0 tile, every hash of a level-L tile is the MTH of the full level-(L-1)
 * tile it stands for, and the root rebuilt from the tiles is `rootHash`. Every tile and bundle is fetched
 * once (`concurrency` at a time) and not kept; `onEntries` sees each bundle's entries in order.
 */
export async function auditTiledLog(
  fetch: FetchTileResource,
  checkpoint: { size: number; rootHash: Uint8Array },
  options: { concurrency?: number; onEntries?: (firstIndex: number, entries: Uint8Array[]) => void } = {},
): Promise<TiledLogAudit> {
  const { size } = checkpoint;
  const concurrency = options.concurrency ?? 16;
  const fetchTile = async (level: number, index: number, width: number) => {
    const path = tilePath({ level, index, width });
    const bytes = await fetch(path);
    if (!bytes) throw new TileError('TILE_MISSING', `${path} is missing`);
    return splitTileHashes(bytes, width, path);
  };
  const audit: TiledLogAudit = { size, tiles: 0, entryBundles: 0, entries: 0 };
  // MTHs of the full tiles of the level below, which the hashes of this level must equal.
  let expected: Uint8Array[] = [];
  // The right-edge hashes of each level, kept to rebuild the root.
  const edge = new Map<string, Uint8Array>();
  // Bundles verified out of order wait here until the ones before them are handed to onEntries.
  const ready = new Map<number, Uint8Array[]>();
  let nextBundle = 0;
  for (let level = 0; hashesAtTileLevel(level, size) > 0; level++) {
    const count = Math.ceil(hashesAtTileLevel(level, size) / TILE_WIDTH);
    const next: Uint8Array[] = new Array(Math.floor(hashesAtTileLevel(level, size) / TILE_WIDTH));
    await forEachLimit(count, concurrency, async (index) => {
      const width = tileWidth(level, index, size);
      const hashes = await fetchTile(level, index, width);
      audit.tiles += 1;
      if (level === 0) {
        const path = entriesPath(index, width);
        const bundle = await fetch(path);
        if (!bundle) throw new TileError('TILE_MISSING', `${path} is missing`);
        const entries = decodeEntryBundle(bundle);
        if (entries.length !== width) throw new TileError('TILE_MALFORMED', `${path} holds ${entries.length} entries, expected ${width}`);
        entries.forEach((e, i) => {
          if (!bytesEqual(hashLeaf(e), hashes[i]!)) throw new TileError('TILE_MISMATCH', `entry ${index * TILE_WIDTH + i} does not hash to level-0 tile ${index}`);
        });
        audit.entryBundles += 1;
        audit.entries += entries.length;
        if (options.onEntries) {
          ready.set(index, entries);
          for (let e = ready.get(nextBundle); e; e = ready.get(nextBundle)) {
            ready.delete(nextBundle);
            options.onEntries(nextBundle * TILE_WIDTH, e);
            nextBundle += 1;
          }
        }
      } else {
        hashes.forEach((h, i) => {
          if (!bytesEqual(h, expected[index * TILE_WIDTH + i]!)) throw new TileError('TILE_MISMATCH', `hash ${i} of tile ${level}/${index} is not the root of the full tile below it`);
        });
      }
      if (width === TILE_WIDTH) next[index] = rootFromLeafHashes(hashes);
      else hashes.forEach((h, i) => edge.set(`${level}/${index * TILE_WIDTH + i}`, h));
    });
    expected = next;
  }
  // The root from the verified tiles. The perfect subtrees of the size decomposition with levels 8L..8L+7
  // stand for bits 8L..8L+7 of the size, i.e. they cover exactly the hashes of the partial level-L tile.
  const getNode: GetNode = (level, index) => {
    const at = nodeInTiles({ level, index });
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < at.count; i++) {
      const h = edge.get(`${at.tileLevel}/${at.tileIndex * TILE_WIDTH + at.offset + i}`);
      if (!h) throw new RangeError(`node ${level}/${index} is not on the right edge of a tree of ${size} leaves`);
      hashes.push(h);
    }
    return hashes.length === 1 ? hashes[0]! : rootFromLeafHashes(hashes);
  };
  const root = size === 0 ? EMPTY_ROOT : rootFromNodes(size, getNode);
  if (!bytesEqual(root, checkpoint.rootHash)) throw new TileError('TILE_MISMATCH', `the root rebuilt from the tiles is not the checkpoint's root of size ${size}`);
  return audit;
}

// ---------------------------------------------------------------------------
// The publisher: log store → object store.

export interface LogTilePublisherOptions {
  logs: Pick<LogStore, 'size' | 'root' | 'latestCheckpoint' | 'checkpointsAfter' | 'nodeHashes' | 'leaves'>;
  objects: ObjectStore;
  /** Object key prefix under which each origin's tiles go (`<keyPrefix>/<slug>/…`); default `tlog`. */
  keyPrefix?: string;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Tiles read and written per batch (default 64: 16 384 leaves of level 0). */
  batchTiles?: number;
  /** Object writes in flight at once (default 8). */
  concurrency?: number;
}

export interface TilePublication {
  origin: string;
  /** Tree size of the checkpoint object before, and after. */
  fromSize: number;
  toSize: number;
  /** Checkpoints whose tiles were written (one checkpoint object write each). */
  checkpoints: number;
  /** Tiles and entry bundles written (not counting checkpoint objects). */
  tilesWritten: number;
  /** Tiles found already written, identical, when completing an interrupted publication. */
  tilesFound: number;
  /** Whether the newest checkpoint is published (false: `maxCheckpoints` stopped it; call again). */
  complete: boolean;
}

/**
 * Writes each log's tiles to the object store as its checkpoints are made (the anchorer's onCheckpoint).
 *
 * For every stored checkpoint above the one published (oldest first): the tiles it has that the previous
 * one had not (`tilesBetween`: per 1 000 leaves about four full level-0 tiles and their bundles, plus the few
 * partial tiles of the right edge), then the checkpoint object, last, so a reader who sees a checkpoint
 * finds every tile it needs. Each checkpoint's partial tiles are written, as the spec requires.
 *
 * The high-water mark is the published checkpoint object itself, not a row in the database: it is what
 * readers see, it cannot disagree with the store it describes (a new, empty bucket is filled from the start;
 * a store restored behind the database is caught up), and it is written last. Before trusting a checkpoint
 * object it did not write itself, the publisher checks that its root is this log's root at that size; if
 * not (another log's objects, or a database restored behind the published tiles) it stops with
 * TILES_DIVERGED and overwrites nothing. Steady state costs no extra reads: the tiles above the mark are new,
 * and are written once. Only after an interrupted publication (a crash, a failed write: the tiles of one
 * checkpoint may be there without its checkpoint object) does it read each tile of that one step first and
 * keep those already there, so a tile is never written twice.
 */
export class LogTilePublisher {
  readonly #logs: LogTilePublisherOptions['logs'];
  readonly #objects: ObjectStore;
  readonly #prefix: string;
  readonly #logger: LogTilePublisherOptions['logger'];
  readonly #batchTiles: number;
  readonly #concurrency: number;
  /** Per origin: the size this publisher last published, and whether nothing was written above it since. */
  readonly #published = new Map<string, { size: number; clean: boolean }>();
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(options: LogTilePublisherOptions) {
    this.#logs = options.logs;
    this.#objects = options.objects;
    this.#prefix = (options.keyPrefix ?? DEFAULT_TILE_KEY_PREFIX).replace(/\/+$/, '');
    this.#logger = options.logger;
    this.#batchTiles = options.batchTiles ?? 64;
    this.#concurrency = options.concurrency ?? 8;
  }

  /**
   * The anchorer's onCheckpoint hook: publishes up to `maxCheckpoints` checkpoints per cycle and, when more
   * are left (a first run on a long log), resolves false so the anchorer calls it again on its next cycle.
   */
  checkpointHook(maxCheckpoints = 100): (origin: string) => Promise<boolean> {
    return async (origin) => (await this.publish(origin, { maxCheckpoints })).complete;
  }

  /** The object key of a resource of `origin`'s tiles. */
  key(origin: string, resource: TileResource): string {
    return `${this.#prefix}/${originSlug(origin)}/${tileResourcePath(resource)}`;
  }

  /**
   * Publishes the checkpoints of `origin` newer than the published one, oldest first, at most
   * `maxCheckpoints` of them (a first run on a long log catches up over several calls instead of holding up
   * its caller: `complete` says whether it is done). Calls for one origin run one at a time.
   */
  publish(origin: string, options: { maxCheckpoints?: number } = {}): Promise<TilePublication> {
    const previous = this.#running.get(origin) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#publish(origin, options.maxCheckpoints ?? Number.POSITIVE_INFINITY));
    this.#running.set(origin, run);
    return run;
  }

  async #publish(origin: string, maxCheckpoints: number): Promise<TilePublication> {
    const latest = await this.#logs.latestCheckpoint(origin);
    const mine = this.#published.get(origin);
    const report: TilePublication = { origin, fromSize: mine?.size ?? 0, toSize: mine?.size ?? 0, checkpoints: 0, tilesWritten: 0, tilesFound: 0, complete: true };
    if (!latest || (mine?.clean && mine.size === latest.size)) return report;

    const checkpointKey = this.key(origin, { kind: 'checkpoint' });
    const published = await this.#readPublished(origin, checkpointKey, mine);
    let size = published;
    report.fromSize = report.toSize = size;
    if (size > latest.size) throw new TileError('TILES_DIVERGED', `${checkpointKey} has size ${size}, above the newest checkpoint of ${origin} (${latest.size}): was the database restored behind the tiles?`);
    // Anything above the published checkpoint that this publisher did not write itself may be a half-done step.
    let recovering = !(mine?.clean && mine.size === size);
    this.#published.set(origin, { size, clean: !recovering });
    while (size < latest.size && report.checkpoints < maxCheckpoints) {
      const batch = await this.#logs.checkpointsAfter(origin, size, Math.min(100, maxCheckpoints - report.checkpoints));
      if (batch.length === 0) break;
      for (const checkpoint of batch) {
        this.#published.set(origin, { size, clean: false });
        const { written, found } = await this.#writeTiles(origin, size, checkpoint.size, recovering);
        await this.#objects.put(checkpointKey, UTF8.encode(checkpoint.note), CHECKPOINT_CONTENT_TYPE);
        size = checkpoint.size;
        this.#published.set(origin, { size, clean: true });
        recovering = false;
        report.checkpoints += 1;
        report.tilesWritten += written;
        report.tilesFound += found;
        report.toSize = size;
      }
    }
    report.complete = size >= latest.size;
    if (report.checkpoints > 0) this.#logger?.info({ origin, fromSize: report.fromSize, toSize: report.toSize, tilesWritten: report.tilesWritten, tilesFound: report.tilesFound }, 'log tiles published');
    return report;
  }

  /** The size of the published checkpoint object (0 when there is none), checked against the log unless this publisher wrote it. */
  async #readPublished(origin: string, key: string, mine: { size: number; clean: boolean } | undefined): Promise<number> {
    const bytes = await this.#objects.get(key);
    if (!bytes) return 0;
    let parsed: ParsedCheckpoint;
    try {
      parsed = parseCheckpoint(bytes);
    } catch (error) {
      throw new TileError('TILES_DIVERGED', `${key} is not a checkpoint: ${(error as Error).message}`);
    }
    if (parsed.origin !== origin) throw new TileError('TILES_DIVERGED', `${key} is a checkpoint of ${JSON.stringify(parsed.origin)}, not of ${JSON.stringify(origin)}`);
    if (mine?.size === parsed.size) return parsed.size;
    if (parsed.size > (await this.#logs.size(origin))) {
      throw new TileError('TILES_DIVERGED', `${key} has size ${parsed.size}, but the log ${origin} has fewer leaves: was the database restored behind the tiles?`);
    }
    if (!bytesEqual(await this.#logs.root(origin, parsed.size), parsed.rootHash)) {
      throw new TileError('TILES_DIVERGED', `${key} (size ${parsed.size}) is not the tree this log has at that size: another log's tiles, or a rewritten history`);
    }
    return parsed.size;
  }

  /** Writes the tiles and entry bundles of `toSize` that `fromSize` lacks; one node read (and one leaf read at level 0) per batch of tiles. */
  async #writeTiles(origin: string, fromSize: number, toSize: number, recovering: boolean): Promise<{ written: number; found: number }> {
    const counts = { written: 0, found: 0 };
    const plan = tilesBetween(fromSize, toSize);
    for (let i = 0; i < plan.length; ) {
      // A batch: consecutive tiles of one level.
      const level = plan[i]!.level;
      let j = i;
      while (j < plan.length && j - i < this.#batchTiles && plan[j]!.level === level) j++;
      const tiles = plan.slice(i, j);
      i = j;
      const start = tiles[0]!.index * TILE_WIDTH;
      const last = tiles.at(-1)!;
      const end = last.index * TILE_WIDTH + last.width;
      const hashes = await this.#logs.nodeHashes(origin, level * TILE_HEIGHT, start, end);
      const leaves = level === 0 ? await this.#logs.leaves(origin, start, end) : null;
      if (leaves && leaves.length !== end - start) throw new Error(`log ${origin}: ${end - start - leaves.length} leaves of [${start}, ${end}) are missing`);
      const writes: Array<{ key: string; bytes: Uint8Array }> = [];
      for (const tile of tiles) {
        const from = tile.index * TILE_WIDTH - start;
        const tileHashes = hashes.slice(from, from + tile.width);
        const bytes = new Uint8Array(tile.width * HASH_SIZE);
        tileHashes.forEach((h, k) => bytes.set(h, k * HASH_SIZE));
        writes.push({ key: this.key(origin, { kind: 'hashes', ...tile }), bytes });
        if (leaves) {
          const entries = leaves.slice(from, from + tile.width).map((l) => UTF8.encode(l.data));
          // Never publish a bundle that does not hash to its tile: it would be immutable and wrong.
          entries.forEach((e, k) => {
            if (!bytesEqual(hashLeaf(e), tileHashes[k]!)) throw new TileError('TILE_MISMATCH', `log ${origin}: leaf ${start + from + k} does not hash to its stored node`);
          });
          writes.push({ key: this.key(origin, { kind: 'entries', ...tile }), bytes: encodeEntryBundle(entries) });
        }
      }
      await forEachLimit(writes.length, this.#concurrency, async (k) => {
        const w = writes[k]!;
        if (await this.#put(w.key, w.bytes, recovering)) counts.written += 1;
        else counts.found += 1;
      });
    }
    return counts;
  }

  /** Writes an immutable object; when completing an interrupted step, keeps one already there with the same bytes. */
  async #put(key: string, bytes: Uint8Array, recovering: boolean): Promise<boolean> {
    if (recovering) {
      const existing = await this.#objects.get(key);
      if (existing && bytesEqual(existing, bytes)) return false;
      // No published checkpoint covers it, so no reader can have relied on it.
      if (existing) this.#logger?.warn({ key }, 'replacing a tile that no published checkpoint covers, left by an interrupted publication of other leaves');
    }
    await this.#objects.put(key, bytes, TILE_CONTENT_TYPE);
    return true;
  }
}

// ---------------------------------------------------------------------------
// Internals.

/** Runs fn(0..count-1), at most `limit` at a time; the first failure rejects (the rest still settle). */
async function forEachLimit(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < count && failed === null) {
      const i = next++;
      try {
        await fn(i);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failed !== null) throw failed;
}

function partialSuffix(width: number): string {
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

function assertCount(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

function assertTile(tile: TileCoordinates): void {
  if (!Number.isInteger(tile.level) || tile.level < 0 || tile.level > 63) throw new RangeError(`tile level must be 0..63, got ${tile.level}`);
  assertCount(tile.index, 'tile index');
  if (!Number.isInteger(tile.width) || tile.width < 1 || tile.width > TILE_WIDTH) throw new RangeError(`tile width must be 1..${TILE_WIDTH}, got ${tile.width}`);
}

