/**
 * Citizen identity number ("resident ID") — GB 11643-1999.
 *
 * Layout of the 18-character number (1-based positions):
 *   1–6   address (administrative division) code, GB/T 2260
 *   7–14  date of birth, YYYYMMDD
 *   15–17 sequence code (odd = male, even = female)
 *   18    check character, ISO 7064 MOD 11-2: digit or 'X'
 *
 * Check character: r = Σ(d_i · w_i) mod 11 with weights
 * 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 (= 2^(18-i) mod 11), and the check
 * character is "10X98765432"[r]. Because every weight is non-zero mod 11 and
 * digits differ by at most 9, any single substitution in the first 17 digits
 * changes r, so it is always detected.
 */

import { calendarDateProblem, chinaDateString, isoDate } from './dates.ts';
import { firstWhitespacePosition, normaliseIdentifierInput } from './normalise.ts';
import { describeChar, fail } from './types.ts';
import type { IdentifierCheck } from './types.ts';

export const RESIDENT_ID_WEIGHTS: readonly number[] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
/** Earliest birth date accepted (inclusive). */
export const EARLIEST_BIRTH_DATE = '18000101';

export interface ResidentIdOptions {
  /**
   * The current instant, used for the "birth date is not in the future"
   * rule; the calendar date is taken in China Standard Time (UTC+8).
   * Defaults to `new Date()`. Pass it explicitly for deterministic results.
   */
  now?: Date;
}

/**
 * Computes the GB 11643 check character for the first 17 digits.
 * @throws RangeError if `first17` is not exactly 17 ASCII digits.
 */
export function computeResidentIdCheck(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError(`computeResidentIdCheck expects exactly 17 digits, got '${first17}'`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += Number(first17.charCodeAt(i) - 48) * (RESIDENT_ID_WEIGHTS[i] ?? 0);
  }
  return CHECK_CHARS.charAt(sum % 11);
}

function checkBirthDate(yyyymmdd: string, todayStr: string): string | null {
  const problem = calendarDateProblem(yyyymmdd);
  if (problem !== null) return `birth date ${yyyymmdd} is not a real calendar date: ${problem}`;
  if (yyyymmdd < EARLIEST_BIRTH_DATE) {
    return `birth date ${isoDate(yyyymmdd)} is before ${isoDate(EARLIEST_BIRTH_DATE)}`;
  }
  if (yyyymmdd > todayStr) {
    return `birth date ${isoDate(yyyymmdd)} is in the future (today is ${isoDate(todayStr)})`;
  }
  return null;
}

/** Common leading checks: empty, whitespace, length, digits-only body. */
function preflight(
  normalised: string,
  expectedLength: number,
  allowXAtEnd: boolean,
  label: string,
): IdentifierCheck | null {
  if (normalised.length === 0) return fail('EMPTY', `${label} is empty`);
  const ws = firstWhitespacePosition(normalised);
  if (ws > 0) {
    return fail('BAD_CHARACTER', `${label} contains whitespace at position ${ws}; spaces inside the number are not allowed`);
  }
  const chars = Array.from(normalised);
  if (chars.length !== expectedLength) {
    return fail('BAD_LENGTH', `${label} must be ${expectedLength} characters long, got ${chars.length}`);
  }
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    const isDigit = ch >= '0' && ch <= '9';
    const isLast = i === chars.length - 1;
    if (isDigit) continue;
    if (isLast && allowXAtEnd) {
      if (ch === 'X') continue;
      return fail('BAD_CHARACTER', `character ${i + 1} (check character) must be a digit or 'X', got ${describeChar(ch)}`);
    }
    return fail('BAD_CHARACTER', `character ${i + 1} must be a digit, got ${describeChar(ch)}`);
  }
  if (normalised.charAt(0) === '0') {
    return fail('BAD_REGION', `region code ${normalised.slice(0, 6)} is invalid: it must start with a digit 1–9`);
  }
  return null;
}

/**
 * Validates an 18-character resident ID (GB 11643-1999).
 *
 * Checks, in order: EMPTY, BAD_CHARACTER (whitespace), BAD_LENGTH,
 * BAD_CHARACTER, BAD_REGION, BAD_DATE, BAD_CHECK_CHARACTER.
 */
export function checkResidentId(input: string, options: ResidentIdOptions = {}): IdentifierCheck {
  const value = normaliseIdentifierInput(input);
  const pre = preflight(value, 18, true, 'resident ID');
  if (pre) return pre;

  const dateProblem = checkBirthDate(value.slice(6, 14), chinaDateString(options.now ?? new Date()));
  if (dateProblem !== null) return fail('BAD_DATE', dateProblem);

  const expected = computeResidentIdCheck(value.slice(0, 17));
  const actual = value.charAt(17);
  if (expected !== actual) {
    return fail('BAD_CHECK_CHARACTER', `check character should be '${expected}', got '${actual}'`);
  }
  return { ok: true, value, original: input };
}

/**
 * Converts a historic 15-digit resident ID (issued before 1999) to the
 * 18-digit form: "19" is inserted before the two-digit birth year
 * (YYMMDD → 19YYMMDD) and the GB 11643 check character is appended.
 *
 * The 15-digit input is validated first (EMPTY, whitespace, BAD_LENGTH,
 * digits only, BAD_REGION, BAD_DATE for the 19YYMMDD date). The result's
 * `value` is the 18-character ID and `original` is the input as given.
 */
export function convertResidentId15To18(id15: string): IdentifierCheck {
  const value = normaliseIdentifierInput(id15);
  const pre = preflight(value, 15, false, '15-digit resident ID');
  if (pre) return pre;

  const birth = `19${value.slice(6, 12)}`;
  const problem = calendarDateProblem(birth);
  if (problem !== null) return fail('BAD_DATE', `birth date ${birth} is not a real calendar date: ${problem}`);

  const first17 = `${value.slice(0, 6)}${birth}${value.slice(12, 15)}`;
  return { ok: true, value: first17 + computeResidentIdCheck(first17), original: id15 };
}
