import { expect } from 'chai';
import fc from 'fast-check';
import { isValidMod37_36, MOD37_36_ALPHABET } from './iso7064.ts';
import { computeLicenceIdCheck, formatLicenceId, nextVersionId, parseLicenceId } from './licence-id.ts';
import { typeCode, validUscc } from './arbitraries.test-helpers.ts';

const ISSUER = '91350100M000100Y43';
// The check character below was computed with ISO 7064 MOD 37,36 over
// "BL91350100M000100Y43000000000101" (the 'K' in the design note was illustrative).
const EXAMPLE = 'BL.91350100M000100Y43.0000000001.01.9';

function expectFail(s: string, code: string, messagePart?: string) {
  const r = parseLicenceId(s);
  expect(r.ok, `${s} should be rejected`).to.equal(false);
  if (!r.ok) {
    expect(r.code).to.equal(code);
    if (messagePart) expect(r.message).to.contain(messagePart);
  }
}

describe('identity/licence-id', () => {
  describe('formatLicenceId', () => {
    it('formats the example id with zero-padded serial and version', () => {
      expect(formatLicenceId({ typeCode: 'BL', issuerCode: ISSUER, serial: 1, version: 1 })).to.equal(EXAMPLE);
      expect(formatLicenceId({ typeCode: 'BL', issuerCode: ISSUER, serial: 1n, version: 1 })).to.equal(EXAMPLE);
    });
    it('check character is MOD 37,36 over the dot-free concatenation', () => {
      expect(isValidMod37_36('BL91350100M000100Y430000000001019')).to.equal(true);
      expect(computeLicenceIdCheck('BL', ISSUER, '0000000001', '01')).to.equal('9');
    });
    it('normalises lower-case / full-width parts', () => {
      expect(formatLicenceId({ typeCode: 'ｂｌ', issuerCode: '91350100m000100y43', serial: 1, version: 1 })).to.equal(EXAMPLE);
    });
    it('accepts the largest serial and version', () => {
      const id = formatLicenceId({ typeCode: 'ABCDEFG8', issuerCode: ISSUER, serial: 9_999_999_999n, version: 99 });
      expect(id.startsWith('ABCDEFG8.91350100M000100Y43.9999999999.99.')).to.equal(true);
      expect(parseLicenceId(id).ok).to.equal(true);
    });
    it('throws RangeError with a reason for invalid parts', () => {
      const base = { typeCode: 'BL', issuerCode: ISSUER, serial: 1, version: 1 };
      expect(() => formatLicenceId({ ...base, typeCode: 'B' })).to.throw(RangeError, 'typeCode');
      expect(() => formatLicenceId({ ...base, typeCode: 'ABCDEFGHI' })).to.throw(RangeError, 'typeCode');
      expect(() => formatLicenceId({ ...base, typeCode: 'B-L' })).to.throw(RangeError, 'typeCode');
      expect(() => formatLicenceId({ ...base, issuerCode: '91350100M000100Y44' })).to.throw(RangeError, "should be '3', got '4'");
      expect(() => formatLicenceId({ ...base, serial: -1 })).to.throw(RangeError, 'serial');
      expect(() => formatLicenceId({ ...base, serial: 1.5 })).to.throw(RangeError, 'serial');
      expect(() => formatLicenceId({ ...base, serial: 10_000_000_000n })).to.throw(RangeError, 'serial');
      expect(() => formatLicenceId({ ...base, version: 0 })).to.throw(RangeError, 'version');
      expect(() => formatLicenceId({ ...base, version: 100 })).to.throw(RangeError, 'version');
    });
  });

  describe('parseLicenceId', () => {
    it('parses the example id', () => {
      expect(parseLicenceId(EXAMPLE)).to.deep.equal({
        ok: true,
        typeCode: 'BL',
        issuerCode: ISSUER,
        serial: 1n,
        version: 1,
        check: '9',
        value: EXAMPLE,
      });
    });
    it('accepts lower-case and full-width input (including full-width dots)', () => {
      const r = parseLicenceId(' ｂｌ．９１３５０１００ｍ０００１００ｙ４３．００００００００01．01．9 ');
      expect(r.ok).to.equal(true);
      if (r.ok) expect(r.value).to.equal(EXAMPLE);
    });
    it('EMPTY', () => expectFail('   ', 'EMPTY'));
    it('BAD_FORMAT for structural problems, naming the part', () => {
      expectFail('BL.91350100M000100Y43.0000000001.01', 'BAD_FORMAT', 'got 4');
      expectFail('BL.91350100M000100Y43.0000000001.01.9.X', 'BAD_FORMAT', 'got 6');
      expectFail('B.91350100M000100Y43.0000000001.01.9', 'BAD_FORMAT', 'type code');
      expectFail('BL.91350100M000100Y43.000000001.01.9', 'BAD_FORMAT', 'serial');
      expectFail('BL.91350100M000100Y43.000000000A.01.9', 'BAD_FORMAT', 'serial');
      expectFail('BL.91350100M000100Y43.0000000001.1.9', 'BAD_FORMAT', 'version');
      expectFail('BL.91350100M000100Y43.0000000001.00.9', 'BAD_FORMAT', "'00'");
      expectFail('BL.91350100M000100Y43.0000000001.01.99', 'BAD_FORMAT', 'check');
      expectFail('BL.91350100M000100Y43.0000000001.01.*', 'BAD_FORMAT', 'check');
      expectFail('BL. 91350100M000100Y43.0000000001.01.9', 'BAD_FORMAT', 'whitespace');
    });
    it('propagates USCC error codes for the issuer part', () => {
      expectFail('BL.91350100O000100Y43.0000000001.01.9', 'BAD_CHARACTER', "issuer code: character 9 is 'O'");
      expectFail('BL.91350100M000100Y4.0000000001.01.9', 'BAD_LENGTH', 'issuer code:');
      expectFail('BL.91350100M000100Y44.0000000001.01.9', 'BAD_CHECK_CHARACTER', "issuer code: check character should be '3', got '4'");
    });
    it('BAD_CHECK_CHARACTER for a wrong licence check character', () => {
      expectFail('BL.91350100M000100Y43.0000000001.01.K', 'BAD_CHECK_CHARACTER', "licence id check character should be '9', got 'K'");
    });
    it('detects one flipped character in the serial', () => {
      expectFail('BL.91350100M000100Y43.0000000002.01.9', 'BAD_CHECK_CHARACTER');
    });
  });

  describe('nextVersionId', () => {
    it('increments the version and recomputes the check character', () => {
      const r = nextVersionId(EXAMPLE);
      expect(r.ok).to.equal(true);
      if (r.ok) {
        expect(r.version).to.equal(2);
        expect(r.value.startsWith('BL.91350100M000100Y43.0000000001.02.')).to.equal(true);
        const p = parseLicenceId(r.value);
        expect(p.ok).to.equal(true);
      }
    });
    it('refuses to go past version 99', () => {
      const id = formatLicenceId({ typeCode: 'BL', issuerCode: ISSUER, serial: 1, version: 99 });
      const r = nextVersionId(id);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.code).to.equal('BAD_FORMAT');
    });
    it('returns the parse error for an invalid id', () => {
      const r = nextVersionId('BL.91350100M000100Y43.0000000001.01.K');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.code).to.equal('BAD_CHECK_CHARACTER');
    });
  });

  describe('properties', () => {
    const parts = fc.record({
      typeCode,
      issuerCode: validUscc,
      serial: fc.bigInt({ min: 0n, max: 9_999_999_999n }),
      version: fc.integer({ min: 1, max: 99 }),
    });

    it('format → parse roundtrips', () => {
      fc.assert(
        fc.property(parts, (p) => {
          const id = formatLicenceId(p);
          const r = parseLicenceId(id);
          expect(r.ok, id).to.equal(true);
          if (r.ok) {
            expect({ typeCode: r.typeCode, issuerCode: r.issuerCode, serial: r.serial, version: r.version }).to.deep.equal(p);
            expect(r.value).to.equal(id);
            expect(formatLicenceId(r)).to.equal(id);
          }
        }),
        { numRuns: 500 },
      );
    });

    it('the dot-free id (body + check) always has MOD 37,36 remainder 1', () => {
      fc.assert(
        fc.property(parts, (p) => {
          expect(isValidMod37_36(formatLicenceId(p).replace(/\./g, ''))).to.equal(true);
        }),
      );
    });

    it('any single-character substitution (to another [0-9A-Z] character) is rejected', () => {
      fc.assert(
        fc.property(parts, fc.nat(), fc.integer({ min: 1, max: 35 }), (p, rawPos, delta) => {
          const id = formatLicenceId(p);
          const positions = [...id].flatMap((c, i) => (c === '.' ? [] : [i]));
          const pos = positions[rawPos % positions.length] ?? 0;
          const ch = MOD37_36_ALPHABET.charAt((MOD37_36_ALPHABET.indexOf(id.charAt(pos)) + delta) % 36);
          const mutated = id.slice(0, pos) + ch + id.slice(pos + 1);
          expect(parseLicenceId(mutated).ok, mutated).to.equal(false);
        }),
        { numRuns: 2000 },
      );
    });

    it('nextVersionId keeps every other part and yields a valid id', () => {
      fc.assert(
        fc.property(parts.filter((p) => p.version < 99), (p) => {
          const r = nextVersionId(formatLicenceId(p));
          expect(r.ok).to.equal(true);
          if (r.ok) expect(r.value).to.equal(formatLicenceId({ ...p, version: p.version + 1 }));
        }),
      );
    });
  });
});
