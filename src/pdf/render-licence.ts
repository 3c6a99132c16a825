/**
 * The e-licence PDF: one A4 page in the manner of a Chinese licence, then the scans of the historic paper
 * (digitized licences), signed as PAdES B-B in the same pass.
 *
 * The page is composed straight into content-stream text: every string is split by the FontChain into
 * single-font runs, and each run is shown as the hex string of its glyphs' ids in that font's per-document
 * subset (pdf-fonts.ts). The document is then written object by object (pdf-writer.ts), with the signature
 * dictionary's /ByteRange and /Contents placeholders at offsets known as they are written, and signed
 * (pades.ts) — one pass, no save-and-search.
 *
 * What the page shows, each fact once (issue 21, item 7):
 *   title (zh, en) · the licence number · the holder's name, large, and identifier (公民身份号码 for a
 *   person, 统一社会信用代码 for an organisation) · a person's photo, when the type has one · the type's
 *   fields and the validity (dates as 2026年12月07日 / 7 Dec 2026; no end date reads 长期 / Long-term) ·
 *   for a digitized licence, where the paper original came from · the QR code to the verification page,
 *   with the verification code printed beside it · the issuing department and the date of issue, under
 *   the department's red seal.
 * The licence id and the verification code are also written into the document information dictionary
 * (/LicenceId, /LicenceVerificationCode), which the signature covers like every byte but /Contents;
 * src/verify/pdf-metadata.ts reads them back.
 */
import { createHash } from 'node:crypto';
import QRCode from 'qrcode';
import type { FontChain } from './fonts.ts';
import { DocumentFonts } from './pdf-fonts.ts';
import { pdfImage } from './pdf-images.ts';
import type { PdfImage } from './pdf-images.ts';
import { num, pdfText, PdfWriter } from './pdf-writer.ts';
import { BYTE_RANGE_PLACEHOLDER_TEXT, cadesSignatureSize, fillSignature, pdfDate, SIGNATURE_SIZE_MARGIN, signerCommonName } from './pades.ts';
import type { PadesOptions, PadesSigner, SignaturePlaceholder } from './pades.ts';
import { sealGeometry, sealSerial } from './seal.ts';

import type { LicenceDocumentInput } from '../licences/licence-document.ts';

export type { LicenceDocumentField, LicenceDocumentInput, LicenceScan } from '../licences/licence-document.ts';

/** Rectangle in PDF user space (points, origin bottom-left). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LicenceLayout {
  page: { width: number; height: number };
  /** Area where the holder name is drawn (its actual width). */
  holderName: Box;
  /** One box per code point of the holder name (advance width × font-size height). */
  holderNameChars: Array<Box & { char: string }>;
  qr: Box;
  /** The verification code as printed beside the QR code. */
  verificationCode: Box;
  /** The issuing department's name as printed (the seal lies partly over it). */
  issuerName: Box;
  /** The seal: centre and outer radius, and its bounding box. */
  seal: Box & { cx: number; cy: number; r: number; serial: string };
  /** The photo's frame, when the licence has a photo. */
  photo: Box | null;
}

export interface RenderedLicence {
  pdf: Uint8Array;
  layout: LicenceLayout;
}

// ---------------------------------------------------------------------------------------------------
// Page geometry (points; A4 portrait). "top" values are distances from the top edge.
// ---------------------------------------------------------------------------------------------------

export const PAGE_WIDTH = 595.28;
export const PAGE_HEIGHT = 841.89;
const MARGIN_X = 58;
const CONTENT_W = PAGE_WIDTH - 2 * MARGIN_X;
const RIGHT = MARGIN_X + CONTENT_W;
export const HOLDER_NAME_SIZE = 26;
/** Baseline of the holder name (distance from the top edge). */
export const HOLDER_NAME_BASELINE_FROM_TOP = 216;
const LABEL_COL_W = 132;
/** A 35 × 45 mm photo box (the size of a Chinese ID photo, 小二寸 / GB/T 35661 passport-style). */
const PHOTO_W = (35 * 72) / 25.4;
const PHOTO_H = (45 * 72) / 25.4;
const QR_SIZE = 92;
/** A 42 mm seal, the size GA 241 gives the round seals of state organs. */
const SEAL_R = (21 * 72) / 25.4;
/** The bottom block (QR, verification code, issuer, seal) starts here; the table must end above it. */
const BOTTOM_BLOCK_TOP = 612;

interface Colour {
  fill: string;
  stroke: string;
}
const colour = (r: number, g: number, b: number): Colour => ({ fill: `${num(r, 3)} ${num(g, 3)} ${num(b, 3)} rg`, stroke: `${num(r, 3)} ${num(g, 3)} ${num(b, 3)} RG` });
const C_INK = colour(0.1, 0.1, 0.12);
const C_MUTED = colour(0.36, 0.36, 0.4);
const C_ACCENT = colour(0.6, 0.1, 0.09);
const C_RULE = colour(0.55, 0.55, 0.58);
const C_SHADE = colour(0.97, 0.95, 0.91);
/** Seal red #D7000F. */
const C_SEAL = colour(215 / 255, 0, 15 / 255);

// ---------------------------------------------------------------------------------------------------
// Dates: the calendar day in China (UTC+8, no daylight saving), written the Chinese way and in English.
// ---------------------------------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Day {
  y: number;
  m: number;
  d: number;
}

/** `2026-12-07` as written; an instant (`2026-12-06T17:30:00Z`) as its calendar day in Beijing. */
function calendarDay(text: string): Day | null {
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (plain) return { y: Number(plain[1]), m: Number(plain[2]), d: Number(plain[3]) };
  const t = Date.parse(text);
  if (Number.isNaN(t)) return null;
  const beijing = new Date(t + 8 * 3600_000);
  return { y: beijing.getUTCFullYear(), m: beijing.getUTCMonth() + 1, d: beijing.getUTCDate() };
}

const zhDay = (d: Day): string => `${d.y}年${String(d.m).padStart(2, '0')}月${String(d.d).padStart(2, '0')}日`;
const enDay = (d: Day): string => `${d.d} ${MONTHS[d.m - 1]} ${d.y}`;

/** Chinese and English forms of a date; text that is not a date is shown as it is, in both. */
function dateText(text: string): { zh: string; en: string } {
  const day = calendarDay(text);
  return day ? { zh: zhDay(day), en: enDay(day) } : { zh: text, en: text };
}

// ---------------------------------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------------------------------

interface TextStyle {
  colour?: Colour;
  /** Extra space after each character, in points (Tc). */
  spacing?: number;
  /** Fill and stroke (Tr 2): a heavier weight without another font file. */
  bold?: boolean;
}

/**
 * A content stream being written, with the fonts and images it uses. It is kept in three layers, written
 * in this order: graphics (frame, rules, shading, QR code, images), all text in one text object, and the
 * overlay (the seal, which lies over the text). One text object lets each line be placed relative to the
 * last (Td) and font, colour and rendering mode be set only when they change: the stream is about half
 * the size it is with one BT…ET, Tf and colour per line.
 */
class Composer {
  readonly graphics: string[] = [];
  readonly texts: string[] = [];
  readonly overlay: string[] = [];
  readonly images = new Map<string, PdfImage>();
  usesSealState = false;
  // Text state inside the text object (ISO 32000-1 §9.3): what the last operators set.
  private font = '';
  private fill = '';
  private stroke = '';
  private bold = false;
  private charSpacing = 0;
  private lineX = 0;
  private lineY = 0;

  constructor(
    readonly chain: FontChain,
    readonly fonts: DocumentFonts,
  ) {}

  width(text: string, size: number, spacing = 0): number {
    const w = this.chain.widthOfText(text, size);
    return spacing ? w + spacing * Math.max(0, [...text].length - 1) : w;
  }

  /** Shows `text` with its baseline at `top` from the page top, starting at x; returns its width. */
  text(text: string, x: number, top: number, size: number, style: TextStyle = {}): number {
    const runs = this.chain.split(text);
    if (runs.length === 0) return 0;
    const { colour: c = C_INK, spacing = 0, bold = false } = style;
    const ops: string[] = [];
    if (this.fill !== c.fill) ops.push((this.fill = c.fill));
    if (bold !== this.bold) {
      ops.push(bold ? '2 Tr' : '0 Tr');
      this.bold = bold;
    }
    if (bold) {
      if (this.stroke !== c.stroke) ops.push((this.stroke = c.stroke));
      ops.push(`${num(size * 0.03)} w`);
    }
    if (spacing !== this.charSpacing) ops.push(`${num(spacing)} Tc`), (this.charSpacing = spacing);
    let cx = x;
    let count = 0;
    const y = PAGE_HEIGHT - top;
    for (const [i, r] of runs.entries()) {
      const font = `/${DocumentFonts.resourceName(r.fontIndex)} ${num(size)} Tf`;
      if (font !== this.font) ops.push((this.font = font));
      const tx = i === 0 ? x : cx;
      const ty = i === 0 ? y : this.lineY;
      // Td moves relative to the last line start: track where the rounded moves really put it, so rounding
      // never accumulates down the page.
      const dx = Math.round((tx - this.lineX) * 100) / 100;
      const dy = Math.round((ty - this.lineY) * 100) / 100;
      ops.push(`${num(dx)} ${num(dy)} Td ${this.fonts.encode(r.fontIndex, r.text)} Tj`);
      this.lineX += dx;
      this.lineY += dy;
      const chars = [...r.text].length;
      count += chars;
      cx += this.chain.widthOfRun(r.fontIndex, r.text, size) + spacing * chars;
    }
    this.texts.push(ops.join(' '));
    return cx - x - spacing * Math.min(1, count);
  }

  centred(text: string, centreX: number, top: number, size: number, style: TextStyle = {}): number {
    const w = this.width(text, size, style.spacing);
    this.text(text, centreX - w / 2, top, size, style);
    return w;
  }

  rect(x: number, top: number, w: number, h: number, style: { stroke?: Colour; fill?: Colour; lw?: number }): void {
    const y = PAGE_HEIGHT - top - h;
    const paint = style.fill && style.stroke ? 'B' : style.fill ? 'f' : 'S';
    this.graphics.push(`q ${style.fill?.fill ?? ''} ${style.stroke ? `${style.stroke.stroke} ${num(style.lw ?? 1)} w` : ''} ${num(x)} ${num(y)} ${num(w)} ${num(h)} re ${paint} Q`);
  }

  hline(x1: number, x2: number, top: number, c: Colour = C_RULE, lw = 0.5): void {
    const y = num(PAGE_HEIGHT - top);
    this.graphics.push(`q ${c.stroke} ${num(lw)} w ${num(x1)} ${y} m ${num(x2)} ${y} l S Q`);
  }

  vline(x: number, top1: number, top2: number, c: Colour = C_RULE, lw = 0.5): void {
    this.graphics.push(`q ${c.stroke} ${num(lw)} w ${num(x)} ${num(PAGE_HEIGHT - top1)} m ${num(x)} ${num(PAGE_HEIGHT - top2)} l S Q`);
  }

  /** Draws an image into a box (PDF coordinates), scaled to fit inside it and centred. */
  image(image: PdfImage, box: Box): Box {
    const name = `Im${this.images.size}`;
    this.images.set(name, image);
    const scale = Math.min(box.width / image.width, box.height / image.height);
    const w = image.width * scale;
    const h = image.height * scale;
    const x = box.x + (box.width - w) / 2;
    const y = box.y + (box.height - h) / 2;
    this.graphics.push(`q ${num(w)} 0 0 ${num(h)} ${num(x)} ${num(y)} cm /${name} Do Q`);
    return { x, y, width: w, height: h };
  }

  /** The page's content stream. */
  content(): string {
    const text = this.texts.length ? `BT\n${this.texts.join('\n')}\nET` : '';
    return [...this.graphics, text, ...this.overlay].join('\n');
  }

  /**
   * Greedy line wrapping: CJK characters break anywhere, other words at spaces, with the line-breaking
   * rules of Chinese typesetting (禁则, GB/T 15834 and W3C clreq §3.1.7): closing punctuation never
   * starts a line (it hangs at the end of the previous one), opening punctuation never ends one.
   */
  wrap(text: string, size: number, maxWidth: number): string[] {
    const out: string[] = [];
    for (const para of text.split(/\r?\n/)) {
      const tokens = para.match(WRAP_TOKENS) ?? [''];
      let line = '';
      let lineW = 0;
      const push = () => {
        out.push(line.trimEnd());
        line = '';
        lineW = 0;
      };
      for (const tok of tokens) {
        const w = this.width(tok, size);
        if (line !== '' && NO_LINE_START.has(tok)) {
          line += tok; // hangs past the measure by at most one punctuation mark
          lineW += w;
          continue;
        }
        if (lineW + w > maxWidth && [...line].length > 1 && NO_LINE_END.has([...line].pop()!)) {
          // An opening bracket or quote moves down with the text it opens.
          const open = [...line].pop()!;
          line = line.slice(0, -open.length);
          push();
          line = open;
          lineW = this.width(open, size);
        }
        if (lineW + w <= maxWidth || line === '') {
          if (line === '' && /^\s+$/.test(tok)) continue;
          if (w > maxWidth) {
            // A single over-long token (URL, long id): break by code point.
            for (const ch of tok) {
              const cw = this.width(ch, size);
              if (lineW + cw > maxWidth && line !== '') push();
              line += ch;
              lineW += cw;
            }
            continue;
          }
          line += tok;
          lineW += w;
        } else {
          push();
          if (!/^\s+$/.test(tok)) {
            line = tok;
            lineW = w;
          }
        }
      }
      if (line !== '' || out.length === 0) push();
    }
    return out;
  }
}

const CJK = '\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u{20000}-\u{3ffff}';
/** Punctuation that may not begin a line, and that may not end one (Chinese line breaking). */
const NO_LINE_START = new Set([...'，。、；：？！）》」』】〕〉〗”’…—·％,.;:?!)]}%']);
const NO_LINE_END = new Set([...'（《「『【〔〈〖“‘([{']);
/** One CJK character (or full-width punctuation), a run of spaces, or a run of anything else. */
const WRAP_TOKENS = new RegExp(`[${CJK}]|\\s+|[^\\s${CJK}]+`, 'gu');

// ---------------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------------

interface Row {
  labelZh: string;
  labelEn: string;
  /** Lines in ink, then lines in the muted colour (the English of a date, for instance). */
  value: string;
  valueEn?: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function tableRows(input: LicenceDocumentInput): Row[] {
  const rows: Row[] = input.fields.map((f) => {
    const value = f.value.trim();
    if (ISO_DATE.test(value)) {
      const d = dateText(value);
      return { labelZh: f.labelZh, labelEn: f.labelEn, value: d.zh, valueEn: d.en };
    }
    return { labelZh: f.labelZh, labelEn: f.labelEn, value };
  });
  const from = dateText(input.validFrom);
  const until = input.validUntil ? dateText(input.validUntil) : { zh: '长期', en: 'Long-term' };
  rows.push({ labelZh: '有效期限', labelEn: 'Validity', value: `${from.zh} 至 ${until.zh}`, valueEn: `${from.en} – ${until.en}` });
  return rows;
}

/** Lays out the table at a given scale from `top`; returns its bottom, and draws it when `emit`. */
function layoutTable(c: Composer, rows: Row[], top0: number, scale: number, emit: boolean): number {
  const x0 = MARGIN_X;
  const x1 = MARGIN_X + LABEL_COL_W;
  const x2 = RIGHT;
  const labelSize = 10 * scale;
  const labelEnSize = 7 * scale;
  const valueSize = 11 * scale;
  const valueEnSize = 8.5 * scale;
  const lead = valueSize * 1.5;
  const pad = 6.5 * scale;
  let top = top0;
  const lines: number[] = [];
  const shades: string[] = [];
  for (const row of rows) {
    const valueLines = c.wrap(row.value, valueSize, x2 - x1 - 2 * pad);
    const valueEnLines = row.valueEn ? c.wrap(row.valueEn, valueEnSize, x2 - x1 - 2 * pad) : [];
    const labelLines = c.wrap(row.labelZh, labelSize, LABEL_COL_W - 2 * pad);
    const labelEnLines = c.wrap(row.labelEn, labelEnSize, LABEL_COL_W - 2 * pad);
    const labelH = labelLines.length * labelSize * 1.35 + labelEnLines.length * labelEnSize * 1.3;
    const valueH = valueLines.length * lead + valueEnLines.length * valueEnSize * 1.4;
    const h = Math.max(labelH, valueH) + 2 * pad - 2 * scale;
    if (emit) {
      shades.push(`${num(x0)} ${num(PAGE_HEIGHT - top - h)} ${num(LABEL_COL_W)} ${num(h)} re`);
      let ly = top + pad + labelSize * 0.95;
      for (const l of labelLines) {
        c.text(l, x0 + pad, ly, labelSize, { colour: C_INK });
        ly += labelSize * 1.35;
      }
      ly -= labelSize * 0.15;
      for (const l of labelEnLines) {
        c.text(l, x0 + pad, ly, labelEnSize, { colour: C_MUTED });
        ly += labelEnSize * 1.3;
      }
      let vy = top + pad + valueSize * 0.95;
      for (const l of valueLines) {
        c.text(l, x1 + pad, vy, valueSize);
        vy += lead;
      }
      vy -= valueSize * 0.35;
      for (const l of valueEnLines) {
        c.text(l, x1 + pad, vy, valueEnSize, { colour: C_MUTED });
        vy += valueEnSize * 1.4;
      }
    }
    top += h;
    lines.push(top);
  }
  if (emit) {
    // One path per paint: the label column's shading, the rules, the frame.
    const rules = lines.slice(0, -1).map((y) => `${num(x0)} ${num(PAGE_HEIGHT - y)} m ${num(x2)} ${num(PAGE_HEIGHT - y)} l`);
    rules.push(`${num(x1)} ${num(PAGE_HEIGHT - top0)} m ${num(x1)} ${num(PAGE_HEIGHT - top)} l`);
    c.graphics.push(`q ${C_SHADE.fill} ${shades.join(' ')} f ${C_RULE.stroke} 0.4 w ${rules.join(' ')} S Q`);
    c.rect(x0, top0, CONTENT_W, top - top0, { stroke: C_INK, lw: 0.8 });
  }
  return top;
}

/**
 * The QR code as filled rectangles in module units (one `cm` scales them): each row's dark runs, merged
 * down the rows where the same run repeats. Error correction M; node-qrcode picks the segment modes and
 * the mask as ISO/IEC 18004 asks (lowest penalty).
 */
function qrOperators(url: string, x: number, y: number, size: number): string {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const data = modules.data;
  const open = new Map<string, { c: number; len: number; r0: number; r1: number }>();
  const rects: string[] = [];
  const close = (run: { c: number; len: number; r0: number; r1: number }) => rects.push(`${run.c} ${n - 1 - run.r1} ${run.len} ${run.r1 - run.r0 + 1} re`);
  for (let r = 0; r < n; r++) {
    const seen = new Set<string>();
    let c = 0;
    while (c < n) {
      if (!data[r * n + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < n && data[r * n + c]) c++;
      const key = `${start},${c - start}`;
      seen.add(key);
      const run = open.get(key);
      if (run && run.r1 === r - 1) run.r1 = r;
      else {
        if (run) close(run);
        open.set(key, { c: start, len: c - start, r0: r, r1: r });
      }
    }
    for (const [key, run] of open) {
      if (!seen.has(key)) {
        close(run);
        open.delete(key);
      }
    }
  }
  for (const run of open.values()) close(run);
  const m = size / n;
  return `q 0 0 0 rg ${num(m, 4)} 0 0 ${num(m, 4)} ${num(x)} ${num(y)} cm ${rects.join(' ')} f Q`;
}

/** The page URL people can type: the verification page without the licence's own path and code. */
function verifySite(verifyUrl: string): string {
  try {
    const u = new URL(verifyUrl);
    const path = u.pathname.replace(/\/[^/]*$/, '');
    return `${u.host}${path}`;
  } catch {
    return verifyUrl;
  }
}

interface Composed {
  c: Composer;
  layout: LicenceLayout;
}

function compose(input: LicenceDocumentInput, chain: FontChain): Composed {
  const c = new Composer(chain, new DocumentFonts(chain));
  const isPerson = input.holderKind === 'person';

  // Frame: a heavy and a fine red line.
  c.rect(20, 20, PAGE_WIDTH - 40, PAGE_HEIGHT - 40, { stroke: C_ACCENT, lw: 2.4 });
  c.rect(26, 26, PAGE_WIDTH - 52, PAGE_HEIGHT - 52, { stroke: C_ACCENT, lw: 0.6 });

  // Title: short titles are spaced out, as printed licences set them (营 业 执 照).
  const titleChars = [...input.typeNameZh].length;
  const titleSize = titleChars > 12 ? 22 : 27;
  const titleSpacing = titleChars <= 4 ? titleSize * 0.6 : titleChars <= 7 ? titleSize * 0.2 : 0;
  c.centred(input.typeNameZh, PAGE_WIDTH / 2, 90, titleSize, { bold: true, spacing: titleSpacing });
  c.centred(input.typeNameEn, PAGE_WIDTH / 2, 114, 12.5, { colour: C_INK });
  c.hline(MARGIN_X, RIGHT, 133, C_ACCENT, 1.2);
  c.hline(MARGIN_X, RIGHT, 135.6, C_ACCENT, 0.4);

  // The licence number: once, here.
  let x = MARGIN_X;
  x += c.text('证照编号', x, 157, 10, { colour: C_MUTED }) + 4;
  x += c.text('Licence No.', x, 157, 7.5, { colour: C_MUTED }) + 10;
  c.text(input.licenceId, x, 157, 11.5);

  // The photo (a person's certificate), top right beside the holder.
  let photo: Box | null = null;
  let holderRight = RIGHT;
  if (input.photo) {
    const frame: Box = { x: RIGHT - PHOTO_W, y: PAGE_HEIGHT - 146 - PHOTO_H, width: PHOTO_W, height: PHOTO_H };
    c.image(pdfImage(input.photo.kind, input.photo.bytes), frame);
    c.rect(frame.x, 146, PHOTO_W, PHOTO_H, { stroke: C_RULE, lw: 0.5 });
    photo = frame;
    holderRight = frame.x - 14;
  }

  // The holder: name large, identifier under it.
  x = MARGIN_X;
  x += c.text(isPerson ? '姓名' : '名称', x, 182, 10, { colour: C_MUTED }) + 4;
  c.text('Name', x, 182, 7.5, { colour: C_MUTED });
  const holderWidth = holderRight - MARGIN_X;
  const nameSize = Math.min(HOLDER_NAME_SIZE, (HOLDER_NAME_SIZE * holderWidth) / Math.max(1, c.width(input.holderName, HOLDER_NAME_SIZE)));
  const nameW = c.text(input.holderName, MARGIN_X, HOLDER_NAME_BASELINE_FROM_TOP, nameSize);
  const baselineY = PAGE_HEIGHT - HOLDER_NAME_BASELINE_FROM_TOP;
  const holderNameChars: Array<Box & { char: string }> = [];
  let cx = MARGIN_X;
  for (const r of chain.split(input.holderName)) {
    for (const ch of r.text) {
      const w = chain.widthOfRun(r.fontIndex, ch, nameSize);
      holderNameChars.push({ char: ch, x: cx, y: baselineY - nameSize * 0.2, width: w, height: nameSize * 1.08 });
      cx += w;
    }
  }
  const holderName: Box = { x: MARGIN_X, y: baselineY - nameSize * 0.2, width: nameW, height: nameSize * 1.08 };
  const idLabelZh = isPerson ? '公民身份号码' : '统一社会信用代码';
  const idLabelEn = isPerson ? 'Citizen ID number' : 'Unified social credit code';
  x = MARGIN_X;
  x += c.text(idLabelZh, x, 242, 10, { colour: C_MUTED }) + 4;
  x += c.text(idLabelEn, x, 242, 7.5, { colour: C_MUTED }) + 10;
  c.text(input.holderId, x, 242, 12);

  // The table: shrinks to fit above the bottom block.
  const tableTop = Math.max(258, photo ? PAGE_HEIGHT - photo.y + 12 : 0);
  const rows = tableRows(input);
  const d = input.digitizedFromPaper;
  const scans = input.scans ?? [];
  let banner: { zh: string[]; en: string[]; height: number } | null = null;
  if (d) {
    const day = dateText(d.originalIssueDate);
    const pages = scans.some((s) => s.images?.length);
    const attached = scans.some((s) => s.pdfBytes);
    const whereZh = pages && attached ? '扫描件附后并作为附件嵌入' : pages ? '扫描件附后' : attached ? '扫描件作为附件嵌入' : '';
    const whereEn = pages && attached ? 'scans follow and are attached' : pages ? 'scans follow' : attached ? 'scans attached' : '';
    const zh = `本电子证照由纸质证照转换生成。原证发证日期：${day.zh}` + (d.archiveLocation ? `；原件存档：${d.archiveLocation}` : '') + (whereZh ? `；${whereZh}` : '') + '。';
    const en = `Digitized from a paper licence issued ${day.en}` + (d.archiveLocation ? `; original archived at ${d.archiveLocation}` : '') + (whereEn ? `; ${whereEn}` : '') + '.';
    const zhLines = c.wrap(zh, 9, CONTENT_W - 16).slice(0, 3);
    const enLines = c.wrap(en, 7.5, CONTENT_W - 16).slice(0, 3);
    banner = { zh: zhLines, en: enLines, height: 12 + zhLines.length * 13 + enLines.length * 10.5 };
  }
  const limit = BOTTOM_BLOCK_TOP - (banner ? banner.height + 10 : 0) - 8;
  let scale = 1;
  while (layoutTable(c, rows, tableTop, scale, false) > limit) {
    scale -= 0.05;
    if (scale < 0.55) throw new Error('licence content does not fit on one page');
  }
  const tableBottom = layoutTable(c, rows, tableTop, scale, true);

  // Where a digitized licence's paper original came from, and where its scans are.
  if (banner) {
    const top = tableBottom + 10;
    c.rect(MARGIN_X, top, CONTENT_W, banner.height, { fill: C_SHADE, stroke: C_ACCENT, lw: 0.5 });
    let y = top + 16;
    for (const l of banner.zh) {
      c.text(l, MARGIN_X + 8, y, 9, { colour: C_ACCENT });
      y += 13;
    }
    y -= 1;
    for (const l of banner.en) {
      c.text(l, MARGIN_X + 8, y, 7.5, { colour: C_MUTED });
      y += 10.5;
    }
  }

  // Bottom left: the QR code, with the verification code beside it.
  const qrTop = BOTTOM_BLOCK_TOP + 34;
  const qr: Box = { x: MARGIN_X, y: PAGE_HEIGHT - qrTop - QR_SIZE, width: QR_SIZE, height: QR_SIZE };
  c.graphics.push(qrOperators(input.verifyUrl, qr.x, qr.y, QR_SIZE));
  const vx = MARGIN_X + QR_SIZE + 14;
  x = vx;
  x += c.text('核验码', x, qrTop + 12, 10, { colour: C_MUTED }) + 4;
  c.text('Verification code', x, qrTop + 12, 7.5, { colour: C_MUTED });
  const codeSize = 13;
  const codeW = c.text(input.verificationCode, vx, qrTop + 32, codeSize, { spacing: 0.6 });
  const verificationCode: Box = { x: vx, y: PAGE_HEIGHT - qrTop - 32 - codeSize * 0.25, width: codeW, height: codeSize * 1.1 };
  const site = verifySite(input.verifyUrl);
  c.text('扫码核验', vx, qrTop + 56, 9, { colour: C_MUTED });
  c.text('Scan to verify', vx, qrTop + 68, 7, { colour: C_MUTED });
  c.text(site, vx, qrTop + 81, 7.5, { colour: C_INK });

  // Bottom right: the issuing department and the date of issue (once each), under the seal.
  const blockCentre = RIGHT - 96;
  const issuerTop = BOTTOM_BLOCK_TOP + 26;
  c.centred('发证机关  Issuing authority', blockCentre, issuerTop, 8, { colour: C_MUTED });
  let iy = issuerTop + 24;
  let issuerName: Box | null = null;
  for (const l of c.wrap(input.issuerNameZh, 14, 190).slice(0, 2)) {
    const w = c.centred(l, blockCentre, iy, 14);
    if (!issuerName) issuerName = { x: blockCentre - w / 2, y: PAGE_HEIGHT - iy - 3, width: w, height: 17 };
    iy += 18;
  }
  iy -= 5;
  for (const l of c.wrap(input.issuerNameEn, 7.5, 190).slice(0, 2)) {
    c.centred(l, blockCentre, iy, 7.5, { colour: C_MUTED });
    iy += 9.5;
  }
  const issued = dateText(input.issuedAt);
  const dateTop = Math.max(iy + 16, issuerTop + 74);
  c.centred(issued.zh, blockCentre, dateTop, 12);
  c.centred(`Issued ${issued.en}`, blockCentre, dateTop + 12, 7.5, { colour: C_MUTED });

  // The seal, pressed over the date and the lower half of the issuer's name ("骑年盖月"), a little off
  // centre as a hand-pressed seal sits.
  const sealCx = blockCentre + 26;
  const sealCy = PAGE_HEIGHT - (dateTop - 10);
  const serial = sealSerial(input.issuerCode);
  drawSeal(c, sealCx, sealCy, SEAL_R, input.issuerNameZh, serial);

  return {
    c,
    layout: {
      page: { width: PAGE_WIDTH, height: PAGE_HEIGHT },
      holderName,
      holderNameChars,
      qr,
      verificationCode,
      issuerName: issuerName ?? { x: blockCentre, y: PAGE_HEIGHT - issuerTop - 24, width: 0, height: 0 },
      seal: { cx: sealCx, cy: sealCy, r: SEAL_R, x: sealCx - SEAL_R, y: sealCy - SEAL_R, width: 2 * SEAL_R, height: 2 * SEAL_R, serial },
      photo,
    },
  };
}

/**
 * The seal in seal red, multiplied onto the page (/BM /Multiply) at 90% opacity: the text under it stays
 * readable, as under real seal ink.
 */
function drawSeal(c: Composer, cx: number, cy: number, r: number, nameZh: string, serial: string): void {
  const geometry = sealGeometry(cx, cy, r, nameZh, serial, (ch, size) => c.width(ch, size));
  c.usesSealState = true;
  let s = `q /GSeal gs ${C_SEAL.fill} ${C_SEAL.stroke} ${geometry.path} f /Span << /ActualText () >> BDC BT 2 Tr`;
  let state = '';
  for (const g of [...geometry.name, ...geometry.code]) {
    const run = c.chain.split(g.char)[0];
    if (!run) continue;
    const [a, b, cc, d, e, f] = g.matrix;
    const next = `${num(g.size * 0.03)} w /${DocumentFonts.resourceName(run.fontIndex)} ${num(g.size)} Tf`;
    if (next !== state) s += ` ${(state = next)}`;
    s += ` ${num(a, 4)} ${num(b, 4)} ${num(cc, 4)} ${num(d, 4)} ${num(e)} ${num(f)} Tm ${c.fonts.encode(run.fontIndex, run.text)} Tj`;
  }
  c.overlay.push(s + ' ET EMC Q');
}

// ---------------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------------

/** zlib level for content streams (text operators compress well at any level; 6 is zlib's default). */
const CONTENT_DEFLATE_LEVEL = 6;

interface ScanPage {
  image: PdfImage;
  caption: Composer;
}

/** Writes the whole document; returns it, and where the signature goes when `signer` is given. */
function writeDocument(
  input: LicenceDocumentInput,
  composed: Composed,
  signature: { signer: PadesSigner; opts: PadesOptions } | null,
): { pdf: Uint8Array; placeholder: SignaturePlaceholder | null } {
  const { c } = composed;
  const w = new PdfWriter();
  const catalog = w.alloc();
  const pages = w.alloc();
  const info = w.alloc();
  const licencePage = w.alloc();

  // Scan pages share the licence's fonts (their captions are bilingual), so they are composed first.
  const scans = input.scans ?? [];
  const scanPages: ScanPage[] = [];
  for (const [n, scan] of scans.entries()) {
    const images = scan.images ?? [];
    for (const [p, img] of images.entries()) {
      const caption = new Composer(c.chain, c.fonts);
      const pageNo = images.length > 1 ? `第${p + 1}页，共${images.length}页` : '';
      caption.text(`原纸质证照扫描件${scans.length > 1 ? ` ${n + 1}` : ''}${pageNo ? `（${pageNo}）` : ''}`, 36, PAGE_HEIGHT - 48, 8, { colour: C_MUTED });
      caption.text(`Scan${scans.length > 1 ? ` ${n + 1}` : ''} of the original paper licence${images.length > 1 ? `, page ${p + 1} of ${images.length}` : ''} · SHA-256 ${scan.sha256}`, 36, PAGE_HEIGHT - 37, 6.5, { colour: C_MUTED });
      scanPages.push({ image: pdfImage(img.kind, img.bytes), caption });
    }
  }

  const fontResources = c.fonts.write(w);
  const sealState = c.usesSealState ? ` /ExtGState << /GSeal << /Type /ExtGState /ca 0.9 /CA 0.9 /BM /Multiply >> >>` : '';

  // Page 1: the licence.
  const kids: number[] = [licencePage];
  const contents = w.alloc();
  w.stream(contents, '', c.content(), CONTENT_DEFLATE_LEVEL);
  const xobjects = writeImages(w, c.images);
  const widget = signature ? w.alloc() : 0;
  w.object(
    licencePage,
    `<< /Type /Page /Parent ${pages} 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Contents ${contents} 0 R ` +
      `/Resources << /Font << ${fontResources}>>${sealState}${xobjects} >>${signature ? ` /Annots [${widget} 0 R]` : ''} >>`,
  );

  // The scans, one page each, after the licence.
  for (const scan of scanPages) {
    const page = w.alloc();
    kids.push(page);
    const box = { x: 36, y: 60, width: PAGE_WIDTH - 72, height: PAGE_HEIGHT - 96 };
    scan.caption.image(scan.image, box);
    const stream = w.alloc();
    w.stream(stream, '', scan.caption.content(), CONTENT_DEFLATE_LEVEL);
    const xo = writeImages(w, scan.caption.images);
    w.object(page, `<< /Type /Page /Parent ${pages} 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Contents ${stream} 0 R /Resources << /Font << ${fontResources}>>${xo} >> >>`);
  }
  w.object(pages, `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`);

  // PDF scans travel as attachments (associated files of the document, PDF 2.0 §14.13).
  const issuedDate = new Date(input.issuedAt);
  const when = Number.isNaN(issuedDate.getTime()) ? null : pdfDate(issuedDate);
  const attachments: Array<{ name: string; spec: number }> = [];
  for (const [n, scan] of scans.entries()) {
    if (!scan.pdfBytes) continue;
    const name = `scan-${n + 1}.pdf`;
    const file = w.alloc();
    const spec = w.alloc();
    const params = `/Params << /Size ${scan.pdfBytes.length}${when ? ` /CreationDate (${when}) /ModDate (${when})` : ''} >>`;
    w.stream(file, ` /Type /EmbeddedFile /Subtype /application#2Fpdf ${params}`, scan.pdfBytes);
    w.object(spec, `<< /Type /Filespec /F ${pdfText(name)} /UF ${pdfText(name)} /EF << /F ${file} 0 R /UF ${file} 0 R >> /Desc ${pdfText(`Scan of the original paper licence (${scan.fileName}), SHA-256 ${scan.sha256}`)} /AFRelationship /Source >>`);
    attachments.push({ name, spec });
  }

  // The information dictionary: plain-ASCII licence id and verification code for verifiers holding only the file.
  w.object(
    info,
    `<< /Title ${pdfText(`${input.typeNameZh} ${input.licenceId}`)} /Subject ${pdfText(`${input.typeNameEn} ${input.licenceId}`)} ` +
      `/Author ${pdfText(input.issuerNameZh)} /Creator (Licence Vault) /Producer (Licence Vault)` +
      (when ? ` /CreationDate (${when}) /ModDate (${when})` : '') +
      ` /LicenceId ${asciiText(input.licenceId)} /LicenceVerificationCode ${asciiText(input.verificationCode)} >>`,
  );

  // The signature field and its value, the signature dictionary, last: its placeholders are at known offsets.
  let placeholder: SignaturePlaceholder | null = null;
  const acroForm = signature ? ` /AcroForm << /Fields [${widget} 0 R] /SigFlags 3 >>` : '';
  if (signature) {
    const sig = w.alloc();
    w.object(widget, `<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /F 132 /T (Signature1) /V ${sig} 0 R /P ${licencePage} 0 R >>`);
    const { signer, opts } = signature;
    const size = opts.signatureSize ?? cadesSignatureSize(signer) + SIGNATURE_SIZE_MARGIN;
    const signerName = opts.signerName ?? signerCommonName(signer);
    const head = `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached ${BYTE_RANGE_PLACEHOLDER_TEXT} /Contents `;
    const tail =
      ` /M (${pdfDate(opts.signingTime)})` +
      (signerName ? ` /Name ${pdfText(signerName)}` : '') +
      (opts.reason ? ` /Reason ${pdfText(opts.reason)}` : '') +
      (opts.location ? ` /Location ${pdfText(opts.location)}` : '') +
      (opts.contactInfo ? ` /ContactInfo ${pdfText(opts.contactInfo)}` : '') +
      ' >>';
    const at = w.object(sig, `${head}<${'0'.repeat(2 * size)}>${tail}`);
    placeholder = { byteRangeAt: at + head.indexOf('/ByteRange'), contentsAt: at + head.length, contentsEnd: at + head.length + 2 * size + 2 };
  }
  const names = attachments.length
    ? ` /Names << /EmbeddedFiles << /Names [${attachments.map((a) => `${pdfText(a.name)} ${a.spec} 0 R`).join(' ')}] >> >> /AF [${attachments.map((a) => `${a.spec} 0 R`).join(' ')}]`
    : '';
  w.object(catalog, `<< /Type /Catalog /Pages ${pages} 0 R /Lang (zh-CN) /PageLayout /SinglePage /ViewerPreferences << /DisplayDocTitle true >>${acroForm}${names} >>`);

  const id = createHash('sha256').update(`${input.licenceId}\n${input.version}\n${input.issuedAt}`).digest().subarray(0, 16);
  return { pdf: w.finish({ root: catalog, info, id }), placeholder };
}

/** Writes a page's images; returns its /XObject resource entry. */
function writeImages(w: PdfWriter, images: Map<string, PdfImage>): string {
  if (images.size === 0) return '';
  let entries = '';
  for (const [name, image] of images) {
    const id = w.alloc();
    let smask = '';
    if (image.smask) {
      const mask = w.alloc();
      w.stream(mask, ` /Type /XObject /Subtype /Image ${image.smask.dict}`, image.smask.data);
      smask = ` /SMask ${mask} 0 R`;
    }
    w.stream(id, ` /Type /XObject /Subtype /Image ${image.dict}${smask}`, image.data);
    entries += `/${name} ${id} 0 R `;
  }
  return ` /XObject << ${entries}>>`;
}

/** The metadata values are plain ASCII by contract (licence ids, verification codes); anything else is refused. */
function asciiText(s: string): string {
  if (!/^[\x21-\x7e]+$/.test(s)) throw new Error(`metadata value is not plain ASCII: ${JSON.stringify(s)}`);
  return pdfText(s);
}

/** Renders the licence and returns the PDF plus layout boxes (for tests / previews). Unsigned. */
export async function renderLicence(input: LicenceDocumentInput, fonts: FontChain): Promise<RenderedLicence> {
  const composed = compose(input, fonts); // throws GlyphMissingError before any PDF work
  return { pdf: writeDocument(input, composed, null).pdf, layout: composed.layout };
}

/** Renders a one-page A4 e-licence (unsigned). Throws GlyphMissingError for uncovered characters. */
export async function renderLicencePdf(input: LicenceDocumentInput, fonts: FontChain): Promise<Uint8Array> {
  return (await renderLicence(input, fonts)).pdf;
}

/**
 * Render + PAdES B-B sign in one pass: the signature dictionary is written with the document, its
 * /Contents sized to the signer's CMS exactly (pades.ts), and filled in place.
 */
export async function renderSignedLicencePdf(
  input: LicenceDocumentInput,
  fonts: FontChain,
  signer: PadesSigner,
  opts: PadesOptions,
): Promise<RenderedLicence> {
  const composed = compose(input, fonts);
  const { pdf, placeholder } = writeDocument(input, composed, { signer, opts });
  return { pdf: fillSignature(pdf, placeholder!, signer), layout: composed.layout };
}
