/**
 * X.509 certificate parsing (RFC 5280 §4.1) over exact DER bytes, and the
 * one-level chain check the verifier needs (signer cert issued directly by a
 * trusted issuer CA). Pure: no Buffer, no node APIs.
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
  expectTag,
  is,
  parseDer,
  readBitString,
  readBoolean,
  readIntegerBytes,
  readOctetString,
  readOid,
  readSmallInteger,
  readString,
  readTime,
} from './der.ts';
import type { DerNode } from './der.ts';
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

export function parseAlgorithmIdentifier(node: DerNode | undefined, what: string): AlgorithmIdentifier {
  const items = children(expectSequence(node, what));
  if (items.length < 1 || items.length > 2) throw new DerError(`${what}: AlgorithmIdentifier must have 1 or 2 elements`);
  const oid = readOid(items[0], `${what}.algorithm`);
  const params = items[1];
  return params === undefined ? { oid } : { oid, parameters: encoded(params) };
}

/** True when parameters are absent or NULL. */
export function hasNullOrAbsentParameters(alg: AlgorithmIdentifier): boolean {
  return alg.parameters === undefined || (alg.parameters.length === 2 && alg.parameters[0] === 0x05 && alg.parameters[1] === 0);
}

function parseName(node: DerNode | undefined, what: string): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of children(expectSequence(node, what))) {
    for (const atv of children(expectTag(rdn, TagClass.UNIVERSAL, Tag.SET, `${what} RDN`))) {
      const [type, value, ...rest] = children(expectSequence(atv, `${what} attribute`));
      if (rest.length > 0 || value === undefined) throw new DerError(`${what}: malformed AttributeTypeAndValue`);
      const oid = readOid(type, `${what} attribute type`);
      out.push({ oid, name: ATTRIBUTE_NAMES[oid] ?? oid, value: readString(value, `${what} ${ATTRIBUTE_NAMES[oid] ?? oid}`) });
    }
  }
  return out;
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

// Why: RFC 5280 §4.1 structure, read over the original bytes so the TBS signature is checked on exactly what was signed.
export function parseCertificate(der: Uint8Array): Certificate {
  const root = parseDer(der);
  const [tbs, sigAlgNode, sigValue, ...extra] = children(expectSequence(root, 'Certificate'));
  if (extra.length > 0) throw new DerError('Certificate: unexpected trailing elements');
  const tbsItems = children(expectSequence(tbs, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (is(tbsItems[0], TagClass.CONTEXT, 0, true)) {
    const [v, ...more] = children(tbsItems[0]);
    if (more.length > 0) throw new DerError('TBSCertificate.version: malformed');
    version = readSmallInteger(v, 'TBSCertificate.version') + 1;
    i = 1;
  }
  const serial = readIntegerBytes(tbsItems[i], 'TBSCertificate.serialNumber');
  const tbsSignatureAlgorithm = parseAlgorithmIdentifier(tbsItems[i + 1], 'TBSCertificate.signature');
  const issuerNode = expectSequence(tbsItems[i + 2], 'TBSCertificate.issuer');
  const validityItems = children(expectSequence(tbsItems[i + 3], 'TBSCertificate.validity'));
  if (validityItems.length !== 2) throw new DerError('TBSCertificate.validity: expected notBefore and notAfter');
  const notBefore = readTime(validityItems[0], 'notBefore');
  const notAfter = readTime(validityItems[1], 'notAfter');
  const subjectNode = expectSequence(tbsItems[i + 4], 'TBSCertificate.subject');
  const spki = expectSequence(tbsItems[i + 5], 'TBSCertificate.subjectPublicKeyInfo');
  const extensions: Extension[] = [];
  for (const item of tbsItems.slice(i + 6)) {
    if (is(item, TagClass.CONTEXT, 1) || is(item, TagClass.CONTEXT, 2)) continue; // unique identifiers
    if (is(item, TagClass.CONTEXT, 3, true)) {
      if (version !== 3) throw new DerError('TBSCertificate: extensions require version 3');
      const [list, ...more] = children(item);
      if (more.length > 0) throw new DerError('TBSCertificate.extensions: malformed');
      for (const ext of children(expectSequence(list, 'Extensions'))) {
        const parts = children(expectSequence(ext, 'Extension'));
        const oid = readOid(parts[0], 'Extension.extnID');
        let critical = false;
        let valueNode = parts[1];
        if (is(parts[1], TagClass.UNIVERSAL, Tag.BOOLEAN)) {
          critical = readBoolean(parts[1], `Extension ${oid} critical`);
          valueNode = parts[2];
        }
        const value = readOctetString(valueNode, `Extension ${oid} extnValue`);
        if (extensions.some((e) => e.oid === oid)) throw new DerError(`duplicate extension ${oid}`);
        extensions.push({ oid, critical, value });
      }
      continue;
    }
    throw new DerError('TBSCertificate: unexpected element after subjectPublicKeyInfo');
  }
  const signatureAlgorithm = parseAlgorithmIdentifier(sigAlgNode, 'Certificate.signatureAlgorithm');
  const sigBits = readBitString(sigValue, 'Certificate.signatureValue');
  if (sigBits.unusedBits !== 0) throw new DerError('Certificate.signatureValue: unused bits');

  const ext = (oid: string): Extension | undefined => extensions.find((e) => e.oid === oid);
  let basicConstraints: Certificate['basicConstraints'];
  const bcExt = ext(OID.basicConstraints);
  if (bcExt) {
    const items = children(expectSequence(parseDer(bcExt.value), 'BasicConstraints'));
    let cA = false;
    let j = 0;
    if (is(items[0], TagClass.UNIVERSAL, Tag.BOOLEAN)) {
      cA = readBoolean(items[0], 'BasicConstraints.cA');
      j = 1;
    }
    const pathLen = items[j] === undefined ? undefined : readSmallInteger(items[j], 'BasicConstraints.pathLenConstraint');
    basicConstraints = pathLen === undefined ? { cA } : { cA, pathLen };
  }
  let keyUsage: Set<number> | undefined;
  const kuExt = ext(OID.keyUsage);
  if (kuExt) {
    const { bytes } = readBitString(parseDer(kuExt.value), 'KeyUsage');
    keyUsage = new Set();
    bytes.forEach((b, byteIndex) => {
      for (let bit = 0; bit < 8; bit++) if ((b & (0x80 >> bit)) !== 0) keyUsage?.add(byteIndex * 8 + bit);
    });
  }
  const skiExt = ext(OID.subjectKeyIdentifier);
  const subjectKeyIdentifier = skiExt ? readOctetString(parseDer(skiExt.value), 'SubjectKeyIdentifier') : undefined;

  return {
    der,
    tbsDer: encoded(tbs as DerNode),
    version,
    serial,
    tbsSignatureAlgorithm,
    signatureAlgorithm,
    signature: sigBits.bytes,
    issuerDer: encoded(issuerNode),
    subjectDer: encoded(subjectNode),
    issuer: parseName(issuerNode, 'issuer'),
    subject: parseName(subjectNode, 'subject'),
    notBefore,
    notAfter,
    spkiDer: encoded(spki),
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
