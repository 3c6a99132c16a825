/**
 * The licence's type: one Song (明朝 / 宋体) family for every character, as a fallback chain.
 *
 * Fonts are indexed ONCE (loadFontChain) and reused for every document; each document embeds a subset
 * of each font it uses (truetype-subset.ts, pdf-fonts.ts). A font is not read whole: its character map,
 * metrics and glyph locations are, and each glyph outline is read from the file the first time a
 * document uses it, so the four fonts below (115 MB of files) cost a few megabytes per render worker.
 *
 * Why a Song face, and why these fonts (issue 21, item 7). Chinese official documents and licences are
 * set in Song (GB/T 9704 asks 宋体/仿宋 for government documents; seals use 宋体). The old chain drew
 * body text in Noto Sans SC and fell back to Hanazono Mincho for what Noto Sans SC lacks — all of CJK
 * Extension B, where personal names like 𠮷 (U+20BB7) and 𪚥 (U+2A6A5) live — so a hair-thin Mincho
 * character sat inside a sans-serif line, and at 100 dpi (pdftoppm -r 100) its short top stroke faded
 * and 𠮷 read as 吉. No sans face we can ship covers Extension B (Noto Sans CJK in Debian has 𠮷 but not
 * 𪚥; the rest of Debian's CJK sans faces stop at the BMP), so the body moves to Song and every
 * fallback is a Mincho of matching weight. Rendered at 100 dpi and compared side by side (张𠮷𪚥 吉喆 at
 * 24 pt, and the same in an 11 pt table cell), four chains:
 *   Noto Sans SC + Hanazono (before)      𠮷 pale and thin beside a dark sans 张; its top reads as 士
 *   Hanazono Mincho for everything        consistent, but its Latin is a monospaced typewriter face
 *                                         and its strokes are the thinnest: 𠮷 still borders on 吉
 *   Noto Serif SC + Hanazono              weights match; 𠮷's two top strokes are nearly equal
 *                                         (upper 0.87 of lower), 𪚥 a dense block
 *   Noto Serif SC + IPAmj Mincho (chosen) 𠮷's upper stroke is clearly shorter (0.68 of lower): 土, not
 *                                         士; 𪚥 shows four separate 龍 with white between them
 * IPAmj Mincho (Debian fonts-ipamj-mincho) is the font the Japanese government's Character Information
 * Infrastructure project made for the names in its registers: drawing rare name characters legibly is
 * its purpose. It has 60% of Extension B and is Japanese (no simplified 张), so it comes after Noto Serif
 * SC; Hanazono A (BMP and compatibility forms the others lack) and Hanazono B (the rest of Extensions
 * B–F) close the chain, so nothing the old chain could draw is refused now. A character none of them has
 * is refused with GlyphMissingError, never drawn as an empty box.
 *
 * Noto Serif SC comes from npm (@expo-google-fonts/noto-serif-sc: Google Fonts' single-face TrueType).
 * Debian's copy of the same design (Noto Serif CJK SC in fonts-noto-cjk) is a CFF font inside a .ttc
 * collection, which this TrueType subsetter does not handle.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fontFile, TrueTypeSource } from './truetype-subset.ts';

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
  /** The font, indexed: character map, metrics, glyph outlines on demand. */
  source: TrueTypeSource;
  postscriptName: string;
  unitsPerEm: number;
}

/** Formats a code point as `U+XXXX` (at least 4 upper-case hex digits). */
export function formatCodePoint(cp: number): string {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

const requireFromHere = createRequire(import.meta.url);

function notoSerifScPath(): string {
  try {
    const pkg = requireFromHere.resolve('@expo-google-fonts/noto-serif-sc/package.json');
    return join(dirname(pkg), '400Regular', 'NotoSerifSC_400Regular.ttf');
  } catch {
    return 'node_modules/@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf';
  }
}

/** Default chain (see the top of this file): Noto Serif SC, IPAmj Mincho, Hanazono Mincho A and B. */
export const DEFAULT_FONT_PATHS: readonly string[] = Object.freeze([
  notoSerifScPath(),
  '/usr/share/fonts/truetype/ipamj/ipamjm.ttf',
  '/usr/share/fonts/truetype/hanazono/HanaMinA.ttf',
  '/usr/share/fonts/truetype/hanazono/HanaMinB.ttf',
]);

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
  private readonly glyphCache: Array<Map<number, number>>;

  constructor(fonts: LoadedFont[]) {
    if (fonts.length === 0) throw new Error('FontChain needs at least one font');
    this.fonts = fonts;
    this.glyphCache = fonts.map(() => new Map<number, number>());
  }

  /** Index of the first font mapping `cp`, MISSING (-1) or IGNORED (-2). */
  fontIndexFor(cp: number): number {
    const cached = this.cpCache.get(cp);
    if (cached !== undefined) return cached;
    let idx = MISSING;
    for (let i = 0; i < this.fonts.length; i++) {
      if (this.fonts[i]!.source.glyphId(cp) !== 0) {
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

  /** Glyph id of one code point in font `fontIndex` (0, .notdef, when the font lacks it). */
  glyphIdOf(fontIndex: number, cp: number): number {
    const cache = this.glyphCache[fontIndex];
    const lf = this.fonts[fontIndex];
    if (!cache || !lf) throw new RangeError(`no font #${fontIndex}`);
    let gid = cache.get(cp);
    if (gid === undefined) {
      gid = lf.source.glyphId(cp);
      if (cache.size < MAX_CACHE) cache.set(cp, gid);
    }
    return gid;
  }

  /** Advance width in font units of one code point in font `fontIndex`. */
  advanceOf(fontIndex: number, cp: number): number {
    return this.fonts[fontIndex]!.source.advance(this.glyphIdOf(fontIndex, cp));
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
 * Indexes every existing path once (TrueTypeSource). Missing or unreadable files are skipped; throws if
 * no font loads. TrueType (glyf) fonts only: no collections (TTC), no CFF.
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
      const source = new TrueTypeSource(fontFile(path));
      fonts.push({ path, source, postscriptName: source.postscriptName, unitsPerEm: source.metrics.unitsPerEm });
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
