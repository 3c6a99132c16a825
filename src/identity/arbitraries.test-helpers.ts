// Shared fast-check arbitraries for the identity tests (not a test file itself).
import fc from 'fast-check';
import { computeResidentIdCheck } from './resident-id.ts';
import { computeOrganisationCodeCheck, computeUsccCheck, USCC_CHARSET } from './uscc.ts';

export const FIXED_NOW = new Date('2025-06-15T04:00:00Z');

const digit = fc.constantFrom(...'0123456789'.split(''));
const nonZeroDigit = fc.constantFrom(...'123456789'.split(''));
const usccChar = fc.constantFrom(...USCC_CHARSET.split(''));

export function digits(n: number): fc.Arbitrary<string> {
  return fc.string({ unit: digit, minLength: n, maxLength: n });
}

/** A real calendar date between 1800-01-01 and 2025-06-14 as YYYYMMDD. */
export const birthDate: fc.Arbitrary<string> = fc
  .date({ min: new Date('1800-01-01T00:00:00Z'), max: new Date('2025-06-14T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10).replace(/-/g, ''));

/** 17-digit resident-ID bodies with a valid region and birth date. */
export const residentBody: fc.Arbitrary<string> = fc
  .tuple(nonZeroDigit, digits(5), birthDate, digits(3))
  .map(([a, b, c, d]) => `${a}${b}${c}${d}`);

export const validResidentId: fc.Arbitrary<string> = residentBody.map((b) => b + computeResidentIdCheck(b));

/** Valid USCCs: both the GB 11714 and the GB 32100 check characters are computed. */
export const validUscc: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ unit: usccChar, minLength: 2, maxLength: 2 }),
    nonZeroDigit,
    digits(5),
    fc.string({ unit: usccChar, minLength: 8, maxLength: 8 }),
  )
  .map(([head, r1, r5, org8]) => {
    const first16 = `${head}${r1}${r5}${org8}`;
    const first17 = first16 + computeOrganisationCodeCheck(org8);
    return first17 + computeUsccCheck(first17);
  });

export const typeCode: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('')),
  minLength: 2,
  maxLength: 8,
});
