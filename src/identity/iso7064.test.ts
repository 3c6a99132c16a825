import { expect } from 'chai';
import fc from 'fast-check';
import { computeMod37_36Check, isValidMod37_36, MOD37_36_ALPHABET, mod37_36Remainder } from './iso7064.ts';

const alnum = fc.constantFrom(...MOD37_36_ALPHABET.split(''));
const body = fc.string({ unit: alnum, minLength: 1, maxLength: 60 });

describe('identity/iso7064 MOD 37,36', () => {
  // Published / independently computed test vectors:
  //  - 'A12425GABC1234002M': worked example of the IFPI GRid Standard v2.1
  //    ("A1-2425G-ABC1234002-M"), whose check character is ISO 7064 MOD 37,36;
  //    also used in soundways/Iso7064-php and xbib standardnumber MOD3736Test.
  //  - 'B159D8FA01240000K', '188166C7342000003': xbib standardnumber MOD3736Test.
  //  - 'A12425GXYZ98760086', 'A12425G1234567890L': soundways/Iso7064-php GRidTest.
  //  - 'B7Q3SFTUSH2QN7BIXBPMNZAMI', 'TBR1', '9J', 'X0HX': LiosK/cdigit test/mod37_36.test.js.
  const VECTORS = [
    'A12425GABC1234002M',
    'B159D8FA01240000K',
    '188166C7342000003',
    'A12425GXYZ98760086',
    'A12425G1234567890L',
    'B7Q3SFTUSH2QN7BIXBPMNZAMI',
    'TBR1',
    '9J',
    'X0HX',
  ];

  for (const v of VECTORS) {
    it(`computes the check character of ${v}`, () => {
      expect(computeMod37_36Check(v.slice(0, -1))).to.equal(v.slice(-1));
      expect(mod37_36Remainder(v)).to.equal(1);
      expect(isValidMod37_36(v)).to.equal(true);
    });
  }

  it('rejects the GRid example with a wrong check character', () => {
    expect(isValidMod37_36('A12425GABC1234002N')).to.equal(false);
  });

  it('rejects bad input', () => {
    expect(() => computeMod37_36Check('')).to.throw(RangeError);
    expect(() => computeMod37_36Check('ab')).to.throw(RangeError, "'a'");
    expect(isValidMod37_36('A')).to.equal(false);
    expect(isValidMod37_36('A1-2')).to.equal(false);
  });

  it('appending the computed check character yields verification remainder 1 (property)', () => {
    fc.assert(
      fc.property(body, (b) => {
        expect(mod37_36Remainder(b + computeMod37_36Check(b))).to.equal(1);
      }),
      { numRuns: 1000 },
    );
  });

  it('exactly one check character validates each body (property)', () => {
    fc.assert(
      fc.property(body, (b) => {
        const valid = MOD37_36_ALPHABET.split('').filter((c) => isValidMod37_36(b + c));
        expect(valid).to.deep.equal([computeMod37_36Check(b)]);
      }),
    );
  });

  it('detects every single-character substitution (property)', () => {
    fc.assert(
      fc.property(body, fc.nat(), fc.integer({ min: 1, max: 35 }), (b, rawPos, delta) => {
        const full = b + computeMod37_36Check(b);
        const pos = rawPos % full.length;
        const ch = MOD37_36_ALPHABET.charAt((MOD37_36_ALPHABET.indexOf(full.charAt(pos)) + delta) % 36);
        const mutated = full.slice(0, pos) + ch + full.slice(pos + 1);
        expect(isValidMod37_36(mutated), mutated).to.equal(false);
      }),
      { numRuns: 2000 },
    );
  });
});
