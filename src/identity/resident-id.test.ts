import { expect } from 'chai';
import fc from 'fast-check';
import { checkResidentId, computeResidentIdCheck, convertResidentId15To18 } from './resident-id.ts';
import { FIXED_NOW, residentBody, validResidentId } from './arbitraries.test-helpers.ts';

const now = FIXED_NOW; // 2025-06-15 12:00 in Beijing
const check = (s: string) => checkResidentId(s, { now });

function expectFail(s: string, code: string, messagePart?: string) {
  const r = check(s);
  expect(r.ok, `${s} should be rejected`).to.equal(false);
  if (!r.ok) {
    expect(r.code).to.equal(code);
    if (messagePart) expect(r.message).to.contain(messagePart);
  }
}

describe('identity/resident-id', () => {
  describe('computeResidentIdCheck', () => {
    it('computes the published GB 11643 examples', () => {
      expect(computeResidentIdCheck('11010519491231002')).to.equal('X');
      expect(computeResidentIdCheck('44052418800101001')).to.equal('4');
    });
    it('rejects malformed input', () => {
      expect(() => computeResidentIdCheck('1101051949123100')).to.throw(RangeError);
      expect(() => computeResidentIdCheck('1101051949123100A')).to.throw(RangeError);
    });
  });

  describe('checkResidentId: valid', () => {
    for (const id of ['11010519491231002X', '440524188001010014', '110105200002290013', '320106199001010016', '440304199912310023']) {
      it(`accepts ${id}`, () => {
        // the first two are the GB 11643 examples; the rest were built with computeResidentIdCheck (2000-02-29: leap year)
        const r = check(id);
        expect(r).to.deep.equal({ ok: true, value: id, original: id });
      });
    }

    it('accepts lowercase x and normalises it to X, keeping the original', () => {
      expect(check('11010519491231002x')).to.deep.equal({ ok: true, value: '11010519491231002X', original: '11010519491231002x' });
    });

    it('accepts full-width digits, full-width x and surrounding (ideographic) spaces', () => {
      const input = '\u3000１１０１０５１９４９１２３１００２ｘ ';
      expect(check(input)).to.deep.equal({ ok: true, value: '11010519491231002X', original: input });
    });

    it('accepts a birth date of today in China time even when it is still yesterday in UTC', () => {
      const id = '11010520250615' + '001';
      const full = id + computeResidentIdCheck(id);
      // 2025-06-14T17:00Z is 2025-06-15 01:00 in Beijing
      expect(checkResidentId(full, { now: new Date('2025-06-14T17:00:00Z') }).ok).to.equal(true);
      const r = checkResidentId(full, { now: new Date('2025-06-14T15:00:00Z') });
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.code).to.equal('BAD_DATE');
    });
  });

  describe('checkResidentId: invalid', () => {
    it('EMPTY for empty and whitespace-only input', () => {
      expectFail('', 'EMPTY');
      expectFail(' \u3000 ', 'EMPTY');
    });
    it('BAD_CHECK_CHARACTER names the expected and actual check character', () => {
      expectFail('110105194912310023', 'BAD_CHECK_CHARACTER', "check character should be 'X', got '3'");
      expectFail('440524188001010015', 'BAD_CHECK_CHARACTER', "should be '4', got '5'");
    });
    it('BAD_LENGTH for 17 and 19 characters', () => {
      expectFail('11010519491231002', 'BAD_LENGTH', 'got 17');
      expectFail('11010519491231002X1', 'BAD_LENGTH', 'got 19');
    });
    it('BAD_CHARACTER for letters in the body and for X anywhere but the end', () => {
      expectFail('1101051949123100AX', 'BAD_CHARACTER', "character 17 must be a digit, got 'A'");
      expectFail('X1010519491231002X', 'BAD_CHARACTER', 'character 1');
      expectFail('11010519491231002A', 'BAD_CHARACTER', "check character) must be a digit or 'X', got 'A'");
    });
    it('BAD_CHARACTER for internal spaces (including an internal ideographic space)', () => {
      expectFail('110105 19491231002X', 'BAD_CHARACTER', 'whitespace at position 7');
      expectFail('110105\u300019491231002X', 'BAD_CHARACTER', 'whitespace');
    });
    it('BAD_CHARACTER (not a crash) for non-ASCII characters', () => {
      expectFail('11010519491231002٣', 'BAD_CHARACTER', 'U+0663');
    });
    it('BAD_DATE for 19990230 and other impossible dates', () => {
      const body = '11010519990230001';
      expectFail(body + computeResidentIdCheck(body), 'BAD_DATE', 'day 30 does not exist in 1999-02');
      const feb29NonLeap = '11010519000229001'; // 1900 is not a leap year
      expectFail(feb29NonLeap + computeResidentIdCheck(feb29NonLeap), 'BAD_DATE', '1900-02');
      const month13 = '11010519901301001';
      expectFail(month13 + computeResidentIdCheck(month13), 'BAD_DATE', 'month 13');
    });
    it('BAD_DATE before 1800-01-01 and in the future', () => {
      const old = '11010517991231001';
      expectFail(old + computeResidentIdCheck(old), 'BAD_DATE', 'before 1800-01-01');
      const future = '11010520250616001';
      expectFail(future + computeResidentIdCheck(future), 'BAD_DATE', 'in the future');
    });
    it('BAD_REGION for a region code starting with 0', () => {
      const body = '01010519491231002';
      expectFail(body + computeResidentIdCheck(body), 'BAD_REGION', '010105');
    });
  });

  describe('convertResidentId15To18', () => {
    it('converts 110105491231002 to 11010519491231002X', () => {
      expect(convertResidentId15To18('110105491231002')).to.deep.equal({
        ok: true,
        value: '11010519491231002X',
        original: '110105491231002',
      });
    });
    it('converts full-width input and produces an id that checkResidentId accepts', () => {
      const r = convertResidentId15To18('４４０５２４８００１０１００１');
      expect(r.ok).to.equal(true);
      if (r.ok) {
        expect(r.value).to.equal('440524198001010013');
        expect(check(r.value).ok).to.equal(true);
      }
    });
    it('rejects bad 15-digit input with precise codes', () => {
      const cases: Array<[string, string]> = [
        ['', 'EMPTY'],
        ['11010549123100', 'BAD_LENGTH'],
        ['11010549123100X', 'BAD_CHARACTER'],
        ['110105 49123100', 'BAD_CHARACTER'],
        ['110105990230001', 'BAD_DATE'],
        ['010105491231002', 'BAD_REGION'],
      ];
      for (const [input, code] of cases) {
        const r = convertResidentId15To18(input);
        expect(r.ok, input).to.equal(false);
        if (!r.ok) expect(r.code, input).to.equal(code);
      }
    });
    it('every valid 15-digit number converts to a valid 18-digit id (property)', () => {
      fc.assert(
        fc.property(residentBody.filter((b) => b.slice(6, 8) === '19'), (b) => {
          const id15 = b.slice(0, 6) + b.slice(8, 14) + b.slice(14, 17);
          const r = convertResidentId15To18(id15);
          expect(r.ok).to.equal(true);
          if (r.ok) expect(check(r.value)).to.deep.equal({ ok: true, value: r.value, original: r.value });
        }),
      );
    });
  });

  describe('properties', () => {
    it('every valid 17-digit body plus its computed check character validates', () => {
      fc.assert(
        fc.property(residentBody, (b) => {
          expect(check(b + computeResidentIdCheck(b)).ok).to.equal(true);
        }),
        { numRuns: 500 },
      );
    });

    it('the lowercase-x form of a valid id is accepted and normalised', () => {
      fc.assert(
        fc.property(validResidentId, (id) => {
          const r = check(id.toLowerCase());
          expect(r.ok).to.equal(true);
          if (r.ok) expect(r.value).to.equal(id);
        }),
      );
    });

    it('any single-character substitution in a valid id is detected', () => {
      fc.assert(
        fc.property(
          validResidentId,
          fc.integer({ min: 0, max: 17 }),
          fc.constantFrom(...'0123456789X'.split('')),
          (id, pos, ch) => {
            fc.pre(id.charAt(pos) !== ch);
            const mutated = id.slice(0, pos) + ch + id.slice(pos + 1);
            expect(check(mutated).ok, mutated).to.equal(false);
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('single substitutions in the 17-digit body are caught by the check character itself', () => {
      // Stronger than the previous property: not merely rejected (e.g. by the
      // date rule) but the MOD 11-2 check character changes.
      fc.assert(
        fc.property(residentBody, fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 9 }), (b, pos, delta) => {
          const d = (Number(b.charAt(pos)) + delta) % 10;
          const mutated = b.slice(0, pos) + String(d) + b.slice(pos + 1);
          expect(computeResidentIdCheck(mutated)).not.to.equal(computeResidentIdCheck(b));
        }),
        { numRuns: 1000 },
      );
    });
  });
});
