import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadScan, ScanError } from '../../src/digitize/scan-reader.ts';
import { makeJpeg, makePdf, makePng, makeTiff } from './messy-manifest-generator.ts';
import { tempDir } from './helpers.ts';

describe('digitize: scan reader', () => {
  const dir = tempDir('scans');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  const expectScanError = async (p: string, code: string, pattern: RegExp): Promise<void> => {
    try {
      await loadScan(p);
    } catch (err) {
      expect(err).to.be.instanceOf(ScanError);
      expect((err as ScanError).code).to.equal(code);
      expect((err as ScanError).reason).to.match(pattern);
      return;
    }
    expect.fail(`${p} was accepted`);
  };

  it('passes a JPEG through with its size and the SHA-256 of the file', async () => {
    const bytes = makeJpeg('hello');
    const scan = await loadScan(write('a.jpg', bytes));
    expect(scan.mediaType).to.equal('image/jpeg');
    expect(scan.pages).to.have.length(1);
    expect(scan.pages![0]).to.deep.include({ kind: 'jpeg', width: 16, height: 12 });
    expect(Buffer.from(scan.pages![0]!.bytes).equals(bytes)).to.equal(true);
    expect(scan.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(scan.sha256).to.not.equal((await loadScan(write('b.jpg', makeJpeg('other')))).sha256);
  });

  it('detects by magic bytes, not extension (a PNG named .jpg)', async () => {
    const scan = await loadScan(write('really-a-png.jpg', makePng(7, 5, 10)));
    expect(scan.mediaType).to.equal('image/png');
    expect(scan.pages![0]).to.deep.include({ kind: 'png', width: 7, height: 5 });
  });

  it('converts a multi-page TIFF into PNG pages', async () => {
    const scan = await loadScan(write('two.tif', makeTiff([{ width: 12, height: 9, shade: 1 }, { width: 10, height: 14, shade: 99 }])));
    expect(scan.mediaType).to.equal('image/tiff');
    expect(scan.pages!.map((p) => [p.kind, p.width, p.height])).to.deep.equal([['png', 12, 9], ['png', 10, 14]]);
    for (const page of scan.pages!) expect(Buffer.from(page.bytes.subarray(1, 4)).toString('latin1')).to.equal('PNG');
  });

  it('keeps a PDF as bytes to attach', async () => {
    const bytes = makePdf(3, 'scan');
    const scan = await loadScan(write('c.pdf', bytes));
    expect(scan).to.deep.include({ mediaType: 'application/pdf', pages: null, pdfPageCount: 3 });
    expect(Buffer.from(scan.pdfBytes!).equals(bytes)).to.equal(true);
  });

  it('CORRUPT_SCAN for a truncated JPEG, PNG, PDF or TIFF', async () => {
    const jpeg = makeJpeg('x');
    await expectScanError(write('t.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6))), 'CORRUPT_SCAN', /truncated/);
    await expectScanError(write('h.jpg', jpeg.subarray(0, 40)), 'CORRUPT_SCAN', /truncated/);
    const png = makePng(8, 8, 3);
    await expectScanError(write('t.png', png.subarray(0, png.length - 10)), 'CORRUPT_SCAN', /truncated|IEND/);
    const flipped = Buffer.from(png);
    flipped[45] = flipped[45]! ^ 0xff;
    await expectScanError(write('crc.png', flipped), 'CORRUPT_SCAN', /CRC/);
    const pdf = makePdf(1, 'x');
    await expectScanError(write('t.pdf', pdf.subarray(0, pdf.length - 20)), 'CORRUPT_SCAN', /%%EOF/);
    const tiff = makeTiff([{ width: 40, height: 40, shade: 0 }]);
    await expectScanError(write('t.tif', tiff.subarray(0, 200)), 'CORRUPT_SCAN', /TIFF/);
    await expectScanError(write('empty.jpg', new Uint8Array(0)), 'CORRUPT_SCAN', /empty/);
  });

  it('SCAN_TOO_LARGE above 20 MiB (checked before reading)', async () => {
    const p = path.join(dir, 'big.jpg');
    const fd = fs.openSync(p, 'w');
    fs.writeSync(fd, makeJpeg('big'));
    fs.ftruncateSync(fd, 20 * 1024 * 1024 + 1);
    fs.closeSync(fd);
    await expectScanError(p, 'SCAN_TOO_LARGE', /20 MiB/);
  });

  it('MISSING_SCAN and UNSUPPORTED_SCAN_FORMAT', async () => {
    await expectScanError(path.join(dir, 'nope.jpg'), 'MISSING_SCAN', /does not exist/);
    await expectScanError(write('x.bmp', Buffer.from('BM this is not a scan')), 'UNSUPPORTED_SCAN_FORMAT', /not a JPEG/);
  });
});
