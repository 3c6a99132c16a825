import { expect } from 'chai';

import { canonicalJson } from '../src/canonicalJson';

describe('canonicalJson', () => {
    it('sorts keys recursively and emits no whitespace', () => {
        const value = { b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } };
        expect(canonicalJson(value)).to.equal('{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
    });

    it('is independent of insertion order', () => {
        expect(canonicalJson({ x: 1, y: 2 })).to.equal(canonicalJson({ y: 2, x: 1 }));
    });

    it('sorts by UTF-16 code units as RFC 8785 requires', () => {
        // RFC 8785 §3.2.3 example ordering: "\r" < "1" < "\u0080" < "ö" < "€" < "😀" < "\ufb33".
        const value = { '\ufb33': 0, '😀': 1, '€': 2, 'ö': 3, '\u0080': 4, '1': 5, '\r': 6 };
        expect(canonicalJson(value)).to.equal(
            '{"\\r":6,"1":5,"\u0080":4,"ö":3,"€":2,"😀":1,"\ufb33":0}',
        );
    });

    it('escapes strings like ECMAScript JSON.stringify', () => {
        expect(canonicalJson('a"b\\c\n\u0001é')).to.equal('"a\\"b\\\\c\\n\\u0001é"');
    });

    it('rejects values it cannot serialise canonically', () => {
        expect(() => canonicalJson({ a: undefined })).to.throw(TypeError);
        expect(() => canonicalJson(1.5)).to.throw(TypeError);
        expect(() => canonicalJson(Number.MAX_SAFE_INTEGER + 1)).to.throw(TypeError);
        expect(() => canonicalJson(Number.NaN)).to.throw(TypeError);
        expect(() => canonicalJson(10n)).to.throw(TypeError);
        expect(() => canonicalJson(new Date(0))).to.throw(TypeError);
        expect(canonicalJson(-0)).to.equal('0');
    });
});
