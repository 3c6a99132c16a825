/**
 * Dates as historic registers and paper certificates write them, normalised to ISO `YYYY-MM-DD`.
 *
 * Accepted (after full-width digits and punctuation are made half-width and the value is trimmed):
 *   1998-03-05  1998/3/5  1998.03.05  19980305  1998年3月5日  1998年03月05号
 *   一九九八年三月五日  二〇〇三年十二月一日  二零零三年十二月廿一日  (元月 = January)
 *   an ISO date followed by a midnight time as spreadsheets export it: `1998-03-05 00:00:00`, `1998-03-05T00:00:00Z`
 * The separator of a `Y-M-D` form must be the same twice. Every date that does not exist (`1999-02-30`) or
 * lies outside 1900–2199 is refused.
 *
 * Two-digit years (`98.3.5`, `98-03-05`, `98/3/5`, `98年3月5日`, `九八年三月五日`) say nothing of their century:
 * they are refused, with a reason that names the ambiguity and the option, unless the caller gives a
 * century pivot P (0–99): a year yy ≤ P is read as 20yy, a year above it as 19yy (P = 30: `98` → 1998,
 * `05` → 2005), the convention of spreadsheet programs and of POSIX strptime's `%y` (pivot 68). A date read
 * that way is flagged (`twoDigitYear`), so the caller keeps the original text beside the normalised date.
 */
import { calendarDateProblem } from '../identity/dates.ts';
import { normaliseIdentifierInput } from '../identity/normalise.ts';

export type HistoricDateResult = { ok: true; value: string; twoDigitYear?: true } | { ok: false; reason: string };

export interface HistoricDateOptions {
  /** Two-digit years yy ≤ centuryPivot are 20yy, the others 19yy; without it they are refused. */
  centuryPivot?: number;
}

/** How the option is named where a person sets it (CLI flag, API form field), for the refusal's reason. */
export const CENTURY_PIVOT_OPTION = '--century-pivot <yy> (API: the centuryPivot form field)';

export function isCenturyPivot(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 99;
}

/** Words that mean "no expiry" in a validity-until column (营业期限: 长期). */
export const NO_EXPIRY_WORDS: readonly string[] = ['长期', '長期', '永久', '无固定期限', '無固定期限', '不限期'];

const CN_DIGITS: Record<string, number> = {
  〇: 0, 零: 0, '○': 0, O: 0, 一: 1, 壹: 1, 二: 2, 贰: 2, 貳: 2, 两: 2, 三: 3, 叁: 3, 參: 3, 四: 4, 肆: 4,
  五: 5, 伍: 5, 六: 6, 陆: 6, 陸: 6, 七: 7, 柒: 7, 八: 8, 捌: 8, 九: 9, 玖: 9,
};

const MIN_YEAR = 1900;
const MAX_YEAR = 2199;

export function parseHistoricDate(input: string, options: HistoricDateOptions = {}): HistoricDateResult {
  const original = input;
  if (options.centuryPivot !== undefined && !isCenturyPivot(options.centuryPivot)) throw new RangeError(`century pivot must be a whole number 0–99, got ${String(options.centuryPivot)}`);
  // Half-width digits and punctuation (full-width ／．－ and ideographic space); ASCII upper-case.
  const s = normaliseIdentifierInput(input.normalize('NFC')).replace(/\s+/g, ' ');
  if (s === '') return { ok: false, reason: 'is empty' };
  let y: string | undefined;
  let m: string | undefined;
  let d: string | undefined;
  let match = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (match) [y, m, d] = [match[1], match[3], match[4]];
  if (!match && (match = /^(\d{4})(\d{2})(\d{2})$/.exec(s))) [y, m, d] = [match[1], match[2], match[3]];
  if (!match && (match = /^(\S{4}) ?年 ?(\S{1,3}) ?月 ?(\S{1,3}) ?[日号號]$/u.exec(s))) {
    const year = chineseYear(match[1]!);
    const month = match[2] === '元' ? 1 : chineseSmallNumber(match[2]!);
    const day = chineseSmallNumber(match[3]!);
    if (year === null || month === null || day === null) return { ok: false, reason: `${JSON.stringify(original)} is not a date` };
    [y, m, d] = [String(year), String(month), String(day)];
  }
  let twoDigitYear = false;
  if (!match) {
    // Two-digit years: recognised only to be refused with a useful reason, or read with the century pivot.
    const short =
      /^(\d{2})([-/.])(\d{1,2})\2(\d{1,2})$/.exec(s) ??
      /^(\d{2}) ?年 ?(\S{1,3}) ?月 ?(\S{1,3}) ?[日号號]$/u.exec(s) ??
      /^([〇零○O一壹二贰貳两三叁參四肆五伍六陆陸七柒八捌九玖]{2}) ?年 ?(\S{1,3}) ?月 ?(\S{1,3}) ?[日号號]$/u.exec(s);
    if (short) {
      const yy = twoDigits(short[1]!);
      const [month, day] = short[2] === '-' || short[2] === '/' || short[2] === '.' ? [short[3]!, short[4]!] : [short[2]!, short[3]!];
      const mm = month === '元' ? 1 : chineseSmallNumber(month);
      const dd = chineseSmallNumber(day);
      if (yy !== null && mm !== null && dd !== null) {
        if (options.centuryPivot === undefined) {
          return { ok: false, reason: `${JSON.stringify(original)} has a two-digit year (${String(yy).padStart(2, '0')}), which could be 19${String(yy).padStart(2, '0')} or 20${String(yy).padStart(2, '0')}: give the century pivot to read it (${CENTURY_PIVOT_OPTION}), or write the year in full` };
        }
        [y, m, d] = [String((yy <= options.centuryPivot ? 2000 : 1900) + yy), String(mm), String(dd)];
        twoDigitYear = true;
      }
    }
  }
  if (y === undefined || m === undefined || d === undefined) {
    return { ok: false, reason: `${JSON.stringify(original)} is not a date in a recognised format (e.g. 1998-03-05, 1998年3月5日, 一九九八年三月五日)` };
  }
  const yyyymmdd = `${y}${m.padStart(2, '0')}${d.padStart(2, '0')}`;
  const problem = calendarDateProblem(yyyymmdd);
  if (problem !== null) return { ok: false, reason: `${JSON.stringify(original)} is not a real calendar date: ${problem}` };
  const year = Number(y);
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, reason: `${JSON.stringify(original)}: year ${year} is outside ${MIN_YEAR}–${MAX_YEAR}` };
  const value = `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
  return twoDigitYear ? { ok: true, value, twoDigitYear: true } : { ok: true, value };
}

/** Two characters, each a digit or a Chinese digit (98, 九八, 〇五). */
function twoDigits(text: string): number | null {
  const chars = Array.from(text);
  if (chars.length !== 2) return null;
  let out = 0;
  for (const ch of chars) {
    const v = ch >= '0' && ch <= '9' ? Number(ch) : CN_DIGITS[ch];
    if (v === undefined) return null;
    out = out * 10 + v;
  }
  return out;
}

/** Four characters, each a digit or a Chinese digit (一九九八, 二〇〇三, 二零零三; a handwritten-style Latin O counts as 〇). */
function chineseYear(text: string): number | null {
  const chars = Array.from(text);
  if (chars.length !== 4) return null;
  let out = 0;
  for (const ch of chars) {
    const v = ch >= '0' && ch <= '9' ? Number(ch) : CN_DIGITS[ch];
    if (v === undefined) return null;
    out = out * 10 + v;
  }
  return out;
}

/** 1–39 written as digits or Chinese numerals: 五, 十, 十二, 二十, 二十一, 廿一, 卅, 三十一, 〇五. */
export function chineseSmallNumber(text: string): number | null {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const chars = Array.from(text);
  const digit = (ch: string | undefined): number | undefined => (ch === undefined ? undefined : CN_DIGITS[ch]);
  if (chars.length === 1) {
    const only = chars[0]!;
    if (only === '十' || only === '拾') return 10;
    if (only === '廿') return 20;
    if (only === '卅') return 30;
    return digit(only) ?? null;
  }
  const [a, b, c] = chars;
  const tens = (ch: string | undefined): number | undefined => {
    if (ch === '十' || ch === '拾') return 10;
    if (ch === '廿') return 20;
    if (ch === '卅') return 30;
    return undefined;
  };
  if (chars.length === 2) {
    const t = tens(a);
    if (t !== undefined) return digit(b) !== undefined && digit(b) !== 0 ? t + digit(b)! : null; // 十二, 廿一
    if ((b === '十' || b === '拾') && digit(a) !== undefined && digit(a)! >= 2) return digit(a)! * 10; // 二十
    if (digit(a) !== undefined && digit(b) !== undefined) return digit(a)! * 10 + digit(b)!; // 〇五, 一二
    return null;
  }
  if (chars.length === 3 && (b === '十' || b === '拾')) {
    const t = digit(a);
    const u = digit(c);
    if (t !== undefined && t >= 1 && u !== undefined && u !== 0) return t * 10 + u; // 二十一
  }
  return null;
}
