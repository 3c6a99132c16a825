/**
 * CMS SignedData (RFC 5652) as produced for PAdES B-B / CAdES (ETSI EN 319 122):
 * detached, SHA-256, signed attributes content-type, message-digest and
 * signing-certificate-v2 (RFC 5035), RSA PKCS#1 v1.5 signature over the DER
 * of the signed attributes re-tagged as SET (RFC 5652 §5.4).
 * Read with @peculiar/asn1-cms behind the strict-DER gate of ./der.ts; the
 * signed attributes and the certificates are kept as their received bytes.
 * Pure: no Buffer, no node APIs.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { MessageDigest, SignedData, SigningTime } from '@peculiar/asn1-cms';
import type { SignerInfo } from '@peculiar/asn1-cms';
import {
  AsnIntegerArrayBufferConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
} from '@peculiar/asn1-schema';
import { AlgorithmIdentifier as AsnAlgorithmIdentifier, GeneralNames, PolicyInformation } from '@peculiar/asn1-x509';

import { bytesEqual } from '../proofs/bytes.ts';
import { DerError, decodeDer, elements, fromNode, isContextTag, parseDerAs, rawBytes } from './der.ts';
import type { Asn1Node } from './der.ts';
import { verifyRsaPkcs1Sha256 } from './rsa.ts';
import { OID as X509_OID, algorithmIdentifier, certificateFromNode, hasNullOrAbsentParameters } from './x509.ts';
import type { AlgorithmIdentifier, Certificate } from './x509.ts';

export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: X509_OID.sha256,
  rsaEncryption: X509_OID.rsaEncryption,
  sha256WithRSAEncryption: X509_OID.sha256WithRSAEncryption,
} as const;

export interface SignedAttribute {
  readonly oid: string;
  /** DER of each value, as received. */
  readonly values: readonly Uint8Array[];
}

export interface ParsedSignedData {
  readonly eContentType: string;
  readonly certificates: readonly Certificate[];
  /** The certificate the SignerInfo's sid designates. */
  readonly signerCert: Certificate;
  readonly digestAlgorithm: AlgorithmIdentifier;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly signedAttrs: readonly SignedAttribute[];
  /** DER of the signed attributes with the SET OF tag (0x31): what the signature covers. */
  readonly signedAttrsDer: Uint8Array;
  readonly messageDigest: Uint8Array;
  /** signing-time attribute, if present (PAdES puts the claimed time in /M instead). */
  readonly signingTime?: Date;
}

/** Thrown by parseSignedData for a structurally invalid CMS (DerError also escapes for encoding errors). */
export class CmsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CmsError';
  }
}

function cmsFail(message: string): never {
  throw new CmsError(message);
}

// Schemas the verifier needs that asn1-cms does not define, declared with its decorators (called as
// functions, in field order). A ContentInfo whose content is typed as SignedData (asn1-cms types it ANY):
// one decode and one exactness check (der.ts fromNode) cover the whole CMS.
class SignedDataContentInfo {
  contentType = '';
  content = new SignedData();
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(SignedDataContentInfo.prototype, 'contentType');
AsnProp({ type: SignedData, context: 0 })(SignedDataContentInfo.prototype, 'content');

// The values of the content-type (RFC 5652 §11.1) and signing-certificate-v2 (RFC 5035 §5.4) attributes.
class ContentTypeValue {
  value = '';
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(ContentTypeValue.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(ContentTypeValue);

class IssuerSerial {
  issuer = new GeneralNames();
  serialNumber = new ArrayBuffer(0);
}
AsnProp({ type: GeneralNames })(IssuerSerial.prototype, 'issuer');
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(IssuerSerial.prototype, 'serialNumber');

class EssCertIdV2 {
  hashAlgorithm?: AsnAlgorithmIdentifier; // DEFAULT {algorithm id-sha256}
  certHash = new OctetString();
  issuerSerial?: IssuerSerial;
}
AsnProp({ type: AsnAlgorithmIdentifier, optional: true })(EssCertIdV2.prototype, 'hashAlgorithm');
AsnProp({ type: OctetString })(EssCertIdV2.prototype, 'certHash');
AsnProp({ type: IssuerSerial, optional: true })(EssCertIdV2.prototype, 'issuerSerial');

class SigningCertificateV2 {
  certs: EssCertIdV2[] = [];
  policies?: PolicyInformation[];
}
AsnProp({ type: EssCertIdV2, repeated: 'sequence' })(SigningCertificateV2.prototype, 'certs');
AsnProp({ type: PolicyInformation, repeated: 'sequence', optional: true })(SigningCertificateV2.prototype, 'policies');

function singleValue(attrs: readonly SignedAttribute[], oid: string, name: string): Uint8Array | undefined {
  const matching = attrs.filter((a) => a.oid === oid);
  if (matching.length === 0) return undefined;
  const [attr] = matching;
  if (attr === undefined || matching.length > 1) cmsFail(`signed attribute ${name} appears more than once`);
  if (attr.values.length !== 1) cmsFail(`signed attribute ${name} must have exactly one value`);
  return attr.values[0];
}

const smallInteger = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || v < 0) throw new DerError(`${what}: INTEGER out of range`);
  return v;
};

// Why: RFC 5652 §5.1-5.3 structure of a ContentInfo carrying SignedData with exactly one SignerInfo.
export function parseSignedData(cmsDer: Uint8Array): ParsedSignedData {
  // One strict-DER check and one exactness check over the whole CMS, certificates and attributes included.
  const root = decodeDer(cmsDer, 'ContentInfo');
  const ci = fromNode(root, SignedDataContentInfo, 'ContentInfo (SignedData)');
  if (ci.contentType !== CMS_OID.signedData) cmsFail('ContentInfo is not id-signedData');
  const sd = ci.content;
  const [sdNode] = elements(elements(root, 'ContentInfo')[1], 'ContentInfo.content');
  smallInteger(sd.version, 'SignedData.version');
  const eContentType = sd.encapContentInfo.eContentType;
  if (sd.encapContentInfo.eContent !== undefined) cmsFail('SignedData is not detached: eContent is present');
  // Certificates with their received bytes (their hash is bound by signing-certificate-v2); the library's
  // reading of each is reused, in the same order as the elements.
  const sdItems = elements(sdNode, 'SignedData');
  const certsNode = sdItems.find((n) => isContextTag(n, 0));
  const certNodes = certsNode ? elements(certsNode, 'SignedData.certificates') : [];
  const certificates: Certificate[] = [];
  certNodes.forEach((node, i) => {
    const parsed = sd.certificates?.[i]?.certificate;
    if (parsed !== undefined) certificates.push(certificateFromNode(node, parsed)); // else attribute / other formats
  });
  if (sd.signerInfos.length !== 1) cmsFail(`expected exactly one SignerInfo, found ${sd.signerInfos.length}`);
  const si = sd.signerInfos[0] as SignerInfo;
  const [siNode] = elements(sdItems[sdItems.length - 1], 'SignedData.signerInfos');
  const siItems = elements(siNode, 'SignerInfo');

  const siVersion = smallInteger(si.version, 'SignerInfo.version');
  let signerCert: Certificate | undefined;
  if (siVersion === 1) {
    const ias = si.sid.issuerAndSerialNumber;
    if (ias === undefined) cmsFail('SignerInfo version 1 needs an IssuerAndSerialNumber sid');
    const [issuerNode] = elements(siItems[1], 'IssuerAndSerialNumber');
    const issuerDer = rawBytes(issuerNode as Asn1Node);
    const serialBytes = new Uint8Array(ias.serialNumber);
    signerCert = certificates.find((c) => bytesEqual(c.issuerDer, issuerDer) && bytesEqual(c.serial, serialBytes));
  } else if (siVersion === 3) {
    const ski = si.sid.subjectKeyIdentifier;
    if (ski === undefined) cmsFail('SignerInfo version 3 needs a SubjectKeyIdentifier sid');
    const skiBytes = new Uint8Array(ski.buffer);
    signerCert = certificates.find((c) => c.subjectKeyIdentifier !== undefined && bytesEqual(c.subjectKeyIdentifier, skiBytes));
  } else {
    cmsFail(`unsupported SignerInfo version ${siVersion}`);
  }
  if (signerCert === undefined) cmsFail('the signer certificate is not included in SignedData.certificates');

  const attrsNode = siItems.find((n) => isContextTag(n, 0));
  if (si.signedAttrs === undefined || attrsNode === undefined) cmsFail('SignerInfo has no signed attributes');
  const signedAttrs: SignedAttribute[] = si.signedAttrs.map((a) => ({ oid: a.attrType, values: a.attrValues.map((v) => new Uint8Array(v)) }));
  if (signedAttrs.length === 0) cmsFail('signed attributes are empty');
  // RFC 5652 §5.4: the signature is computed over the DER of the SET OF, i.e. tag 0x31 instead of [0] IMPLICIT (0xA0).
  // The received bytes: asn1-cms declares SignerInfo.signedAttrsRaw, but asn1-schema 2.11.1 never fills it.
  const signedAttrsDer = rawBytes(attrsNode).slice();
  signedAttrsDer[0] = 0x31;

  const ctValue = singleValue(signedAttrs, CMS_OID.contentType, 'content-type');
  if (ctValue === undefined) cmsFail('signed attribute content-type is missing');
  const ct = parseDerAs(ctValue, ContentTypeValue, 'content-type').value;
  if (ct !== eContentType) cmsFail(`content-type attribute ${ct} differs from eContentType ${eContentType}`);
  const mdValue = singleValue(signedAttrs, CMS_OID.messageDigest, 'message-digest');
  if (mdValue === undefined) cmsFail('signed attribute message-digest is missing');
  const messageDigest = new Uint8Array(parseDerAs(mdValue, MessageDigest, 'message-digest').buffer);
  const stValue = singleValue(signedAttrs, CMS_OID.signingTime, 'signing-time');
  const signingTime = stValue === undefined ? undefined : parseDerAs(stValue, SigningTime, 'signing-time').getTime();

  return {
    eContentType,
    certificates,
    signerCert,
    digestAlgorithm: algorithmIdentifier(si.digestAlgorithm),
    signatureAlgorithm: algorithmIdentifier(si.signatureAlgorithm),
    signature: new Uint8Array(si.signature.buffer),
    signedAttrs,
    signedAttrsDer,
    messageDigest,
    ...(signingTime ? { signingTime } : {}),
  };
}

/**
 * Why the signed-data does not verify over `contentDigest` (SHA-256 of the
 * signed PDF bytes), or undefined when it does: algorithms are SHA-256 and
 * RSA, content-type is id-data, message-digest equals the digest,
 * signing-certificate-v2 binds the signer certificate, and the RSA signature
 * over the signed attributes verifies with the signer certificate's key.
 */
export function signedDataProblem(sd: ParsedSignedData, contentDigest: Uint8Array): string | undefined {
  if (sd.digestAlgorithm.oid !== CMS_OID.sha256 || !hasNullOrAbsentParameters(sd.digestAlgorithm)) {
    return `unsupported digest algorithm ${sd.digestAlgorithm.oid} (only SHA-256)`;
  }
  const sigAlg = sd.signatureAlgorithm;
  if (
    (sigAlg.oid !== CMS_OID.rsaEncryption && sigAlg.oid !== CMS_OID.sha256WithRSAEncryption) ||
    !hasNullOrAbsentParameters(sigAlg)
  ) {
    return `unsupported signature algorithm ${sigAlg.oid} (only RSA PKCS#1 v1.5)`;
  }
  if (sd.eContentType !== CMS_OID.data) return `eContentType ${sd.eContentType} is not id-data`;
  if (!bytesEqual(sd.messageDigest, contentDigest)) {
    return 'message-digest does not match the SHA-256 of the signed byte ranges (the document was modified)';
  }
  const certProblem = signingCertificateV2Problem(sd);
  if (certProblem !== undefined) return certProblem;
  const verified = verifyRsaPkcs1Sha256(sd.signerCert.spkiDer, sha256(sd.signedAttrsDer), sd.signature);
  if (verified !== true) {
    return `signature over the signed attributes does not verify with the signer certificate key${verified === false ? '' : `: ${verified}`}`;
  }
  return undefined;
}

// Why: RFC 5035 §3 / ETSI EN 319 122-1 §5.2.2: the first ESSCertIDv2 identifies the signer certificate (certHash, optional issuerSerial).
function signingCertificateV2Problem(sd: ParsedSignedData): string | undefined {
  let value: Uint8Array | undefined;
  try {
    value = singleValue(sd.signedAttrs, CMS_OID.signingCertificateV2, 'signing-certificate-v2');
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (value === undefined) return 'signed attribute signing-certificate-v2 is missing';
  let first: EssCertIdV2 | undefined;
  try {
    first = parseDerAs(value, SigningCertificateV2, 'SigningCertificateV2').certs[0];
  } catch (err) {
    if (err instanceof DerError) return `signing-certificate-v2 is malformed: ${err.message}`;
    throw err;
  }
  if (first === undefined) return 'signing-certificate-v2 is malformed: no ESSCertIDv2';
  const hashOid = first.hashAlgorithm?.algorithm ?? CMS_OID.sha256;
  if (hashOid !== CMS_OID.sha256) return `ESSCertIDv2 hash algorithm ${hashOid} is not supported (only SHA-256)`;
  if (!bytesEqual(new Uint8Array(first.certHash.buffer), sha256(sd.signerCert.der))) {
    return 'signing-certificate-v2 certHash does not match the signer certificate';
  }
  if (first.issuerSerial !== undefined && !bytesEqual(new Uint8Array(first.issuerSerial.serialNumber), sd.signerCert.serial)) {
    return 'signing-certificate-v2 issuerSerial does not match the signer certificate';
  }
  return undefined;
}
