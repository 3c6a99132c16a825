/**
 * One-page A4 e-licence renderer (pdf-lib + fontkit 2 via FontChain).
 *
 * Every string is split by the FontChain into single-font runs; each run is
 * drawn with its own (subset-embedded) font, advancing x by the run width.
 * The QR code is drawn as vector rectangles (one path, horizontal runs merged).
 */
import { deflateSync } from 'node:zlib';
import {
  PDFArray,
  PDFContentStream,
  PDFDocument,
  PDFName,
  PDFOperator,
  PDFOperatorNames,
  PDFRawStream,
  PDFRef,
  rgb,
  pushGraphicsState,
  popGraphicsState,
  setFillingRgbColor,
  StandardFonts,
} from 'pdf-lib';
import type { PDFFont, PDFPage, RGB } from 'pdf-lib';
import QRCode from 'qrcode';
import { fontkitAdapter } from './fonts.ts';
import type { FontChain, FontRun } from './fonts.ts';
import { addSignaturePlaceholder, signPreparedPdf } from './pades.ts';
import type { PadesOptions, PadesSigner } from './pades.ts';

import type { LicenceDocumentInput, LicenceScan } from '../licences/licence-document.ts';

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
}

export interface RenderedLicence {
  pdf: Uint8Array;
  layout: LicenceLayout;
}

// ---------------------------------------------------------------------------
// Layout constants (points). A4 portrait.
// ---------------------------------------------------------------------------

export const PAGE_WIDTH = 595.28;
export const PAGE_HEIGHT = 841.89;
const MARGIN_X = 56;
const CONTENT_W = PAGE_WIDTH - 2 * MARGIN_X;
export const HOLDER_NAME_SIZE = 24;
/** Baseline of the holder name (distance from the top edge). */
export const HOLDER_NAME_BASELINE_FROM_TOP = 212;
const TABLE_TOP = 236;
const LABEL_COL_W = 150;
const QR_SIZE = 104;
const FOOTER_BASELINE = 44;
const BOTTOM_BLOCK_TOP = PAGE_HEIGHT - 210; // from top: table must end above this

const C_INK = rgb(0.1, 0.1, 0.12);
const C_MUTED = rgb(0.38, 0.38, 0.42);
const C_ACCENT = rgb(0.62, 0.09, 0.09);
const C_RULE = rgb(0.55, 0.55, 0.58);
const C_SHADE = rgb(0.96, 0.94, 0.9);

// ---------------------------------------------------------------------------
// Draw operations (layout is computed synchronously, drawn after embedding)
// ---------------------------------------------------------------------------

type Op =
  | { k: 'text'; runs: FontRun[]; x: number; y: number; size: number; color: RGB }
  | { k: 'rect'; x: number; y: number; w: number; h: number; stroke?: RGB; fill?: RGB; lw?: number }
  | { k: 'line'; x1: number; y1: number; x2: number; y2: number; color: RGB; lw: number }
  | { k: 'raw'; ops: PDFOperator[] };

class Composer {
  readonly ops: Op[] = [];
  readonly usedFonts = new Set<number>();
  constructor(readonly chain: FontChain) {}

  width(text: string, size: number): number {
    return this.chain.widthOfText(text, size);
  }

  /** Draws `text` with its baseline at `top` points from the page top; returns its width. */
  text(text: string, x: number, top: number, size: number, color: RGB = C_INK): number {
    const runs = this.chain.split(text);
    let w = 0;
    for (const r of runs) {
      this.usedFonts.add(r.fontIndex);
      w += this.chain.widthOfRun(r.fontIndex, r.text, size);
    }
    if (runs.length > 0) this.ops.push({ k: 'text', runs, x, y: PAGE_HEIGHT - top, size, color });
    return w;
  }

  centered(text: string, top: number, size: number, color?: RGB): void {
    this.text(text, (PAGE_WIDTH - this.width(text, size)) / 2, top, size, color);
  }

  rect(x: number, top: number, w: number, h: number, style: { stroke?: RGB; fill?: RGB; lw?: number }): void {
    this.ops.push({ k: 'rect', x, y: PAGE_HEIGHT - top - h, w, h, ...style });
  }

  hline(x1: number, x2: number, top: number, color: RGB = C_RULE, lw = 0.5): void {
    this.ops.push({ k: 'line', x1, y1: PAGE_HEIGHT - top, x2, y2: PAGE_HEIGHT - top, color, lw });
  }

  vline(x: number, top1: number, top2: number, color: RGB = C_RULE, lw = 0.5): void {
    this.ops.push({ k: 'line', x1: x, y1: PAGE_HEIGHT - top1, x2: x, y2: PAGE_HEIGHT - top2, color, lw });
  }

  /** Greedy line wrapping: CJK characters break anywhere, other words at spaces. */
  wrap(text: string, size: number, maxWidth: number): string[] {
    const out: string[] = [];
    for (const para of text.split(/\r?\n/)) {
      const tokens = para.match(/[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u{20000}-\u{3ffff}]|\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u{20000}-\u{3ffff}]+/gu) ?? [''];
      let line = '';
      let lineW = 0;
      const push = () => {
        out.push(line.trimEnd());
        line = '';
        lineW = 0;
      };
      for (const tok of tokens) {
        const w = this.width(tok, size);
        if (lineW + w <= maxWidth || line === '') {
          if (line === '' && /^\s+$/.test(tok)) continue;
          if (w > maxWidth) {
            // Single over-long token (URL, long id): break by code point.
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

function displayDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$/.exec(iso.trim());
  return m ? m[1]! : iso;
}

interface Row {
  labelZh: string;
  labelEn: string;
  value: string;
}

function tableRows(input: LicenceDocumentInput): Row[] {
  const until = input.validUntil ? displayDate(input.validUntil) : null;
  const from = displayDate(input.validFrom);
  return [
    { labelZh: '证照编号', labelEn: 'Licence No.', value: `${input.licenceId}  (v${input.version})` },
    { labelZh: '持证主体类型', labelEn: 'Holder type', value: `${input.holderKindZh} / ${input.holderKindEn}` },
    { labelZh: '证件号码', labelEn: 'Holder ID', value: input.holderId },
    ...input.fields.map((f) => ({ labelZh: f.labelZh, labelEn: f.labelEn, value: f.value })),
    {
      labelZh: '有效期限',
      labelEn: 'Validity',
      value: until ? `${from} 至 ${until}\n${from} to ${until}` : `${from} 起长期有效\nFrom ${from}, no expiry`,
    },
    { labelZh: '发证机关', labelEn: 'Issuing authority', value: `${input.issuerNameZh}\n${input.issuerNameEn}` },
    { labelZh: '发证日期', labelEn: 'Date of issue', value: displayDate(input.issuedAt) },
  ];
}

/** Lays out the table at a given scale; returns the bottom (from top) and emits ops into `c` if `emit`. */
function layoutTable(c: Composer, rows: Row[], scale: number, emit: boolean): number {
  const x0 = MARGIN_X;
  const x1 = MARGIN_X + LABEL_COL_W;
  const x2 = MARGIN_X + CONTENT_W;
  const labelSize = 10 * scale;
  const labelEnSize = 7.5 * scale;
  const valueSize = 11 * scale;
  const lead = valueSize * 1.45;
  const pad = 7 * scale;
  let top = TABLE_TOP;
  const lines: number[] = [top];
  for (const [i, row] of rows.entries()) {
    const valueLines = c.wrap(row.value, valueSize, x2 - x1 - 2 * pad);
    const labelLines = c.wrap(row.labelZh, labelSize, LABEL_COL_W - 2 * pad);
    const labelEnLines = c.wrap(row.labelEn, labelEnSize, LABEL_COL_W - 2 * pad);
    const labelH = labelLines.length * labelSize * 1.35 + labelEnLines.length * labelEnSize * 1.3;
    const valueH = valueLines.length * lead;
    const h = Math.max(labelH, valueH) + 2 * pad - 2 * scale;
    if (emit) {
      if (i % 2 === 0) c.rect(x0, top, LABEL_COL_W, h, { fill: C_SHADE });
      let ly = top + pad + labelSize * 0.95;
      for (const l of labelLines) {
        c.text(l, x0 + pad, ly, labelSize, C_INK);
        ly += labelSize * 1.35;
      }
      ly -= labelSize * 0.2;
      for (const l of labelEnLines) {
        c.text(l, x0 + pad, ly, labelEnSize, C_MUTED);
        ly += labelEnSize * 1.3;
      }
      let vy = top + pad + valueSize * 0.95;
      for (const l of valueLines) {
        c.text(l, x1 + pad, vy, valueSize, C_INK);
        vy += lead;
      }
    }
    top += h;
    lines.push(top);
  }
  if (emit) {
    c.rect(x0, TABLE_TOP, CONTENT_W, top - TABLE_TOP, { stroke: C_INK, lw: 0.9 });
    for (const y of lines.slice(1, -1)) c.hline(x0, x2, y, C_RULE, 0.4);
    c.vline(x1, TABLE_TOP, top, C_RULE, 0.4);
  }
  return top;
}

function qrOperators(url: string, x: number, y: number, size: number): PDFOperator[] {
  // node-qrcode picks the mask by the standard's penalty rules in ~2 ms; qrcode-generator took ~10 ms for
  // the same search, the largest single cost of a render.
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const isDark = (r: number, c: number) => modules.get(r, c) !== 0;
  const m = size / n;
  // All module rectangles go into one pre-formatted path (pdf-lib's number
  // formatting per operand is the main cost otherwise).
  const f = (v: number) => (Math.round(v * 1000) / 1000).toString();
  const parts: string[] = [];
  for (let r = 0; r < n; r++) {
    let c = 0;
    while (c < n) {
      if (!isDark(r, c)) {
        c++;
        continue;
      }
      const start = c;
      while (c < n && isDark(r, c)) c++;
      // Slight overlap avoids hairline seams between modules in some viewers.
      parts.push(`${f(x + start * m)} ${f(y + size - (r + 1) * m - 0.01)} ${f((c - start) * m)} ${f(m + 0.02)} re`);
    }
  }
  return [
    pushGraphicsState(),
    setFillingRgbColor(0, 0, 0),
    PDFOperator.of(PDFOperatorNames.FillNonZero, [parts.join('\n')]),
    popGraphicsState(),
  ];
}

function compose(input: LicenceDocumentInput, chain: FontChain): { c: Composer; layout: LicenceLayout } {
  const c = new Composer(chain);

  // Frame
  c.rect(22, 22, PAGE_WIDTH - 44, PAGE_HEIGHT - 44, { stroke: C_ACCENT, lw: 2.2 });
  c.rect(28, 28, PAGE_WIDTH - 56, PAGE_HEIGHT - 56, { stroke: C_ACCENT, lw: 0.6 });

  // Header
  c.centered(input.issuerNameZh, 62, 11, C_MUTED);
  c.centered(input.typeNameZh, 104, 26, C_ACCENT);
  c.centered(input.typeNameEn, 127, 13, C_INK);
  c.centered('电子证照  ·  Electronic Licence', 146, 9, C_MUTED);
  c.hline(MARGIN_X, MARGIN_X + CONTENT_W, 158, C_ACCENT, 1);

  // Holder (prominent)
  c.text('持证人', MARGIN_X, 180, 10, C_MUTED);
  c.text('Holder', MARGIN_X + c.width('持证人 ', 10), 180, 8, C_MUTED);
  // Licence number, right-aligned on the label line, so a long holder name never runs into it.
  const idLabel = `No. ${input.licenceId}`;
  c.text(idLabel, MARGIN_X + CONTENT_W - c.width(idLabel, 10), 180, 10, C_MUTED);
  // Long names shrink to the content width instead of running off the page.
  const nameSize = Math.min(HOLDER_NAME_SIZE, (HOLDER_NAME_SIZE * CONTENT_W) / Math.max(1, c.width(input.holderName, HOLDER_NAME_SIZE)));
  const nameRuns = chain.split(input.holderName);
  const nameX = MARGIN_X;
  const nameW = c.text(input.holderName, nameX, HOLDER_NAME_BASELINE_FROM_TOP, nameSize, C_INK);
  const baselineY = PAGE_HEIGHT - HOLDER_NAME_BASELINE_FROM_TOP;
  const holderNameChars: Array<Box & { char: string }> = [];
  let cx = nameX;
  for (const r of nameRuns) {
    for (const ch of r.text) {
      const w = chain.widthOfRun(r.fontIndex, ch, nameSize);
      holderNameChars.push({ char: ch, x: cx, y: baselineY - nameSize * 0.2, width: w, height: nameSize * 1.08 });
      cx += w;
    }
  }
  const holderName: Box = { x: nameX, y: baselineY - nameSize * 0.2, width: nameW, height: nameSize * 1.08 };

  // Table (shrinks to fit above the bottom block)
  const rows = tableRows(input);
  const bannerH = input.digitizedFromPaper ? 44 : 0;
  const limit = BOTTOM_BLOCK_TOP - bannerH - 12;
  let scale = 1;
  while (layoutTable(c, rows, scale, false) > limit) {
    scale -= 0.05;
    if (scale < 0.55) throw new Error('licence content does not fit on one page');
  }
  const tableBottom = layoutTable(c, rows, scale, true);

  // Digitized-from-paper banner
  if (input.digitizedFromPaper) {
    const d = input.digitizedFromPaper;
    const top = tableBottom + 12;
    c.rect(MARGIN_X, top, CONTENT_W, bannerH - 6, { fill: C_SHADE, stroke: C_ACCENT, lw: 0.5 });
    const date = displayDate(d.originalIssueDate);
    const zh = `本电子证照由纸质证照数字化转换，原证发证日期 ${date}` + (d.archiveLocation ? `，原件存档于 ${d.archiveLocation}` : '');
    const en = `Digitized from a paper licence originally issued ${date}` + (d.archiveLocation ? `; original archived at ${d.archiveLocation}` : '');
    c.text(c.wrap(zh, 9, CONTENT_W - 16)[0] ?? '', MARGIN_X + 8, top + 15, 9, C_ACCENT);
    c.text(c.wrap(en, 7.5, CONTENT_W - 16)[0] ?? '', MARGIN_X + 8, top + 29, 7.5, C_MUTED);
  }

  // Bottom block: issuer/date (left), QR + URL (right)
  const qrX = MARGIN_X + CONTENT_W - QR_SIZE;
  const qrTop = PAGE_HEIGHT - FOOTER_BASELINE - 38 - QR_SIZE - 16;
  const qrBox: Box = { x: qrX, y: PAGE_HEIGHT - qrTop - QR_SIZE, width: QR_SIZE, height: QR_SIZE };
  c.ops.push({ k: 'raw', ops: qrOperators(input.verifyUrl, qrBox.x, qrBox.y, QR_SIZE) });
  const urlLines = c.wrap(input.verifyUrl, 6.5, QR_SIZE + 30).slice(0, 3);
  let uy = qrTop + QR_SIZE + 10;
  for (const l of urlLines) {
    c.text(l, qrX + QR_SIZE - c.width(l, 6.5), uy, 6.5, C_MUTED);
    uy += 8;
  }
  c.text('扫码核验  Scan to verify', qrX - 8 - c.width('扫码核验  Scan to verify', 8), qrTop + QR_SIZE, 8, C_MUTED);

  const leftW = qrX - MARGIN_X - 24;
  let ly = qrTop + 20;
  c.text('发证机关（电子签名）', MARGIN_X, ly, 10, C_MUTED);
  ly += 20;
  for (const l of c.wrap(input.issuerNameZh, 14, leftW).slice(0, 2)) {
    c.text(l, MARGIN_X, ly, 14, C_INK);
    ly += 18;
  }
  for (const l of c.wrap(input.issuerNameEn, 9, leftW).slice(0, 2)) {
    c.text(l, MARGIN_X, ly, 9, C_MUTED);
    ly += 12;
  }
  ly += 8;
  c.text(`签发日期 Issued: ${displayDate(input.issuedAt)}`, MARGIN_X, ly, 9, C_INK);

  // Footer
  c.hline(MARGIN_X, MARGIN_X + CONTENT_W, PAGE_HEIGHT - FOOTER_BASELINE - 24, C_RULE, 0.4);
  c.centered('本证照经数字签名，与纸质证照具有同等效力', PAGE_HEIGHT - FOOTER_BASELINE - 12, 7.5, C_MUTED);
  const footer = `Electronically signed — verify at ${input.verifyUrl}`;
  const footerLines = c.wrap(footer, 7.5, CONTENT_W);
  let fy = PAGE_HEIGHT - FOOTER_BASELINE;
  for (const l of footerLines.slice(0, 2)) {
    c.centered(l, fy, 7.5, C_INK);
    fy += 9;
  }

  return {
    c,
    layout: { page: { width: PAGE_WIDTH, height: PAGE_HEIGHT }, holderName, holderNameChars, qr: qrBox },
  };
}

async function drawOps(doc: PDFDocument, page: PDFPage, c: Composer): Promise<void> {
  const fonts = new Map<number, PDFFont>();
  for (const i of [...c.usedFonts].sort((a, b) => a - b)) {
    const lf = c.chain.fonts[i]!;
    fonts.set(i, await doc.embedFont(lf.bytes, { subset: true }));
  }
  for (const op of c.ops) {
    switch (op.k) {
      case 'text': {
        let x = op.x;
        for (const r of op.runs) {
          page.drawText(r.text, { x, y: op.y, size: op.size, font: fonts.get(r.fontIndex)!, color: op.color });
          x += c.chain.widthOfRun(r.fontIndex, r.text, op.size);
        }
        break;
      }
      case 'rect':
        page.drawRectangle({
          x: op.x,
          y: op.y,
          width: op.w,
          height: op.h,
          ...(op.fill ? { color: op.fill } : {}),
          ...(op.stroke ? { borderColor: op.stroke, borderWidth: op.lw ?? 1 } : {}),
        });
        break;
      case 'line':
        page.drawLine({ start: { x: op.x1, y: op.y1 }, end: { x: op.x2, y: op.y2 }, thickness: op.lw, color: op.color });
        break;
      case 'raw':
        page.pushOperators(...op.ops);
        break;
    }
  }
}

/** Replaces pdf-lib's pako deflate with node:zlib for this document (fonts, ToUnicode). */
function useNodeZlib(doc: PDFDocument): void {
  const ctx = doc.context;
  ctx.flateStream = (contents: Uint8Array | string, dict = {}) => {
    const data = typeof contents === 'string' ? Buffer.from(contents, 'latin1') : contents;
    return PDFRawStream.of(ctx.obj({ ...dict, Filter: 'FlateDecode' }), deflateSync(data, { level: 3 }));
  };
}

/** Re-encodes the page content streams with node:zlib instead of pako. */
function compressPageContents(doc: PDFDocument, page: PDFPage): void {
  const ctx = doc.context;
  const contents = page.node.get(PDFName.of('Contents'));
  const refs = contents instanceof PDFArray ? contents.asArray() : [contents];
  for (const ref of refs) {
    if (!(ref instanceof PDFRef)) continue;
    const stream = ctx.lookup(ref);
    if (!(stream instanceof PDFContentStream)) continue;
    const raw = stream.getUnencodedContents();
    ctx.assign(ref, PDFRawStream.of(ctx.obj({ Filter: 'FlateDecode' }), deflateSync(raw, { level: 3 })));
  }
}

async function buildLicenceDocument(
  input: LicenceDocumentInput,
  fonts: FontChain,
): Promise<{ doc: PDFDocument; layout: LicenceLayout }> {
  const { c, layout } = compose(input, fonts); // throws GlyphMissingError before any PDF work
  const doc = await PDFDocument.create();
  useNodeZlib(doc);
  doc.registerFontkit(fontkitAdapter);
  const page = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
  await drawOps(doc, page, c);
  compressPageContents(doc, page);
  const issued = new Date(input.issuedAt);
  doc.setTitle(`${input.typeNameZh} ${input.licenceId}`);
  doc.setSubject(`${input.typeNameEn} — ${input.licenceId} v${input.version}`);
  doc.setAuthor(input.issuerNameZh);
  doc.setCreator('Licence Vault');
  doc.setProducer('Licence Vault (pdf-lib)');
  doc.setLanguage('zh-CN');
  if (!Number.isNaN(issued.getTime())) {
    doc.setCreationDate(issued);
    doc.setModificationDate(issued);
  }
  doc.catalog.set(PDFName.of('PageLayout'), PDFName.of('SinglePage'));
  await addScans(doc, input.scans ?? [], issued);
  return { doc, layout };
}

/** The chain of custody in the document itself: every scan follows the licence, inside the signature. */
async function addScans(doc: PDFDocument, scans: LicenceScan[], issued: Date): Promise<void> {
  if (scans.length === 0) return;
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const margin = 36;
  for (const [n, scan] of scans.entries()) {
    for (const [p, image] of (scan.images ?? []).entries()) {
      const embedded = image.kind === 'jpeg' ? await doc.embedJpg(image.bytes) : await doc.embedPng(image.bytes);
      const page = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
      const box = { w: PAGE_WIDTH - 2 * margin, h: PAGE_HEIGHT - 2 * margin - 24 };
      const scale = Math.min(box.w / image.width, box.h / image.height);
      const w = image.width * scale;
      const h = image.height * scale;
      page.drawImage(embedded, { x: (PAGE_WIDTH - w) / 2, y: margin + 24 + (box.h - h) / 2, width: w, height: h });
      page.drawText(`Scan ${n + 1}${scan.images!.length > 1 ? ` page ${p + 1}` : ''} of the original paper certificate - SHA-256 ${scan.sha256}`, { x: margin, y: margin, size: 7, font });
    }
    if (scan.pdfBytes) {
      await doc.attach(scan.pdfBytes, `scan-${n + 1}.pdf`, { mimeType: 'application/pdf', description: `Scan of the original paper certificate, SHA-256 ${scan.sha256}`, creationDate: issued, modificationDate: issued });
    }
  }
}

const SAVE_OPTS = { useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false } as const;

/** Renders the licence and returns the PDF plus layout boxes (for tests / previews). */
export async function renderLicence(input: LicenceDocumentInput, fonts: FontChain): Promise<RenderedLicence> {
  const { doc, layout } = await buildLicenceDocument(input, fonts);
  const pdf = await doc.save(SAVE_OPTS);
  return { pdf, layout };
}

/** Renders a one-page A4 e-licence (unsigned). Throws GlyphMissingError for uncovered characters. */
export async function renderLicencePdf(input: LicenceDocumentInput, fonts: FontChain): Promise<Uint8Array> {
  return (await renderLicence(input, fonts)).pdf;
}

/**
 * Render + PAdES B-B sign in one pass (no re-parse): the signature
 * placeholder is added before the single save. Same output as
 * `signPdfPades(await renderLicencePdf(...))`, but faster.
 */
export async function renderSignedLicencePdf(
  input: LicenceDocumentInput,
  fonts: FontChain,
  signer: PadesSigner,
  opts: PadesOptions,
): Promise<RenderedLicence> {
  const { doc, layout } = await buildLicenceDocument(input, fonts);
  addSignaturePlaceholder(doc, signer, opts);
  const saved = await doc.save(SAVE_OPTS);
  return { pdf: signPreparedPdf(saved, signer), layout };
}
