/**
 * Unified social credit code (统一社会信用代码) — GB 32100-2015.
 *
 * Layout of the 18-character code (1-based positions):
 *   1     registration department code
 *   2     organisation category code
 *   3–8   administrative division of the registering authority (GB/T 2260, digits)
 *   9–17  subject identifier = organisation code (GB 11714), itself 8 characters
 *         plus its own check character at position 17
 *   18    check character (GB/T 17710 style, MOD 31)
 *
 * Character set: 0-9 and A-Z without I, O, Z, S, V (31 characters), each
 * character's value is its index in that set. Weights w_i = 3^(i-1) mod 31;
 * check = charset[(31 − Σ mod 31) mod 31]. 31 is prime and no weight is 0
 * mod 31, so any single substitution in positions 1–17 is detected.
 *
 * Organisation code check (GB 11714-1997): weights 3 7 9 10 5 8 4 2 over
 * positions 9–16 with values 0-9 → 0-9, A-Z → 10-35; C9 = 11 − (Σ mod 11),
 * where 10 → 'X' and 11 → '0'.
 *
 * Whether to enforce the GB 11714 check: GB 32100 §4 says positions 9–17
 * are coded per GB 11714, and every real-world code we could find passes it:
 * the GB 32100 example 91350100M000100Y43, ~45 codes published on
 * creditchina.gov.cn and provincial registries (collected in
 * arthurdejong/python-stdnum issue #207), post-2015 "MA…" codes and
 * individual-business ("92…") codes such as 92141127MA0KD1Y64A. We therefore
 * enforce it by default. (Known real-world exceptions, e.g. some pre-2016
 * Xiamen codes reported in chinabugotech/hutool issue #4119, fail the
 * *overall* MOD 31 check rather than the organisation-code check.) Callers
 * that must accept legacy data can pass `{ verifyOrganisationCode: false }`.
 */

import { firstWhitespacePosition, normaliseIdentifierInput } from './normalise.ts';
import { describeChar, fail } from './types.ts';
import type { IdentifierCheck } from './types.ts';

export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
export const USCC_WEIGHTS: readonly number[] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
export const ORGANISATION_CODE_WEIGHTS: readonly number[] = [3, 7, 9, 10, 5, 8, 4, 2];
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const FORBIDDEN_LETTERS = 'IOZSV';

export interface UsccOptions {
  /** Enforce the GB 11714 organisation-code check at position 17 (default true). */
  verifyOrganisationCode?: boolean;
}

/**
 * Computes the USCC check character (position 18) for 17 characters.
 * @throws RangeError if `first17` is not 17 characters from the USCC charset.
 */
export function computeUsccCheck(first17: string): string {
  if (first17.length !== 17) {
    throw new RangeError(`computeUsccCheck expects 17 characters, got ${first17.length}`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARSET.indexOf(first17.charAt(i));
    if (v < 0) {
      throw new RangeError(`computeUsccCheck: character ${i + 1} ${describeChar(first17.charAt(i))} is not in the USCC character set`);
    }
    sum += v * (USCC_WEIGHTS[i] ?? 0);
  }
  return USCC_CHARSET.charAt((31 - (sum % 31)) % 31);
}

/**
 * Computes the GB 11714 organisation-code check character for the first 8
 * characters of an organisation code (digits and upper-case letters A–Z).
 * @throws RangeError on bad input.
 */
export function computeOrganisationCodeCheck(first8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(first8)) {
    throw new RangeError(`computeOrganisationCodeCheck expects 8 characters [0-9A-Z], got '${first8}'`);
  }
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    sum += ALNUM.indexOf(first8.charAt(i)) * (ORGANISATION_CODE_WEIGHTS[i] ?? 0);
  }
  const c = 11 - (sum % 11);
  if (c === 10) return 'X';
  if (c === 11) return '0';
  return String(c);
}

/**
 * Validates an 18-character USCC.
 *
 * Checks, in order: EMPTY, BAD_CHARACTER (whitespace), BAD_LENGTH,
 * BAD_CHARACTER (outside the charset, incl. I O Z S V; non-digit in 3–8),
 * BAD_REGION (division code starting with 0), BAD_CHECK_CHARACTER (USCC
 * MOD 31 check, then the GB 11714 organisation-code check).
 */
export function checkUscc(input: string, options: UsccOptions = {}): IdentifierCheck {
  const value = normaliseIdentifierInput(input);
  if (value.length === 0) return fail('EMPTY', 'unified social credit code is empty');
  const ws = firstWhitespacePosition(value);
  if (ws > 0) {
    return fail('BAD_CHARACTER', `unified social credit code contains whitespace at position ${ws}; spaces inside the code are not allowed`);
  }
  const chars = Array.from(value);
  if (chars.length !== 18) {
    return fail('BAD_LENGTH', `unified social credit code must be 18 characters long, got ${chars.length}`);
  }
  for (let i = 0; i < 18; i++) {
    const ch = chars[i] ?? '';
    if (FORBIDDEN_LETTERS.includes(ch)) {
      return fail('BAD_CHARACTER', `character ${i + 1} is '${ch}', which is not used in unified social credit codes (I, O, Z, S and V are excluded)`);
    }
    if (!USCC_CHARSET.includes(ch)) {
      return fail('BAD_CHARACTER', `character ${i + 1} ${describeChar(ch)} is not allowed; only digits and the letters ${USCC_CHARSET.slice(10)} are`);
    }
    if (i >= 2 && i <= 7 && !(ch >= '0' && ch <= '9')) {
      return fail('BAD_CHARACTER', `character ${i + 1} must be a digit (positions 3–8 are the administrative division code), got '${ch}'`);
    }
  }
  if (value.charAt(2) === '0') {
    return fail('BAD_REGION', `administrative division code ${value.slice(2, 8)} is invalid: it must start with a digit 1–9`);
  }

  const expected = computeUsccCheck(value.slice(0, 17));
  const actual = value.charAt(17);
  if (expected !== actual) {
    return fail('BAD_CHECK_CHARACTER', `check character should be '${expected}', got '${actual}'`);
  }

  if (options.verifyOrganisationCode ?? true) {
    const orgExpected = computeOrganisationCodeCheck(value.slice(8, 16));
    const orgActual = value.charAt(16);
    if (orgExpected !== orgActual) {
      return fail(
        'BAD_CHECK_CHARACTER',
        `organisation code ${value.slice(8, 17)} (positions 9–17) fails its GB 11714 check: character 17 should be '${orgExpected}', got '${orgActual}'`,
      );
    }
  }
  return { ok: true, value, original: input };
}
