/**
 * Seeded generator of a messy digitization manifest plus its scans directory, for tests and benchmarks.
 *
 * Deterministic: the same options (seed, rows, format, encoding) always produce byte-identical files.
 * Each bad row carries exactly ONE injected problem, so the expected per-reason counts are exact.
 * Returned `expected`:
 *   - totalRows        data rows written
 *   - normaliserOk     rows normaliseRow accepts (good + corrupt-scan + duplicates + conflicts)
 *   - normaliserRejected  code → rows normaliseRow rejects with that (single) code
 *   - scanRejected     { CORRUPT_SCAN: rows whose scan is a truncated JPEG } (found by loadScan)
 *   - rejected         both of the above merged: what a batch's error report counts per reason
 *   - issued           rows that become e-licences: first occurrence of a key, all checks passed
 *   - duplicates       later rows with an issued row's key and identical normalised content
 *                      (the generator sometimes rewrites a date in another historic format: same content)
 *   - conflicts        later rows with an issued row's key and different content
 * issued + duplicates + conflicts + Σ rejected = totalRows.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { computeResidentIdCheck } from '../../src/identity/resident-id.ts';
import { computeOrganisationCodeCheck, computeUsccCheck, USCC_CHARSET } from '../../src/identity/uscc.ts';
import { crc32 } from '../../src/digitize/scan-reader.ts';

export type GeneratedEncoding = 'utf8-bom' | 'utf8' | 'gb18030';

export interface MessyManifestOptions {
  dir: string;
  rows: number;
  seed: number;
  format?: 'csv' | 'jsonl';
  /** CSV only (JSONL is always UTF-8 without BOM). Default utf8-bom. */
  encoding?: GeneratedEncoding;
  /** Write the scan files (default true). Without them, rows only reference names. */
  writeScans?: boolean;
  /** Include TIFF and PDF scans (default true); they cost a little more to load. */
  richScans?: boolean;
}

export type InjectedCode =
  | 'BAD_HOLDER_ID'
  | 'EMPTY_REQUIRED'
  | 'MISSING_SCAN'
  | 'BAD_DATE'
  | 'BAD_VALIDITY'
  | 'UNKNOWN_TYPE'
  | 'FIELD_INVALID'
  | 'CORRUPT_SCAN';

export interface ExpectedCounts {
  totalRows: number;
  normaliserOk: number;
  normaliserRejected: Record<string, number>;
  scanRejected: Record<string, number>;
  rejected: Record<string, number>;
  issued: number;
  duplicates: number;
  conflicts: number;
  /** How many rows use each trait (for sanity checks that the mix really is messy). */
  traits: Record<string, number>;
}

export interface GeneratedManifest {
  manifestPath: string;
  scansDir: string;
  expected: ExpectedCounts;
  /** rowNumber → injected code, for every row that must be rejected. */
  rejectedRows: Map<number, InjectedCode>;
}

export const TODAY = new Date('2025-06-01T00:00:00Z');

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A real 16×12 baseline JPEG (379 bytes); a COM segment is inserted after SOI to vary the bytes. */
const TINY_JPEG = Buffer.from(
  '/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAMABADASIAAhEBAxEB/8QAFwAAAwEAAAAAAAAAAAAAAAAAAQIEBf/EACYQAAIBAwIEBwAAAAAAAAAAAAECAwQREgBBBRMUISIxUWFxgZH/xAAUAQEAAAAAAAAAAAAAAAAAAAAA/8QAFxEBAAMAAAAAAAAAAAAAAAAAABExUf/aAAwDAQACEQMRAD8AWIJC2FKkQKyCwpIOa2J8gWbwHa5G/wCaNTYuwqBHnFJljVzGRgG9Il7qTcHtcAe2qumEvCqypmlllKQM/LLYxsVW4uq2G2s/hVS9ZYKEpkZcSsCAfdzcg/B0onH/2Q==',
  'base64',
);

export function makeJpeg(comment: string): Buffer {
  const text = Buffer.from(comment, 'utf8');
  const com = Buffer.alloc(4);
  com[0] = 0xff;
  com[1] = 0xfe;
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([TINY_JPEG.subarray(0, 2), com, text, TINY_JPEG.subarray(2)]);
}

/** A minimal valid 8-bit greyscale PNG. */
export function makePng(width: number, height: number, shade: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width + 1);
    for (let x = 0; x < width; x++) row[x + 1] = (shade + x * 13 + y * 7) & 0xff;
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/** An uncompressed little-endian multi-page 8-bit greyscale TIFF, one IFD per page. */
export function makeTiff(pages: Array<{ width: number; height: number; shade: number }>): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(8);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  parts.push(header);
  let offset = 8;
  const ifdOffsets: number[] = [];
  const ifdPatches: Array<{ buf: Buffer; at: number }> = [];
  for (const page of pages) {
    const pixels = Buffer.alloc(page.width * page.height);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (page.shade + i * 5) & 0xff;
    const pixelOffset = offset;
    parts.push(pixels);
    offset += pixels.length;
    if (offset % 2) {
      parts.push(Buffer.alloc(1));
      offset++;
    }
    const tags: Array<[number, number, number]> = [
      [256, 4, page.width],
      [257, 4, page.height],
      [258, 3, 8],
      [259, 3, 1],
      [262, 3, 1],
      [273, 4, pixelOffset],
      [277, 3, 1],
      [278, 4, page.height],
      [279, 4, pixels.length],
    ];
    const ifd = Buffer.alloc(2 + tags.length * 12 + 4);
    ifd.writeUInt16LE(tags.length, 0);
    tags.forEach(([tag, type, value], i) => {
      const at = 2 + i * 12;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(1, at + 4);
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    });
    ifdOffsets.push(offset);
    ifdPatches.push({ buf: ifd, at: 2 + tags.length * 12 });
    parts.push(ifd);
    offset += ifd.length;
  }
  header.writeUInt32LE(ifdOffsets[0] ?? 0, 4);
  ifdPatches.forEach((p, i) => p.buf.writeUInt32LE(ifdOffsets[i + 1] ?? 0, p.at));
  return Buffer.concat(parts);
}

/** A minimal valid PDF with `pages` empty A6 pages and a comment that varies its bytes. */
export function makePdf(pages: number, comment: string): Buffer {
  const objects: string[] = [];
  const kids = Array.from({ length: pages }, (_, i) => `${3 + i} 0 R`).join(' ');
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  for (let i = 0; i < pages; i++) objects.push('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] >>');
  let body = `%PDF-1.4\n% ${comment.replace(/[\r\n]/g, ' ')}\n`;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

// ---------------------------------------------------------------------------------------------------

const FIELD_COLUMNS = [
  'entityType', 'legalRepresentative', 'registeredCapital', 'establishedOn', 'address', 'businessScope',
  'premises', 'mainBusinessFormat', 'businessItems', 'supervisoryAuthority',
  'qualificationName', 'level', 'speciality', 'approvedOn', 'managementNumber', 'employer',
];
export const GENERATED_COLUMNS = [
  'source_system', 'source_record_id', 'licence_type', 'holder_id', 'holder_name', 'original_issue_date',
  'valid_from', 'valid_until', ...FIELD_COLUMNS.map((f) => `field.${f}`), 'scans', 'archive_location',
  'reviewing_clerk', 'old_registration_number',
];

const ORG_NAMES = ['北京𠮷𪚥餐饮管理有限公司', '臺灣麵館有限公司', '朝阳区建国路食品商店', '上海𠮷祥贸易有限责任公司', '廣州點心茶樓', '杭州西湖龍井茶业有限公司'];
const PERSON_NAMES = ['张𠮷', '陳大文', '王𪚥', '李小龍', '赵丽', '歐陽修文', '𠮷田太郎'];
const STREETS = ['建国路1号', '臺北路８８號', '麵粉厂胡同３号', '中山大道西２０５号', '人民路100号'];
const SYSTEMS = ['GSJ-1998', 'RSJ-ARCHIVE', 'SPJ-2003'];
const CLERKS = ['刘芳', '陳志強', '王𠮷', 'zhang.wei'];
const CN = '〇一二三四五六七八九';

interface Good {
  raw: Record<string, string>;
  jsonFields: Record<string, string>;
  date: { y: number; m: number; d: number }; // original issue date (for cosmetic re-formatting)
}

export function generateMessyManifest(options: MessyManifestOptions): GeneratedManifest {
  const rnd = mulberry32(options.seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number): boolean => rnd() < p;
  const format = options.format ?? 'csv';
  const encoding = format === 'jsonl' ? 'utf8' : (options.encoding ?? 'utf8-bom');
  const writeScans = options.writeScans ?? true;
  const richScans = options.richScans ?? true;
  const scansDir = path.join(options.dir, 'scans');
  fs.mkdirSync(scansDir, { recursive: true });
  const manifestPath = path.join(options.dir, format === 'jsonl' ? 'manifest.jsonl' : `manifest.${encoding}.csv`);
  const fd = fs.openSync(manifestPath, 'w');
  let pending: string[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.join('');
    fs.writeSync(fd, encoding === 'gb18030' ? iconv.encode(text, 'gb18030') : Buffer.from(text, 'utf8'));
    pending = [];
  };
  if (format === 'csv') {
    pending.push((encoding === 'utf8-bom' ? '\uFEFF' : '') + GENERATED_COLUMNS.join(',') + '\r\n');
  }
  const traits: Record<string, number> = {};
  const trait = (t: string): void => {
    traits[t] = (traits[t] ?? 0) + 1;
  };
  const writeScan = (name: string, bytes: Buffer): void => {
    if (writeScans) fs.writeFileSync(path.join(scansDir, name), bytes);
  };

  const fmtDate = (y: number, m: number, d: number, style: number): string => {
    const p2 = (n: number): string => String(n).padStart(2, '0');
    const cnDigits = (n: number): string => String(n).split('').map((c) => CN[Number(c)]).join('');
    const cnSmall = (n: number): string => (n < 10 ? CN[n]! : n === 10 ? '十' : n < 20 ? `十${CN[n - 10]}` : n % 10 === 0 ? `${CN[n / 10]}十` : `${CN[Math.floor(n / 10)]}十${CN[n % 10]}`);
    const fw = (s: string): string => s.replace(/[0-9-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    switch (style) {
      case 0: return `${y}-${p2(m)}-${p2(d)}`;
      case 1: return `${y}/${m}/${d}`;
      case 2: return `${y}.${p2(m)}.${p2(d)}`;
      case 3: return `${y}${p2(m)}${p2(d)}`;
      case 4: return `${y}年${m}月${d}日`;
      case 5: return `${y}年${p2(m)}月${p2(d)}日`;
      case 6: return `${cnDigits(y)}年${cnSmall(m)}月${cnSmall(d)}日`;
      default: return fw(`${y}-${p2(m)}-${p2(d)}`);
    }
  };
  const DATE_STYLES = 8;
  const randomDate = (y0: number, y1: number): { y: number; m: number; d: number } => ({ y: int(y0, y1), m: int(1, 12), d: int(1, 28) });

  const residentId = (): { id18: string; id15: string } => {
    const region = pick(['110105', '310104', '440103', '350102', '330106']);
    const y = int(1930, 1979);
    const m = int(1, 12);
    const d = int(1, 28);
    const seq = String(int(0, 999)).padStart(3, '0');
    const yymmdd = `${String(y).slice(2)}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
    const first17 = `${region}19${yymmdd}${seq}`;
    return { id18: first17 + computeResidentIdCheck(first17), id15: `${region}${yymmdd}${seq}` };
  };
  const uscc = (): string => {
    const orgChars = USCC_CHARSET;
    for (;;) {
      let body = '';
      for (let i = 0; i < 8; i++) body += orgChars[int(0, orgChars.length - 1)];
      const orgCheck = computeOrganisationCodeCheck(body);
      if (!USCC_CHARSET.includes(orgCheck)) continue;
      const first17 = `91${pick(['110105', '310104', '440103', '350100'])}${body}${orgCheck}`;
      return first17 + computeUsccCheck(first17);
    }
  };
  const fullWidth = (s: string): string => s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

  const makeGood = (i: number, recordId: string): Good => {
    const type = pick(['business-licence', 'food-business-licence', 'professional-qualification'] as const);
    trait(type);
    const raw: Record<string, string> = Object.fromEntries(GENERATED_COLUMNS.map((c) => [c, '']));
    const fields: Record<string, string> = {};
    raw.source_system = pick(SYSTEMS);
    raw.source_record_id = recordId;
    raw.licence_type = type;
    const issue = randomDate(1985, 2015);
    raw.original_issue_date = fmtDate(issue.y, issue.m, issue.d, int(0, DATE_STYLES - 1));
    if (raw.original_issue_date.includes('〇') || /[一二三四五六七八九]年/.test(raw.original_issue_date)) trait('chinese-numeral-date');
    raw.valid_from = fmtDate(issue.y, issue.m, issue.d, int(0, DATE_STYLES - 1));
    const untilStyle = int(0, 3);
    if (untilStyle === 0) raw.valid_until = '';
    else if (untilStyle === 1) raw.valid_until = '长期';
    else raw.valid_until = fmtDate(issue.y + int(5, 30), issue.m, issue.d, int(0, DATE_STYLES - 1));
    raw.archive_location = `档案室${int(1, 9)}号柜-第${int(1, 40)}层-${recordId}`;
    raw.reviewing_clerk = pick(CLERKS);
    if (type === 'professional-qualification') {
      const id = residentId();
      const style = int(0, 9);
      if (style < 3) {
        raw.holder_id = id.id15;
        trait('id-15-digit');
      } else if (style < 5) {
        raw.holder_id = fullWidth(id.id18);
        trait('full-width-id');
      } else raw.holder_id = id.id18;
      raw.holder_name = pick(PERSON_NAMES);
      fields.qualificationName = pick(['注册会计师', '一级建造师', '執業藥師']);
      fields.level = pick(['初级', '中级', '高级']);
      const approved = randomDate(1985, 2015);
      fields.approvedOn = fmtDate(approved.y, approved.m, approved.d, int(0, DATE_STYLES - 1));
      fields.managementNumber = `GL${int(100000, 999999)}${i}`;
      if (chance(0.5)) fields.employer = pick(ORG_NAMES);
    } else {
      const id = uscc();
      if (chance(0.2)) {
        raw.holder_id = fullWidth(id.toLowerCase());
        trait('full-width-id');
      } else raw.holder_id = id;
      raw.holder_name = pick(ORG_NAMES);
      if (chance(0.4)) {
        raw.old_registration_number = String(int(110000000000000, 119999999999999));
        trait('old-registration-number');
      }
      fields.legalRepresentative = pick(PERSON_NAMES);
      if (type === 'business-licence') {
        fields.entityType = pick(['有限责任公司', '個體工商戶', '股份有限公司']);
        fields.registeredCapital = `人民币${pick(['壹佰', '伍拾', '贰佰'])}万元整`;
        const est = randomDate(1980, issue.y);
        fields.establishedOn = fmtDate(est.y, est.m, Math.min(est.d, 28), int(0, DATE_STYLES - 1));
        fields.address = `北京市朝阳区${pick(STREETS)}`;
        fields.businessScope = pick(['餐饮服务', '麵食製售', '食品销售；日用百货']);
      } else {
        fields.premises = `上海市徐汇区${pick(STREETS)}`;
        fields.mainBusinessFormat = pick(['餐饮服务经营者', '食品销售经营者', '单位食堂']);
        fields.businessItems = pick(['热食类食品制售', '預包裝食品銷售']);
        if (chance(0.5)) fields.supervisoryAuthority = '徐汇区市场监督管理局';
      }
    }
    if (/[\u{10000}-\u{10FFFF}]/u.test(raw.holder_name)) trait('non-bmp-name');
    if (/[臺灣麵館陳龍點樓歐]/.test(raw.holder_name)) trait('traditional-name');
    for (const [k, v] of Object.entries(fields)) raw[`field.${k}`] = v;
    // Scans.
    const names: string[] = [];
    const nScans = chance(0.2) ? 2 : 1;
    for (let s = 0; s < nScans; s++) {
      const r = rnd();
      if (richScans && r < 0.03) {
        const name = `${recordId}-${s + 1}.tif`;
        writeScan(name, makeTiff([{ width: 12, height: 9, shade: int(0, 255) }, { width: 10, height: 14, shade: int(0, 255) }]));
        names.push(name);
        trait('tiff-scan');
      } else if (richScans && r < 0.06) {
        const name = `${recordId}-${s + 1}.pdf`;
        writeScan(name, makePdf(int(1, 3), `scan of ${recordId}`));
        names.push(name);
        trait('pdf-scan');
      } else if (r < 0.3) {
        const name = `${recordId}-${s + 1}${chance(0.2) ? '.jpg' : '.png'}`; // some PNGs carry a .jpg name
        writeScan(name, makePng(int(4, 12), int(4, 12), int(0, 255)));
        names.push(name);
        trait('png-scan');
      } else {
        const name = `${recordId}-${s + 1}.jpg`;
        writeScan(name, makeJpeg(`licence-vault test scan ${recordId}/${s + 1}`));
        names.push(name);
        trait('jpeg-scan');
      }
    }
    raw.scans = names.join(chance(0.1) ? ' ; ' : ';');
    return { raw, jsonFields: fields, date: issue };
  };

  const emit = (raw: Record<string, string>): void => {
    if (format === 'csv') pending.push(GENERATED_COLUMNS.map((c) => csvCell(raw[c] ?? '')).join(',') + '\r\n');
    else {
      const obj: Record<string, unknown> = {};
      const fields: Record<string, string> = {};
      for (const c of GENERATED_COLUMNS) {
        const v = raw[c] ?? '';
        if (c.startsWith('field.')) {
          if (v !== '') fields[c.slice(6)] = v;
        } else obj[c] = v;
      }
      obj.fields = fields;
      pending.push(JSON.stringify(obj) + '\n');
    }
    if (pending.length >= 500) flush();
  };

  const normaliserRejected: Record<string, number> = {};
  const scanRejected: Record<string, number> = {};
  const rejectedRows = new Map<number, InjectedCode>();
  const reject = (row: number, code: InjectedCode): void => {
    rejectedRows.set(row, code);
    const bucket = code === 'CORRUPT_SCAN' ? scanRejected : normaliserRejected;
    bucket[code] = (bucket[code] ?? 0) + 1;
  };
  let issued = 0;
  let duplicates = 0;
  let conflicts = 0;
  const pool: Good[] = []; // recent issued rows, bounded
  for (let row = 1; row <= options.rows; row++) {
    const recordId = `R${String(row).padStart(7, '0')}`;
    const r = rnd();
    if (r < 0.05 && pool.length > 0) {
      // Duplicate: same key, same content; sometimes the issue date in another historic format.
      const g = pick(pool);
      const copy = { ...g.raw };
      if (chance(0.5)) copy.original_issue_date = fmtDate(g.date.y, g.date.m, g.date.d, int(0, DATE_STYLES - 1));
      emit(copy);
      duplicates++;
      continue;
    }
    if (r < 0.08 && pool.length > 0) {
      const g = pick(pool);
      emit({ ...g.raw, archive_location: `${g.raw.archive_location}-移库${row}` });
      conflicts++;
      continue;
    }
    const good = makeGood(row, recordId);
    const raw = good.raw;
    const bad = rnd();
    if (bad < 0.6) {
      emit(raw);
      issued++;
      if (pool.length < 64) pool.push(good);
      else pool[int(0, 63)] = good;
      continue;
    }
    const kind = Math.floor(((bad - 0.6) / 0.4) * 8);
    switch (kind) {
      case 0: {
        // Invalid check character: bump the last character of a valid 18-char id.
        const id = raw.holder_id!.normalize('NFKC').toUpperCase();
        const id18 = id.length === 15 ? null : id;
        if (id18 === null) {
          raw.holder_id = `${id.slice(0, 6)}19${id.slice(6)}`; // 17 digits: wrong length, also BAD_HOLDER_ID
        } else {
          const charset = raw.licence_type === 'professional-qualification' ? '0123456789X' : USCC_CHARSET;
          const last = id18.slice(-1);
          const next = charset[(charset.indexOf(last) + 1) % charset.length]!;
          raw.holder_id = id18.slice(0, 17) + next;
        }
        reject(row, 'BAD_HOLDER_ID');
        break;
      }
      case 1:
        raw[pick(['holder_name', 'archive_location', 'reviewing_clerk', 'source_system'])] = pick(['', '  ', '\u3000']);
        reject(row, 'EMPTY_REQUIRED');
        break;
      case 2:
        if (chance(0.3)) raw.scans = '';
        else {
          raw.scans = `${raw.scans};${recordId}-lost.jpg`;
        }
        reject(row, 'MISSING_SCAN');
        break;
      case 3:
        raw.original_issue_date = pick(['1999-02-30', '一九九九年二月三十日', '2001/13/01', '98.3.5', '二〇〇三年十三月一日', 'unknown']);
        reject(row, 'BAD_DATE');
        break;
      case 4: {
        const from = good.date; // valid_from of a generated row is its issue date
        raw.valid_until = `${from.y - 1}-${String(from.m).padStart(2, '0')}-${String(from.d).padStart(2, '0')}`;
        reject(row, 'BAD_VALIDITY');
        break;
      }
      case 5:
        raw.licence_type = pick(['business-licence-1998', 'food-licence', '营业执照']);
        reject(row, 'UNKNOWN_TYPE');
        break;
      case 6:
        if (raw.licence_type === 'professional-qualification') raw['field.level'] = '特级';
        else if (raw.licence_type === 'food-business-licence') raw['field.mainBusinessFormat'] = '小吃摊';
        else raw['field.address'] = '';
        reject(row, 'FIELD_INVALID');
        break;
      default: {
        // Corrupt scan: a truncated JPEG (passes the normaliser, fails loadScan).
        const name = `${recordId}-truncated.jpg`;
        const jpeg = makeJpeg(`truncated ${recordId}`);
        writeScan(name, jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
        raw.scans = name;
        reject(row, 'CORRUPT_SCAN');
      }
    }
    emit(raw);
  }
  flush();
  fs.closeSync(fd);
  const rejected: Record<string, number> = { ...normaliserRejected, ...scanRejected };
  const rejectedTotal = Object.values(rejected).reduce((a, b) => a + b, 0);
  return {
    manifestPath,
    scansDir,
    rejectedRows,
    expected: {
      totalRows: options.rows,
      normaliserOk: options.rows - (rejectedTotal - (scanRejected.CORRUPT_SCAN ?? 0)),
      normaliserRejected,
      scanRejected,
      rejected,
      issued,
      duplicates,
      conflicts,
      traits,
    },
  };
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
