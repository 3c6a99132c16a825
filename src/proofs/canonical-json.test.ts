import { expect } from 'chai';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson, CanonicalJsonError } from './canonical-json.ts';

describe('canonical JSON (RFC 8785)', () => {
  it('writes RFC 8785\'s own examples as the RFC gives them (numbers, escapes, member order by UTF-16 code units)', () => {
    const values = JSON.parse('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}');
    expect(canonicalJson(values)).to.equal('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    // §3.2.3's sorting example, which also has an integer-like member name ("1")
    const names = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(Object.keys(JSON.parse(canonicalJson(names)!))).to.have.length(7);
    expect(canonicalJson(names)).to.equal('{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}');
  });

  it('writes what the canonicalize package writes, byte for byte, for generated values', () => {
    const key = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string(), fc.constantFrom('0', '1', '10', '9', '01', '-1', '4294967295', '4294967296', '__proto__'));
    const value = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: 'small' }, fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed()), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null), fc.date({ noInvalidDate: true }), tie('array'), tie('object')),
      array: fc.array(fc.oneof(tie('any'), fc.constant(undefined)), { maxLength: 5 }),
      object: fc.dictionary(key, fc.oneof(tie('any'), fc.constant(undefined)), { maxKeys: 6 }),
    }));
    fc.assert(fc.property(value.any, (v) => {
      expect(canonicalJson(v)).to.equal(canonicalize(v));
    }), { numRuns: 2000 });
  });

  it('refuses what RFC 8785 cannot express: NaN, infinities, lone surrogates (in values and names), cycles', () => {
    for (const bad of [NaN, Infinity, -Infinity, { a: [1, NaN] }, 'x\ud800', { ['k\udc00']: 1 }, { ['1']: 'a', b: '\ud83d' }]) {
      expect(() => canonicalJson(bad), JSON.stringify(String(bad))).to.throw(CanonicalJsonError);
    }
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).to.throw(CanonicalJsonError, /Circular/);
    // the same object twice, side by side, is not a cycle
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).to.equal('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
  });

  it('keeps a member named __proto__ as a member', () => {
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":2}}'))).to.equal('{"__proto__":{"x":2},"b":1}');
  });

  it('leaves undefined members out, writes them as null in arrays, and honours toJSON', () => {
    expect(canonicalJson({ b: undefined, a: [undefined, 1], d: new Date(Date.UTC(2026, 10, 22)) })).to.equal('{"a":[null,1],"d":"2026-11-22T00:00:00.000Z"}');
    expect(canonicalJson(undefined)).to.equal(undefined);
  });
});
