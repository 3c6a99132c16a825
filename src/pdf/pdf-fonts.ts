/**
 * The fonts of one document: a subset of each font of the chain that the document uses, written as a
 * Type 0 font with Identity-H encoding over a CIDFontType2 descendant (ISO 32000-1 §9.7), with a
 * ToUnicode CMap (§9.10.3) so that text extraction (pdftotext, copy and paste, screen readers) gives back
 * the characters, supplementary-plane ones as UTF-16 surrogate pairs.
 *
 * Glyphs get their subset ids as the page is composed (GlyphSubset.use), so text is encoded once, while
 * composing: a run is shown as the hex string of its subset ids.
 */
import { createHash } from 'node:crypto';
import type { FontChain } from './fonts.ts';
import { GlyphSubset } from './truetype-subset.ts';
import { num, pdfName } from './pdf-writer.ts';
import type { PdfWriter } from './pdf-writer.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase());
const hex4 = (v: number): string => HEX[v >> 8]! + HEX[v & 255]!;

/** zlib level for embedded font programs: level 6 is within 1% of level 9's size here, at a third of its time. */
const FONT_DEFLATE_LEVEL = 6;

export class DocumentFonts {
  private readonly subsets: Array<GlyphSubset | undefined> = [];

  constructor(readonly chain: FontChain) {}

  /** Resource name of chain font `fontIndex` in the page's /Font dictionary. */
  static resourceName(fontIndex: number): string {
    return `F${fontIndex}`;
  }

  /** The run's characters as a hex string of subset glyph ids (`<0001000A>`), marking them used. */
  encode(fontIndex: number, text: string): string {
    let subset = this.subsets[fontIndex];
    if (!subset) {
      subset = new GlyphSubset(this.chain.fonts[fontIndex]!.source);
      this.subsets[fontIndex] = subset;
    }
    let out = '<';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      out += hex4(subset.use(this.chain.glyphIdOf(fontIndex, cp), cp));
    }
    return out + '>';
  }

  /** Chain indices of the fonts used so far. */
  used(): number[] {
    const out: number[] = [];
    this.subsets.forEach((s, i) => s && out.push(i));
    return out;
  }

  /** PostScript name a font's subset will carry (`ABCDEF+Name`), for tests and previews. */
  baseFontName(fontIndex: number): string {
    const subset = this.subsets[fontIndex];
    if (!subset) throw new Error(`font ${fontIndex} is not used`);
    return subsetName(this.chain.fonts[fontIndex]!.postscriptName, subset);
  }

  /** Writes every used font; returns the entries of the page's /Font resource dictionary. */
  write(w: PdfWriter): string {
    let resources = '';
    for (const i of this.used()) {
      const id = writeFont(w, this.chain.fonts[i]!.postscriptName, this.subsets[i]!);
      resources += `/${DocumentFonts.resourceName(i)} ${id} 0 R `;
    }
    return resources;
  }
}

/**
 * Subset tag (§9.6.4): six upper-case letters, here derived from the glyph set so that the same
 * document renders to the same bytes.
 */
function subsetName(postscriptName: string, subset: GlyphSubset): string {
  const digest = createHash('sha256').update(Uint32Array.from(subset.gids)).digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + (digest[i]! % 26));
  return `${tag}+${postscriptName.replace(/[^!-~]|[#()<>[\]{}/%]/g, '')}`;
}

function writeFont(w: PdfWriter, postscriptName: string, subset: GlyphSubset): number {
  const program = subset.encode(); // first: composite glyphs may add their components to the subset
  const m = subset.source.metrics;
  const scale = 1000 / m.unitsPerEm;
  const name = pdfName(subsetName(postscriptName, subset));
  const [type0, cidFont, descriptor, file, toUnicode] = [w.alloc(), w.alloc(), w.alloc(), w.alloc(), w.alloc()];
  const widths = widthsArray(subset.advances().map((a) => Math.round(a * scale)));
  w.object(type0, `<< /Type /Font /Subtype /Type0 /BaseFont ${name} /Encoding /Identity-H /DescendantFonts [${cidFont} 0 R] /ToUnicode ${toUnicode} 0 R >>`);
  w.object(
    cidFont,
    `<< /Type /Font /Subtype /CIDFontType2 /BaseFont ${name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> ` +
      `/FontDescriptor ${descriptor} 0 R /DW 1000 /W [${widths}] /CIDToGIDMap /Identity >>`,
  );
  const bbox = m.bbox.map((v) => num(v * scale, 0)).join(' ');
  w.object(
    descriptor,
    `<< /Type /FontDescriptor /FontName ${name} /Flags 6 /FontBBox [${bbox}] /ItalicAngle ${num(m.italicAngle)} ` +
      `/Ascent ${num(m.ascent * scale, 0)} /Descent ${num(m.descent * scale, 0)} /CapHeight ${num(m.capHeight * scale, 0)} /StemV 80 /FontFile2 ${file} 0 R >>`,
  );
  w.stream(file, ` /Length1 ${program.length}`, program, FONT_DEFLATE_LEVEL);
  w.stream(toUnicode, '', toUnicodeCMap(subset.codePoints), FONT_DEFLATE_LEVEL);
  return type0;
}

/**
 * The /W array (§9.7.4.3) for widths other than the default 1000 (a CJK font's full-width glyphs): runs
 * of consecutive CIDs as `first [w1 w2 …]`.
 */
function widthsArray(widths: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < widths.length) {
    if (widths[i] === 1000) {
      i++;
      continue;
    }
    const start = i;
    const run: number[] = [];
    while (i < widths.length && widths[i] !== 1000) run.push(widths[i++]!);
    parts.push(`${start} [${run.join(' ')}]`);
  }
  return parts.join(' ');
}

/**
 * ToUnicode CMap: subset glyph id → the character it was used for (UTF-16BE). Subset ids are
 * consecutive, so they are written as `bfrange`s with an array of destinations (Adobe TN 5411 §1.4.1):
 * half the text of one `bfchar` line per glyph. A range stays within one high byte, as the CMap format
 * asks, and a block holds at most 100 ranges.
 */
function toUnicodeCMap(codePoints: readonly number[]): string {
  const utf16 = (cp: number) => (cp > 0xffff ? hex4(0xd800 + ((cp - 0x10000) >> 10)) + hex4(0xdc00 + ((cp - 0x10000) & 0x3ff)) : hex4(cp));
  const ranges: string[] = [];
  let id = 1;
  while (id < codePoints.length) {
    if (codePoints[id] === 0) {
      id++; // composite-glyph parts are never shown on their own
      continue;
    }
    const start = id;
    const dest: string[] = [];
    while (id < codePoints.length && codePoints[id] !== 0 && id >> 8 === start >> 8) dest.push(`<${utf16(codePoints[id++]!)}>`);
    ranges.push(`<${hex4(start)}> <${hex4(id - 1)}> [${dest.join('')}]`);
  }
  const blocks: string[] = [];
  for (let i = 0; i < ranges.length; i += 100) {
    const block = ranges.slice(i, i + 100);
    blocks.push(`${block.length} beginbfrange\n${block.join('\n')}\nendbfrange`);
  }
  return (
    '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n' +
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
    '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n' +
    '1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n' +
    blocks.join('\n') +
    '\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n'
  );
}
