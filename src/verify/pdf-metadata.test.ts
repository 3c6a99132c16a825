import { expect } from 'chai';
import { PDFDocument, PDFName, PDFString } from 'pdf-lib';
import type { PDFDict } from 'pdf-lib';
import { readLicenceMetadata } from './pdf-metadata.ts';
import { DEFAULT_FONT_PATHS, loadFontChain } from '../pdf/fonts.ts';
import { renderLicencePdf, renderSignedLicencePdf } from '../pdf/render-licence.ts';
import { signPdfPades } from '../pdf/pades.ts';
import { sampleLicenceInput } from '../pdf/sample-input.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';
import type { SigningMaterial } from '../pki/dev-pki.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** A pdf-lib document with decoys: the metadata keys in a plain object, in a content stream and in an attachment. */
async function decoyPdf(info: Record<string, string>, objectStreams = false): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage();
  page.drawText('/LicenceId (BL.DECOY) /LicenceVerificationCode (DECO-YDEC-OYDE-COYD)');
  doc.context.register(doc.context.obj({ LicenceId: PDFString.of('BL.DECOY.OBJECT'), LicenceVerificationCode: PDFString.of('OBJE-CTDE-COYX-XXXX') }));
  await doc.attach(ascii('1 0 obj << /LicenceId (BL.DECOY.ATTACHED) /LicenceVerificationCode (ATTA-CHED-DECO-YXXX) >> endobj'), 'decoy.txt', { mimeType: 'text/plain' });
  doc.setTitle('Not a licence');
  const infoDict = (doc as unknown as { getInfoDict(): PDFDict }).getInfoDict(); // pdf-lib keeps it private
  for (const [k, v] of Object.entries(info)) infoDict.set(PDFName.of(k), PDFString.of(v));
  return doc.save({ useObjectStreams: objectStreams });
}

describe('verify: licence metadata from the PDF information dictionary', function () {
  this.timeout(20000);
  let signer: SigningMaterial;
  let signed: Uint8Array;
  const input = sampleLicenceInput();

  before(async () => {
    const ca = await generateIssuerCa({ commonName: 'Metadata Test CA', organization: 'Metadata Test' });
    signer = await issueDepartmentSigningCert(ca, { commonName: 'Metadata Test Signer', organization: 'Metadata Test', departmentCode: '111101050000100149' });
    signed = (await renderSignedLicencePdf(input, loadFontChain(DEFAULT_FONT_PATHS), signer, { signingTime: new Date() })).pdf;
  });

  it('reads the licence id and verification code of a signed licence PDF', () => {
    expect(readLicenceMetadata(signed)).to.deep.equal({ licenceId: input.licenceId, verificationCode: input.verificationCode });
  });

  it('reads them from an unsigned licence and from one signed again through pdf-lib (signPdfPades)', async () => {
    const unsigned = await renderLicencePdf(input, loadFontChain(DEFAULT_FONT_PATHS));
    expect(readLicenceMetadata(unsigned)).to.deep.equal({ licenceId: input.licenceId, verificationCode: input.verificationCode });
    const resigned = await signPdfPades(unsigned, signer, { signingTime: new Date() });
    expect(readLicenceMetadata(resigned)).to.deep.equal({ licenceId: input.licenceId, verificationCode: input.verificationCode });
  });

  it('is null for a PDF without them, however often the key names appear elsewhere in the file', async () => {
    const pdf = await decoyPdf({});
    const text = new TextDecoder('latin1').decode(pdf);
    expect(text).to.contain('/LicenceId (BL.DECOY.OBJECT)'); // the decoys are really there, in plain text
    expect(readLicenceMetadata(pdf)).to.equal(null);
  });

  it('reads the information dictionary, not the decoys, when both are there', async () => {
    const pdf = await decoyPdf({ LicenceId: 'BL.REAL.0000000001.01.X', LicenceVerificationCode: 'REAL-CODE-0000-0001' });
    expect(readLicenceMetadata(pdf)).to.deep.equal({ licenceId: 'BL.REAL.0000000001.01.X', verificationCode: 'REAL-CODE-0000-0001' });
  });

  it('follows the latest trailer of an incremental update to the information dictionary it names', () => {
    const update = (base: Uint8Array, infoNum: number, id: string, code: string, prevXref: number): Uint8Array => {
      const obj = `\n${infoNum} 0 obj\n<< /LicenceId (${id}) /LicenceVerificationCode (${code}) >>\nendobj\n`;
      const objAt = base.length + 1;
      const xrefAt = base.length + obj.length;
      const xref = `xref\n${infoNum} 1\n${String(objAt).padStart(10, '0')} 00000 n \ntrailer\n<< /Size ${infoNum + 1} /Root 1 0 R /Info ${infoNum} 0 R /Prev ${prevXref} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
      return concat(base, ascii(obj + xref));
    };
    const text = new TextDecoder('latin1').decode(signed);
    const prev = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)![1]);
    const size = Number(/\/Size (\d+)/.exec(text.slice(prev))![1]);
    const updated = update(signed, size, 'BL.UPDATED.0000000002.01.Y', 'UPDA-TEDC-ODE0-0002', prev);
    expect(readLicenceMetadata(updated)).to.deep.equal({ licenceId: 'BL.UPDATED.0000000002.01.Y', verificationCode: 'UPDA-TEDC-ODE0-0002' });
    // An update that adds an object but keeps /Info: the original dictionary, found through /Prev.
    const sizeAgain = size;
    const keep = `\n${sizeAgain} 0 obj\n<< /LicenceId (BL.NOT.INFO) >>\nendobj\n`;
    const xrefAt = signed.length + keep.length;
    const infoRef = /\/Info (\d+) 0 R/.exec(text.slice(prev))![1];
    const kept = concat(signed, ascii(keep + `xref\n${sizeAgain} 1\n${String(signed.length + 1).padStart(10, '0')} 00000 n \ntrailer\n<< /Size ${sizeAgain + 1} /Root 1 0 R /Info ${infoRef} 0 R /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`));
    expect(readLicenceMetadata(kept)).to.deep.equal({ licenceId: input.licenceId, verificationCode: input.verificationCode });
  });

  it('is null for values that are not plain ASCII strings, and for files it cannot follow', async () => {
    expect(readLicenceMetadata(await decoyPdf({ LicenceId: '营业执照', LicenceVerificationCode: 'AAAA-BBBB-CCCC-DDDD' }))).to.equal(null);
    // Object streams and a cross-reference stream: not how licences are written.
    expect(readLicenceMetadata(await decoyPdf({ LicenceId: 'BL.X', LicenceVerificationCode: 'AAAA-BBBB-CCCC-DDDD' }, true))).to.equal(null);
    const broken = signed.slice();
    const text = new TextDecoder('latin1').decode(broken);
    const at = text.lastIndexOf('startxref') + 'startxref\n'.length;
    broken[at] = '9'.charCodeAt(0); // the offset now points elsewhere
    expect(readLicenceMetadata(broken)).to.equal(null);
  });

  it('never throws on garbage', () => {
    for (const bytes of [new Uint8Array(0), ascii('%PDF-1.7'), ascii('%PDF-1.7\nstartxref\n999999\n%%EOF'), ascii('%PDF-1.7\nxref\n0 1\ntrailer << /Info (x) >>\nstartxref\n9\n%%EOF'), signed.subarray(0, signed.length - 300)]) {
      expect(readLicenceMetadata(bytes)).to.equal(null);
    }
    const head = `%PDF-1.7\n1 0 obj\n${'['.repeat(5000)}\nendobj\n`;
    const deep = ascii(`${head}xref\n1 1\n0000000009 00000 n \ntrailer\n<< /Info 1 0 R >>\nstartxref\n${head.length}\n%%EOF`);
    expect(readLicenceMetadata(deep)).to.equal(null);
  });
});
