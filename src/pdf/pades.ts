/**
 * PAdES baseline B-B signatures (ETSI EN 319 142-1, SubFilter ETSI.CAdES.detached).
 *
 * The CMS SignedData is assembled by hand with node-forge's asn1 module;
 * the RSA signature and the hashes are computed with node:crypto.
 *
 * signedAttrs: content-type (id-data), message-digest, signing-certificate-v2.
 * No signing-time attribute: the claimed signing time goes in the /M entry.
 *
 * The CMS of one signer has one size. Everything in it is fixed by the signer's certificate chain except
 * two values of fixed length: the SHA-256 message digest (32 bytes) and the RSA signature, which PKCS #1
 * v1.5 always writes as exactly the modulus length (RFC 8017 §8.2.1: I2OSP(s, k)). So the CMS is built
 * once per signer as a template (prepareSigner), its size is known before the document is written
 * (cadesSignatureSize), and the /Contents placeholder is made exactly that size: no zero padding is left
 * after the CMS for anyone to write into unsigned (issue 19, item 3). SIGNATURE_SIZE_MARGIN is the room
 * left beyond it: none.
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
  /** Bytes reserved for the CMS (the /Contents hex string is twice as long). Default: the CMS's exact size. */
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

/** Bytes reserved in /Contents beyond the CMS's computed size: the size is exact (see the top of this file). */
export const SIGNATURE_SIZE_MARGIN = 0;

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
const der_ = (a: Asn1): string => asn1.toDer(a).getBytes();
const fromDer = (bin: string): Asn1 => asn1.fromDer(forge.util.createBuffer(bin, 'raw'));

/** DER SET OF: elements sorted by their encodings (X.690 11.6). */
function derSetOf(items: Asn1[], tagClass = U, tag: number = T.SET): Asn1 {
  const encoded = items.map((i) => ({ i, d: Buffer.from(der_(i), 'binary') }));
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
  commonName: string;
  /** The signer's CMS with a zero digest and a zero signature, and where those two go. */
  template: CmsTemplate;
}

interface CmsTemplate {
  der: Uint8Array;
  /** Offset of the message-digest value (32 bytes). */
  digestAt: number;
  /** The signed attributes as stored ([0] IMPLICIT); signed as a SET OF (tag 0x31, RFC 5652 §5.4). */
  signedAttrsAt: number;
  signedAttrsEnd: number;
  /** Offset and length of the signature value (the modulus length). */
  signatureAt: number;
  signatureLength: number;
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
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'rsa' || !details?.modulusLength) throw new Error('the signing key must be RSA (the CMS names rsaEncryption)');
  const template = buildCmsTemplate({
    certs,
    issuer,
    serial,
    certHash: createHash('sha256').update(leafDer).digest('binary'),
    signatureLength: Math.ceil(details.modulusLength / 8),
  });
  const prepared: PreparedSigner = { key, commonName: cn, template };
  if (signerCache.size > 64) signerCache.clear();
  signerCache.set(cacheKey, prepared);
  return prepared;
}

/** Marker bytes that stand for the digest and the signature while the template is built and searched. */
const DIGEST_MARKER = createHash('sha256').update('licence-vault: message-digest goes here').digest();
const SIGNATURE_MARKER_BYTE = createHash('sha256').update('licence-vault: signature goes here').digest();

/**
 * SignerInfo v1 / issuerAndSerialNumber; signedAttrs content-type, message-digest,
 * signing-certificate-v2 (ESSCertIDv2, sha256 by default), built with markers in the two variable
 * places, which are then found and zeroed.
 */
function buildCmsTemplate(p: { certs: Asn1[]; issuer: Asn1; serial: Asn1; certHash: string; signatureLength: number }): CmsTemplate {
  const sha256Alg = seq([oid(OID.sha256)]); // parameters absent (RFC 5754)
  const essCertIdV2 = seq([octets(p.certHash)]); // hashAlgorithm omitted = sha256
  const signingCertV2 = seq([seq([essCertIdV2])]);
  const attrs = [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octets(DIGEST_MARKER.toString('binary'))),
    attribute(OID.signingCertificateV2, signingCertV2),
  ];
  // Signed as an explicit SET OF (tag 0x31), stored as [0] IMPLICIT. DER orders a SET OF by encoding
  // (X.690 §11.6); the attributes' lengths and OIDs decide it before any digest byte is compared, so the
  // order with the marker is the order with every digest.
  const signedAttrsSet = derSetOf(attrs);
  const signedAttrsImplicit = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, signedAttrsSet.value as Asn1[]);
  const signatureMarker = Buffer.alloc(p.signatureLength);
  for (let i = 0; i < signatureMarker.length; i++) signatureMarker[i] = SIGNATURE_MARKER_BYTE[i % 32]!;
  const signerInfo = seq([
    int(1),
    seq([p.issuer, p.serial]),
    sha256Alg,
    signedAttrsImplicit,
    seq([oid(OID.rsaEncryption), nul()]),
    octets(signatureMarker.toString('binary')),
  ]);
  const signedData = seq([
    int(1),
    asn1.create(U, T.SET, true, [sha256Alg]),
    seq([oid(OID.data)]),
    derSetOf(p.certs, asn1.Class.CONTEXT_SPECIFIC, 0),
    asn1.create(U, T.SET, true, [signerInfo]),
  ]);
  const contentInfo = seq([oid(OID.signedData), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [signedData])]);
  const der = Buffer.from(der_(contentInfo), 'binary');
  const attrsDer = Buffer.from(der_(signedAttrsImplicit), 'binary');
  const unique = (needle: Buffer, what: string): number => {
    const at = der.indexOf(needle);
    if (at < 0 || der.indexOf(needle, at + 1) >= 0) throw new Error(`CMS template: ${what} not found exactly once`);
    return at;
  };
  const digestAt = unique(DIGEST_MARKER, 'digest');
  const signedAttrsAt = unique(attrsDer, 'signed attributes');
  const signatureAt = unique(signatureMarker, 'signature');
  der.fill(0, digestAt, digestAt + 32);
  der.fill(0, signatureAt, signatureAt + p.signatureLength);
  return { der: new Uint8Array(der), digestAt, signedAttrsAt, signedAttrsEnd: signedAttrsAt + attrsDer.length, signatureAt, signatureLength: p.signatureLength };
}

/** The signer certificate's common name (the signature dictionary's /Name). */
export function signerCommonName(signer: PadesSigner): string {
  return prepareSigner(signer).commonName;
}

/** Size in bytes of the CMS `signer` produces: the same for every document (see the top of this file). */
export function cadesSignatureSize(signer: PadesSigner): number {
  return prepareSigner(signer).template.der.length;
}

/**
 * Builds a detached CMS SignedData (DER) over a SHA-256 content digest: the signer's template with the
 * digest written in, and the signature over the signed attributes (RFC 5652 §5.4: DER of the SET OF).
 */
export function buildCadesSignedData(contentDigest: Uint8Array, signer: PadesSigner): Uint8Array {
  if (contentDigest.length !== 32) throw new Error('contentDigest must be a SHA-256 digest');
  const { key, template: t } = prepareSigner(signer);
  const cms = t.der.slice();
  cms.set(contentDigest, t.digestAt);
  const toSign = cms.slice(t.signedAttrsAt, t.signedAttrsEnd);
  toSign[0] = 0x31; // [0] IMPLICIT → SET OF
  const signature = cryptoSign('sha256', toSign, key);
  if (signature.length !== t.signatureLength) throw new Error(`RSA signature of ${signature.length} bytes, expected ${t.signatureLength}`);
  cms.set(signature, t.signatureAt);
  return cms;
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
  const size = opts.signatureSize ?? cadesSignatureSize(signer) + SIGNATURE_SIZE_MARGIN;
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
  return fillSignature(pdf, { byteRangeAt: brPos, contentsAt: start, contentsEnd: end + 1 }, signer);
}

/** Where a PDF's signature placeholders are: the `/ByteRange [ 0 /********** … ]` text and the `<00…00>` hex string. */
export interface SignaturePlaceholder {
  byteRangeAt: number;
  /** Offset of `<`. */
  contentsAt: number;
  /** Offset just after `>`. */
  contentsEnd: number;
}

/** The text a signature dictionary carries until it is signed (the same width as the filled /ByteRange). */
export const BYTE_RANGE_PLACEHOLDER_TEXT = BYTE_RANGE_MARKER;

/**
 * Writes /ByteRange (everything but the /Contents hex string), hashes the covered bytes and writes the
 * CMS into /Contents. Mutates and returns `pdf`.
 */
export function fillSignature(pdf: Uint8Array, at: SignaturePlaceholder, signer: PadesSigner): Uint8Array {
  const buf = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const { contentsAt: start, contentsEnd } = at;
  const byteRange = [0, start, contentsEnd, buf.length - contentsEnd];
  const brText = `/ByteRange [${byteRange.join(' ')}]`;
  if (brText.length > BYTE_RANGE_MARKER.length) throw new Error('ByteRange does not fit');
  buf.write(brText.padEnd(BYTE_RANGE_MARKER.length, ' '), at.byteRangeAt, 'latin1');

  const digest = createHash('sha256').update(buf.subarray(0, start)).update(buf.subarray(contentsEnd)).digest();
  const cms = buildCadesSignedData(digest, signer);
  const room = contentsEnd - start - 2;
  if (2 * cms.length > room) throw new Error(`CMS (${cms.length} bytes) exceeds the reserved ${room / 2} bytes`);
  buf.write(Buffer.from(cms.buffer, cms.byteOffset, cms.byteLength).toString('hex'), start + 1, 'latin1');
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
