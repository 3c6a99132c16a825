import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import jsqr from 'jsqr';
import { DEFAULT_FONT_PATHS, GlyphMissingError, loadFontChain } from './fonts.ts';
import type { FontChain } from './fonts.ts';
import { PAGE_HEIGHT, renderLicence, renderLicencePdf, renderSignedLicencePdf } from './render-licence.ts';
import type { Box, LicenceDocumentInput, LicenceLayout } from './render-licence.ts';
import { cadesSignatureSize, extractSignature, signPdfPades } from './pades.ts';
import { sampleDigitizedLicenceInput, sampleLicenceInput, samplePersonLicenceInput } from './sample-input.ts';
import { sealSerial } from './seal.ts';
import { extractPdfSignature } from '../verify/pdf-signature.ts';
import { readLicenceMetadata } from '../verify/pdf-metadata.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';
import type { CaMaterial, SigningMaterial } from '../pki/dev-pki.ts';

// jsqr is CommonJS typed as an ES default export; under NodeNext the default import is typed as the module.
const jsQR = jsqr.default;

const OUT = join(process.cwd(), 'test-output', 'pdf');
const DPI = 100;
/** A plain licence's size limit (issue 19, item 3): 40 KiB. */
const PLAIN_LIMIT = 40 * 1024;

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

interface Raster {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Buffer;
}

/** Renders page 1 with pdftoppm (grey PGM or colour PPM) and parses it. */
function rasterize(pdfPath: string, name: string, opts: { dpi?: number; colour?: boolean } = {}): Raster {
  const dpi = opts.dpi ?? DPI;
  const prefix = join(OUT, 'raster', name);
  mkdirSync(join(OUT, 'raster'), { recursive: true });
  execFileSync('pdftoppm', [...(opts.colour ? [] : ['-gray']), '-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', pdfPath, prefix]);
  const buf = readFileSync(`${prefix}.${opts.colour ? 'ppm' : 'pgm'}`);
  const header = /^P([56])\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(buf.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PNM');
  return { width: Number(header[2]), height: Number(header[3]), channels: header[1] === '6' ? 3 : 1, data: buf.subarray(header[0].length) };
}

/** Pixels inside a PDF-space box for which `test(r, g, b)` holds (grey rasters: r = g = b). */
function countIn(img: Raster, box: Box, test: (r: number, g: number, b: number) => boolean, dpi = DPI): number {
  const s = dpi / 72;
  const x0 = Math.max(0, Math.floor(box.x * s));
  const x1 = Math.min(img.width, Math.ceil((box.x + box.width) * s));
  const y0 = Math.max(0, Math.floor((PAGE_HEIGHT - box.y - box.height) * s));
  const y1 = Math.min(img.height, Math.ceil((PAGE_HEIGHT - box.y) * s));
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * img.channels;
      const r = img.data[i]!;
      if (img.channels === 1 ? test(r, r, r) : test(r, img.data[i + 1]!, img.data[i + 2]!)) n++;
    }
  }
  return n;
}
const ink = (img: Raster, box: Box) => countIn(img, box, (r, g, b) => (r + g + b) / 3 < 128);
/** #D7000F at 90% over white (the seal), not the frame's and banner's darker red (#991A17), even anti-aliased. */
const sealRed = (r: number, g: number, b: number) => r > 190 && g < 60 && b < 70;

/** The PDF's stream objects, inflated where they are Flate-compressed (our writer's layout: `n 0 obj\n<<…>>\nstream\n`). */
function streams(pdf: Uint8Array): Map<number, { dict: string; data: Buffer }> {
  const text = Buffer.from(pdf).toString('latin1');
  const out = new Map<number, { dict: string; data: Buffer }>();
  for (const m of text.matchAll(/(\d+) 0 obj\n<<((?:(?!endobj).)*?)>>\nstream\n/gs)) {
    const dict = m[2]!;
    const length = Number(/\/Length (\d+)/.exec(dict)![1]);
    const raw = Buffer.from(pdf.subarray(m.index! + m[0].length, m.index! + m[0].length + length));
    out.set(Number(m[1]), { dict, data: dict.includes('/FlateDecode') && !dict.includes('/Subtype /Image') ? inflateSync(raw) : raw });
  }
  return out;
}

/** ToUnicode of each font resource of page 1: resource name → (hex code → text). */
function toUnicodeMaps(pdf: Uint8Array): Map<string, Map<string, string>> {
  const text = Buffer.from(pdf).toString('latin1');
  const all = streams(pdf);
  const fontDict = /\/Font << ((?:\/F\d+ \d+ 0 R )+)>>/.exec(text)![1]!;
  const out = new Map<string, Map<string, string>>();
  for (const m of fontDict.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
    const font = new RegExp(`\\n${m[2]} 0 obj\\n<<(.*?)>>\\nendobj`, 's').exec(text)![1]!;
    const cmap = all.get(Number(/\/ToUnicode (\d+) 0 R/.exec(font)![1]))!.data.toString('latin1');
    const map = new Map<string, string>();
    const utf16 = (hex: string) => Buffer.from(hex, 'hex').swap16().toString('utf16le');
    const body = cmap.slice(cmap.indexOf('endcodespacerange'));
    for (const e of body.matchAll(/^<([0-9A-F]{4})> <([0-9A-F]+)>$/gm)) map.set(e[1]!, utf16(e[2]!)); // bfchar
    for (const e of body.matchAll(/<([0-9A-F]{4})> <([0-9A-F]{4})> \[((?:<[0-9A-F]+>)+)\]/g)) {
      const dest = [...e[3]!.matchAll(/<([0-9A-F]+)>/g)].map((d) => utf16(d[1]!));
      for (let id = parseInt(e[1]!, 16), k = 0; id <= parseInt(e[2]!, 16); id++, k++) map.set(id.toString(16).toUpperCase().padStart(4, '0'), dest[k]!);
    }
    out.set(m[1]!, map);
  }
  return out;
}

/** The characters the seal shows, in drawing order, decoded from the content stream through the ToUnicode maps. */
function sealCharacters(pdf: Uint8Array): string {
  const maps = toUnicodeMaps(pdf);
  const content = [...streams(pdf).values()].map((s) => s.data.toString('latin1')).find((s) => s.includes('/GSeal gs'))!;
  const seal = content.slice(content.indexOf('/GSeal gs'));
  let font = '';
  let chars = '';
  for (const m of seal.matchAll(/\/(F\d+) [\d.]+ Tf|<([0-9A-F]+)> Tj/g)) {
    if (m[1]) font = m[1];
    else for (let i = 0; i < m[2]!.length; i += 4) chars += maps.get(font)!.get(m[2]!.slice(i, i + 4)) ?? '?';
  }
  return chars;
}

interface Case {
  input: LicenceDocumentInput;
  pdf: Uint8Array;
  layout: LicenceLayout;
  path: string;
  plain: boolean;
}

describe('pdf: licence rendering + PAdES signing', function () {
  this.timeout(60000);
  let fonts: FontChain;
  let ca: CaMaterial;
  let signer: SigningMaterial;
  const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);
  const cases: Record<string, Case> = {};
  let scanPdf: Uint8Array;

  before(async function () {
    mkdirSync(OUT, { recursive: true });
    fonts = loadFontChain(DEFAULT_FONT_PATHS);
    ca = await generateIssuerCa({ commonName: 'Licence Vault Test CA', organization: '测试政务服务数据管理局' });
    signer = await issueDepartmentSigningCert(ca, {
      commonName: '朝阳区市场监督管理局电子证照签章',
      organization: '朝阳区市场监督管理局',
      departmentCode: '111101050000100149',
    });
    writeFileSync(join(OUT, 'ca.pem'), ca.certPem);

    // Fixtures made here, not stored: a 35 × 45 mm-proportioned ID photo, a scanned page, a scanned PDF.
    const photoSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="413" height="531"><rect width="413" height="531" fill="#dbe9f7"/><ellipse cx="206" cy="230" rx="98" ry="124" fill="#e6c2a4"/><ellipse cx="206" cy="140" rx="104" ry="62" fill="#262626"/><path d="M30 531 C60 380 352 380 383 531 Z" fill="#2b3a55"/></svg>`;
    const photo = await sharp(Buffer.from(photoSvg)).jpeg({ quality: 85 }).toBuffer();
    const scanSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="620" height="877"><rect width="620" height="877" fill="#ece6d8"/><text x="310" y="120" font-size="44" text-anchor="middle" fill="#3a3a3a">PAPER LICENCE 2009</text><rect x="60" y="200" width="500" height="520" fill="none" stroke="#555" stroke-width="4"/></svg>`;
    const scanJpeg = await sharp(Buffer.from(scanSvg)).jpeg({ quality: 80 }).toBuffer();
    const scanDoc = await PDFDocument.create();
    scanDoc.addPage([300, 400]).drawText('scanned paper licence');
    scanPdf = await scanDoc.save();

    const inputs: Record<string, { input: LicenceDocumentInput; plain: boolean }> = {
      'business-licence': { input: sampleLicenceInput(), plain: true },
      'health-certificate': { input: samplePersonLicenceInput({ photo: { kind: 'jpeg', bytes: photo, width: 413, height: 531 } }), plain: false },
      'digitized-licence': {
        input: sampleDigitizedLicenceInput({
          scans: [
            { fileName: 'paper-2009.jpg', sha256: 'a1'.repeat(32), images: [{ kind: 'jpeg', bytes: scanJpeg, width: 620, height: 877 }] },
            { fileName: 'paper-2009.pdf', sha256: 'b2'.repeat(32), images: null, pdfBytes: scanPdf },
          ],
        }),
        plain: false,
      },
      'qualification-open-ended': {
        input: samplePersonLicenceInput({
          licenceId: 'PQ.111101050000100224.0000000007.01.4',
          typeNameZh: '专业技术人员职业资格证书',
          typeNameEn: 'Professional Qualification Certificate',
          fields: [
            { labelZh: '资格名称', labelEn: 'Qualification', value: '注册会计师' },
            { labelZh: '资格级别', labelEn: 'Level', value: '中级' },
            { labelZh: '批准日期', labelEn: 'Date approved', value: '2019-09-01' },
          ],
          validUntil: null,
        }),
        plain: true,
      },
    };
    for (const [name, { input, plain }] of Object.entries(inputs)) {
      const r = await renderSignedLicencePdf(input, fonts, signer, { signingTime, reason: '电子证照签发 Licence issuance', location: '北京 Beijing' });
      const path = join(OUT, `${name}.pdf`);
      writeFileSync(path, r.pdf);
      // Screenshots at 100 dpi, every page (test-output/pdf/<name>-1.png, -2.png …).
      execFileSync('pdftoppm', ['-r', String(DPI), '-png', path, join(OUT, name)]);
      cases[name] = { input, pdf: r.pdf, layout: r.layout, path, plain };
    }
  });

  const names = ['business-licence', 'health-certificate', 'digitized-licence', 'qualification-open-ended'];

  describe('signature (every PDF)', () => {
    for (const name of names) {
      it(`${name}: pdfsig — valid, total document signed, ETSI.CAdES.detached`, () => {
        const { out } = run('pdfsig', [cases[name]!.path]);
        expect(out).to.contain('Signature Validation: Signature is Valid.');
        expect(out).to.contain('Total document signed');
        expect(out).to.contain('ETSI.CAdES.detached');
        expect(out).to.match(/Signing Time: \w{3} \d{2} \d{4}/);
      });

      it(`${name}: openssl cms -verify over the ByteRange against the issuer CA; PAdES B-B attributes`, () => {
        const { pdf } = cases[name]!;
        const sig = extractSignature(pdf);
        expect(sig.byteRange[0]).to.equal(0);
        expect(sig.byteRange[2]! + sig.byteRange[3]!).to.equal(pdf.length);
        writeFileSync(join(OUT, `${name}.sig.der`), sig.cmsDer);
        writeFileSync(join(OUT, `${name}.signed-bytes.bin`), sig.signedBytes);
        const v = run('openssl', [
          'cms', '-verify', '-binary', '-inform', 'DER', '-in', join(OUT, `${name}.sig.der`),
          '-content', join(OUT, `${name}.signed-bytes.bin`), '-CAfile', join(OUT, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null',
        ]);
        expect(v.out).to.contain('Verification successful');
        expect(v.ok).to.equal(true);
        const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(OUT, `${name}.sig.der`)]).toString();
        expect(printed).to.match(/id-smime-aa-signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
        expect(printed).to.contain('contentType');
        expect(printed).to.contain('messageDigest');
        expect(printed).not.to.match(/signingTime/i);
        expect(printed).to.match(/eContent: <ABSENT>/);
      });

      it(`${name}: /Contents is exactly the CMS (no unsigned gap), and the project's verifier accepts it`, () => {
        const { pdf } = cases[name]!;
        const sig = extractPdfSignature(pdf);
        const gap = (sig.byteRange[2] - sig.byteRange[1] - 2) / 2 - sig.cmsDer.length;
        expect(gap).to.be.below(1024);
        expect(gap).to.equal(0);
        expect(sig.cmsDer.length).to.equal(cadesSignatureSize(signer));
      });
    }

    it('a margin left in /Contents is zero-filled, and a non-zero byte there is refused by the verifier (pdfsig does not notice)', async () => {
      const exact = cadesSignatureSize(signer);
      const r = await renderSignedLicencePdf(sampleLicenceInput(), fonts, signer, { signingTime, signatureSize: exact + 16 });
      const sig = extractPdfSignature(r.pdf);
      expect((sig.byteRange[2] - sig.byteRange[1] - 2) / 2 - sig.cmsDer.length).to.equal(16);
      const tampered = r.pdf.slice();
      const at = sig.byteRange[2] - 1 - 4; // a hex digit inside the last padding byte
      tampered[at] = 0x37;
      expect(() => extractPdfSignature(tampered)).to.throw(/non-zero bytes after the CMS/);
      const p = join(OUT, 'licence-padding-written.pdf');
      writeFileSync(p, tampered);
      expect(run('pdfsig', [p]).out).to.contain('Signature is Valid.'); // why the gap must not exist at all
    });

    it('detects tampering inside the signed range (pdfsig and openssl)', () => {
      const { pdf } = cases['business-licence']!;
      const tampered = Buffer.from(pdf);
      const sig = extractSignature(pdf);
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

    it('signPdfPades (an existing PDF, through pdf-lib) also sizes /Contents to the CMS', async () => {
      const unsigned = await renderLicencePdf(sampleLicenceInput(), fonts);
      expect(Buffer.from(unsigned).toString('latin1')).not.to.contain('/ByteRange');
      const resigned = await signPdfPades(unsigned, signer, { signingTime });
      const p = join(OUT, 'licence-resigned.pdf');
      writeFileSync(p, resigned);
      expect(run('pdfsig', [p]).out).to.contain('Signature is Valid.');
      const sig = extractPdfSignature(resigned);
      expect((sig.byteRange[2] - sig.byteRange[1] - 2) / 2 - sig.cmsDer.length).to.equal(0);
    });
  });

  describe('size', () => {
    for (const name of names) {
      it(`${name}: ${name === 'digitized-licence' || name === 'health-certificate' ? 'size reported' : `a plain licence is ≤ ${PLAIN_LIMIT} bytes (40 KiB)`}`, function () {
        const { pdf, plain } = cases[name]!;
        this.test!.title += ` — ${pdf.length} bytes`;
        if (plain) expect(pdf.length).to.be.at.most(PLAIN_LIMIT);
      });
    }
  });

  describe('what the page says', () => {
    const text = (name: string) => execFileSync('pdftotext', ['-enc', 'UTF-8', cases[name]!.path, '-']).toString('utf8');

    for (const name of names) {
      it(`${name}: pdftotext finds 张𠮷𪚥, the verification code, the holder's identifier label, dates written the Chinese way`, () => {
        const t = text(name);
        const { input } = cases[name]!;
        expect(t).to.contain('张𠮷𪚥');
        expect(t).to.contain(input.holderName);
        expect(t).to.contain(input.licenceId);
        expect(t).to.contain(input.verificationCode);
        expect(t).to.contain('核验码');
        if (input.holderKind === 'organisation') {
          expect(t).to.contain('统一社会信用代码').and.contain('Unified social credit code').and.not.contain('公民身份号码');
        } else {
          expect(t).to.contain('公民身份号码').and.contain('Citizen ID number').and.not.contain('统一社会信用代码');
        }
        expect(t).to.contain(input.holderId);
        expect(t).to.contain('2026年12月07日'); // issued
        expect(t).not.to.match(/\d{4}-\d{2}-\d{2}/); // no ISO dates on the page
        expect(t).not.to.contain('∞');
        expect(t).not.to.contain('持证主体类型');
        if (input.validUntil === null) expect(t).to.contain('至 长期').and.contain('Long-term');
        else expect(t).to.contain('2027年12月06日').and.contain('6 Dec 2027').and.not.contain('长期');
      });

      it(`${name}: the licence number, the issuer and the date of issue are each printed once`, () => {
        const t = text(name);
        const { input } = cases[name]!;
        const count = (s: string) => t.split(s).length - 1;
        expect(count(input.licenceId)).to.equal(1);
        expect(count(input.issuerNameZh)).to.equal(1); // the seal's ring text is not extracted (ActualText)
        expect(count(input.issuerNameEn.split(' ').slice(0, 3).join(' '))).to.equal(1);
        expect(count('Issued ')).to.equal(1);
      });
    }

    it('field dates are written both ways; the digitized licence says where its paper came from', () => {
      expect(text('business-licence')).to.contain('2020年05月01日').and.contain('1 May 2020');
      const d = text('digitized-licence');
      const joined = d.replace(/\n/g, '');
      expect(joined).to.contain('本电子证照由纸质证照转换生成').and.contain('原证发证日期：2009年03月01日').and.contain('1 Mar 2009');
      expect(joined).to.contain('扫描件附后并作为附件嵌入').and.contain('scans follow and are attached');
    });

    it('pdffonts: two embedded subsets — Noto Serif SC for the text, IPAmj Mincho for 𠮷 and 𪚥', () => {
      for (const name of names) {
        const out = run('pdffonts', [cases[name]!.path]).out;
        const rows = out.split('\n').slice(2).filter(Boolean);
        expect(rows, name).to.have.length(2);
        expect(rows[0]).to.match(/^[A-Z]{6}\+NotoSerifSC-Regular\s+CID TrueType\s+Identity-H\s+yes yes yes/);
        expect(rows[1]).to.match(/^[A-Z]{6}\+IPAmjMincho\s+CID TrueType\s+Identity-H\s+yes yes yes/);
      }
      // Which characters the IPAmj subset draws: its ToUnicode map.
      const maps = toUnicodeMaps(cases['business-licence']!.pdf);
      expect([...maps.get('F1')!.values()].sort()).to.deep.equal(['𠮷', '𪚥'].sort());
      expect([...maps.get('F0')!.values()]).to.include.members(['张', '北', '京']).and.not.include('𠮷');
      const digitized = toUnicodeMaps(cases['digitized-licence']!.pdf);
      expect([...digitized.get('F1')!.values()].sort()).to.deep.equal(['𠮷', '𪚥', '𡘙'].sort());
    });

    it('the metadata (information dictionary) holds the licence id and the verification code', () => {
      for (const name of names) {
        const { pdf, input } = cases[name]!;
        expect(readLicenceMetadata(pdf), name).to.deep.equal({ licenceId: input.licenceId, verificationCode: input.verificationCode });
        const info = run('pdfinfo', [cases[name]!.path]).out;
        expect(info).to.contain(`Title:           ${input.typeNameZh} ${input.licenceId}`);
        expect(info).to.contain(`Author:          ${input.issuerNameZh}`);
      }
    });
  });

  describe('what the page looks like at 100 dpi', () => {
    for (const name of names) {
      it(`${name}: every holder-name glyph has ink; the QR and blank areas are where they should be`, () => {
        const { layout, path, input } = cases[name]!;
        const img = rasterize(path, name);
        expect(layout.holderNameChars.map((c) => c.char)).to.deep.equal([...input.holderName]);
        expect(ink(img, layout.holderName)).to.be.greaterThan(300);
        for (const ch of layout.holderNameChars) expect(ink(img, ch), `ink for ${ch.char}`).to.be.greaterThan(40);
        expect(ink(img, layout.qr)).to.be.greaterThan(2000);
        expect(ink(img, layout.verificationCode)).to.be.greaterThan(150);
        expect(ink(img, { x: 300, y: 40, width: 100, height: 30 })).to.equal(0); // below the seal, above the frame
      });

      it(`${name}: the red seal lies over the issuer's name, with the department's name, a star and its code`, () => {
        const { layout, path, input, pdf } = cases[name]!;
        const img = rasterize(path, `${name}-colour`, { colour: true });
        const { seal } = layout;
        const ring = { x: seal.cx - seal.r, y: seal.cy - 3, width: 8, height: 6 }; // the ring at 9 o'clock
        const star = { x: seal.cx - 4, y: seal.cy - 2, width: 8, height: 8 };
        expect(countIn(img, ring, sealRed)).to.be.greaterThan(10);
        expect(countIn(img, star, sealRed)).to.be.greaterThan(40);
        expect(countIn(img, seal, sealRed)).to.be.greaterThan(2500);
        expect(countIn(img, { x: 60, y: 300, width: 200, height: 200 }, sealRed)).to.equal(0); // nowhere else
        // Partly over the issuer's name: some of the name is under seal, not all of it.
        const name_ = layout.issuerName;
        const overlapX = Math.max(0, Math.min(name_.x + name_.width, seal.x + seal.width) - Math.max(name_.x, seal.x));
        expect(overlapX).to.be.greaterThan(20).and.below(name_.width);
        expect(seal.cy + seal.r).to.be.greaterThan(name_.y);
        // The ring text and the bottom code, as drawn.
        expect(seal.serial).to.equal(sealSerial(input.issuerCode)).and.match(/^\d{13}$/);
        expect(sealCharacters(pdf)).to.equal(input.issuerNameZh + seal.serial);
      });
    }

    it('the photo is in the signed PDF, in its 35 × 45 mm frame, top right', () => {
      const { layout, path } = cases['health-certificate']!;
      const photo = layout.photo!;
      expect(photo.width).to.be.closeTo((35 * 72) / 25.4, 0.01);
      expect(photo.height).to.be.closeTo((45 * 72) / 25.4, 0.01);
      expect(photo.x + photo.width).to.be.greaterThan(500);
      const list = run('pdfimages', ['-list', path]).out;
      expect(list).to.match(/\n\s+1\s+0 image\s+413\s+531\s+rgb\s+3\s+8\s+jpeg/);
      const img = rasterize(path, 'health-certificate-colour', { colour: true });
      const blue = countIn(img, { x: photo.x + 5, y: photo.y + photo.height - 20, width: 20, height: 15 }, (r, g, b) => b > 220 && r < 230 && r > 190);
      expect(blue).to.be.greaterThan(100);
      expect(cases['business-licence']!.layout.photo).to.equal(null);
    });

    it('the QR code decodes (independent decoder, jsQR) to the verification URL, where the layout says', () => {
      const { layout, path, input } = cases['business-licence']!;
      const qrDpi = 200;
      const { width, height, data: grey } = rasterize(path, 'licence-qr', { dpi: qrDpi });
      const rgba = new Uint8ClampedArray(width * height * 4);
      for (let i = 0; i < width * height; i++) {
        rgba.fill(grey[i]!, i * 4, i * 4 + 3);
        rgba[i * 4 + 3] = 255;
      }
      const decoded = jsQR(rgba, width, height);
      expect(decoded, 'a QR code was found on the page').to.not.equal(null);
      expect(decoded!.data).to.equal(input.verifyUrl);
      const s = qrDpi / 72;
      const centre = { x: (layout.qr.x + layout.qr.width / 2) * s, y: (PAGE_HEIGHT - layout.qr.y - layout.qr.height / 2) * s };
      const found = decoded!.location;
      const mid = { x: (found.topLeftCorner.x + found.bottomRightCorner.x) / 2, y: (found.topLeftCorner.y + found.bottomRightCorner.y) / 2 };
      expect(Math.abs(mid.x - centre.x), 'QR x').to.be.below(10);
      expect(Math.abs(mid.y - centre.y), 'QR y').to.be.below(10);
    });

    it('the digitized licence: the scan as page 2, the PDF scan attached', () => {
      const { path } = cases['digitized-licence']!;
      expect(run('pdfinfo', [path]).out).to.match(/Pages:\s+2\n/);
      const attached = run('pdfdetach', ['-list', path]).out;
      expect(attached).to.contain('1 embedded files').and.contain('scan-2.pdf');
      const saved = join(OUT, 'digitized-attachment.pdf');
      execFileSync('pdfdetach', ['-save', '1', '-o', saved, path]);
      expect(Buffer.compare(readFileSync(saved), Buffer.from(scanPdf))).to.equal(0);
      const page2 = execFileSync('pdftotext', ['-f', '2', '-l', '2', '-enc', 'UTF-8', path, '-']).toString('utf8');
      expect(page2).to.contain('原纸质证照扫描件').and.contain(`SHA-256 ${'a1'.repeat(32)}`);
    });

    it('a name of only 𠮷 (a fallback font) renders with ink', async () => {
      const r = await renderLicence(sampleLicenceInput({ holderName: '𠮷' }), fonts);
      const p = join(OUT, 'licence-single-char.pdf');
      writeFileSync(p, r.pdf);
      expect(r.layout.holderNameChars).to.have.length(1);
      expect(ink(rasterize(p, 'licence-single-char'), r.layout.holderNameChars[0]!)).to.be.greaterThan(60);
    });
  });

  describe('images', () => {
    it('embeds PNG photos: plain ones as they are, ones with alpha, palettes or interlacing decoded (colour + soft mask)', async () => {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="140" height="180"><rect width="140" height="180" fill="#2050c0"/><circle cx="70" cy="80" r="40" fill="#f0c080"/></svg>`;
      const variants: Array<[string, Buffer, RegExp]> = [
        ['rgb', await sharp(Buffer.from(svg)).removeAlpha().png().toBuffer(), /Predictor 15/],
        ['rgba', await sharp(Buffer.from(svg)).removeAlpha().ensureAlpha(0.5).png().toBuffer(), /\/SMask \d+ 0 R/],
        ['palette', await sharp(Buffer.from(svg)).removeAlpha().png({ palette: true, colours: 16 }).toBuffer(), /\/Indexed \/DeviceRGB/],
        ['interlaced', await sharp(Buffer.from(svg)).removeAlpha().png({ progressive: true }).toBuffer(), /\/ColorSpace \/DeviceRGB \/BitsPerComponent 8 \/Filter \/FlateDecode \/Length/],
        ['grey', await sharp(Buffer.from(svg)).greyscale().toColourspace('b-w').png().toBuffer(), /\/DeviceGray/],
      ];
      // Expected colours at the circle's centre (#f0c080) and in a corner (#2050c0): opaque, grey, or half
      // transparent over the white page.
      const colours: Record<string, [number[], number[]]> = {
        rgb: [[240, 192, 128], [32, 80, 192]],
        palette: [[240, 192, 128], [32, 80, 192]],
        interlaced: [[240, 192, 128], [32, 80, 192]],
        grey: [[198, 198, 198], [78, 78, 78]],
        rgba: [[247, 223, 191], [143, 167, 223]],
      };
      for (const [kind, png, expected] of variants) {
        const r = await renderLicence(samplePersonLicenceInput({ photo: { kind: 'png', bytes: png, width: 140, height: 180 } }), fonts);
        const p = join(OUT, `photo-${kind}.pdf`);
        writeFileSync(p, r.pdf);
        expect(Buffer.from(r.pdf).toString('latin1'), kind).to.match(expected);
        const img = rasterize(p, `photo-${kind}`, { colour: true });
        const f = r.layout.photo!;
        const near = (want: number[]) => (red: number, g: number, b: number) => Math.abs(red - want[0]!) < 24 && Math.abs(g - want[1]!) < 24 && Math.abs(b - want[2]!) < 24;
        const [skin, blue] = colours[kind]!;
        const centre = { x: f.x + f.width / 2 - 4, y: f.y + f.height * (100 / 180) - 4, width: 8, height: 8 };
        const corner = { x: f.x + 3, y: f.y + f.height - 12, width: 8, height: 8 };
        expect(countIn(img, centre, near(skin)), `${kind}: centre`).to.be.greaterThan(40);
        expect(countIn(img, corner, near(blue)), `${kind}: corner`).to.be.greaterThan(40);
      }
    });
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
