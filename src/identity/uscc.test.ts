import { expect } from 'chai';
import fc from 'fast-check';
import { checkUscc, computeOrganisationCodeCheck, computeUsccCheck, USCC_CHARSET } from './uscc.ts';
import { validUscc } from './arbitraries.test-helpers.ts';

function expectFail(s: string, code: string, messagePart?: string) {
  const r = checkUscc(s);
  expect(r.ok, `${s} should be rejected`).to.equal(false);
  if (!r.ok) {
    expect(r.code).to.equal(code);
    if (messagePart) expect(r.message).to.contain(messagePart);
  }
}

/** Real-world codes; every one passes both the GB 32100 and GB 11714 checks. */
const REAL_CODES = [
  '91350100M000100Y43', // example in GB 32100-2015 itself
  '91110000600037341L', // python-stdnum doctest / creditchina.gov.cn
  '9144030071526726XG', // Tencent Technology (Shenzhen), via python-stdnum issue #207
  '91310115MA1K3BTP2B', // Shanghai registry, via python-stdnum issue #207
  '91620105MA73NBBLXE', // Gansu registry, via python-stdnum issue #207
  '92141127MA0KD1Y64A', // individual business, cited in jaywcjlove/regexp-example issue #23
  '12440600MB2C07549J', // public institution, cited in xbeginagain/generator issue #2
];

describe('identity/uscc', () => {
  describe('check character computation', () => {
    it('reproduces the check characters of real codes', () => {
      for (const code of REAL_CODES) {
        expect(computeUsccCheck(code.slice(0, 17)), code).to.equal(code.charAt(17));
        expect(computeOrganisationCodeCheck(code.slice(8, 16)), code).to.equal(code.charAt(16));
      }
    });
    it('organisation-code check maps 10 to X and 11 to 0', () => {
      expect(computeOrganisationCodeCheck('71526726')).to.equal('X'); // from Tencent's code
      // Σ = 0 → 11 − 0 = 11 → '0'
      expect(computeOrganisationCodeCheck('00000000')).to.equal('0');
    });
    it('rejects malformed input', () => {
      expect(() => computeUsccCheck('91350100M000100Y')).to.throw(RangeError);
      expect(() => computeUsccCheck('91350100O000100Y4')).to.throw(RangeError, 'not in the USCC character set');
      expect(() => computeOrganisationCodeCheck('m000100Y')).to.throw(RangeError);
    });
  });

  describe('checkUscc: valid', () => {
    for (const code of REAL_CODES) {
      it(`accepts ${code}`, () => {
        expect(checkUscc(code)).to.deep.equal({ ok: true, value: code, original: code });
      });
    }
    it('accepts lowercase letters and full-width characters, normalising them', () => {
      expect(checkUscc('91350100m000100y43')).to.deep.equal({ ok: true, value: '91350100M000100Y43', original: '91350100m000100y43' });
      const wide = ' ９１３５０１００Ｍ０００１００ｙ４３\u3000';
      expect(checkUscc(wide)).to.deep.equal({ ok: true, value: '91350100M000100Y43', original: wide });
    });
  });

  describe('checkUscc: invalid', () => {
    it('EMPTY', () => expectFail('  ', 'EMPTY'));
    it('BAD_LENGTH', () => {
      expectFail('91350100M000100Y4', 'BAD_LENGTH', 'got 17');
      expectFail('91350100M000100Y433', 'BAD_LENGTH', 'got 19');
    });
    it('BAD_CHARACTER for each of the forbidden letters I, O, Z, S, V (also lower-case)', () => {
      for (const letter of ['I', 'O', 'Z', 'S', 'V', 'i', 'o', 'z', 's', 'v']) {
        expectFail(`91350100${letter}000100Y43`, 'BAD_CHARACTER', `character 9 is '${letter.toUpperCase()}', which is not used`);
      }
    });
    it('BAD_CHARACTER for punctuation, internal spaces and letters in the division code', () => {
      expectFail('91350100-000100Y43', 'BAD_CHARACTER', "'-'");
      expectFail('91350100 M000100Y43', 'BAD_CHARACTER', 'whitespace at position 9');
      expectFail('91A50100M000100Y43', 'BAD_CHARACTER', 'character 3 must be a digit');
    });
    it('BAD_REGION for a division code starting with 0', () => {
      expectFail('91050100M000100Y43', 'BAD_REGION', '050100');
    });
    it('BAD_CHECK_CHARACTER for a wrong USCC check character', () => {
      expectFail('91350100M000100Y44', 'BAD_CHECK_CHARACTER', "check character should be '3', got '4'");
      expectFail('91110000600037341M', 'BAD_CHECK_CHARACTER', "should be 'L', got 'M'");
    });
    it('BAD_CHECK_CHARACTER naming the organisation code when only the GB 11714 check fails', () => {
      const first17 = '91350100M000100Y5'; // org check should be 4
      const code = first17 + computeUsccCheck(first17);
      expectFail(code, 'BAD_CHECK_CHARACTER', "organisation code M000100Y5 (positions 9–17) fails its GB 11714 check: character 17 should be '4', got '5'");
      expect(checkUscc(code, { verifyOrganisationCode: false }).ok).to.equal(true);
    });
    it('rejects 91350203M0001QKT19, a real pre-2016 Xiamen code that violates the GB 32100 check (hutool #4119)', () => {
      // Documented limitation: we enforce the standard's check character.
      expectFail('91350203M0001QKT19', 'BAD_CHECK_CHARACTER', "check character should be 'F', got '9'");
    });
  });

  describe('properties', () => {
    it('every 17-char prefix plus its computed check character satisfies the MOD 31 sum', () => {
      const usccChar = fc.constantFrom(...USCC_CHARSET.split(''));
      fc.assert(
        fc.property(fc.string({ unit: usccChar, minLength: 17, maxLength: 17 }), (p) => {
          const full = p + computeUsccCheck(p);
          const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28, 1];
          let sum = 0;
          for (let i = 0; i < 18; i++) sum += USCC_CHARSET.indexOf(full.charAt(i)) * (weights[i] ?? 0);
          expect(sum % 31).to.equal(0);
          const r = checkUscc(full, { verifyOrganisationCode: false });
          expect(r.ok ? 'OK' : r.code).to.not.equal('BAD_CHECK_CHARACTER');
        }),
        { numRuns: 500 },
      );
    });

    it('every well-formed prefix with computed organisation and USCC checks validates', () => {
      fc.assert(
        fc.property(validUscc, (code) => {
          expect(checkUscc(code)).to.deep.equal({ ok: true, value: code, original: code });
          expect(checkUscc(code.toLowerCase()).ok).to.equal(true);
        }),
        { numRuns: 500 },
      );
    });

    it('any single-character substitution in a valid code is detected', () => {
      fc.assert(
        fc.property(validUscc, fc.integer({ min: 0, max: 17 }), fc.constantFrom(...USCC_CHARSET.split('')), (code, pos, ch) => {
          fc.pre(code.charAt(pos) !== ch);
          const mutated = code.slice(0, pos) + ch + code.slice(pos + 1);
          expect(checkUscc(mutated).ok, mutated).to.equal(false);
        }),
        { numRuns: 1000 },
      );
    });

    it('single substitutions in positions 1–17 always change the MOD 31 check character', () => {
      fc.assert(
        fc.property(validUscc, fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 30 }), (code, pos, delta) => {
          const ch = USCC_CHARSET.charAt((USCC_CHARSET.indexOf(code.charAt(pos)) + delta) % 31);
          const mutated = code.slice(0, pos) + ch + code.slice(pos + 1, 17);
          expect(computeUsccCheck(mutated)).to.not.equal(code.charAt(17));
        }),
        { numRuns: 1000 },
      );
    });
  });
});
