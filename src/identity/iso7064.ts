/**
 * ISO/IEC 7064 MOD 37,36 — the hybrid system for alphanumeric strings with a
 * single alphanumeric check character (M = 36, M + 1 = 37).
 *
 * Character values: index in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".
 *
 * Recursive method (ISO/IEC 7064:2003, hybrid systems):
 *   P_1 = M
 *   for each character a_j (left to right):
 *     S_j = (P_j mod (M+1)) + a_j
 *     P_{j+1} = (||S_j||_M × 2) mod (M+1)   where ||S||_M = S mod M, or M if that is 0
 *   The check character a is chosen so that (P_{n+1} mod (M+1) + a) mod M = 1,
 *   i.e. a = (M + 1 − P_{n+1} mod (M+1)) mod M.
 *   Verification runs the same recursion over the whole string including the
 *   check character; the string is valid iff the last S mod M equals 1.
 *
 * Like all ISO 7064 systems it detects every single-character substitution.
 *
 * Test vectors used in iso7064.test.ts: the GRid (Global Release Identifier)
 * example "A1-2425G-ABC1234002-M" from the IFPI GRid Standard v2.1, which
 * specifies MOD 37,36 for its check character (also used as a test case in
 * soundways/Iso7064-php and in the xbib standardnumber MOD3736 tests, where
 * "B159D8FA01240000K" and "188166C7342000003" appear as well), plus samples
 * from LiosK/cdigit test/mod37_36.test.js.
 */

export const MOD37_36_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const M = 36;

function valueOf(ch: string, position: number): number {
  const v = MOD37_36_ALPHABET.indexOf(ch);
  if (v < 0 || ch.length !== 1) {
    throw new RangeError(`ISO 7064 MOD 37,36: character ${position} '${ch}' is not in [0-9A-Z]`);
  }
  return v;
}

/** Runs the recursion over `s` and returns the final P (before any check char). */
function runRecursion(s: string): number {
  let p = M;
  for (let i = 0; i < s.length; i++) {
    const sj = (p % (M + 1)) + valueOf(s.charAt(i), i + 1);
    p = ((sj % M || M) * 2) % (M + 1);
  }
  return p;
}

/**
 * Computes the MOD 37,36 check character for `body` (upper-case [0-9A-Z]).
 * @throws RangeError on an empty string or a character outside [0-9A-Z].
 */
export function computeMod37_36Check(body: string): string {
  if (body.length === 0) throw new RangeError('ISO 7064 MOD 37,36: cannot protect an empty string');
  const p = runRecursion(body);
  return MOD37_36_ALPHABET.charAt((M + 1 - (p % (M + 1))) % M);
}

/**
 * The verification remainder of a string that already ends with its check
 * character: S_n mod M for the last character. A valid string yields 1.
 * @throws RangeError on fewer than 2 characters or characters outside [0-9A-Z].
 */
export function mod37_36Remainder(full: string): number {
  if (full.length < 2) throw new RangeError('ISO 7064 MOD 37,36: need at least one character plus the check character');
  const p = runRecursion(full.slice(0, -1));
  const last = valueOf(full.charAt(full.length - 1), full.length);
  return ((p % (M + 1)) + last) % M;
}

/** True iff `full` (body + check character) passes MOD 37,36 verification. */
export function isValidMod37_36(full: string): boolean {
  if (!/^[0-9A-Z]{2,}$/.test(full)) return false;
  return mod37_36Remainder(full) === 1;
}
