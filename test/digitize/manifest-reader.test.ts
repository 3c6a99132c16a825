import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import iconv from 'iconv-lite';
import { isParseError, readManifest } from '../../src/digitize/manifest-reader.ts';
import type { ManifestReadInfo } from '../../src/digitize/manifest-reader.ts';
import { collect, tempDir } from './helpers.ts';

const HEADER = 'source_system,source_record_id,holder_name,scans\r\n';
const BODY = 'GSJ,R1,北京𠮷𪚥餐饮管理有限公司,a.jpg\r\nGSJ,R2,"臺灣麵館, 分店",b.jpg;c.png\r\n';

describe('digitize: manifest reader', () => {
  const dir = tempDir('reader');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Buffer | string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };

  it('reads UTF-8 CSV without a BOM, keeping non-BMP characters and quoted commas', async () => {
    const info: Partial<ManifestReadInfo> = {};
    const items = await collect(readManifest(write('plain.csv', HEADER + BODY), {}, info));
    expect(info).to.deep.equal({ format: 'csv', encoding: 'utf8', bom: false });
    expect(items).to.have.length(2);
    expect(items[0]).to.deep.include({ rowNumber: 1, line: 2 });
    expect(items[0]).to.have.nested.property('raw.holder_name', '北京𠮷𪚥餐饮管理有限公司');
    expect(items[1]).to.have.nested.property('raw.holder_name', '臺灣麵館, 分店');
    expect(items[1]).to.have.nested.property('raw.scans', 'b.jpg;c.png');
  });

  it('strips a UTF-8 BOM (header keys are clean)', async () => {
    const info: Partial<ManifestReadInfo> = {};
    const items = await collect(readManifest(write('bom.csv', '\uFEFF' + HEADER + BODY), { encoding: 'auto' }, info));
    expect(info.bom).to.equal(true);
    expect(Object.keys((items[0] as { raw: object }).raw)[0]).to.equal('source_system');
    expect(items[0]).to.have.nested.property('raw.source_system', 'GSJ');
  });

  it('auto-detects a GB18030 CSV without a BOM, including characters outside the BMP', async () => {
    const bytes = iconv.encode(HEADER + BODY, 'gb18030');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).to.throw();
    const info: Partial<ManifestReadInfo> = {};
    const items = await collect(readManifest(write('gb.csv', bytes), {}, info));
    expect(info.encoding).to.equal('gb18030');
    expect(items[0]).to.have.nested.property('raw.holder_name', '北京𠮷𪚥餐饮管理有限公司');
    expect(items[1]).to.have.nested.property('raw.holder_name', '臺灣麵館, 分店');
  });

  it('decodes GBK when told to, from a stream, with a multi-byte character split across chunks', async () => {
    const bytes = iconv.encode(HEADER + 'GSJ,R1,张三餐馆,a.jpg\r\n', 'gbk');
    const chunks = [bytes.subarray(0, HEADER.length + 9), bytes.subarray(HEADER.length + 9)];
    const items = await collect(readManifest(Readable.from(chunks), { encoding: 'gbk', format: 'csv' }));
    expect(items[0]).to.have.nested.property('raw.holder_name', '张三餐馆');
  });

  it('turns a ragged CSV row into a parse-error item with its row number and goes on', async () => {
    const csv = HEADER + 'GSJ,R1,甲,a.jpg\r\nGSJ,R2,乙\r\n"GSJ","R3","丙\r\n第二行",c.jpg\r\nGSJ,R4,丁,d.jpg,extra\r\nGSJ,R5,戊,e.jpg\r\n';
    const items = await collect(readManifest(write('ragged.csv', csv)));
    expect(items.map((i) => i.rowNumber)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(isParseError(items[1]!)).to.equal(true);
    expect((items[1] as { parseError: string }).parseError).to.match(/row 2 \(line 3\) has 3 columns, the header has 4/);
    expect(items[2]).to.have.nested.property('raw.holder_name', '丙\r\n第二行');
    expect(isParseError(items[3]!)).to.equal(true);
    expect(items[3]).to.include({ line: 6 });
    expect(items[4]).to.have.nested.property('raw.source_record_id', 'R5');
  });

  it('ends with one fatal parse-error item on an unterminated quoted cell', async () => {
    const items = await collect(readManifest(write('quote.csv', HEADER + 'GSJ,R1,甲,a.jpg\r\nGSJ,R2,"乙,b.jpg\r\nGSJ,R3,丙,c.jpg\r\n')));
    expect(items).to.have.length(2);
    expect(items[1]).to.include({ rowNumber: 2, fatal: true });
  });

  it('reads JSONL: a broken line is a parse-error item, blank lines are skipped, numbering is by line', async () => {
    const lines = [
      JSON.stringify({ source_record_id: 'R1', holder_name: '王𪚥', fields: { level: '中级' } }),
      '{"source_record_id": "R2", "holder_name": ',
      '',
      '[1,2]',
      JSON.stringify({ source_record_id: 'R5' }),
    ];
    const items = await collect(readManifest(write('m.jsonl', '\uFEFF' + lines.join('\n') + '\n')));
    expect(items.map((i) => [i.rowNumber, isParseError(i)])).to.deep.equal([[1, false], [2, true], [4, true], [5, false]]);
    expect(items[0]).to.have.nested.property('raw.fields.level', '中级');
    expect(items[0]).to.have.nested.property('raw.holder_name', '王𪚥');
  });
});
