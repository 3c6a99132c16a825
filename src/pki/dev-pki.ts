/**
 * Development PKI: an issuer CA and per-department document-signing
 * certificates. Keys come from node:crypto (PKCS#8 PEM); certificates are
 * assembled with node-forge and their TBS is signed with node:crypto
 * (sha256WithRSAEncryption) — forge's pure-JS RSA is ~100x slower.
 * Nothing is written to disk.
 */
import { generateKeyPair, randomBytes, sign as cryptoSign, createPrivateKey } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const { pki, asn1 } = forge;
const generateKeyPairAsync = promisify(generateKeyPair);

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface SigningMaterial {
  certPem: string;
  keyPem: string;
  /** Leaf first, then the CA. */
  chainPem: string[];
}

export interface IssuerCaOptions {
  commonName: string;
  organization: string;
  validYears?: number;
}

export interface DepartmentSigningCertOptions {
  commonName: string;
  organization: string;
  /** Unified Social Credit Code (统一社会信用代码) of the department. */
  departmentCode: string;
  validYears?: number;
}

/** OID of the X.520 organizationIdentifier attribute (carries `NTRCN-<USCC>`). */
export const OID_ORGANIZATION_IDENTIFIER = '2.5.4.97';
/** id-kp-documentSigning (RFC 9336). */
export const OID_KP_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';

async function newRsaKey(): Promise<{ keyPem: string; publicPem: string }> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem: privateKey, publicPem: publicKey };
}

/** Random positive 128-bit serial as hex (first byte in 0x40..0x7f, so DER needs no padding). */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b.toString('hex');
}

function utf8Attrs(attrs: Array<{ name?: string; type?: string; value: string }>): forge.pki.CertificateField[] {
  return attrs.map((a) => ({ ...a, valueTagClass: asn1.Type.UTF8 }) as unknown as forge.pki.CertificateField);
}

function validity(cert: forge.pki.Certificate, years: number): void {
  const now = new Date();
  const notBefore = new Date(now.getTime() - 5 * 60 * 1000); // tolerate clock skew
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
}

/** Signs the certificate's TBS with node:crypto (sha256WithRSAEncryption). */
function signCert(cert: forge.pki.Certificate, signerKeyPem: string): void {
  const c = cert as forge.pki.Certificate & {
    siginfo: { algorithmOid: string };
    signatureOid: string;
    tbsCertificate: forge.asn1.Asn1;
    signature: string;
  };
  c.signatureOid = c.siginfo.algorithmOid = pki.oids['sha256WithRSAEncryption']!;
  c.tbsCertificate = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbsDer = Buffer.from(asn1.toDer(c.tbsCertificate).getBytes(), 'binary');
  c.signature = cryptoSign('sha256', tbsDer, createPrivateKey(signerKeyPem)).toString('binary');
}

/** Creates a self-signed issuer CA (RSA-2048, SHA-256). */
export async function generateIssuerCa(opts: IssuerCaOptions): Promise<CaMaterial> {
  const { keyPem, publicPem } = await newRsaKey();
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(publicPem);
  cert.serialNumber = randomSerialHex();
  validity(cert, opts.validYears ?? 20);
  const subject = utf8Attrs([
    { name: 'countryName', value: 'CN' },
    { name: 'organizationName', value: opts.organization },
    { name: 'commonName', value: opts.commonName },
  ]);
  // countryName must be PrintableString
  subject[0]!.valueTagClass = asn1.Type.PRINTABLESTRING as unknown as forge.asn1.Class;
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCert(cert, keyPem);
  return { certPem: pki.certificateToPem(cert), keyPem };
}

/**
 * Issues a department document-signing certificate under `ca`.
 * Subject: C=CN, O=<organization>, organizationIdentifier=NTRCN-<departmentCode>, CN=<commonName>.
 * Extensions: keyUsage digitalSignature+nonRepudiation (critical),
 * extKeyUsage emailProtection + id-kp-documentSigning, SKI, AKI, basicConstraints cA=false.
 */
export async function issueDepartmentSigningCert(
  ca: CaMaterial,
  opts: DepartmentSigningCertOptions,
): Promise<SigningMaterial> {
  const caCert = pki.certificateFromPem(ca.certPem);
  const { keyPem, publicPem } = await newRsaKey();
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(publicPem);
  cert.serialNumber = randomSerialHex();
  validity(cert, opts.validYears ?? 3);
  const notAfterMax = caCert.validity.notAfter;
  if (cert.validity.notAfter > notAfterMax) cert.validity.notAfter = new Date(notAfterMax);
  const subject = utf8Attrs([
    { name: 'countryName', value: 'CN' },
    { name: 'organizationName', value: opts.organization },
    { type: OID_ORGANIZATION_IDENTIFIER, value: `NTRCN-${opts.departmentCode}` },
    { name: 'commonName', value: opts.commonName },
  ]);
  subject[0]!.valueTagClass = asn1.Type.PRINTABLESTRING as unknown as forge.asn1.Class;
  cert.setSubject(subject);
  // Parsed UTF8String values are raw UTF-8 bytes; forge re-encodes UTF8 on output.
  cert.setIssuer(
    caCert.subject.attributes.map((a) =>
      a.valueTagClass === (asn1.Type.UTF8 as unknown) && typeof a.value === 'string'
        ? { ...a, value: forge.util.decodeUtf8(a.value) }
        : a,
    ),
  );
  const caSki = (caCert as unknown as { generateSubjectKeyIdentifier(): forge.util.ByteStringBuffer })
    .generateSubjectKeyIdentifier()
    .getBytes();
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'extKeyUsage', emailProtection: true, [OID_KP_DOCUMENT_SIGNING]: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caSki },
  ]);
  signCert(cert, ca.keyPem);
  const certPem = pki.certificateToPem(cert);
  return { certPem, keyPem, chainPem: [certPem, ca.certPem] };
}

/** Reads the USCC back from a certificate issued by issueDepartmentSigningCert (or null). */
export function departmentCodeFromCert(certPem: string): string | null {
  const cert = pki.certificateFromPem(certPem);
  const attr = cert.subject.getField({ type: OID_ORGANIZATION_IDENTIFIER } as forge.pki.CertificateField) as
    | { value: string }
    | null;
  if (!attr) return null;
  const v = forge.util.decodeUtf8(attr.value);
  return v.startsWith('NTRCN-') ? v.slice(6) : v;
}
