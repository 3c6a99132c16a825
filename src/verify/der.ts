/**
 * Minimal strict DER reader (X.690) that keeps byte offsets, so that signed
 * structures (TBSCertificate, CMS signedAttrs) are verified over their exact
 * encoded bytes rather than a re-encoding. Definite lengths only, minimal
 * length encoding, low tag numbers only — what RFC 5280 certificates and the
 * DER CMS produced by src/pdf/pades.ts use. Pure: no Buffer, no node APIs.
 */

export const TagClass = { UNIVERSAL: 0, APPLICATION: 1, CONTEXT: 2, PRIVATE: 3 } as const;

export const Tag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  T61_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export interface DerNode {
  /** Tag class (TagClass). */
  readonly cls: number;
  readonly constructed: boolean;
  /** Tag number (< 31). */
  readonly tag: number;
  /** Offset of the identifier octet in `buf`. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
  readonly buf: Uint8Array;
}

/** Reads one TLV at `offset` of `buf`, bounded by `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): DerNode {
  if (offset >= limit) throw new DerError(`truncated: no element at offset ${offset}`);
  const id = buf[offset] as number;
  const tag = id & 0x1f;
  if (tag === 0x1f) throw new DerError(`high tag numbers are not supported (offset ${offset})`);
  let p = offset + 1;
  if (p >= limit) throw new DerError(`truncated length at offset ${p}`);
  const l0 = buf[p++] as number;
  let len: number;
  if (l0 < 0x80) {
    len = l0;
  } else if (l0 === 0x80) {
    throw new DerError(`indefinite length is not DER (offset ${offset})`);
  } else {
    const n = l0 & 0x7f;
    if (n > 4) throw new DerError(`length of ${n} octets is too large (offset ${offset})`);
    if (p + n > limit) throw new DerError(`truncated length at offset ${p}`);
    if (buf[p] === 0) throw new DerError(`non-minimal length encoding (offset ${offset})`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] as number);
    if (len < 0x80) throw new DerError(`non-minimal length encoding (offset ${offset})`);
  }
  const end = p + len;
  if (end > limit) throw new DerError(`element at offset ${offset} overruns its container (${end} > ${limit})`);
  return { cls: id >> 6, constructed: (id & 0x20) !== 0, tag, start: offset, contentStart: p, end, buf };
}

/** Parses `buf` as exactly one DER element (no trailing bytes). */
export function parseDer(buf: Uint8Array): DerNode {
  const node = readTlv(buf, 0);
  if (node.end !== buf.length) throw new DerError(`${buf.length - node.end} trailing bytes after the DER element`);
  return node;
}

/** Children of a constructed element. */
export function children(node: DerNode): DerNode[] {
  if (!node.constructed) throw new DerError(`element at offset ${node.start} is not constructed`);
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.end) {
    const child = readTlv(node.buf, p, node.end);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** The full encoding (identifier, length and content) of the element. */
export function encoded(node: DerNode): Uint8Array {
  return node.buf.subarray(node.start, node.end);
}

/** The content octets of the element. */
export function content(node: DerNode): Uint8Array {
  return node.buf.subarray(node.contentStart, node.end);
}

export function is(node: DerNode | undefined, cls: number, tag: number, constructed?: boolean): node is DerNode {
  return (
    node !== undefined &&
    node.cls === cls &&
    node.tag === tag &&
    (constructed === undefined || node.constructed === constructed)
  );
}

const UNIVERSAL_NAMES: Record<number, string> = {
  1: 'BOOLEAN',
  2: 'INTEGER',
  3: 'BIT STRING',
  4: 'OCTET STRING',
  5: 'NULL',
  6: 'OBJECT IDENTIFIER',
  16: 'SEQUENCE',
  17: 'SET',
};

function describe(cls: number, tag: number): string {
  if (cls === TagClass.UNIVERSAL) return UNIVERSAL_NAMES[tag] ?? `UNIVERSAL ${tag}`;
  if (cls === TagClass.CONTEXT) return `[${tag}]`;
  return `class ${cls} tag ${tag}`;
}

/** Asserts the element's class/tag (and constructed-ness for SEQUENCE/SET); `what` names it in the error. */
export function expectTag(node: DerNode | undefined, cls: number, tag: number, what: string): DerNode {
  if (node === undefined) throw new DerError(`${what}: missing (expected ${describe(cls, tag)})`);
  const mustConstruct = cls === TagClass.UNIVERSAL && (tag === Tag.SEQUENCE || tag === Tag.SET);
  if (node.cls !== cls || node.tag !== tag || (mustConstruct && !node.constructed)) {
    throw new DerError(`${what}: expected ${describe(cls, tag)}, got ${describe(node.cls, node.tag)}`);
  }
  return node;
}

export const expectSequence = (n: DerNode | undefined, what: string): DerNode => expectTag(n, TagClass.UNIVERSAL, Tag.SEQUENCE, what);
export const expectSet = (n: DerNode | undefined, what: string): DerNode => expectTag(n, TagClass.UNIVERSAL, Tag.SET, what);

/** OBJECT IDENTIFIER content → dotted string. */
export function readOid(node: DerNode | undefined, what: string): string {
  const n = expectTag(node, TagClass.UNIVERSAL, Tag.OID, what);
  const c = content(n);
  if (c.length === 0) throw new DerError(`${what}: empty OBJECT IDENTIFIER`);
  const arcs: bigint[] = [];
  let v = 0n;
  let startOfArc = true;
  for (const b of c) {
    if (startOfArc && b === 0x80) throw new DerError(`${what}: non-minimal OBJECT IDENTIFIER arc`);
    v = (v << 7n) | BigInt(b & 0x7f);
    startOfArc = (b & 0x80) === 0;
    if (startOfArc) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (!startOfArc) throw new DerError(`${what}: truncated OBJECT IDENTIFIER`);
  const first = arcs[0] as bigint;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** INTEGER content bytes (two's complement, as encoded). */
export function readIntegerBytes(node: DerNode | undefined, what: string): Uint8Array {
  const n = expectTag(node, TagClass.UNIVERSAL, Tag.INTEGER, what);
  const c = content(n);
  if (c.length === 0) throw new DerError(`${what}: empty INTEGER`);
  return c;
}

/** Small non-negative INTEGER as a number. */
export function readSmallInteger(node: DerNode | undefined, what: string): number {
  const c = readIntegerBytes(node, what);
  if (c.length > 4 || ((c[0] as number) & 0x80) !== 0) throw new DerError(`${what}: INTEGER out of range`);
  let v = 0;
  for (const b of c) v = v * 256 + b;
  return v;
}

export function readOctetString(node: DerNode | undefined, what: string): Uint8Array {
  const n = expectTag(node, TagClass.UNIVERSAL, Tag.OCTET_STRING, what);
  if (n.constructed) throw new DerError(`${what}: constructed OCTET STRING is not DER`);
  return content(n);
}

/** BIT STRING → { unusedBits, bytes }. */
export function readBitString(node: DerNode | undefined, what: string): { unusedBits: number; bytes: Uint8Array } {
  const n = expectTag(node, TagClass.UNIVERSAL, Tag.BIT_STRING, what);
  if (n.constructed) throw new DerError(`${what}: constructed BIT STRING is not DER`);
  const c = content(n);
  const unusedBits = c[0];
  if (unusedBits === undefined || unusedBits > 7 || (c.length === 1 && unusedBits !== 0)) {
    throw new DerError(`${what}: malformed BIT STRING`);
  }
  return { unusedBits, bytes: c.subarray(1) };
}

export function readBoolean(node: DerNode | undefined, what: string): boolean {
  const c = content(expectTag(node, TagClass.UNIVERSAL, Tag.BOOLEAN, what));
  if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) throw new DerError(`${what}: malformed BOOLEAN`);
  return c[0] === 0xff;
}

/** UTCTime / GeneralizedTime (RFC 5280 §4.1.2.5 forms, Z only; fractional seconds tolerated in GeneralizedTime). */
export function readTime(node: DerNode | undefined, what: string): Date {
  if (node === undefined || node.cls !== TagClass.UNIVERSAL) throw new DerError(`${what}: missing time`);
  let s = '';
  for (const b of content(node)) s += String.fromCharCode(b);
  let m: RegExpExecArray | null;
  let year: number;
  if (node.tag === Tag.UTC_TIME) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
    if (!m) throw new DerError(`${what}: malformed UTCTime ${JSON.stringify(s)}`);
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (node.tag === Tag.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
    if (!m) throw new DerError(`${what}: malformed GeneralizedTime ${JSON.stringify(s)}`);
    year = Number(m[1]);
  } else {
    throw new DerError(`${what}: expected UTCTime or GeneralizedTime`);
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  if (
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    se > 59
  ) {
    throw new DerError(`${what}: invalid date ${JSON.stringify(s)}`);
  }
  return date;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** Directory-string style values → JS string. */
export function readString(node: DerNode, what: string): string {
  const c = content(node);
  if (node.cls !== TagClass.UNIVERSAL) throw new DerError(`${what}: not a string`);
  switch (node.tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8Fatal.decode(c);
      } catch {
        throw new DerError(`${what}: invalid UTF-8`);
      }
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.T61_STRING: {
      let s = '';
      for (const b of c) s += String.fromCharCode(b);
      return s;
    }
    case Tag.BMP_STRING: {
      if (c.length % 2 !== 0) throw new DerError(`${what}: odd-length BMPString`);
      let s = '';
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode(((c[i] as number) << 8) | (c[i + 1] as number));
      return s;
    }
    case Tag.UNIVERSAL_STRING: {
      if (c.length % 4 !== 0) throw new DerError(`${what}: malformed UniversalString`);
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = (((c[i] as number) << 24) | ((c[i + 1] as number) << 16) | ((c[i + 2] as number) << 8) | (c[i + 3] as number)) >>> 0;
        if (cp > 0x10ffff) throw new DerError(`${what}: invalid code point`);
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw new DerError(`${what}: unsupported string type ${node.tag}`);
  }
}
