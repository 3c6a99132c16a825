/**
 * Input normalisation shared by all identifier validators.
 *
 * Rules (documented behaviour, relied on by the validators):
 *  - Full-width ASCII variants U+FF01–U+FF5E (e.g. `１２３ｘ`) are mapped to
 *    their half-width equivalents U+0021–U+007E; the ideographic space U+3000
 *    is mapped to an ordinary space.
 *  - Leading and trailing whitespace is removed.
 *  - ASCII lower-case letters `a`–`z` are upper-cased. Only ASCII is
 *    upper-cased: `String#toUpperCase` would turn e.g. `ß` into `SS` and change
 *    the length, hiding the real problem. Any non-ASCII character that survives
 *    normalisation is reported by the validators as BAD_CHARACTER.
 *  - Consequently a lower-case `x` as the check character of a resident ID is
 *    accepted and normalised to `X`, and lower-case letters in a USCC are
 *    accepted and upper-cased.
 *  - Internal whitespace is NOT removed; validators reject it with
 *    BAD_CHARACTER (an identifier containing a space is more likely two values
 *    pasted together than a formatting convention).
 */

const FULLWIDTH_START = 0xff01;
const FULLWIDTH_END = 0xff5e;
const FULLWIDTH_OFFSET = 0xfee0; // U+FF01 - U+0021
const IDEOGRAPHIC_SPACE = 0x3000;

export function normaliseIdentifierInput(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= FULLWIDTH_START && cp <= FULLWIDTH_END) {
      out += String.fromCharCode(cp - FULLWIDTH_OFFSET);
    } else if (cp === IDEOGRAPHIC_SPACE) {
      out += ' ';
    } else {
      out += ch;
    }
  }
  out = out.trim();
  return out.replace(/[a-z]/g, (c) => c.toUpperCase());
}

/**
 * Returns the 1-based position (in code points) of the first whitespace
 * character in an already-normalised string, or 0 when there is none.
 */
export function firstWhitespacePosition(s: string): number {
  let i = 0;
  for (const ch of s) {
    i++;
    if (/\s/u.test(ch)) return i;
  }
  return 0;
}
