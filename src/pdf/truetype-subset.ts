/**
 * TrueType (glyf) subsetting for PDF embedding, written for speed: the font file is indexed once per
 * process, each glyph's outline record is cut out of `glyf` once (hinting instructions removed) and
 * cached, and a document's subset is those cached records laid end to end behind six small tables.
 *
 * The subset is a CIDFontType2 program addressed through /CIDToGIDMap /Identity (ISO 32000-1 §9.7.4.2):
 * CIDs in the content stream are the subset's glyph ids, so it needs no `cmap`; and since every glyph's
 * instructions are dropped (a 100 dpi render or a print does not need TrueType hinting, and the bytes
 * are 30–45% of some CJK glyphs), `fpgm`, `prep` and `cvt ` go too. What remains is what ISO 32000-1
 * §9.9 requires of an embedded TrueType program used this way: head, hhea, hmtx, loca, glyf, maxp.
 *
 * Tables: Apple TrueType Reference / OpenType 1.9 (`glyf` simple and composite glyph records, `loca`
 * long format, `hmtx` long metrics, `cmap` formats 4 and 12, `name`).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** A glyph record as embedded: instructions removed, composite component ids still the font's own. */
interface GlyphRecord {
  bytes: Uint8Array;
  /** Composite glyphs: byte offsets (inside `bytes`) of each component's glyphIndex, and those ids. */
  components: Array<{ at: number; gid: number }> | null;
  advance: number;
  lsb: number;
}

interface TableEntry {
  offset: number;
  length: number;
}

/** Font-wide numbers a PDF FontDescriptor needs (in font units). */
export interface FontMetrics {
  unitsPerEm: number;
  bbox: [number, number, number, number];
  ascent: number;
  descent: number;
  capHeight: number;
  italicAngle: number;
}

const COMPOSITE = {
  ARG_1_AND_2_ARE_WORDS: 0x0001,
  WE_HAVE_A_SCALE: 0x0008,
  MORE_COMPONENTS: 0x0020,
  WE_HAVE_AN_X_AND_Y_SCALE: 0x0040,
  WE_HAVE_A_TWO_BY_TWO: 0x0080,
  WE_HAVE_INSTRUCTIONS: 0x0100,
} as const;

/** Random access to a font file's bytes. */
export interface FontBytes {
  read(offset: number, length: number): Uint8Array;
}

/**
 * A font file read on demand: only the tables a subset needs are held, glyph outlines are read when first
 * used. The file is opened for each read and closed again (a glyph is read once per process, then
 * cached): no descriptor outlives the read, so render workers that are replaced leave none behind. A
 * file replaced since it was indexed (a package upgrade under a running service) is refused, never read
 * at the old offsets.
 */
export function fontFile(path: string): FontBytes {
  const indexed = statSync(path);
  return {
    read(offset, length) {
      const out = new Uint8Array(length);
      const fd = openSync(path, 'r');
      try {
        const now = fstatSync(fd);
        if (now.ino !== indexed.ino || now.size !== indexed.size || now.mtimeMs !== indexed.mtimeMs) {
          throw new Error(`${path} changed since it was loaded: restart the service to use the new font`);
        }
        let done = 0;
        while (done < length) {
          const n = readSync(fd, out, done, length - done, offset + done);
          if (n === 0) throw new Error(`${path}: unexpected end of file at ${offset + done}`);
          done += n;
        }
      } finally {
        closeSync(fd);
      }
      return out;
    },
  };
}

/** Font bytes already in memory. */
export function fontBytes(bytes: Uint8Array): FontBytes {
  return { read: (offset, length) => bytes.subarray(offset, offset + length) };
}

type CmapLookup = (cp: number) => number;

/**
 * One TrueType font, indexed for subsetting: its table directory, the small tables (head, hhea, maxp,
 * OS/2, post, name), the character map, `loca` and `hmtx` are read once; glyph outlines are read from
 * the file when a document first uses them and then cached. A 46 MB font costs well under a megabyte of
 * memory this way, instead of the whole file in every render worker.
 */
export class TrueTypeSource {
  readonly metrics: FontMetrics;
  readonly postscriptName: string;
  private readonly tables = new Map<string, TableEntry>();
  private readonly small = new Map<string, Uint8Array>();
  private readonly loca: DataView;
  private readonly hmtx: DataView;
  private readonly longLoca: boolean;
  private readonly numGlyphs: number;
  private readonly numberOfHMetrics: number;
  private readonly cmap: CmapLookup;
  private readonly records = new Map<number, GlyphRecord>();

  constructor(private readonly file: FontBytes) {
    const header = new DataView(copy(file.read(0, 12)).buffer);
    const version = header.getUint32(0);
    if (version !== 0x00010000 && version !== 0x74727565 /* 'true' */) throw new Error('not a TrueType (glyf) font: CFF fonts and collections (TTC) are not supported');
    const numTables = header.getUint16(4);
    const dir = file.read(12, 16 * numTables);
    const dirView = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
    for (let i = 0; i < numTables; i++) {
      const rec = 16 * i;
      const tag = String.fromCharCode(dir[rec]!, dir[rec + 1]!, dir[rec + 2]!, dir[rec + 3]!);
      this.tables.set(tag, { offset: dirView.getUint32(rec + 8), length: dirView.getUint32(rec + 12) });
    }
    for (const tag of ['head', 'hhea', 'hmtx', 'loca', 'glyf', 'maxp', 'cmap']) if (!this.tables.has(tag)) throw new Error(`TrueType font has no '${tag}' table`);
    for (const tag of ['head', 'hhea', 'maxp', 'OS/2', 'post', 'name']) {
      const t = this.tables.get(tag);
      if (t) this.small.set(tag, copy(file.read(t.offset, t.length)));
    }
    const head = this.view('head');
    const hhea = this.view('hhea');
    this.longLoca = head.getInt16(50) === 1;
    this.numGlyphs = this.view('maxp').getUint16(4);
    this.numberOfHMetrics = hhea.getUint16(34);
    this.loca = this.readView('loca');
    this.hmtx = this.readView('hmtx');
    this.cmap = parseCmap(this.readView('cmap'));
    this.postscriptName = this.small.has('name') ? (postscriptNameOf(this.view('name')) ?? 'Font') : 'Font';
    const ascent = hhea.getInt16(4);
    const os2 = this.small.get('OS/2');
    // OS/2 version ≥ 2 carries sCapHeight at offset 88.
    const capHeight = os2 && os2.length >= 90 && this.view('OS/2').getUint16(0) >= 2 ? this.view('OS/2').getInt16(88) : ascent;
    this.metrics = {
      unitsPerEm: head.getUint16(18),
      bbox: [head.getInt16(36), head.getInt16(38), head.getInt16(40), head.getInt16(42)],
      ascent,
      descent: hhea.getInt16(6),
      capHeight: capHeight || ascent,
      italicAngle: this.small.has('post') ? this.view('post').getInt32(4) / 65536 : 0,
    };
  }

  private view(tag: string): DataView {
    const b = this.small.get(tag)!;
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private readView(tag: string): DataView {
    const t = this.tables.get(tag)!;
    const b = copy(this.file.read(t.offset, t.length));
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Glyph id of a code point (0, .notdef, when the font has none): the Unicode character map. */
  glyphId(cp: number): number {
    return this.cmap(cp);
  }

  private locaOffset(gid: number): number {
    return this.longLoca ? this.loca.getUint32(4 * gid) : 2 * this.loca.getUint16(2 * gid);
  }

  /** Advance width of a glyph, in font units. */
  advance(gid: number): number {
    return this.hmtx.getUint16(4 * Math.min(gid, this.numberOfHMetrics - 1));
  }

  private lsb(gid: number): number {
    if (gid < this.numberOfHMetrics) return this.hmtx.getInt16(4 * gid + 2);
    return this.hmtx.getInt16(4 * this.numberOfHMetrics + 2 * (gid - this.numberOfHMetrics));
  }

  /** The glyph's record without instructions (cached for the life of the process). */
  record(gid: number): GlyphRecord {
    let rec = this.records.get(gid);
    if (rec) return rec;
    if (gid < 0 || gid >= this.numGlyphs) throw new RangeError(`glyph ${gid} out of range`);
    const start = this.locaOffset(gid);
    const length = this.locaOffset(gid + 1) - start;
    const raw = length > 0 ? copy(this.file.read(this.tables.get('glyf')!.offset + start, length)) : new Uint8Array(0);
    rec = { ...stripInstructions(raw), advance: this.advance(gid), lsb: this.lsb(gid) };
    this.records.set(gid, rec);
    return rec;
  }

  /** The bytes of one of the small tables (head, hhea, maxp…): shared, do not modify. */
  tableBytes(tag: string): Uint8Array {
    const b = this.small.get(tag);
    if (!b) throw new Error(`no '${tag}' table held`);
    return b;
  }
}

/** A copy that owns its buffer (a view of a larger buffer would keep all of it alive). */
function copy(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
}

/**
 * The font's Unicode character map (OpenType `cmap`): format 12 (all planes) when the font has one,
 * else format 4 (BMP). Subtables in order of preference: (3,10), (0,6), (0,4), (3,1), (0,3).
 */
function parseCmap(cmap: DataView): CmapLookup {
  const count = cmap.getUint16(2);
  const subtables = new Map<string, number>();
  for (let i = 0; i < count; i++) subtables.set(`${cmap.getUint16(4 + 8 * i)}/${cmap.getUint16(6 + 8 * i)}`, cmap.getUint32(8 + 8 * i));
  for (const key of ['3/10', '0/6', '0/4', '3/1', '0/3']) {
    const at = subtables.get(key);
    if (at === undefined) continue;
    const format = cmap.getUint16(at);
    if (format === 12) return format12(cmap, at);
    if (format === 4) return format4(cmap, at);
  }
  throw new Error('font has no Unicode character map (cmap format 4 or 12)');
}

/** Segmented coverage (format 12): groups of consecutive code points mapped to consecutive glyphs. */
function format12(cmap: DataView, at: number): CmapLookup {
  const groups = cmap.getUint32(at + 12);
  const starts = new Uint32Array(groups);
  const ends = new Uint32Array(groups);
  const glyphs = new Uint32Array(groups);
  for (let i = 0; i < groups; i++) {
    const g = at + 16 + 12 * i;
    starts[i] = cmap.getUint32(g);
    ends[i] = cmap.getUint32(g + 4);
    glyphs[i] = cmap.getUint32(g + 8);
  }
  return (cp) => {
    let lo = 0;
    let hi = groups - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cp < starts[mid]!) hi = mid - 1;
      else if (cp > ends[mid]!) lo = mid + 1;
      else return glyphs[mid]! + (cp - starts[mid]!);
    }
    return 0;
  };
}

/** Segment mapping to delta values (format 4): the BMP. */
function format4(cmap: DataView, at: number): CmapLookup {
  const segCount = cmap.getUint16(at + 6) / 2;
  const endCodes = at + 14;
  const startCodes = endCodes + 2 * segCount + 2;
  const idDeltas = startCodes + 2 * segCount;
  const idRangeOffsets = idDeltas + 2 * segCount;
  return (cp) => {
    if (cp > 0xffff) return 0;
    let lo = 0;
    let hi = segCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cp > cmap.getUint16(endCodes + 2 * mid)) lo = mid + 1;
      else if (mid > 0 && cp <= cmap.getUint16(endCodes + 2 * (mid - 1))) hi = mid - 1;
      else {
        if (cp < cmap.getUint16(startCodes + 2 * mid)) return 0;
        const delta = cmap.getUint16(idDeltas + 2 * mid);
        const rangeOffset = cmap.getUint16(idRangeOffsets + 2 * mid);
        if (rangeOffset === 0) return (cp + delta) & 0xffff;
        const glyphAt = idRangeOffsets + 2 * mid + rangeOffset + 2 * (cp - cmap.getUint16(startCodes + 2 * mid));
        const gid = cmap.getUint16(glyphAt);
        return gid === 0 ? 0 : (gid + delta) & 0xffff;
      }
    }
    return 0;
  };
}

/** The PostScript name (name ID 6), from the Windows (UTF-16BE) or Macintosh (Roman) record. */
function postscriptNameOf(name: DataView): string | null {
  const count = name.getUint16(2);
  const strings = name.getUint16(4);
  let mac: string | null = null;
  for (let i = 0; i < count; i++) {
    const r = 6 + 12 * i;
    const platform = name.getUint16(r);
    if (name.getUint16(r + 6) !== 6) continue;
    const length = name.getUint16(r + 8);
    const offset = strings + name.getUint16(r + 10);
    if (platform === 3) {
      let s = '';
      for (let k = 0; k + 1 < length; k += 2) s += String.fromCharCode(name.getUint16(offset + k));
      return s;
    }
    if (platform === 1 && mac === null) {
      mac = '';
      for (let k = 0; k < length; k++) mac += String.fromCharCode(name.getUint8(offset + k));
    }
  }
  return mac;
}

/** Removes a glyph record's TrueType instructions; notes where composite component ids sit. */
function stripInstructions(raw: Uint8Array): { bytes: Uint8Array; components: GlyphRecord['components'] } {
  if (raw.length === 0) return { bytes: raw, components: null };
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const contours = view.getInt16(0);
  if (contours >= 0) {
    const at = 10 + 2 * contours; // uint16 instructionLength after endPtsOfContours
    const length = view.getUint16(at);
    const out = new Uint8Array(raw.length - length);
    out.set(raw.subarray(0, at + 2));
    out[at] = 0;
    out[at + 1] = 0;
    out.set(raw.subarray(at + 2 + length), at + 2);
    return { bytes: out, components: null };
  }
  const components: Array<{ at: number; gid: number }> = [];
  let pos = 10;
  let flags: number;
  const flagPositions: number[] = [];
  do {
    flags = view.getUint16(pos);
    flagPositions.push(pos);
    components.push({ at: pos + 2, gid: view.getUint16(pos + 2) });
    pos += 4 + (flags & COMPOSITE.ARG_1_AND_2_ARE_WORDS ? 4 : 2);
    if (flags & COMPOSITE.WE_HAVE_A_SCALE) pos += 2;
    else if (flags & COMPOSITE.WE_HAVE_AN_X_AND_Y_SCALE) pos += 4;
    else if (flags & COMPOSITE.WE_HAVE_A_TWO_BY_TWO) pos += 8;
  } while (flags & COMPOSITE.MORE_COMPONENTS);
  const out = raw.slice(0, pos);
  const outView = new DataView(out.buffer);
  for (const p of flagPositions) outView.setUint16(p, outView.getUint16(p) & ~COMPOSITE.WE_HAVE_INSTRUCTIONS);
  return { bytes: out, components };
}

/**
 * The glyphs one document uses from one font. Ids are handed out in order of first use, starting at 1
 * (0 is .notdef, always present), so the content stream can be written while the page is composed.
 */
export class GlyphSubset {
  /** Font glyph id of each subset glyph id. */
  readonly gids: number[] = [0];
  /** Code point each subset glyph stands for (ToUnicode); 0 for .notdef and composite parts. */
  readonly codePoints: number[] = [0];
  private readonly ids = new Map<number, number>([[0, 0]]);

  constructor(readonly source: TrueTypeSource) {}

  /** Subset id of a font glyph (added on first use). */
  use(gid: number, codePoint: number): number {
    let id = this.ids.get(gid);
    if (id === undefined) {
      id = this.gids.length;
      this.ids.set(gid, id);
      this.gids.push(gid);
      this.codePoints.push(codePoint);
    } else if (this.codePoints[id] === 0 && codePoint !== 0) {
      this.codePoints[id] = codePoint;
    }
    return id;
  }

  get size(): number {
    return this.gids.length;
  }

  /** Advance widths of the subset glyphs, in font units. */
  advances(): number[] {
    return this.gids.map((g) => this.source.advance(g));
  }

  /** The subset as a TrueType font program (pulls in composite glyphs' components). */
  encode(): Uint8Array {
    const src = this.source;
    const records: Uint8Array[] = [];
    // Components append to gids while we walk: a plain index loop sees them too.
    for (let i = 0; i < this.gids.length; i++) {
      // .notdef is never shown (every code the content uses has a glyph): an empty outline keeps its bytes out.
      if (i === 0) {
        records.push(new Uint8Array(0));
        continue;
      }
      const rec = src.record(this.gids[i]!);
      if (rec.components) {
        const bytes = rec.bytes.slice();
        const view = new DataView(bytes.buffer);
        for (const c of rec.components) view.setUint16(c.at, this.use(c.gid, 0));
        records.push(bytes);
      } else {
        records.push(rec.bytes);
      }
    }
    const n = this.gids.length;
    let glyfLength = 0;
    for (const r of records) glyfLength += (r.length + 3) & ~3;

    const head = src.tableBytes('head').slice(0, 54);
    const hhea = src.tableBytes('hhea').slice(0, 36);
    const maxp = src.tableBytes('maxp').slice();
    const headView = new DataView(head.buffer);
    headView.setUint32(8, 0); // checkSumAdjustment, set below
    headView.setInt16(50, 1); // indexToLocFormat: long
    new DataView(hhea.buffer).setUint16(34, n); // numberOfHMetrics
    const maxpView = new DataView(maxp.buffer);
    maxpView.setUint16(4, n);
    if (maxp.length >= 32) maxpView.setUint16(26, 0); // maxSizeOfInstructions: none are left

    const tables: Array<[string, number, (out: Uint8Array, view: DataView, at: number) => void]> = [
      ['glyf', glyfLength, (out, _v, at) => {
        let p = at;
        for (const r of records) {
          out.set(r, p);
          p += (r.length + 3) & ~3;
        }
      }],
      ['head', 54, (out, _v, at) => out.set(head, at)],
      ['hhea', 36, (out, _v, at) => out.set(hhea, at)],
      ['hmtx', 4 * n, (_o, view, at) => {
        for (let i = 0; i < n; i++) {
          const rec = src.record(this.gids[i]!);
          view.setUint16(at + 4 * i, rec.advance);
          view.setInt16(at + 4 * i + 2, rec.lsb);
        }
      }],
      ['loca', 4 * (n + 1), (_o, view, at) => {
        let off = 0;
        for (let i = 0; i < n; i++) {
          view.setUint32(at + 4 * i, off);
          off += (records[i]!.length + 3) & ~3;
        }
        view.setUint32(at + 4 * n, off);
      }],
      ['maxp', maxp.length, (out, _v, at) => out.set(maxp, at)],
    ];
    const headerLength = 12 + 16 * tables.length;
    let total = headerLength;
    for (const [, len] of tables) total += (len + 3) & ~3;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    view.setUint32(0, 0x00010000);
    view.setUint16(4, tables.length);
    const entrySelector = Math.floor(Math.log2(tables.length));
    view.setUint16(6, 16 * 2 ** entrySelector);
    view.setUint16(8, entrySelector);
    view.setUint16(10, 16 * tables.length - 16 * 2 ** entrySelector);
    let at = headerLength;
    let headAt = 0;
    for (const [i, [tag, len, write]] of tables.entries()) {
      write(out, view, at);
      const rec = 12 + 16 * i;
      for (let k = 0; k < 4; k++) out[rec + k] = tag.charCodeAt(k);
      view.setUint32(rec + 4, checksum(view, at, len));
      view.setUint32(rec + 8, at);
      view.setUint32(rec + 12, len);
      if (tag === 'head') headAt = at;
      at += (len + 3) & ~3;
    }
    view.setUint32(headAt + 8, (0xb1b0afba - checksum(view, 0, total)) >>> 0);
    return out;
  }
}

/**
 * OpenType table checksum: the sum of big-endian uint32s, the table zero-padded to 4 bytes.
 * The last word is always read byte by byte (as zero when the length is a multiple of 4): with a branch
 * taken only for some tables, V8 deoptimised this function on every document (about 600 times in 1 500
 * renders, `--trace-deopt`: "insufficient type feedback"), where one path for every call has none.
 */
function checksum(view: DataView, at: number, length: number): number {
  let sum = 0;
  const end = at + length;
  let p = at;
  for (; p + 4 <= end; p += 4) sum = (sum + view.getUint32(p)) >>> 0;
  let last = 0;
  for (let k = 0; k < 4; k++) last = ((last << 8) | (p + k < end ? view.getUint8(p + k) : 0)) >>> 0;
  return (sum + last) >>> 0;
}
