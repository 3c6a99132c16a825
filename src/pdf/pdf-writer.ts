/**
 * A small PDF file writer (ISO 32000-1 §7.5): numbered objects written once, in order, then a classic
 * cross-reference table and trailer. The licence renderer builds its objects as text directly; this
 * keeps the byte offsets it needs (the signature's /ByteRange and /Contents) known as it writes.
 *
 * No object streams and no xref stream: every dictionary, the information dictionary included, stays
 * readable as plain text (src/verify/pdf-metadata.ts reads /Info through the trailer without inflating
 * anything).
 */
import { deflateSync } from 'node:zlib';

/** Numbers in content streams and dictionaries: at most `digits` decimals, no exponent, no "-0". */
export function num(v: number, digits = 2): string {
  const f = 10 ** digits;
  const r = Math.round(v * f) / f;
  return r === 0 ? '0' : String(r);
}

/** A PDF text string (§7.9.2.2): literal for printable ASCII, UTF-16BE with BOM otherwise. */
export function pdfText(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;
  let hex = 'FEFF';
  for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, '0');
  return `<${hex}>`;
}

/** A PDF name (§7.3.5) from ASCII text, with delimiters and non-regular characters #-escaped. */
export function pdfName(s: string): string {
  return '/' + s.replace(/[^!-~]|[#()<>[\]{}/%]/g, (c) => `#${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class PdfWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  /** Byte offset of each object, by object number (0 is the free-list head). */
  private readonly offsets: number[] = [0];

  constructor(version = '1.7') {
    // The second line's bytes ≥ 128 tell transfer tools the file is binary (§7.5.2).
    this.push(`%PDF-${version}\n%\xe2\xe3\xcf\xd3\n`);
  }

  /** Reserves the next object number (objects may be referenced before they are written). */
  alloc(): number {
    this.offsets.push(-1);
    return this.offsets.length - 1;
  }

  /** The byte offset the next write starts at. */
  get position(): number {
    return this.length;
  }

  /** Writes `num 0 obj <body> endobj`; returns the offset of the body's first byte. */
  object(id: number, body: string): number {
    this.begin(id);
    const at = this.length;
    this.push(body);
    this.push('\nendobj\n');
    return at;
  }

  /**
   * Writes a stream object. `dict` holds the entries besides /Length (and /Filter when `deflate` is
   * given, which compresses `data` with that zlib level).
   */
  stream(id: number, dict: string, data: Uint8Array | string, deflate?: number): void {
    let bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    let entries = dict;
    if (deflate !== undefined) {
      bytes = deflateSync(bytes, { level: deflate });
      entries = `${dict} /Filter /FlateDecode`;
    }
    this.begin(id);
    this.push(`<<${entries} /Length ${bytes.length}>>\nstream\n`);
    this.pushBytes(bytes);
    this.push('\nendstream\nendobj\n');
  }

  /** Cross-reference table, trailer and end-of-file marker; returns the whole file. */
  finish(trailer: { root: number; info?: number; id?: Uint8Array }): Uint8Array {
    const xrefAt = this.length;
    const n = this.offsets.length;
    const lines = [`xref\n0 ${n}\n0000000000 65535 f \n`];
    for (let i = 1; i < n; i++) {
      const off = this.offsets[i]!;
      if (off < 0) throw new Error(`object ${i} was allocated but never written`);
      lines.push(`${String(off).padStart(10, '0')} 00000 n \n`);
    }
    const id = trailer.id ? Buffer.from(trailer.id).toString('hex').toUpperCase() : null;
    lines.push(
      `trailer\n<< /Size ${n} /Root ${trailer.root} 0 R` +
        (trailer.info ? ` /Info ${trailer.info} 0 R` : '') +
        (id ? ` /ID [<${id}> <${id}>]` : '') +
        ` >>\nstartxref\n${xrefAt}\n%%EOF\n`,
    );
    this.push(lines.join(''));
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  private begin(id: number): void {
    if (this.offsets[id] !== -1) throw new Error(`object ${id} is not allocated or already written`);
    this.offsets[id] = this.length;
    this.push(`${id} 0 obj\n`);
  }

  private push(text: string): void {
    this.pushBytes(Buffer.from(text, 'latin1'));
  }

  private pushBytes(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
}
