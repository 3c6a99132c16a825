import { expect } from 'chai';
import { DEFAULT_FONT_PATHS, GlyphMissingError, formatCodePoint, loadFontChain } from './fonts.ts';
import type { FontChain } from './fonts.ts';

describe('pdf/fonts: FontChain', function () {
  let chain: FontChain;
  before(() => {
    chain = loadFontChain(['/nonexistent/font.ttf', ...DEFAULT_FONT_PATHS]);
  });

  it('skips missing files and throws if nothing loads', () => {
    expect(chain.fonts[0]!.postscriptName).to.equal('NotoSansSC-Regular');
    expect(() => loadFontChain(['/nope.ttf'])).to.throw(/No font could be loaded/);
  });

  it('splits by code point; supplementary-plane characters fall back past Noto Sans SC', () => {
    const runs = chain.split('张𠮷𪚥 Ltd 𡘙');
    expect(runs.map((r) => r.text).join('')).to.equal('张𠮷𪚥 Ltd 𡘙');
    expect(runs[0]).to.deep.equal({ fontIndex: 0, text: '张' });
    for (const r of runs) {
      for (const ch of r.text) {
        const cp = ch.codePointAt(0)!;
        expect(chain.fonts[r.fontIndex]!.font.hasGlyphForCodePoint(cp), ch).to.equal(true);
        for (let i = 0; i < r.fontIndex; i++) expect(chain.fonts[i]!.font.hasGlyphForCodePoint(cp)).to.equal(false);
      }
    }
    expect(chain.fonts[0]!.font.hasGlyphForCodePoint(0x20bb7)).to.equal(false);
    expect(runs.find((r) => r.text.includes('𠮷'))!.fontIndex).to.be.greaterThan(0);
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
