/**
 * CMS SignedData (RFC 5652) as produced for PAdES B-B / CAdES (ETSI EN 319 122):
 * detached, SHA-256, signed attributes content-type, message-digest and
 * signing-certificate-v2 (RFC 5035), RSA PKCS#1 v1.5 signature over the DER
 * of the signed attributes re-tagged as SET (RFC 5652 §5.4).
 * Pure: no Buffer, no node APIs.
 */
import { sha256 } from '@noble/hashes/sha2.js';

import { bytesEqual } from './bytes.ts';
import {
  DerError,
  Tag,
  TagClass,
  children,
  encoded,
  expectSequence,
  expectSet,
  expectTag,
  is,
  parseDer,
  readIntegerBytes,
  readOctetString,
  readOid,
  readSmallInteger,
  readTime,
} from './der.ts';
import type { DerNode } from './der.ts';
import { verifyRsaPkcs1Sha256 } from './rsa.ts';
import { OID as X509_OID, hasNullOrAbsentParameters, parseAlgorithmIdentifier, parseCertificate } from './x509.ts';
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
  readonly values: readonly DerNode[];
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

function singleValue(attrs: readonly SignedAttribute[], oid: string, name: string): DerNode | undefined {
  const matching = attrs.filter((a) => a.oid === oid);
  if (matching.length === 0) return undefined;
  const [attr] = matching;
  if (attr === undefined || matching.length > 1) cmsFail(`signed attribute ${name} appears more than once`);
  if (attr.values.length !== 1) cmsFail(`signed attribute ${name} must have exactly one value`);
  return attr.values[0];
}

// Why: RFC 5652 §5.1-5.3 structure of a ContentInfo carrying SignedData with exactly one SignerInfo.
export function parseSignedData(cmsDer: Uint8Array): ParsedSignedData {
  const ci = children(expectSequence(parseDer(cmsDer), 'ContentInfo'));
  if (readOid(ci[0], 'ContentInfo.contentType') !== CMS_OID.signedData) cmsFail('ContentInfo is not id-signedData');
  const explicit = expectTag(ci[1], TagClass.CONTEXT, 0, 'ContentInfo.content');
  const [sdNode, ...afterSd] = children(explicit);
  if (afterSd.length > 0 || ci.length !== 2) cmsFail('ContentInfo has unexpected elements');
  const sd = children(expectSequence(sdNode, 'SignedData'));
  readSmallInteger(sd[0], 'SignedData.version');
  expectSet(sd[1], 'SignedData.digestAlgorithms');
  const eci = children(expectSequence(sd[2], 'SignedData.encapContentInfo'));
  const eContentType = readOid(eci[0], 'EncapsulatedContentInfo.eContentType');
  if (eci.length > 1) cmsFail('SignedData is not detached: eContent is present');
  let p = 3;
  const certificates: Certificate[] = [];
  if (is(sd[p], TagClass.CONTEXT, 0, true)) {
    for (const choice of children(sd[p] as DerNode)) {
      if (!is(choice, TagClass.UNIVERSAL, Tag.SEQUENCE, true)) continue; // attribute / other certificate formats
      certificates.push(parseCertificate(encoded(choice)));
    }
    p++;
  }
  if (is(sd[p], TagClass.CONTEXT, 1, true)) p++; // revocation info choices: not used here
  const signerInfos = children(expectSet(sd[p], 'SignedData.signerInfos'));
  if (sd.length !== p + 1) cmsFail('SignedData has unexpected trailing elements');
  if (signerInfos.length !== 1) cmsFail(`expected exactly one SignerInfo, found ${signerInfos.length}`);

  const si = children(expectSequence(signerInfos[0], 'SignerInfo'));
  const siVersion = readSmallInteger(si[0], 'SignerInfo.version');
  const sid = si[1];
  let signerCert: Certificate | undefined;
  if (siVersion === 1) {
    const [issuer, serial, ...rest] = children(expectSequence(sid, 'SignerInfo.sid (IssuerAndSerialNumber)'));
    if (rest.length > 0) cmsFail('IssuerAndSerialNumber has unexpected elements');
    const issuerDer = encoded(expectSequence(issuer, 'IssuerAndSerialNumber.issuer'));
    const serialBytes = readIntegerBytes(serial, 'IssuerAndSerialNumber.serialNumber');
    signerCert = certificates.find((c) => bytesEqual(c.issuerDer, issuerDer) && bytesEqual(c.serial, serialBytes));
  } else if (siVersion === 3) {
    const ski = expectTag(sid, TagClass.CONTEXT, 0, 'SignerInfo.sid (SubjectKeyIdentifier)');
    const skiBytes = ski.buf.subarray(ski.contentStart, ski.end);
    signerCert = certificates.find((c) => c.subjectKeyIdentifier !== undefined && bytesEqual(c.subjectKeyIdentifier, skiBytes));
  } else {
    cmsFail(`unsupported SignerInfo version ${siVersion}`);
  }
  if (signerCert === undefined) cmsFail('the signer certificate is not included in SignedData.certificates');

  const digestAlgorithm = parseAlgorithmIdentifier(si[2], 'SignerInfo.digestAlgorithm');
  const attrsNode = si[3];
  if (!is(attrsNode, TagClass.CONTEXT, 0, true)) cmsFail('SignerInfo has no signed attributes');
  const signedAttrs: SignedAttribute[] = [];
  for (const attr of children(attrsNode)) {
    const [type, values, ...rest] = children(expectSequence(attr, 'Attribute'));
    if (rest.length > 0) cmsFail('Attribute has unexpected elements');
    const oid = readOid(type, 'Attribute.attrType');
    signedAttrs.push({ oid, values: children(expectSet(values, `Attribute ${oid} values`)) });
  }
  if (signedAttrs.length === 0) cmsFail('signed attributes are empty');
  // RFC 5652 §5.4: the signature is computed over the DER of the SET OF, i.e. tag 0x31 instead of [0] IMPLICIT (0xA0).
  const signedAttrsDer = encoded(attrsNode).slice();
  signedAttrsDer[0] = 0x31;

  const signatureAlgorithm = parseAlgorithmIdentifier(si[4], 'SignerInfo.signatureAlgorithm');
  const signature = readOctetString(si[5], 'SignerInfo.signature');
  if (si.length > 7 || (si.length === 7 && !is(si[6], TagClass.CONTEXT, 1, true))) {
    cmsFail('SignerInfo has unexpected trailing elements');
  }

  const ctValue = singleValue(signedAttrs, CMS_OID.contentType, 'content-type');
  if (ctValue === undefined) cmsFail('signed attribute content-type is missing');
  const ct = readOid(ctValue, 'content-type');
  if (ct !== eContentType) cmsFail(`content-type attribute ${ct} differs from eContentType ${eContentType}`);
  const mdValue = singleValue(signedAttrs, CMS_OID.messageDigest, 'message-digest');
  if (mdValue === undefined) cmsFail('signed attribute message-digest is missing');
  const messageDigest = readOctetString(mdValue, 'message-digest');
  const stValue = singleValue(signedAttrs, CMS_OID.signingTime, 'signing-time');
  const signingTime = stValue === undefined ? undefined : readTime(stValue, 'signing-time');

  return {
    eContentType,
    certificates,
    signerCert,
    digestAlgorithm,
    signatureAlgorithm,
    signature,
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
  let value: DerNode | undefined;
  try {
    value = singleValue(sd.signedAttrs, CMS_OID.signingCertificateV2, 'signing-certificate-v2');
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (value === undefined) return 'signed attribute signing-certificate-v2 is missing';
  try {
    const [certs] = children(expectSequence(value, 'SigningCertificateV2'));
    const [first] = children(expectSequence(certs, 'SigningCertificateV2.certs'));
    const items = children(expectSequence(first, 'ESSCertIDv2'));
    let i = 0;
    let hashOid: string = CMS_OID.sha256; // DEFAULT {algorithm id-sha256}
    if (is(items[0], TagClass.UNIVERSAL, Tag.SEQUENCE, true)) {
      const alg = parseAlgorithmIdentifier(items[0], 'ESSCertIDv2.hashAlgorithm');
      hashOid = alg.oid;
      i = 1;
    }
    if (hashOid !== CMS_OID.sha256) return `ESSCertIDv2 hash algorithm ${hashOid} is not supported (only SHA-256)`;
    const certHash = readOctetString(items[i], 'ESSCertIDv2.certHash');
    if (!bytesEqual(certHash, sha256(sd.signerCert.der))) {
      return 'signing-certificate-v2 certHash does not match the signer certificate';
    }
    const issuerSerial = items[i + 1];
    if (issuerSerial !== undefined) {
      const [, serial] = children(expectSequence(issuerSerial, 'ESSCertIDv2.issuerSerial'));
      if (!bytesEqual(readIntegerBytes(serial, 'IssuerSerial.serialNumber'), sd.signerCert.serial)) {
        return 'signing-certificate-v2 issuerSerial does not match the signer certificate';
      }
    }
    return undefined;
  } catch (err) {
    if (err instanceof DerError) return `signing-certificate-v2 is malformed: ${err.message}`;
    throw err;
  }
}
