import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { createErrorReport } from '../../src/digitize/error-report.ts';
import { tempDir } from './helpers.ts';

describe('digitize: error report', () => {
  const dir = tempDir('report');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes UTF-8 with a BOM, one line per error, and round-trips through csv-parse', async () => {
    const file = path.join(dir, 'errors.csv');
    const report = createErrorReport(file);
    await report.writeRow(3, { source_system: 'GSJ', source_record_id: 'R,3' }, [
      { field: 'holder_name', code: 'UNRENDERABLE_CHARACTER', reason: 'contains "𠮷"\nand U+13000' },
      { field: 'holder_id', code: 'BAD_HOLDER_ID', reason: '臺灣麵館: check character should be \'X\', got \'1\'' },
    ]);
    await report.write({ rowNumber: 7, field: '(row)', code: 'PARSE_ERROR', reason: 'row 7 has 3 columns' });
    await report.close();
    expect(report.count).to.equal(3);
    const bytes = fs.readFileSync(file);
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows).to.deep.equal([
      { row_number: '3', source_system: 'GSJ', source_record_id: 'R,3', field: 'holder_name', code: 'UNRENDERABLE_CHARACTER', reason: 'contains "𠮷"\nand U+13000' },
      { row_number: '3', source_system: 'GSJ', source_record_id: 'R,3', field: 'holder_id', code: 'BAD_HOLDER_ID', reason: '臺灣麵館: check character should be \'X\', got \'1\'' },
      { row_number: '7', source_system: '', source_record_id: '', field: '(row)', code: 'PARSE_ERROR', reason: 'row 7 has 3 columns' },
    ]);
  });

  it('guards cells that a spreadsheet would run as formulas', async () => {
    const file = path.join(dir, 'guard.csv');
    const report = createErrorReport(file);
    await report.write({ rowNumber: 1, sourceRecordId: '=HYPERLINK("x")', field: 'f', code: 'C', reason: '@SUM(1)' });
    await report.close();
    const rows = parse(fs.readFileSync(file), { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows[0]).to.include({ source_record_id: '\'=HYPERLINK("x")', reason: '\'@SUM(1)' });
  });
});
