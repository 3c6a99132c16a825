import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FONT_PATHS, GlyphMissingError, loadFontChain } from './fonts.ts';
import type { FontChain } from './fonts.ts';
import { PAGE_HEIGHT, renderLicence, renderLicencePdf, renderSignedLicencePdf } from './render-licence.ts';
import type { Box, LicenceLayout } from './render-licence.ts';
import { extractSignature, signPdfPades } from './pades.ts';
import { sampleLicenceInput } from './sample-input.ts';
import jsqr from 'jsqr';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';
import type { CaMaterial, SigningMaterial } from '../pki/dev-pki.ts';

// jsqr is CommonJS typed as an ES default export; under NodeNext the default import is typed as the module.
const jsQR = jsqr.default;

const OUT = join(process.cwd(), 'test-output', 'pdf');
const DPI = 100;

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

interface Gray {
  width: number;
  height: number;
  data: Buffer;
}

/** Renders page 1 as an 8-bit grey PGM and parses it. */
function rasterize(pdfPath: string, name: string, dpi = DPI): Gray {
  const prefix = join(OUT, name);
  execFileSync('pdftoppm', ['-gray', '-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', pdfPath, prefix]);
  const buf = readFileSync(`${prefix}.pgm`);
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(buf.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PGM');
  return { width: Number(header[1]), height: Number(header[2]), data: buf.subarray(header[0].length) };
}

/** Dark pixels (< 128) inside a PDF-space box. */
function inkIn(img: Gray, box: Box): number {
  const s = DPI / 72;
  const x0 = Math.floor(box.x * s);
  const x1 = Math.ceil((box.x + box.width) * s);
  const y0 = Math.floor((PAGE_HEIGHT - box.y - box.height) * s);
  const y1 = Math.ceil((PAGE_HEIGHT - box.y) * s);
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) if (img.data[y * img.width + x]! < 128) n++;
  }
  return n;
}

describe('pdf: licence rendering + PAdES signing', function () {
  this.timeout(20000);
  let fonts: FontChain;
  let ca: CaMaterial;
  let signer: SigningMaterial;
  let layout: LicenceLayout;
  let signedPath: string;
  let signed: Uint8Array;
  const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);

  before(async function () {
    mkdirSync(OUT, { recursive: true });
    fonts = loadFontChain(DEFAULT_FONT_PATHS);
    ca = await generateIssuerCa({ commonName: 'Licence Vault Test CA', organization: '测试政务服务数据管理局' });
    signer = await issueDepartmentSigningCert(ca, {
      commonName: '福州市市场监督管理局电子证照签章',
      organization: '福州市市场监督管理局',
      departmentCode: '11350100MB0123456X',
    });
    writeFileSync(join(OUT, 'ca.pem'), ca.certPem);
    const rendered = await renderLicence(sampleLicenceInput(), fonts);
    layout = rendered.layout;
    writeFileSync(join(OUT, 'licence-unsigned.pdf'), rendered.pdf);
    signed = await signPdfPades(rendered.pdf, signer, {
      signingTime,
      reason: '电子证照签发 Licence issuance',
      location: '福州 Fuzhou',
    });
    signedPath = join(OUT, 'licence-signed.pdf');
    writeFileSync(signedPath, signed);
  });

  it('pdfsig: signature valid, covers the total document, PAdES subfilter', () => {
    const { out } = run('pdfsig', [signedPath]);
    expect(out).to.contain('Signature Validation: Signature is Valid.');
    expect(out).to.contain('Total document signed');
    expect(out).to.contain('ETSI.CAdES.detached');
    expect(out).to.match(/Signing Time: \w{3} \d{2} \d{4}/);
  });

  it('openssl cms -verify succeeds against the CA; attributes are PAdES B-B', () => {
    const sig = extractSignature(signed);
    expect(sig.byteRange[0]).to.equal(0);
    expect(sig.byteRange[2]! + sig.byteRange[3]!).to.equal(signed.length);
    writeFileSync(join(OUT, 'sig.der'), sig.cmsDer);
    writeFileSync(join(OUT, 'signed-bytes.bin'), sig.signedBytes);
    const v = run('openssl', [
      'cms', '-verify', '-binary', '-inform', 'DER', '-in', join(OUT, 'sig.der'),
      '-content', join(OUT, 'signed-bytes.bin'), '-CAfile', join(OUT, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null',
    ]);
    expect(v.out).to.contain('Verification successful');
    expect(v.ok).to.equal(true);
    const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(OUT, 'sig.der')]).toString();
    expect(printed).to.match(/id-smime-aa-signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
    expect(printed).to.contain('contentType');
    expect(printed).to.contain('messageDigest');
    expect(printed).not.to.match(/signingTime/i);
    expect(printed).to.match(/eContent: <ABSENT>/);
  });

  it('detects tampering inside the signed range (pdfsig and openssl)', () => {
    const tampered = Buffer.from(signed);
    const sig = extractSignature(signed);
    const pos = Math.floor(sig.byteRange[1]! / 2); // inside the first range
    tampered[pos] = tampered[pos]! ^ 0x01;
    const p = join(OUT, 'licence-tampered.pdf');
    writeFileSync(p, tampered);
    const { out } = run('pdfsig', [p]);
    expect(out).not.to.contain('Signature is Valid.');
    expect(out).to.match(/Digest Mismatch|Signature is Invalid/i);
    const t = extractSignature(tampered);
    writeFileSync(join(OUT, 'tampered-bytes.bin'), t.signedBytes);
    writeFileSync(join(OUT, 'tampered-sig.der'), t.cmsDer);
    const v = run('openssl', [
      'cms', '-verify', '-binary', '-inform', 'DER', '-in', join(OUT, 'tampered-sig.der'),
      '-content', join(OUT, 'tampered-bytes.bin'), '-CAfile', join(OUT, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null',
    ]);
    expect(v.ok).to.equal(false);
    expect(v.out).to.match(/digest failure|verification failure/i);
  });

  it('text layer contains the supplementary-plane name and labels', () => {
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', signedPath, '-']).toString('utf8');
    expect(text).to.contain('张𠮷𪚥');
    expect(text).to.contain('福州闽江𡘙记餐饮管理有限公司');
    expect(text).to.contain('Business premises');
    expect(text).to.contain('Electronically signed — verify at https://licence-vault.example.gov.cn/verify/');
  });

  it('every holder-name glyph has ink (catches blank CJK subsets)', () => {
    const img = rasterize(signedPath, 'licence-signed');
    expect(layout.holderNameChars.map((c) => c.char)).to.deep.equal(['张', '𠮷', '𪚥']);
    expect(inkIn(img, layout.holderName)).to.be.greaterThan(300);
    for (const ch of layout.holderNameChars) {
      expect(inkIn(img, ch), `ink for ${ch.char}`).to.be.greaterThan(60);
    }
    // The QR has plenty of dark modules; blank page areas have none.
    expect(inkIn(img, layout.qr)).to.be.greaterThan(2000);
    expect(inkIn(img, { x: 300, y: layout.holderName.y, width: 100, height: 20 })).to.equal(0);
  });

  it('the printed QR code decodes (independent decoder, jsQR) to the verification URL', () => {
    const qrDpi = 200;
    const { width, height, data: grey } = rasterize(signedPath, 'licence-qr', qrDpi);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba.fill(grey[i]!, i * 4, i * 4 + 3);
      rgba[i * 4 + 3] = 255;
    }
    const decoded = jsQR(rgba, width, height);
    expect(decoded, 'a QR code was found on the page').to.not.equal(null);
    expect(decoded!.data).to.equal(sampleLicenceInput().verifyUrl);
    // It is the QR inside the layout's QR box (the decoder reports pixel positions at qrDpi).
    const s = qrDpi / 72;
    const centre = { x: (layout.qr.x + layout.qr.width / 2) * s, y: (PAGE_HEIGHT - layout.qr.y - layout.qr.height / 2) * s };
    const found = decoded!.location;
    const mid = { x: (found.topLeftCorner.x + found.bottomRightCorner.x) / 2, y: (found.topLeftCorner.y + found.bottomRightCorner.y) / 2 };
    expect(Math.abs(mid.x - centre.x), 'QR x').to.be.below(10);
    expect(Math.abs(mid.y - centre.y), 'QR y').to.be.below(10);
  });

  it('a name of only 𠮷 (non-first font) renders with ink', async () => {
    const r = await renderLicence(sampleLicenceInput({ holderName: '𠮷', digitizedFromPaper: undefined }), fonts);
    const p = join(OUT, 'licence-single-char.pdf');
    writeFileSync(p, r.pdf);
    expect(r.layout.holderNameChars).to.have.length(1);
    expect(inkIn(rasterize(p, 'licence-single-char'), r.layout.holderNameChars[0]!)).to.be.greaterThan(60);
  });

  it('renderSignedLicencePdf (single pass) produces a valid signature too', async () => {
    const r = await renderSignedLicencePdf(sampleLicenceInput({ validUntil: null }), fonts, signer, { signingTime });
    const p = join(OUT, 'licence-single-pass.pdf');
    writeFileSync(p, r.pdf);
    const { out } = run('pdfsig', [p]);
    expect(out).to.contain('Signature is Valid.');
    expect(out).to.contain('Total document signed');
  });

  it('rejects characters no font covers with GlyphMissingError naming the code point', async () => {
    expect(fonts.findMissingGlyphs('张\u{3134A}三\u{10FFFD}')).to.deep.equal(['U+3134A', 'U+10FFFD']);
    for (const [ch, cp] of [['\u{3134A}', 'U+3134A'], ['\u{10FFFD}', 'U+10FFFD']] as const) {
      let err: unknown;
      try {
        await renderLicencePdf(sampleLicenceInput({ holderName: `李${ch}` }), fonts);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(GlyphMissingError);
      const g = err as GlyphMissingError;
      expect(g.code).to.equal('GLYPH_MISSING');
      expect(g.codePoint).to.equal(cp);
      expect(g.char).to.equal(ch);
      expect(g.message).to.contain(cp);
    }
  });
});
