/** Calendar helpers (proleptic Gregorian, no time zones involved). */

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  switch (m) {
    case 2:
      return isLeapYear(y) ? 29 : 28;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    default:
      return 31;
  }
}

/**
 * Validates an 8-digit `YYYYMMDD` string as a real calendar date.
 * Returns an English reason when it is not, or `null` when it is.
 */
export function calendarDateProblem(yyyymmdd: string): string | null {
  if (!/^\d{8}$/.test(yyyymmdd)) return `'${yyyymmdd}' is not an 8-digit YYYYMMDD date`;
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (m < 1 || m > 12) return `month ${yyyymmdd.slice(4, 6)} does not exist`;
  const dim = daysInMonth(y, m);
  if (d < 1 || d > dim) {
    return `day ${yyyymmdd.slice(6, 8)} does not exist in ${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)} (which has ${dim} days)`;
  }
  return null;
}

/** Formats `YYYYMMDD` as `YYYY-MM-DD`. */
export function isoDate(yyyymmdd: string): string {
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

/**
 * Today's date as `YYYYMMDD` in China Standard Time (UTC+8, no DST), which is
 * the calendar resident IDs are issued in. Someone born early on the morning
 * of the current day in Beijing would otherwise look "born in the future"
 * to a server running in UTC.
 */
export function chinaDateString(now: Date): string {
  const t = new Date(now.getTime() + 8 * 3600 * 1000);
  const y = String(t.getUTCFullYear()).padStart(4, '0');
  const m = String(t.getUTCMonth() + 1).padStart(2, '0');
  const d = String(t.getUTCDate()).padStart(2, '0');
  return `${y}${m}${d}`;
}
