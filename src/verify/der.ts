/**
 * DER decoding for the verifier, by the @peculiar/asn1-schema family (asn1-x509, asn1-cms), behind a
 * strict-DER gate. The library reads BER and is lenient on purpose, which a verifier must not be
 * (measured with asn1-schema 2.11.1 / asn1js 3.1.0): it accepts indefinite lengths, non-minimal
 * lengths (its "needlessly long encoded length" warning tests the last length octet instead of the
 * first), high-tag-number forms, trailing bytes after the element, BOOLEAN TRUE encoded as 0x01, and
 * elements that its schema does not define (an extra element in a Certificate or a TBSCertificate).
 * So every decode here:
 *   1. checks the whole encoding is strict DER (assertDer below: definite minimal lengths, low tag
 *      numbers, SEQUENCE/SET the only constructed universal types, no trailing bytes, canonical
 *      BOOLEAN/NULL/OBJECT IDENTIFIER/BIT STRING headers);
 *   2. decodes it with asn1js (the library's decoder) and maps it onto the library's schema class;
 *   3. requires the typed result to re-encode to exactly the received bytes, so the schema accounts
 *      for every byte: an element the schema does not define, a DEFAULT value encoded explicitly, a
 *      value the library would silently normalise (UTCTime month 13 rolls over, invalid UTF-8 becomes
 *      U+FFFD, a UniversalString code point above U+FFFF loses its high bits, BIT STRING unused bits
 *      are dropped) is refused instead of being read differently from what was signed.
 * Signed structures (TBSCertificate, signedAttrs) are then verified over the RECEIVED bytes (rawBytes
 * of the decoded node, the same view the library exposes as tbsCertificateRaw), never a re-encoding.
 * Pure: no Buffer, no node APIs.
 */
import { AsnConvert, AsnParser } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';

import { bytesEqual } from '../proofs/bytes.ts';

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** A decoded element: asn1js block with the exact received bytes in `valueBeforeDecodeView`. */
export type Asn1Node = asn1js.AsnType;

/** Deepest nesting accepted (a CMS with certificates needs about 12). */
const MAX_DEPTH = 64;

/** Tag class in the identifier octet's top two bits. */
const UNIVERSAL = 0;
/** asn1js numbers tag classes from 1: 1 universal, 2 application, 3 context-specific, 4 private. */
const ASN1JS_CONTEXT = 3;

/** Throws DerError unless `buf` is exactly one strict-DER element (X.690 §10) throughout. */
export function assertDer(buf: Uint8Array, what: string): void {
  const end = checkElement(buf, 0, buf.length, 0, what);
  if (end !== buf.length) throw new DerError(`${what}: ${buf.length - end} trailing bytes after the DER element`);
}

function checkElement(buf: Uint8Array, offset: number, limit: number, depth: number, what: string): number {
  const fail = (why: string): never => {
    throw new DerError(`${what}: ${why} (offset ${offset})`);
  };
  if (offset >= limit) fail('truncated: no element');
  const id = buf[offset] as number;
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  const tag = id & 0x1f;
  if (tag === 0x1f) fail('high tag numbers are not supported');
  let p = offset + 1;
  if (p >= limit) fail('truncated length');
  const l0 = buf[p++] as number;
  let len = l0;
  if (l0 === 0x80) fail('indefinite length is not DER');
  if (l0 > 0x80) {
    const n = l0 & 0x7f;
    if (n > 4) fail(`length of ${n} octets is too large`);
    if (p + n > limit) fail('truncated length');
    if (buf[p] === 0) fail('non-minimal length encoding');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p++] as number);
    if (len < 0x80) fail('non-minimal length encoding');
  }
  const end = p + len;
  if (end > limit) fail(`element overruns its container (${end} > ${limit})`);
  if (cls === UNIVERSAL) {
    // Only SEQUENCE and SET are constructed in DER (constructed strings are BER); end-of-contents is BER.
    if (constructed !== (tag === 16 || tag === 17)) fail(`universal tag ${tag} must be ${constructed ? 'primitive' : 'constructed'}`);
    if (tag === 0) fail('end-of-contents is not DER');
    const c = buf.subarray(p, end);
    if (tag === 1 && (len !== 1 || (c[0] !== 0 && c[0] !== 0xff))) fail('BOOLEAN is not 0x00 or 0xFF');
    if (tag === 2 && len === 0) fail('empty INTEGER');
    if (tag === 3 && (len === 0 || (c[0] as number) > 7 || (len === 1 && c[0] !== 0))) fail('malformed BIT STRING');
    if (tag === 5 && len !== 0) fail('NULL with content');
    if (tag === 6 && (len === 0 || ((c[len - 1] as number) & 0x80) !== 0 || c.some((b, i) => b === 0x80 && (i === 0 || ((c[i - 1] as number) & 0x80) === 0)))) {
      fail('malformed OBJECT IDENTIFIER');
    }
  }
  if (constructed) {
    if (depth >= MAX_DEPTH) fail('nested too deeply');
    while (p < end) p = checkElement(buf, p, end, depth + 1, what);
  }
  return end;
}

/** Strict-DER check, then asn1js decode of `buf` (one element, no trailing bytes). */
export function decodeDer(buf: Uint8Array, what: string): Asn1Node {
  assertDer(buf, what);
  let decoded: ReturnType<typeof asn1js.fromBER>;
  try {
    decoded = asn1js.fromBER(buf); // throws on some malformed values (an odd-length BMPString)
  } catch (err) {
    throw new DerError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (decoded.offset !== buf.length || decoded.result.error) {
    throw new DerError(`${what}: ${decoded.result.error || 'could not be decoded'}`);
  }
  return decoded.result;
}

/** The exact received bytes (identifier, length, content) of a decoded element. */
export function rawBytes(node: Asn1Node): Uint8Array {
  return node.valueBeforeDecodeView;
}

/** The elements of a constructed element. */
export function elements(node: Asn1Node | undefined, what: string): Asn1Node[] {
  const value = (node?.valueBlock as { value?: unknown } | undefined)?.value;
  if (!Array.isArray(value)) throw new DerError(`${what}: missing or not constructed`);
  return value as Asn1Node[];
}

export function isContextTag(node: Asn1Node | undefined, tagNumber: number): boolean {
  return node !== undefined && node.idBlock.tagClass === ASN1JS_CONTEXT && node.idBlock.tagNumber === tagNumber;
}

/**
 * Maps a decoded element onto the library schema `type` (an asn1-x509 / asn1-cms class, or one
 * declared with AsnProp), and requires the result to re-encode to exactly the received bytes.
 */
export function fromNode<T>(node: Asn1Node, type: new () => T, what: string): T {
  let value: T;
  let reencoded: Uint8Array;
  try {
    value = AsnParser.fromASN(node, type);
    reencoded = new Uint8Array(AsnConvert.serialize(value));
  } catch (err) {
    throw new DerError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!bytesEqual(reencoded, rawBytes(node))) {
    throw new DerError(`${what}: does not match its ASN.1 definition exactly (unexpected elements or values)`);
  }
  return value;
}

/** decodeDer + fromNode. */
export function parseDerAs<T>(buf: Uint8Array, type: new () => T, what: string): T {
  return fromNode(decodeDer(buf, what), type, what);
}
