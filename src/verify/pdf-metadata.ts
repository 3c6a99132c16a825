/**
 * The licence id and verification code a licence PDF carries in its document information dictionary
 * (/LicenceId, /LicenceVerificationCode; written by src/pdf/render-licence.ts), read from the file alone.
 * Pure and browser-compatible: bytes in, values out, no I/O.
 *
 * How it finds them (ISO 32000-1 §7.5.4–§7.5.5): from the file's last `startxref` to the cross-reference
 * section it points at, to that section's trailer, to the trailer's /Info reference, to the object the
 * cross-reference table gives for that reference (following /Prev to older sections when the latest
 * update did not rewrite it), to the two keys of that dictionary. Nothing else in the file is read: the
 * same key names in another dictionary, in a content stream, in an attached file or in a comment are
 * never mistaken for the document's own metadata.
 *
 * Licence PDFs are written with a classic cross-reference table and no object streams, so the
 * information dictionary is plain text and no stream needs inflating. A file whose latest section is a
 * cross-reference stream was not written by the vault (a signature covering such a file would not be
 * one of ours) and gives null, as does any file without both keys or with values that are not plain
 * ASCII. Reading the metadata says nothing about authenticity: the signature check
 * (pdf-signature.ts, cms.ts) does, and it covers the information dictionary like every byte outside
 * /Contents.
 */
import { lastIndexOfAscii, latin1 } from '../proofs/bytes.ts';

export interface LicenceMetadata {
  licenceId: string;
  verificationCode: string;
}

/** The licence id and verification code of a licence PDF, or null when the file does not carry both. */
export function readLicenceMetadata(pdf: Uint8Array): LicenceMetadata | null {
  try {
    const info = informationDictionary(pdf);
    if (!info) return null;
    const licenceId = asciiValue(info.get('LicenceId'));
    const verificationCode = asciiValue(info.get('LicenceVerificationCode'));
    return licenceId && verificationCode ? { licenceId, verificationCode } : null;
  } catch {
    return null; // malformed input is "no metadata", never an exception
  }
}

// --- the trail: startxref → xref section → trailer → /Info → object ---------------------------------

const MAX_SECTIONS = 64; // /Prev chain bound (a loop or an absurd history gives up)

function informationDictionary(pdf: Uint8Array): Map<string, PdfValue> | null {
  if (latin1(pdf, 0, Math.min(5, pdf.length)) !== '%PDF-') return null;
  const sx = lastIndexOfAscii(pdf, 'startxref');
  if (sx < 0) return null;
  const offset = new Parser(pdf, sx + 'startxref'.length).integer();
  if (offset === null) return null;

  let infoRef: Ref | null = null;
  const seen = new Set<number>();
  let at: number | null = offset;
  for (let n = 0; at !== null && n < MAX_SECTIONS; n++) {
    if (seen.has(at)) return null;
    seen.add(at);
    const section = readXrefSection(pdf, at);
    if (!section) return null;
    // The latest trailer names the information dictionary (an update repeats the entries it keeps).
    if (n === 0) {
      const info = section.trailer.get('Info');
      if (!(info instanceof Ref)) return null;
      infoRef = info;
    }
    const entry = section.entries.get(infoRef!.num);
    if (entry) {
      if (!entry.inUse || entry.gen !== infoRef!.gen) return null;
      return dictionaryObjectAt(pdf, entry.offset, infoRef!);
    }
    const prev = section.trailer.get('Prev');
    at = typeof prev === 'number' ? prev : null;
  }
  return null;
}

interface XrefSection {
  entries: Map<number, { offset: number; gen: number; inUse: boolean }>;
  trailer: Map<string, PdfValue>;
}

/** A classic cross-reference section (`xref`, subsections, `trailer << … >>`) at `at`; null otherwise. */
function readXrefSection(pdf: Uint8Array, at: number): XrefSection | null {
  const p = new Parser(pdf, at);
  p.skipSpace();
  if (!p.keyword('xref')) return null;
  const entries: XrefSection['entries'] = new Map();
  for (;;) {
    p.skipSpace();
    if (p.keyword('trailer')) break;
    const start = p.integer();
    const count = p.integer();
    if (start === null || count === null || count > 10_000_000) return null;
    for (let i = 0; i < count; i++) {
      const offset = p.integer();
      const gen = p.integer();
      p.skipSpace();
      const kind = p.byte();
      if (offset === null || gen === null || (kind !== 0x6e /* n */ && kind !== 0x66 /* f */)) return null;
      // Within one section the first entry for a number wins; sections are read newest first.
      if (!entries.has(start + i)) entries.set(start + i, { offset, gen, inUse: kind === 0x6e });
    }
  }
  const trailer = p.value();
  return trailer instanceof Map ? { entries, trailer } : null;
}

/** The dictionary of indirect object `ref` written at `offset` (`num gen obj << … >>`). */
function dictionaryObjectAt(pdf: Uint8Array, offset: number, ref: Ref): Map<string, PdfValue> | null {
  const p = new Parser(pdf, offset);
  if (p.integer() !== ref.num || p.integer() !== ref.gen) return null;
  p.skipSpace();
  if (!p.keyword('obj')) return null;
  const value = p.value();
  return value instanceof Map ? value : null;
}

/** A metadata value: a PDF string holding printable ASCII (as the vault writes it), else undefined. */
function asciiValue(v: PdfValue | undefined): string | undefined {
  if (!(v instanceof PdfString)) return undefined;
  const text = v.text();
  return /^[\x21-\x7e]{1,200}$/.test(text) ? text : undefined;
}

// --- a small PDF object parser (§7.2–§7.3) -------------------------------------------------------------

class Ref {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}

class PdfString {
  constructor(readonly bytes: number[]) {}

  /** A text string (§7.9.2.2): UTF-16BE with its byte order mark, else byte by byte (PDFDocEncoding's ASCII range). */
  text(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      let s = '';
      for (let i = 2; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    return String.fromCharCode(...b);
  }
}

class Name {
  constructor(readonly name: string) {}
}

type PdfValue = number | boolean | null | Ref | PdfString | Name | PdfValue[] | Map<string, PdfValue> | { keyword: string };

const isWhite = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;
const isDelimiter = (c: number | undefined): boolean => c === 0x28 || c === 0x29 || c === 0x3c || c === 0x3e || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d || c === 0x2f || c === 0x25;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const MAX_DEPTH = 32;
/** Literal-string escapes (§7.3.4.2): \n \r \t \b \f \( \) \\. */
const ESCAPES: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x66: 0x0c, 0x28: 0x28, 0x29: 0x29, 0x5c: 0x5c };

class Parser {
  constructor(
    private readonly b: Uint8Array,
    private pos: number,
  ) {}

  byte(): number | undefined {
    return this.b[this.pos++];
  }

  /** Skips white space and comments. */
  skipSpace(): void {
    for (;;) {
      const c = this.b[this.pos];
      if (isWhite(c)) this.pos++;
      else if (c === 0x25 /* % */) {
        while (this.pos < this.b.length && this.b[this.pos] !== 0x0a && this.b[this.pos] !== 0x0d) this.pos++;
      } else return;
    }
  }

  /** Consumes `word` when it is next and ends there. */
  keyword(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word.charCodeAt(i)) return false;
    const after = this.b[this.pos + word.length];
    if (after !== undefined && !isWhite(after) && !isDelimiter(after)) return false;
    this.pos += word.length;
    return true;
  }

  /** A non-negative integer, or null. */
  integer(): number | null {
    this.skipSpace();
    const start = this.pos;
    while (isDigit(this.b[this.pos])) this.pos++;
    if (this.pos === start || this.pos - start > 15) return null;
    return Number(latin1(this.b, start, this.pos));
  }

  value(depth = 0): PdfValue {
    if (depth > MAX_DEPTH) throw new Error('nested too deeply');
    this.skipSpace();
    const c = this.b[this.pos];
    if (c === undefined) throw new Error('unexpected end');
    if (c === 0x3c /* < */ && this.b[this.pos + 1] === 0x3c) return this.dictionary(depth);
    if (c === 0x3c) return this.hexString();
    if (c === 0x28 /* ( */) return this.literalString();
    if (c === 0x2f /* / */) return this.name();
    if (c === 0x5b /* [ */) {
      this.pos++;
      const items: PdfValue[] = [];
      for (;;) {
        this.skipSpace();
        if (this.b[this.pos] === 0x5d) {
          this.pos++;
          return items;
        }
        items.push(this.value(depth + 1));
      }
    }
    if (isDigit(c) || c === 0x2d || c === 0x2b || c === 0x2e) return this.numberOrRef();
    const start = this.pos;
    while (this.pos < this.b.length && !isWhite(this.b[this.pos]) && !isDelimiter(this.b[this.pos])) this.pos++;
    if (this.pos === start) throw new Error(`unexpected byte ${c}`);
    const word = latin1(this.b, start, this.pos);
    return word === 'true' ? true : word === 'false' ? false : word === 'null' ? null : { keyword: word };
  }

  private dictionary(depth: number): Map<string, PdfValue> {
    this.pos += 2;
    const dict = new Map<string, PdfValue>();
    for (;;) {
      this.skipSpace();
      if (this.b[this.pos] === 0x3e && this.b[this.pos + 1] === 0x3e) {
        this.pos += 2;
        return dict;
      }
      const key = this.value(depth + 1);
      if (!(key instanceof Name)) throw new Error('dictionary key is not a name');
      const value = this.value(depth + 1);
      if (!dict.has(key.name)) dict.set(key.name, value);
    }
  }

  private name(): Name {
    this.pos++;
    let s = '';
    while (this.pos < this.b.length && !isWhite(this.b[this.pos]) && !isDelimiter(this.b[this.pos])) {
      const c = this.b[this.pos++]!;
      if (c === 0x23 /* # */) {
        const hex = latin1(this.b, this.pos, this.pos + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error('bad name escape');
        s += String.fromCharCode(parseInt(hex, 16));
        this.pos += 2;
      } else s += String.fromCharCode(c);
    }
    return new Name(s);
  }

  private hexString(): PdfString {
    this.pos++;
    const digits: number[] = [];
    for (;;) {
      const c = this.b[this.pos++];
      if (c === undefined) throw new Error('unterminated hex string');
      if (c === 0x3e) break;
      if (isWhite(c)) continue;
      const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
      if (v < 0) throw new Error('bad hex digit');
      digits.push(v);
    }
    if (digits.length % 2) digits.push(0);
    const bytes: number[] = [];
    for (let i = 0; i < digits.length; i += 2) bytes.push((digits[i]! << 4) | digits[i + 1]!);
    return new PdfString(bytes);
  }

  private literalString(): PdfString {
    this.pos++;
    const bytes: number[] = [];
    let depth = 1;
    for (;;) {
      const c = this.b[this.pos++];
      if (c === undefined) throw new Error('unterminated string');
      if (c === 0x5c /* \ */) {
        const e = this.b[this.pos++];
        if (e === undefined) throw new Error('unterminated string');
        if (ESCAPES[e] !== undefined) bytes.push(ESCAPES[e]!);
        else if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let k = 0; k < 2 && this.b[this.pos]! >= 0x30 && this.b[this.pos]! <= 0x37; k++) v = v * 8 + (this.b[this.pos++]! - 0x30);
          bytes.push(v & 0xff);
        } else if (e === 0x0d) {
          if (this.b[this.pos] === 0x0a) this.pos++; // line continuation
        } else if (e !== 0x0a) bytes.push(e);
        continue;
      }
      if (c === 0x28) depth++;
      if (c === 0x29 && --depth === 0) break;
      bytes.push(c);
    }
    return new PdfString(bytes);
  }

  /** A number, or an indirect reference `num gen R`. */
  private numberOrRef(): number | Ref {
    const start = this.pos;
    const n = this.number();
    if (Number.isInteger(n) && n >= 0 && latin1(this.b, start, this.pos).match(/^\d+$/)) {
      const save = this.pos;
      this.skipSpace();
      const genStart = this.pos;
      while (isDigit(this.b[this.pos])) this.pos++;
      if (this.pos > genStart) {
        const gen = Number(latin1(this.b, genStart, this.pos));
        this.skipSpace();
        if (this.b[this.pos] === 0x52 /* R */ && (isWhite(this.b[this.pos + 1]) || isDelimiter(this.b[this.pos + 1]) || this.b[this.pos + 1] === undefined)) {
          this.pos++;
          return new Ref(n, gen);
        }
      }
      this.pos = save;
    }
    return n;
  }

  private number(): number {
    const start = this.pos;
    if (this.b[this.pos] === 0x2d || this.b[this.pos] === 0x2b) this.pos++;
    while (isDigit(this.b[this.pos]) || this.b[this.pos] === 0x2e) this.pos++;
    const v = Number(latin1(this.b, start, this.pos));
    if (Number.isNaN(v)) throw new Error('bad number');
    return v;
  }
}
