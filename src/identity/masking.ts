/**
 * Masked holder data for public verification (the QR landing card), as national e-licence apps show it:
 * enough for a clerk to see that the licence in front of them matches the person or company, not enough
 * to learn someone's identity from a licence number. Works on code points, so 𠮷 (a surrogate pair in
 * UTF-16) is one character.
 */

/** Legal-form endings kept visible in an organisation's name (longest first). */
const LEGAL_FORMS = ['股份有限公司', '有限责任公司', '有限公司', '合伙企业', '个体工商户', '合作社', '事务所', '公司', '中心', '商店', '门市部'];

/**
 * A person's name: the first character, then one * per remaining character (张𠮷 → 张*, 欧阳修文 → 欧***).
 * An organisation's name: its first three characters, ** and its legal form (北京𠮷𪚥餐饮管理有限公司 →
 * 北京𠮷**有限公司); a short name keeps its first character only.
 */
export function maskName(name: string, kind: 'person' | 'organisation'): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  if (kind === 'person') return chars[0]! + '*'.repeat(Math.max(1, chars.length - 1));
  const text = chars.join('');
  const form = LEGAL_FORMS.find((f) => text.endsWith(f) && [...text].length - [...f].length >= 4);
  if (form) return `${chars.slice(0, 3).join('')}**${form}`;
  return chars.length > 4 ? `${chars.slice(0, 3).join('')}**` : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}

/** An identifier: the first 4 and the last 4 characters, the rest as * (110105********002X). */
export function maskIdentifier(id: string): string {
  const chars = [...id];
  if (chars.length <= 8) return '*'.repeat(chars.length);
  return `${chars.slice(0, 4).join('')}${'*'.repeat(chars.length - 8)}${chars.slice(-4).join('')}`;
}
