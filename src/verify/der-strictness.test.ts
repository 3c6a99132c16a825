/**
 * The strict-DER gate in front of @peculiar/asn1-schema (src/verify/der.ts): what the library alone
 * would accept (BER forms, trailing bytes, elements its schema does not define, values it normalises)
 * is refused, and the signed parts are the received bytes.
 */
import { expect } from 'chai';
import { PDFDocument } from 'pdf-lib';

import { signPdfPades } from '../pdf/pades.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';
import { parseSignedData } from './cms.ts';
import { DerError, decodeDer, elements, rawBytes } from './der.ts';
import { extractPdfSignature } from './pdf-signature.ts';
import { pemToDer } from '../../test/support/verification-fixtures.ts';
import { parseCertificate } from './x509.ts';

const B = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
function tlv(id: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return cat(B(id, ...len), content);
}
/** Raw bytes of the elements of a constructed element. */
const parts = (der: Uint8Array): Uint8Array[] => elements(decodeDer(der, 'test'), 'test').map((n) => rawBytes(n).slice());
/** Content octets of a (definite-length) element. */
const contentOf = (der: Uint8Array): Uint8Array => cat(...parts(der));

function rejects(parse: () => unknown, message?: RegExp): void {
  try {
    parse();
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(DerError);
    if (message) expect((err as Error).message).to.match(message);
    return;
  }
  expect.fail('expected a DerError');
}

describe('verify: strict DER in front of the ASN.1 library', function () {
  this.timeout(60000);
  let cert: Uint8Array;
  let cms: Uint8Array;

  before(async function () {
    const ca = await generateIssuerCa({ commonName: 'Strict DER Test CA', organization: 'Test' });
    const signer = await issueDepartmentSigningCert(ca, { commonName: 'Signer', organization: 'Dept', departmentCode: '11350100MB0123456X' });
    cert = pemToDer(signer.certPem);
    const doc = await PDFDocument.create();
    doc.addPage();
    const pdf = await signPdfPades(await doc.save({ useObjectStreams: false }), signer, { signingTime: new Date() });
    cms = extractPdfSignature(pdf).cmsDer;
  });

  describe('certificates', function () {
    const rebuild = (tbsParts: Uint8Array[], rest?: Uint8Array[]): Uint8Array => {
      const [, alg, sig] = parts(cert) as [Uint8Array, Uint8Array, Uint8Array];
      return tlv(0x30, cat(tlv(0x30, cat(...tbsParts)), ...(rest ?? [alg, sig])));
    };
    const tbsParts = (): Uint8Array[] => parts((parts(cert) as [Uint8Array])[0]);

    it('reads a genuine certificate, with the TBSCertificate and names as received', function () {
      const c = parseCertificate(cert);
      const [tbs] = parts(cert) as [Uint8Array];
      expect(Buffer.from(c.tbsDer).equals(Buffer.from(tbs))).to.equal(true);
      expect(Buffer.from(c.issuerDer).equals(Buffer.from(tbsParts()[3] as Uint8Array))).to.equal(true);
      expect(Buffer.from(c.subjectDer).equals(Buffer.from(tbsParts()[5] as Uint8Array))).to.equal(true);
      expect(c.subject.map((a) => `${a.name}=${a.value}`)).to.include('CN=Signer');
      expect(Buffer.from(rebuild(tbsParts())).equals(Buffer.from(cert))).to.equal(true);
    });

    it('refuses BER lengths and trailing bytes', function () {
      rejects(() => parseCertificate(cat(cert, B(0))), /trailing bytes/);
      rejects(() => parseCertificate(cat(B(0x30, 0x80), contentOf(cert), B(0, 0))), /indefinite length/);
      const c = contentOf(cert);
      rejects(() => parseCertificate(cat(B(0x30, 0x84, 0, (c.length >> 16) & 0xff, (c.length >> 8) & 0xff, c.length & 0xff), c)), /non-minimal length/);
    });

    it('refuses elements the schema does not define', function () {
      rejects(() => parseCertificate(tlv(0x30, cat(...parts(cert), B(0x05, 0x00)))), /does not match/);
      rejects(() => parseCertificate(rebuild([...tbsParts(), B(0x02, 0x01, 0x05)])), /does not match/);
    });

    it('refuses non-canonical values the library would read anyway', function () {
      const tbs = tbsParts();
      const [extWrapper] = tbs.slice(-1) as [Uint8Array];
      const exts = parts((parts(extWrapper) as [Uint8Array])[0]);
      const withExts = (list: Uint8Array[]): Uint8Array => rebuild([...tbs.slice(0, -1), tlv(0xa3, tlv(0x30, cat(...list)))]);
      expect(parseCertificate(withExts(exts)).extensions.length).to.equal(exts.length);
      // critical TRUE as 0x01, and a DEFAULT critical FALSE encoded explicitly
      const critical = exts.findIndex((e) => parts(e).length === 3);
      const nonCritical = exts.findIndex((e) => parts(e).length === 2);
      const [oid, , value] = parts(exts[critical] as Uint8Array) as [Uint8Array, Uint8Array, Uint8Array];
      rejects(() => parseCertificate(withExts(exts.map((e, i) => (i === critical ? tlv(0x30, cat(oid, B(0x01, 0x01, 0x01), value)) : e)))), /BOOLEAN/);
      const [oid2, value2] = parts(exts[nonCritical] as Uint8Array) as [Uint8Array, Uint8Array];
      rejects(() => parseCertificate(withExts(exts.map((e, i) => (i === nonCritical ? tlv(0x30, cat(oid2, B(0x01, 0x01, 0x00), value2)) : e)))), /does not match/);
      // a UTCTime in month 13 (the library would roll it over) and invalid UTF-8 (it would read U+FFFD)
      const utc = (s: string): Uint8Array => tlv(0x17, new TextEncoder().encode(s));
      const validity = (a: Uint8Array): Uint8Array[] => [...tbs.slice(0, 4), tlv(0x30, cat(a, utc('450101000000Z'))), ...tbs.slice(5)];
      expect(parseCertificate(rebuild(validity(utc('250101000000Z')))).notBefore.toISOString()).to.equal('2025-01-01T00:00:00.000Z');
      rejects(() => parseCertificate(rebuild(validity(utc('251301000000Z')))), /does not match/);
      const cn = (value: Uint8Array): Uint8Array => tlv(0x30, tlv(0x31, tlv(0x30, cat(B(0x06, 0x03, 0x55, 0x04, 0x03), value))));
      const subject = (name: Uint8Array): Uint8Array[] => [...tbs.slice(0, 5), name, ...tbs.slice(6)];
      expect(parseCertificate(rebuild(subject(cn(tlv(0x0c, new TextEncoder().encode('福州'))))))).to.have.nested.property('subject[0].value', '福州');
      rejects(() => parseCertificate(rebuild(subject(cn(tlv(0x0c, B(0xc3, 0x28)))))), /does not match/);
      // signatureValue BIT STRING with unused bits
      const [, alg, sig] = parts(cert) as [Uint8Array, Uint8Array, Uint8Array];
      const sigBits = sig.subarray(sig.length - 256);
      rejects(() => parseCertificate(rebuild(tbs, [alg, tlv(0x03, cat(B(3), sigBits))])), /does not match/);
    });
  });

  describe('CMS SignedData', function () {
    const sdParts = (): { ct: Uint8Array; sd: Uint8Array[] } => {
      const [ct, explicit] = parts(cms) as [Uint8Array, Uint8Array];
      return { ct, sd: parts((parts(explicit) as [Uint8Array])[0]) };
    };
    const rebuild = (sd: Uint8Array[]): Uint8Array => tlv(0x30, cat(sdParts().ct, tlv(0xa0, tlv(0x30, cat(...sd)))));

    it('reads a genuine CMS; the signature input is the received signedAttrs with the SET tag', function () {
      expect(Buffer.from(rebuild(sdParts().sd)).equals(Buffer.from(cms))).to.equal(true);
      const parsed = parseSignedData(cms);
      const [signerInfo] = parts(sdParts().sd.at(-1) as Uint8Array) as [Uint8Array];
      const attrs = parts(signerInfo).find((p) => p[0] === 0xa0) as Uint8Array;
      expect(Buffer.from(parsed.signedAttrsDer).equals(Buffer.from(cat(B(0x31), attrs.subarray(1))))).to.equal(true);
      expect(parsed.signedAttrs.map((a) => a.oid)).to.include('1.2.840.113549.1.9.4');
    });

    it('refuses trailing bytes, BER and unexpected elements', function () {
      rejects(() => parseSignedData(cat(cms, B(0x00, 0x00))), /trailing bytes/);
      rejects(() => parseSignedData(cat(B(0x30, 0x80), contentOf(cms), B(0, 0))), /indefinite length/);
      const { sd } = sdParts();
      rejects(() => parseSignedData(rebuild([...sd, B(0x05, 0x00)])), /does not match/);
      const [signerInfo] = parts(sd.at(-1) as Uint8Array) as [Uint8Array];
      const signerInfos = (si: Uint8Array[]): Uint8Array => tlv(0x31, tlv(0x30, cat(...si)));
      rejects(() => parseSignedData(rebuild([...sd.slice(0, -1), signerInfos([...parts(signerInfo), B(0x05, 0x00)])])));
    });

    it('refuses a constructed (BER) OCTET STRING in an attribute', function () {
      const { sd } = sdParts();
      const [signerInfo] = parts(sd.at(-1) as Uint8Array) as [Uint8Array];
      const si = parts(signerInfo);
      const attrsIndex = si.findIndex((p) => p[0] === 0xa0);
      const attrs = parts(si[attrsIndex] as Uint8Array).map((attr) => {
        const [type, values] = parts(attr) as [Uint8Array, Uint8Array];
        if (type.at(-1) !== 0x04) return attr; // message-digest: 1.2.840.113549.1.9.4
        return tlv(0x30, cat(type, tlv(0x31, tlv(0x24, (parts(values) as [Uint8Array])[0]))));
      });
      const tampered = si.map((p, i) => (i === attrsIndex ? tlv(0xa0, cat(...attrs)) : p));
      rejects(() => parseSignedData(rebuild([...sd.slice(0, -1), tlv(0x31, tlv(0x30, cat(...tampered)))])), /must be primitive/);
    });
  });
});
