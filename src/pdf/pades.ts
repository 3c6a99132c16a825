/**
 * PAdES baseline B-B signatures (ETSI EN 319 142-1, SubFilter ETSI.CAdES.detached).
 *
 * The CMS SignedData is assembled by hand with node-forge's asn1 module;
 * the RSA signature and the hashes are computed with node:crypto.
 *
 * signedAttrs: content-type (id-data), message-digest, signing-certificate-v2.
 * No signing-time attribute: the claimed signing time goes in the /M entry.
 */
import { createHash, createPrivateKey, sign as cryptoSign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFString } from 'pdf-lib';
import type { PDFRef } from 'pdf-lib';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

export interface PadesSigner {
  keyPem: string;
  /** Signer certificate first, then the rest of the chain (CA last). */
  chainPem: string[];
}

export interface PadesOptions {
  signingTime: Date;
  reason?: string;
  location?: string;
  signerName?: string;
  contactInfo?: string;
  /** Bytes reserved for the CMS (the /Contents hex string is twice as long). Default 16 KiB. */
  signatureSize?: number;
  /** Field name of the signature field. Default `Signature1`. */
  fieldName?: string;
}

export interface ExtractedSignature {
  byteRange: number[];
  /** CMS ContentInfo DER, trailing placeholder zeros removed. */
  cmsDer: Uint8Array;
  /** Concatenation of the two byte ranges (what the message-digest covers). */
  signedBytes: Uint8Array;
}

export const DEFAULT_SIGNATURE_SIZE = 16384;

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;

const BYTE_RANGE_PLACEHOLDER = '**********';
const BYTE_RANGE_MARKER = `/ByteRange [ 0 /${BYTE_RANGE_PLACEHOLDER} /${BYTE_RANGE_PLACEHOLDER} /${BYTE_RANGE_PLACEHOLDER} ]`;

// ---------------------------------------------------------------------------
// ASN.1 helpers (forge binary strings)
// ---------------------------------------------------------------------------

const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

const seq = (items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);
const oid = (o: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
const int = (n: number): Asn1 => asn1.create(U, T.INTEGER, false, asn1.integerToDer(n).getBytes());
const octets = (bin: string): Asn1 => asn1.create(U, T.OCTETSTRING, false, bin);
const nul = (): Asn1 => asn1.create(U, T.NULL, false, '');
const der = (a: Asn1): string => asn1.toDer(a).getBytes();
const fromDer = (bin: string): Asn1 => asn1.fromDer(forge.util.createBuffer(bin, 'raw'));
const toBin = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('binary');

/** DER SET OF: elements sorted by their encodings (X.690 11.6). */
function derSetOf(items: Asn1[], tagClass = U, tag: number = T.SET): Asn1 {
  const encoded = items.map((i) => ({ i, d: Buffer.from(der(i), 'binary') }));
  encoded.sort((a, b) => {
    const n = Math.max(a.d.length, b.d.length);
    for (let k = 0; k < n; k++) {
      const x = a.d[k] ?? 0;
      const y = b.d[k] ?? 0;
      if (x !== y) return x - y;
    }
    return 0;
  });
  return asn1.create(tagClass, tag, true, encoded.map((e) => e.i));
}

const attribute = (type: string, value: Asn1): Asn1 => seq([oid(type), asn1.create(U, T.SET, true, [value])]);

// ---------------------------------------------------------------------------
// Signer preparation (cached: parsing keys and certificates costs more than signing)
// ---------------------------------------------------------------------------

interface PreparedSigner {
  key: KeyObject;
  certs: Asn1[];
  issuer: Asn1;
  serial: Asn1;
  certHash: string;
  commonName: string;
}

const signerCache = new Map<string, PreparedSigner>();

function pemToDer(pem: string): Buffer {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

function prepareSigner(signer: PadesSigner): PreparedSigner {
  const cacheKey = signer.keyPem + '\n' + signer.chainPem.join('\n');
  const hit = signerCache.get(cacheKey);
  if (hit) return hit;
  const [leafPem] = signer.chainPem;
  if (!leafPem) throw new Error('chainPem must contain at least the signer certificate');
  const key = createPrivateKey(signer.keyPem);
  const leafX509 = new X509Certificate(leafPem);
  if (!leafX509.checkPrivateKey(key)) throw new Error('keyPem does not match the signer certificate');
  const leafDer = pemToDer(leafPem);
  const leaf = fromDer(leafDer.toString('binary'));
  // Certificate ::= SEQUENCE { tbsCertificate, ... }; tbs = [version] serial sig issuer ...
  const tbs = (leaf.value as Asn1[])[0]!;
  const tbsItems = tbs.value as Asn1[];
  const off = tbsItems[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const serial = tbsItems[off]!;
  const issuer = tbsItems[off + 2]!;
  const certs = signer.chainPem.map((p) => fromDer(pemToDer(p).toString('binary')));
  const cn = /CN=([^\n]+)/.exec(leafX509.subject)?.[1] ?? '';
  const prepared: PreparedSigner = {
    key,
    certs,
    issuer,
    serial,
    certHash: createHash('sha256').update(leafDer).digest('binary'),
    commonName: cn,
  };
  if (signerCache.size > 64) signerCache.clear();
  signerCache.set(cacheKey, prepared);
  return prepared;
}

/**
 * Builds a detached CMS SignedData (DER) over a SHA-256 content digest.
 * SignerInfo v1 / issuerAndSerialNumber; signedAttrs content-type,
 * message-digest, signing-certificate-v2 (ESSCertIDv2, sha256 by default).
 */
export function buildCadesSignedData(contentDigest: Uint8Array, signer: PadesSigner): Uint8Array {
  const p = prepareSigner(signer);
  const sha256Alg = seq([oid(OID.sha256)]); // parameters absent (RFC 5754)

  const essCertIdV2 = seq([octets(p.certHash)]); // hashAlgorithm omitted = sha256
  const signingCertV2 = seq([seq([essCertIdV2])]);
  const attrs = [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octets(toBin(contentDigest))),
    attribute(OID.signingCertificateV2, signingCertV2),
  ];
  // Signed as an explicit SET OF (tag 0x31), stored as [0] IMPLICIT.
  const signedAttrsSet = derSetOf(attrs);
  const toSign = Buffer.from(der(signedAttrsSet), 'binary');
  const signature = cryptoSign('sha256', toSign, p.key).toString('binary');
  const signedAttrsImplicit = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, signedAttrsSet.value as Asn1[]);

  const signerInfo = seq([
    int(1),
    seq([p.issuer, p.serial]),
    sha256Alg,
    signedAttrsImplicit,
    seq([oid(OID.rsaEncryption), nul()]),
    octets(signature),
  ]);

  const signedData = seq([
    int(1),
    asn1.create(U, T.SET, true, [sha256Alg]),
    seq([oid(OID.data)]),
    derSetOf(p.certs, asn1.Class.CONTEXT_SPECIFIC, 0),
    asn1.create(U, T.SET, true, [signerInfo]),
  ]);
  const contentInfo = seq([oid(OID.signedData), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [signedData])]);
  return new Uint8Array(Buffer.from(der(contentInfo), 'binary'));
}

// ---------------------------------------------------------------------------
// PDF side
// ---------------------------------------------------------------------------

/** PDF date string `D:YYYYMMDDHHmmSSZ` (UTC). */
export function pdfDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  );
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);
const textString = (s: string) => (isAscii(s) ? PDFString.of(s) : PDFHexString.fromText(s));

/**
 * Adds an invisible signature field + widget on page 1 and a /Sig dictionary
 * with /ByteRange and /Contents placeholders. Save with
 * `useObjectStreams: false`, then call `signPreparedPdf`.
 */
export function addSignaturePlaceholder(pdfDoc: PDFDocument, signer: PadesSigner, opts: PadesOptions): PDFRef {
  const ctx = pdfDoc.context;
  const size = opts.signatureSize ?? DEFAULT_SIGNATURE_SIZE;
  const signerName = opts.signerName ?? prepareSigner(signer).commonName;
  const byteRange = PDFArray.withContext(ctx);
  byteRange.push(PDFNumber.of(0));
  for (let i = 0; i < 3; i++) byteRange.push(PDFName.of(BYTE_RANGE_PLACEHOLDER));

  const sig = ctx.obj({
    Type: 'Sig',
    Filter: 'Adobe.PPKLite',
    SubFilter: 'ETSI.CAdES.detached',
  }) as PDFDict;
  sig.set(PDFName.of('ByteRange'), byteRange);
  sig.set(PDFName.of('Contents'), PDFHexString.of('0'.repeat(size * 2)));
  sig.set(PDFName.of('M'), PDFString.of(pdfDate(opts.signingTime)));
  if (signerName) sig.set(PDFName.of('Name'), textString(signerName));
  if (opts.reason) sig.set(PDFName.of('Reason'), textString(opts.reason));
  if (opts.location) sig.set(PDFName.of('Location'), textString(opts.location));
  if (opts.contactInfo) sig.set(PDFName.of('ContactInfo'), textString(opts.contactInfo));
  const sigRef = ctx.register(sig);

  const page = pdfDoc.getPage(0);
  const widget = ctx.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    Rect: [0, 0, 0, 0],
    F: 132, // Print | Locked
    P: page.ref,
  }) as PDFDict;
  widget.set(PDFName.of('T'), PDFString.of(opts.fieldName ?? 'Signature1'));
  widget.set(PDFName.of('V'), sigRef);
  const widgetRef = ctx.register(widget);

  const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
  if (annots) annots.push(widgetRef);
  else page.node.set(PDFName.of('Annots'), ctx.obj([widgetRef]));

  const catalog = pdfDoc.catalog;
  let acroForm = catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  if (!acroForm) {
    acroForm = ctx.obj({}) as PDFDict;
    catalog.set(PDFName.of('AcroForm'), ctx.register(acroForm));
  }
  const fields = acroForm.lookupMaybe(PDFName.of('Fields'), PDFArray);
  if (fields) fields.push(widgetRef);
  else acroForm.set(PDFName.of('Fields'), ctx.obj([widgetRef]));
  acroForm.set(PDFName.of('SigFlags'), PDFNumber.of(3));
  return sigRef;
}

function indexOfAscii(buf: Buffer, s: string, from = 0): number {
  return buf.indexOf(s, from, 'latin1');
}

/**
 * Fills /ByteRange and /Contents of a PDF saved after addSignaturePlaceholder.
 * Mutates and returns `pdf`.
 */
export function signPreparedPdf(pdf: Uint8Array, signer: PadesSigner): Uint8Array {
  const buf = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const brPos = buf.lastIndexOf(BYTE_RANGE_MARKER, undefined, 'latin1');
  if (brPos < 0) throw new Error('signature placeholder (/ByteRange) not found — saved with object streams?');
  // /Contents of the same dictionary: pdf-lib writes dict entries in insertion order.
  const cPos = indexOfAscii(buf, '/Contents <', brPos);
  if (cPos < 0) throw new Error('signature placeholder (/Contents) not found');
  const start = cPos + '/Contents '.length; // offset of '<'
  const end = buf.indexOf(0x3e /* > */, start); // offset of '>'
  if (end < 0) throw new Error('unterminated /Contents');
  const contentsEnd = end + 1;
  const byteRange = [0, start, contentsEnd, buf.length - contentsEnd];
  const brText = `/ByteRange [${byteRange.join(' ')}]`;
  if (brText.length > BYTE_RANGE_MARKER.length) throw new Error('ByteRange does not fit');
  buf.write(brText.padEnd(BYTE_RANGE_MARKER.length, ' '), brPos, 'latin1');

  const digest = createHash('sha256').update(buf.subarray(0, start)).update(buf.subarray(contentsEnd)).digest();
  const cms = buildCadesSignedData(digest, signer);
  const hex = Buffer.from(cms).toString('hex');
  const room = contentsEnd - start - 2;
  if (hex.length > room) throw new Error(`CMS (${cms.length} bytes) exceeds the reserved ${room / 2} bytes`);
  buf.write(hex, start + 1, 'latin1');
  return pdf;
}

/**
 * Signs an existing PDF (PAdES B-B). Synchronous-looking but returns a
 * Promise because pdf-lib's load/save are async.
 */
export async function signPdfPades(pdf: Uint8Array, signer: PadesSigner, opts: PadesOptions): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  addSignaturePlaceholder(doc, signer, opts);
  const saved = await doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
  return signPreparedPdf(saved, signer);
}

/** Reads the (last) signature's ByteRange, CMS and covered bytes. */
export function extractSignature(pdf: Uint8Array): ExtractedSignature {
  const buf = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const pos = buf.lastIndexOf('/ByteRange', undefined, 'latin1');
  if (pos < 0) throw new Error('no /ByteRange in PDF');
  const m = /^\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(buf.subarray(pos, pos + 80).toString('latin1'));
  if (!m) throw new Error('malformed /ByteRange');
  const byteRange = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const [a, b, c, d] = byteRange as [number, number, number, number];
  if (a !== 0 || c + d !== buf.length || b >= c) throw new Error('ByteRange does not cover the whole file except /Contents');
  if (buf[b] !== 0x3c || buf[c - 1] !== 0x3e) throw new Error('ByteRange gap is not the /Contents hex string');
  const hex = buf.subarray(b + 1, c - 1).toString('latin1');
  const raw = Buffer.from(hex, 'hex');
  // Trim the placeholder padding using the outer DER length.
  let len = raw.length;
  if (raw[0] === 0x30 && raw.length > 2) {
    const l0 = raw[1]!;
    if (l0 < 0x80) len = 2 + l0;
    else {
      const n = l0 & 0x7f;
      let l = 0;
      for (let i = 0; i < n; i++) l = l * 256 + raw[2 + i]!;
      len = 2 + n + l;
    }
  }
  const signedBytes = Buffer.concat([buf.subarray(a, a + b), buf.subarray(c, c + d)]);
  return {
    byteRange,
    cmsDer: new Uint8Array(raw.subarray(0, Math.min(len, raw.length))),
    signedBytes: new Uint8Array(signedBytes.buffer, signedBytes.byteOffset, signedBytes.byteLength),
  };
}
