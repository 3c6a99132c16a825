/**
 * CJK font fallback chain backed by fontkit 2.
 *
 * Fonts are read and parsed ONCE (loadFontChain) and reused for every
 * document. pdf-lib is pointed at fontkit 2 through `fontkitAdapter`
 * (pdf-lib expects the @pdf-lib/fontkit 1.x API; @pdf-lib/fontkit 1.1.1
 * produces blank CJK glyphs, see pdf-lib issue #1232).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create as fontkitCreate } from 'fontkit';
import type { FontkitFont, FontkitGlyph, FontkitSubset } from 'fontkit';
import type { PDFDocument } from 'pdf-lib';

type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];

/** Thrown when a code point is covered by no font of the chain. */
export class GlyphMissingError extends Error {
  readonly code = 'GLYPH_MISSING' as const;
  /** First missing code point, formatted `U+20BB7`. */
  readonly codePoint: string;
  /** The first missing character itself. */
  readonly char: string;
  /** Every distinct missing code point of the text, formatted `U+XXXX`. */
  readonly missing: string[];

  constructor(char: string, missing: string[]) {
    const cp = formatCodePoint(char.codePointAt(0) ?? 0);
    super(`No font has a glyph for ${cp} (${JSON.stringify(char)})`);
    this.name = 'GlyphMissingError';
    this.codePoint = cp;
    this.char = char;
    this.missing = missing.length > 0 ? missing : [cp];
  }
}

export interface FontRun {
  fontIndex: number;
  text: string;
}

export interface LoadedFont {
  path: string;
  /** Raw file bytes (the identity of this array is what pdf-lib's embedFont receives). */
  bytes: Uint8Array;
  font: FontkitFont;
  postscriptName: string;
  unitsPerEm: number;
}

/** Formats a code point as `U+XXXX` (at least 4 upper-case hex digits). */
export function formatCodePoint(cp: number): string {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

const requireFromHere = createRequire(import.meta.url);

function notoSansScPath(): string {
  try {
    const pkg = requireFromHere.resolve('@expo-google-fonts/noto-sans-sc/package.json');
    return join(dirname(pkg), '400Regular', 'NotoSansSC_400Regular.ttf');
  } catch {
    return 'node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf';
  }
}

const LXGW_CANDIDATES = [
  '/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf',
  '/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKaiMono-Regular.ttf',
];

/** Default chain: Noto Sans SC, HanaMinA, HanaMinB (CJK Ext. B), LXGW WenKai if installed. */
export const DEFAULT_FONT_PATHS: readonly string[] = Object.freeze([
  notoSansScPath(),
  '/usr/share/fonts/truetype/hanazono/HanaMinA.ttf',
  '/usr/share/fonts/truetype/hanazono/HanaMinB.ttf',
  ...LXGW_CANDIDATES.filter((p) => existsSync(p)).slice(0, 1),
]);

/** Parsed font registry: pdf-lib hands the same Uint8Array back to `fontkitAdapter.create`. */
const parsedByBytes = new WeakMap<Uint8Array, FontkitFont>();

/** Whitespace controls are drawn as plain spaces. */
const WHITESPACE_CONTROLS = /[\t\n\r\f\v\u0085\u2028\u2029]/g;

/**
 * Default-ignorable code points (variation selectors, joiners, BOM, ...)
 * that are silently dropped when no font of the chain maps them.
 */
function isDefaultIgnorable(cp: number): boolean {
  return (
    cp === 0x00ad ||
    cp === 0x034f ||
    (cp >= 0x180b && cp <= 0x180f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff ||
    (cp >= 0xe0000 && cp <= 0xe0fff)
  );
}

const IGNORED = -2;
const MISSING = -1;
const MAX_CACHE = 200_000;

export class FontChain {
  readonly fonts: readonly LoadedFont[];
  private readonly cpCache = new Map<number, number>();
  private readonly advanceCache: Array<Map<number, number>>;

  constructor(fonts: LoadedFont[]) {
    if (fonts.length === 0) throw new Error('FontChain needs at least one font');
    this.fonts = fonts;
    this.advanceCache = fonts.map(() => new Map<number, number>());
  }

  /** Index of the first font mapping `cp`, MISSING (-1) or IGNORED (-2). */
  fontIndexFor(cp: number): number {
    const cached = this.cpCache.get(cp);
    if (cached !== undefined) return cached;
    let idx = MISSING;
    for (let i = 0; i < this.fonts.length; i++) {
      if (this.fonts[i]!.font.hasGlyphForCodePoint(cp)) {
        idx = i;
        break;
      }
    }
    if (idx === MISSING && isDefaultIgnorable(cp)) idx = IGNORED;
    if (this.cpCache.size >= MAX_CACHE) this.cpCache.clear();
    this.cpCache.set(cp, idx);
    return idx;
  }

  /** Distinct code points of `text` that no font covers, formatted `U+XXXX`. */
  findMissingGlyphs(text: string): string[] {
    const out: string[] = [];
    const seen = new Set<number>();
    for (const ch of text.replace(WHITESPACE_CONTROLS, ' ')) {
      const cp = ch.codePointAt(0)!;
      if (seen.has(cp)) continue;
      seen.add(cp);
      if (this.fontIndexFor(cp) === MISSING) out.push(formatCodePoint(cp));
    }
    return out;
  }

  /**
   * Splits `text` into runs; every code point goes to the first font of the
   * chain that has a glyph for it and consecutive code points sharing a font
   * are merged. Throws GlyphMissingError if some code point has no font.
   */
  split(text: string): FontRun[] {
    const runs: FontRun[] = [];
    let cur: FontRun | undefined;
    for (const ch of text.replace(WHITESPACE_CONTROLS, ' ')) {
      const idx = this.fontIndexFor(ch.codePointAt(0)!);
      if (idx === IGNORED) continue;
      if (idx === MISSING) throw new GlyphMissingError(ch, this.findMissingGlyphs(text));
      if (cur && cur.fontIndex === idx) cur.text += ch;
      else {
        cur = { fontIndex: idx, text: ch };
        runs.push(cur);
      }
    }
    return runs;
  }

  /** Advance width in font units of one code point in font `fontIndex`. */
  advanceOf(fontIndex: number, cp: number): number {
    const cache = this.advanceCache[fontIndex];
    const lf = this.fonts[fontIndex];
    if (!cache || !lf) throw new RangeError(`no font #${fontIndex}`);
    let w = cache.get(cp);
    if (w === undefined) {
      w = lf.font.glyphForCodePoint(cp).advanceWidth;
      if (cache.size < MAX_CACHE) cache.set(cp, w);
    }
    return w;
  }

  /** Width in points of a single-font run at `size`. */
  widthOfRun(fontIndex: number, text: string, size: number): number {
    let units = 0;
    for (const ch of text) units += this.advanceOf(fontIndex, ch.codePointAt(0)!);
    return (units * size) / this.fonts[fontIndex]!.unitsPerEm;
  }

  /** Width in points of an arbitrary string (split through the chain). */
  widthOfText(text: string, size: number): number {
    let w = 0;
    for (const r of this.split(text)) w += this.widthOfRun(r.fontIndex, r.text, size);
    return w;
  }
}

/**
 * Reads and parses every existing path once (fontkit 2). Missing or unreadable
 * files are skipped; throws if no font loads. TrueType/OpenType only (no TTC).
 */
export function loadFontChain(paths: readonly string[]): FontChain {
  const fonts: LoadedFont[] = [];
  const errors: string[] = [];
  for (const path of paths) {
    if (!path || !existsSync(path)) {
      errors.push(`${path}: not found`);
      continue;
    }
    try {
      const buf = readFileSync(path);
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      const font = fontkitCreate(bytes);
      if (typeof (font as Partial<FontkitFont>).hasGlyphForCodePoint !== 'function') {
        throw new Error('font collections (TTC/DFONT) are not supported');
      }
      parsedByBytes.set(bytes, font);
      fonts.push({
        path,
        bytes,
        font,
        postscriptName: font.postscriptName ?? 'Font',
        unitsPerEm: font.unitsPerEm,
      });
    } catch (err) {
      errors.push(`${path}: ${(err as Error).message}`);
    }
  }
  if (fonts.length === 0) {
    throw new Error(`No font could be loaded: ${errors.join('; ')}`);
  }
  return new FontChain(fonts);
}

let defaultChain: FontChain | undefined;

/** Lazily loaded chain over DEFAULT_FONT_PATHS (memoised). */
export function getDefaultFontChain(): FontChain {
  defaultChain ??= loadFontChain(DEFAULT_FONT_PATHS);
  return defaultChain;
}

/** Pre-validation: code points (`U+XXXX`) of `text` that no font of `chain` covers. */
export function findMissingGlyphs(text: string, chain: FontChain = getDefaultFontChain()): string[] {
  return chain.findMissingGlyphs(text);
}

// ---------------------------------------------------------------------------
// pdf-lib <-> fontkit 2 adapter
// ---------------------------------------------------------------------------

/** Glyph handed to pdf-lib: a fresh object so shared fontkit glyphs are never mutated. */
interface PdfLibGlyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}

/**
 * pdf-lib's CustomFontSubsetEmbedder calls `subset.encodeStream()` (fontkit 1
 * API); fontkit 2 only has `encode()`. Emits synchronously.
 */
function wrapSubset(subset: FontkitSubset, font: FontkitFont): unknown {
  installGlyphCache(subset, font);
  return {
    get cff() {
      return subset.cff;
    },
    includeGlyph: (g: number | { id: number }) => subset.includeGlyph(typeof g === 'number' ? g : g.id),
    encode: () => subset.encode(),
    encodeStream() {
      let bytes: Uint8Array | undefined;
      let error: unknown;
      try {
        bytes = subset.encode();
      } catch (err) {
        error = err;
      }
      const emitter = {
        on(event: string, cb: (arg?: unknown) => void) {
          if (event === 'data' && bytes) cb(bytes);
          else if (event === 'end' && bytes) cb();
          else if (event === 'error' && error !== undefined) cb(error);
          return emitter;
        },
      };
      return emitter;
    },
  };
}

// --- Per-font cache of raw glyf records for fontkit 2's TTFSubset -----------
//
// TTFSubset._addGlyph decodes every glyph outline (only to discover composite
// components) for every document. The raw glyf bytes, component offsets and
// metrics of a glyph never change, so they are cached per font and glyph id.

interface CachedGlyf {
  bytes: Uint8Array;
  components: Array<{ glyphID: number; pos: number }> | null;
  advance: number;
  bearing: number;
}

interface TTFSubsetInternals {
  font: {
    loca: { offsets: number[] };
    _variationProcessor?: unknown;
    getGlyph(id: number): { _decode(): { numberOfContours: number; components?: Array<{ glyphID: number; pos: number }> } | null; advanceWidth: number; _getMetrics(): { leftBearing: number } };
    _getTableStream(tag: string): { pos: number; readBuffer(n: number): Uint8Array };
  };
  glyf: Uint8Array[];
  loca: { offsets: number[] };
  hmtx: { metrics: Array<{ advance: number; bearing: number }> };
  offset: number;
  includeGlyph(g: number): number;
  _addGlyph?: (gid: number) => number;
}

const glyfCaches = new WeakMap<object, Map<number, CachedGlyf>>();

function installGlyphCache(subset: FontkitSubset, font: FontkitFont): void {
  const s = subset as unknown as TTFSubsetInternals;
  if (typeof s._addGlyph !== 'function' || s.font._variationProcessor) return; // CFF or variable font
  let cache = glyfCaches.get(font);
  if (!cache) {
    cache = new Map();
    glyfCaches.set(font, cache);
  }
  const glyfCache = cache;
  s._addGlyph = function addGlyphCached(this: TTFSubsetInternals, gid: number): number {
    let entry = glyfCache.get(gid);
    if (!entry) {
      const glyph = this.font.getGlyph(gid);
      const decoded = glyph._decode();
      const cur = this.font.loca.offsets[gid]!;
      const next = this.font.loca.offsets[gid + 1]!;
      const stream = this.font._getTableStream('glyf');
      stream.pos += cur;
      const bytes = new Uint8Array(stream.readBuffer(next - cur));
      entry = {
        bytes,
        components:
          decoded && decoded.numberOfContours < 0
            ? (decoded.components ?? []).map((c) => ({ glyphID: c.glyphID, pos: c.pos }))
            : null,
        advance: glyph.advanceWidth,
        bearing: glyph._getMetrics().leftBearing,
      };
      glyfCache.set(gid, entry);
    }
    let buffer = entry.bytes;
    if (entry.components) {
      buffer = new Uint8Array(entry.bytes);
      const view = new DataView(buffer.buffer);
      for (const comp of entry.components) view.setUint16(comp.pos, this.includeGlyph(comp.glyphID));
    }
    this.glyf.push(buffer);
    this.loca.offsets.push(this.offset);
    this.hmtx.metrics.push({ advance: entry.advance, bearing: entry.bearing });
    this.offset += buffer.length;
    return this.glyf.length - 1;
  };
}

/**
 * Wraps a parsed fontkit 2 font for pdf-lib: `layout` is a plain cmap lookup
 * (no GSUB/GPOS shaping: no ligatures, so ToUnicode stays 1:1 and it is
 * fast), `createSubset` returns a fontkit-1 compatible subset.
 */
function wrapFont(font: FontkitFont): unknown {
  const advance = new Map<number, number>();
  const layout = (text: string) => {
    const glyphs: PdfLibGlyph[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      const g = font.glyphForCodePoint(cp);
      let w = advance.get(g.id);
      if (w === undefined) {
        w = g.advanceWidth;
        advance.set(g.id, w);
      }
      glyphs.push({ id: g.id, advanceWidth: w, codePoints: [cp] });
    }
    return { glyphs, positions: [] };
  };
  const createSubset = () => wrapSubset(font.createSubset(), font);
  return new Proxy(font as object, {
    get(target, prop) {
      if (prop === 'layout') return layout;
      if (prop === 'createSubset') return createSubset;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const wrappedFonts = new WeakMap<FontkitFont, unknown>();

/** Pass to `pdfDoc.registerFontkit(fontkitAdapter)`. */
export const fontkitAdapter: Fontkit = {
  create(data: Uint8Array) {
    let font = parsedByBytes.get(data);
    if (!font) {
      font = fontkitCreate(data);
      parsedByBytes.set(data, font);
    }
    let wrapped = wrappedFonts.get(font);
    if (!wrapped) {
      wrapped = wrapFont(font);
      wrappedFonts.set(font, wrapped);
    }
    return wrapped as ReturnType<Fontkit['create']>;
  },
};

export type { FontkitGlyph };
