import { expect } from 'chai';
import fc from 'fast-check';
import { normaliseIdentifierInput } from './normalise.ts';

describe('identity/normaliseIdentifierInput', () => {
  it('trims surrounding whitespace, including the ideographic space', () => {
    expect(normaliseIdentifierInput('  abc\t')).to.equal('ABC');
    expect(normaliseIdentifierInput('\u3000１２３\u3000')).to.equal('123');
  });

  it('converts full-width ASCII to half-width and upper-cases', () => {
    expect(normaliseIdentifierInput('１２３ｘ')).to.equal('123X');
    expect(normaliseIdentifierInput('ＡＢｃ．－')).to.equal('ABC.-');
    expect(normaliseIdentifierInput('\uFF01\uFF5E')).to.equal('!~');
  });

  it('keeps internal spaces (validators reject them) and maps an internal ideographic space to a space', () => {
    expect(normaliseIdentifierInput('12 34')).to.equal('12 34');
    expect(normaliseIdentifierInput('12\u300034')).to.equal('12 34');
  });

  it('upper-cases ASCII only, so non-ASCII letters keep their length', () => {
    expect(normaliseIdentifierInput('aß')).to.equal('Aß');
  });

  it('is idempotent (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        const once = normaliseIdentifierInput(s);
        expect(normaliseIdentifierInput(once)).to.equal(once);
      }),
    );
  });

  it('maps the full-width form of any printable ASCII string to its upper-cased half-width form (property)', () => {
    const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ unit: printable, maxLength: 30 }), (s) => {
        const wide = Array.from(s, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
        expect(normaliseIdentifierInput(wide)).to.equal(s.toUpperCase());
      }),
    );
  });
});
