/**
 * X.509 certificates (RFC 5280 §4.1) read with @peculiar/asn1-x509 behind the strict-DER gate of
 * ./der.ts, and the one-level chain check the verifier needs (signer cert issued directly by a
 * trusted issuer CA). The CA signature is checked over the received TBSCertificate bytes, and names
 * are compared as received bytes. Pure: no Buffer, no node APIs.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  BasicConstraints as AsnBasicConstraints,
  Certificate as AsnCertificate,
  KeyUsage as AsnKeyUsage,
  SubjectKeyIdentifier as AsnSubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import type { AlgorithmIdentifier as AsnAlgorithmIdentifier, Name as AsnName } from '@peculiar/asn1-x509';

import { bytesEqual } from '../proofs/bytes.ts';
import { DerError, decodeDer, elements, fromNode, isContextTag, parseDerAs, rawBytes } from './der.ts';
import type { Asn1Node } from './der.ts';
import { verifyRsaPkcs1Sha256 } from './rsa.ts';

export const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256: '2.16.840.1.101.3.4.2.1',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  certificatePolicies: '2.5.29.32',
  organizationIdentifier: '2.5.4.97',
} as const;

/** Extensions this verifier understands; an unknown CRITICAL extension makes a certificate unusable (RFC 5280 §4.2). */
const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.subjectAltName,
  OID.certificatePolicies,
]);

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
};

export const KeyUsage = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

export interface AlgorithmIdentifier {
  readonly oid: string;
  /** DER of the parameters, absent when omitted. */
  readonly parameters?: Uint8Array;
}

export interface NameAttribute {
  readonly oid: string;
  /** Short name (CN, O, C, organizationIdentifier, ...) or the dotted OID. */
  readonly name: string;
  readonly value: string;
}

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface Certificate {
  readonly der: Uint8Array;
  readonly tbsDer: Uint8Array;
  readonly version: number;
  /** INTEGER content bytes of the serial number. */
  readonly serial: Uint8Array;
  readonly tbsSignatureAlgorithm: AlgorithmIdentifier;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly issuer: readonly NameAttribute[];
  readonly subject: readonly NameAttribute[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Uint8Array;
  readonly extensions: readonly Extension[];
  readonly basicConstraints?: { readonly cA: boolean; readonly pathLen?: number };
  /** Bit i set = KeyUsage bit i asserted; absent when the extension is absent. */
  readonly keyUsage?: ReadonlySet<number>;
  readonly subjectKeyIdentifier?: Uint8Array;
}

const DER_NULL = Uint8Array.from([0x05, 0x00]);

/** The library reads ANY parameters as their received bytes, and a NULL as null. */
export function algorithmIdentifier(alg: AsnAlgorithmIdentifier): AlgorithmIdentifier {
  if (alg.parameters === undefined) return { oid: alg.algorithm };
  return { oid: alg.algorithm, parameters: alg.parameters === null ? DER_NULL : new Uint8Array(alg.parameters) };
}

/** True when parameters are absent or NULL. */
export function hasNullOrAbsentParameters(alg: AlgorithmIdentifier): boolean {
  return alg.parameters === undefined || (alg.parameters.length === 2 && alg.parameters[0] === 0x05 && alg.parameters[1] === 0);
}

function nameAttributes(name: AsnName, what: string): NameAttribute[] {
  return name.flatMap((rdn) =>
    rdn.map((atv) => {
      const label = ATTRIBUTE_NAMES[atv.type] ?? atv.type;
      const v = atv.value;
      const value = v.utf8String ?? v.printableString ?? v.ia5String ?? v.teletexString ?? v.bmpString ?? v.universalString;
      if (value === undefined) throw new DerError(`${what} ${label}: unsupported string type`);
      return { oid: atv.type, name: label, value };
    }),
  );
}

/** RFC 4514-style string (most specific RDN first), e.g. `CN=…,organizationIdentifier=NTRCN-…,O=…,C=CN`. */
export function formatName(attrs: readonly NameAttribute[]): string {
  const esc = (v: string): string =>
    v
      .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
      .replace(/^[ #]/, (c) => `\\${c}`)
      .replace(/ $/, '\\ ');
  return [...attrs]
    .reverse()
    .map((a) => `${a.name}=${esc(a.value)}`)
    .join(',');
}

export function nameAttribute(attrs: readonly NameAttribute[], oid: string): string | undefined {
  return attrs.find((a) => a.oid === oid)?.value;
}

// Why: RFC 5280 §4.1 structure; the parts that are signed or compared are kept as their received bytes.
export function parseCertificate(der: Uint8Array): Certificate {
  return certificateFromNode(decodeDer(der, 'Certificate'));
}

/**
 * A certificate from its decoded element. `parsed`: the library's reading of that element when the
 * enclosing structure already went through fromNode (e.g. SignedData.certificates).
 */
export function certificateFromNode(node: Asn1Node, parsed?: AsnCertificate): Certificate {
  const cert = parsed ?? fromNode(node, AsnCertificate, 'Certificate');
  const tbs = cert.tbsCertificate;
  if (typeof tbs.version !== 'number' || tbs.version < 0) throw new DerError('TBSCertificate.version: INTEGER out of range');
  const version = tbs.version + 1;
  // Received bytes: TBSCertificate (what the CA signed; the library's tbsCertificateRaw is this view),
  // issuer and subject Names (compared byte for byte), SubjectPublicKeyInfo (the RSA key).
  const [tbsNode] = elements(node, 'Certificate');
  const tbsItems = elements(tbsNode, 'TBSCertificate');
  const k = isContextTag(tbsItems[0], 0) ? 1 : 0; // [0] EXPLICIT version, absent for v1
  const raw = (i: number, what: string): Uint8Array => {
    const item = tbsItems[k + i];
    if (item === undefined) throw new DerError(`TBSCertificate.${what}: missing`);
    return rawBytes(item);
  };

  const extensions: Extension[] = [];
  if (tbs.extensions !== undefined && version !== 3) throw new DerError('TBSCertificate: extensions require version 3');
  for (const e of tbs.extensions ?? []) {
    if (extensions.some((x) => x.oid === e.extnID)) throw new DerError(`duplicate extension ${e.extnID}`);
    extensions.push({ oid: e.extnID, critical: e.critical, value: new Uint8Array(e.extnValue.buffer) });
  }
  const ext = (oid: string): Extension | undefined => extensions.find((e) => e.oid === oid);
  let basicConstraints: Certificate['basicConstraints'];
  const bcExt = ext(OID.basicConstraints);
  if (bcExt) {
    const bc = parseDerAs(bcExt.value, AsnBasicConstraints, 'BasicConstraints');
    const pathLen = bc.pathLenConstraint;
    if (pathLen !== undefined && (typeof pathLen !== 'number' || pathLen < 0)) throw new DerError('BasicConstraints.pathLenConstraint: INTEGER out of range');
    basicConstraints = pathLen === undefined ? { cA: bc.cA } : { cA: bc.cA, pathLen };
  }
  let keyUsage: Set<number> | undefined;
  const kuExt = ext(OID.keyUsage);
  if (kuExt) {
    const bytes = new Uint8Array(parseDerAs(kuExt.value, AsnKeyUsage, 'KeyUsage').value);
    keyUsage = new Set();
    bytes.forEach((b, byteIndex) => {
      for (let bit = 0; bit < 8; bit++) if ((b & (0x80 >> bit)) !== 0) keyUsage?.add(byteIndex * 8 + bit);
    });
  }
  const skiExt = ext(OID.subjectKeyIdentifier);
  const subjectKeyIdentifier = skiExt
    ? new Uint8Array(parseDerAs(skiExt.value, AsnSubjectKeyIdentifier, 'SubjectKeyIdentifier').buffer)
    : undefined;

  return {
    der: rawBytes(node),
    tbsDer: rawBytes(tbsNode as Asn1Node),
    version,
    serial: new Uint8Array(tbs.serialNumber),
    tbsSignatureAlgorithm: algorithmIdentifier(tbs.signature),
    signatureAlgorithm: algorithmIdentifier(cert.signatureAlgorithm),
    // A BIT STRING with unused bits does not re-encode from the library's value: refused by fromNode.
    signature: new Uint8Array(cert.signatureValue),
    issuerDer: raw(2, 'issuer'),
    subjectDer: raw(4, 'subject'),
    issuer: nameAttributes(tbs.issuer, 'issuer'),
    subject: nameAttributes(tbs.subject, 'subject'),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    spkiDer: raw(5, 'subjectPublicKeyInfo'),
    extensions,
    ...(basicConstraints ? { basicConstraints } : {}),
    ...(keyUsage ? { keyUsage } : {}),
    ...(subjectKeyIdentifier ? { subjectKeyIdentifier } : {}),
  };
}

/** Unknown critical extensions (RFC 5280 §4.2: a certificate with one MUST be rejected). */
export function unknownCriticalExtensions(cert: Certificate): string[] {
  return cert.extensions.filter((e) => e.critical && !KNOWN_EXTENSIONS.has(e.oid)).map((e) => e.oid);
}

/** Why the certificate is not valid at `time`, or undefined when it is. */
export function validityProblem(cert: Certificate, time: Date, who: string): string | undefined {
  if (time.getTime() < cert.notBefore.getTime()) {
    return `${who} is not yet valid at ${time.toISOString()} (notBefore ${cert.notBefore.toISOString()})`;
  }
  if (time.getTime() > cert.notAfter.getTime()) {
    return `${who} has expired at ${time.toISOString()} (notAfter ${cert.notAfter.toISOString()})`;
  }
  return undefined;
}

/**
 * Why `cert` is not issued by `ca` at `time`, or undefined when it is:
 * issuer DN (DER) = CA subject DN (DER), sha256WithRSAEncryption signature over
 * the exact TBS bytes verifies with the CA key, CA has basicConstraints cA and
 * (when keyUsage is present) keyCertSign, both certificates valid at `time`,
 * no unknown critical extensions in either.
 */
export function issuanceProblem(cert: Certificate, ca: Certificate, time: Date): string | undefined {
  if (!bytesEqual(cert.issuerDer, ca.subjectDer)) {
    return `issuer "${formatName(cert.issuer)}" is not the CA "${formatName(ca.subject)}"`;
  }
  if (ca.basicConstraints?.cA !== true) return `CA "${formatName(ca.subject)}" lacks basicConstraints cA=TRUE`;
  if (ca.keyUsage !== undefined && !ca.keyUsage.has(KeyUsage.keyCertSign)) {
    return `CA "${formatName(ca.subject)}" keyUsage lacks keyCertSign`;
  }
  const caCritical = unknownCriticalExtensions(ca);
  if (caCritical.length > 0) return `CA certificate has unsupported critical extensions ${caCritical.join(', ')}`;
  if (cert.signatureAlgorithm.oid !== OID.sha256WithRSAEncryption || !hasNullOrAbsentParameters(cert.signatureAlgorithm)) {
    return `unsupported certificate signature algorithm ${cert.signatureAlgorithm.oid} (only sha256WithRSAEncryption)`;
  }
  if (
    cert.tbsSignatureAlgorithm.oid !== cert.signatureAlgorithm.oid ||
    !hasNullOrAbsentParameters(cert.tbsSignatureAlgorithm)
  ) {
    return 'TBSCertificate.signature does not match Certificate.signatureAlgorithm';
  }
  const verified = verifyRsaPkcs1Sha256(ca.spkiDer, sha256(cert.tbsDer), cert.signature);
  if (verified !== true) return `certificate signature does not verify with the CA key${verified === false ? '' : `: ${verified}`}`;
  return validityProblem(ca, time, 'CA certificate') ?? validityProblem(cert, time, 'signer certificate');
}
