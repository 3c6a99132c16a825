import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { create as fontkitCreate } from 'fontkit';
import { DEFAULT_FONT_PATHS, GlyphMissingError, formatCodePoint, loadFontChain } from './fonts.ts';
import type { FontChain } from './fonts.ts';
import { fontBytes, GlyphSubset, TrueTypeSource } from './truetype-subset.ts';

describe('pdf/fonts: FontChain', function () {
  let chain: FontChain;
  before(() => {
    chain = loadFontChain(['/nonexistent/font.ttf', ...DEFAULT_FONT_PATHS]);
  });

  it('skips missing files and throws if nothing loads', () => {
    expect(chain.fonts.map((f) => f.postscriptName)).to.deep.equal(['NotoSerifSC-Regular', 'IPAmjMincho', 'HanaMinA', 'HanaMinB']);
    expect(() => loadFontChain(['/nope.ttf'])).to.throw(/No font could be loaded/);
  });

  it('splits by code point; supplementary-plane characters fall back past Noto Serif SC', () => {
    const runs = chain.split('张𠮷𪚥 Ltd 𡘙');
    expect(runs.map((r) => r.text).join('')).to.equal('张𠮷𪚥 Ltd 𡘙');
    expect(runs[0]).to.deep.equal({ fontIndex: 0, text: '张' });
    for (const r of runs) {
      for (const ch of r.text) {
        const cp = ch.codePointAt(0)!;
        expect(chain.fonts[r.fontIndex]!.source.glyphId(cp), ch).to.not.equal(0);
        for (let i = 0; i < r.fontIndex; i++) expect(chain.fonts[i]!.source.glyphId(cp)).to.equal(0);
      }
    }
    expect(chain.fonts[0]!.source.glyphId(0x20bb7)).to.equal(0);
  });

  it('draws the rare name characters with the chosen fallback, IPAmj Mincho, and the rest of Extension B with Hanazono B', () => {
    const ipamj = chain.fonts.findIndex((f) => f.postscriptName === 'IPAmjMincho');
    for (const ch of ['𠮷', '𪚥', '𡘙']) expect(chain.fontIndexFor(ch.codePointAt(0)!), ch).to.equal(ipamj);
    // Extension B characters IPAmj Mincho lacks (it has 60% of the block): Hanazono B has them.
    let notInIpamj = 0x20000;
    while (chain.fonts[ipamj]!.source.glyphId(notInIpamj) !== 0) notInIpamj++;
    expect(chain.fonts[chain.fontIndexFor(notInIpamj)]!.postscriptName).to.equal('HanaMinB');
    // Extension E (U+2B820…): Hanazono B too.
    expect(chain.fonts[chain.fontIndexFor(0x2b820)]!.postscriptName).to.equal('HanaMinB');
  });

  it('maps code points to glyphs as fontkit does (format 12), across the planes', function () {
    this.timeout(20000);
    for (const f of chain.fonts) {
      const reference = fontkitCreate(readFileSync(f.path));
      expect(f.postscriptName).to.equal(reference.postscriptName);
      for (let cp = 0x20; cp < 0x32000; cp += cp < 0x10000 ? 3 : 11) {
        const ours = f.source.glyphId(cp);
        const theirs = reference.hasGlyphForCodePoint(cp) ? reference.glyphForCodePoint(cp).id : 0;
        if (ours !== theirs) expect.fail(`${f.postscriptName} U+${cp.toString(16)}: ${ours} ≠ fontkit's ${theirs}`);
      }
    }
  });

  it('reads a BMP-only character map (format 4) too', () => {
    // Hide the font's format 12 subtables (platform/encoding 3/10 and 0/4 renamed 3/99), leaving format 4.
    const path = chain.fonts.find((f) => f.postscriptName === 'HanaMinA')!.path;
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer);
    const tables = view.getUint16(4);
    let cmap = -1;
    for (let i = 0; i < tables; i++) if (String.fromCharCode(...bytes.subarray(12 + 16 * i, 16 + 16 * i)) === 'cmap') cmap = view.getUint32(12 + 16 * i + 8);
    for (let i = 0; i < view.getUint16(cmap + 2); i++) {
      const rec = cmap + 4 + 8 * i;
      if (view.getUint16(cmap + view.getUint32(rec + 4)) === 12) view.setUint16(rec + 2, 99), view.setUint16(rec, 3);
    }
    const bmpOnly = new TrueTypeSource(fontBytes(bytes));
    const reference = fontkitCreate(readFileSync(path));
    for (let cp = 0x20; cp < 0x10000; cp++) {
      const theirs = reference.hasGlyphForCodePoint(cp) ? reference.glyphForCodePoint(cp).id : 0;
      if (bmpOnly.glyphId(cp) !== theirs) expect.fail(`U+${cp.toString(16)}: ${bmpOnly.glyphId(cp)} ≠ ${theirs}`);
    }
    expect(bmpOnly.glyphId(0x20bb7)).to.equal(0); // the supplementary planes are out of format 4's reach
  });

  it('drops uncovered default-ignorables and maps newlines to spaces', () => {
    expect(chain.split('葛\u{E0100}').map((r) => r.text).join('')).to.equal('葛');
    expect(chain.split('a\nb').map((r) => r.text).join('')).to.equal('a b');
  });

  it('reports missing glyphs', () => {
    expect(formatCodePoint(0x20bb7)).to.equal('U+20BB7');
    expect(formatCodePoint(0x41)).to.equal('U+0041');
    expect(chain.findMissingGlyphs('张𠮷𪚥')).to.deep.equal([]);
    expect(chain.findMissingGlyphs('a\u{10FFFD}b\u{10FFFD}')).to.deep.equal(['U+10FFFD']);
    try {
      chain.split('王\u{10FFFD}');
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(GlyphMissingError);
      expect((e as GlyphMissingError).code).to.equal('GLYPH_MISSING');
      expect((e as GlyphMissingError).codePoint).to.equal('U+10FFFD');
    }
  });
});

describe('pdf/truetype-subset: GlyphSubset', function () {
  /** Outline of a glyph as fontkit draws it (TrueType points, before any hinting). */
  const outline = (font: ReturnType<typeof fontkitCreate>, gid: number): string =>
    JSON.stringify((font.getGlyph(gid) as unknown as { path: { commands: unknown[] } }).path.commands);

  function roundTrip(path: string, text: string): GlyphSubset {
    const chain = loadFontChain([path]);
    const source = chain.fonts[0]!.source;
    const subset = new GlyphSubset(source);
    const ids = [...text].map((ch) => subset.use(chain.glyphIdOf(0, ch.codePointAt(0)!), ch.codePointAt(0)!));
    const program = subset.encode();
    const parsed = fontkitCreate(program);
    expect(parsed.numGlyphs).to.equal(subset.size);
    const original = fontkitCreate(readFileSync(path));
    for (const [k, ch] of [...text].entries()) {
      const gid = chain.glyphIdOf(0, ch.codePointAt(0)!);
      expect(outline(parsed, ids[k]!), ch).to.equal(outline(original, gid));
      expect(parsed.getGlyph(ids[k]!).advanceWidth, ch).to.equal(original.getGlyph(gid).advanceWidth);
    }
    return subset;
  }

  it('keeps every outline and advance of the glyphs it carries (instructions dropped)', () => {
    roundTrip(DEFAULT_FONT_PATHS[0]!, '营业执照 BL.0123 Licence');
    roundTrip('/usr/share/fonts/truetype/ipamj/ipamjm.ttf', '𠮷𪚥𡘙');
  });

  it('carries the components of composite glyphs, renumbered', function () {
    const dejavu = '/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf'; // é, ü, Å are composites there
    if (!existsSync(dejavu)) this.skip();
    const subset = roundTrip(dejavu, 'éüÅ');
    expect(subset.size, 'the components came along').to.be.greaterThan(4);
    expect(subset.gids.some((g) => subset.source.record(g).components !== null)).to.equal(true);
  });
});
