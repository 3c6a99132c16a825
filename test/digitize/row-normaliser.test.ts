import { expect } from 'chai';
import { parseHistoricDate } from '../../src/digitize/historic-dates.ts';
import { normaliseRow } from '../../src/digitize/row-normaliser.ts';
import type { NormaliseContext, NormaliseResult } from '../../src/digitize/row-normaliser.ts';
import { computeResidentIdCheck } from '../../src/identity/resident-id.ts';
import { LicenceTypeCatalogue } from '../../src/catalogue/catalogue.ts';
import { getDefaultFontChain } from '../../src/pdf/fonts.ts';

const catalogue = LicenceTypeCatalogue.load();
const chain = getDefaultFontChain();
const ctx: NormaliseContext = {
  catalogue,
  missingGlyphs: (t) => chain.findMissingGlyphs(t),
  scanExists: (name) => !name.startsWith('missing'),
  today: new Date('2025-06-01T00:00:00Z'),
};

const ID15 = '110105491231002';
const first17 = '11010519491231002';
const ID18 = first17 + computeResidentIdCheck(first17); // 11010519491231002X

function pq(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_system: 'RSJ-ARCHIVE',
    source_record_id: 'R1',
    licence_type: 'professional-qualification',
    holder_id: ID18,
    holder_name: '张𠮷',
    original_issue_date: '1998-03-05',
    valid_from: '1998-03-05',
    valid_until: '',
    'field.qualificationName': '注册会计师',
    'field.level': '中级',
    'field.approvedOn': '1998年3月1日',
    'field.managementNumber': 'GL123456',
    'field.employer': '',
    scans: 'r1.jpg',
    archive_location: '档案室1号柜',
    reviewing_clerk: '刘芳',
    ...overrides,
  };
}

function bl(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source_system: 'GSJ-1998',
    source_record_id: 'B1',
    licence_type: 'business-licence',
    holder_id: '91350100M000100Y43',
    holder_name: '北京𠮷𪚥餐饮管理有限公司',
    original_issue_date: '二〇〇三年十二月一日',
    valid_from: '2003/12/1',
    valid_until: '长期',
    fields: {
      entityType: '有限责任公司',
      legalRepresentative: '张𠮷',
      registeredCapital: '人民币壹佰万元整',
      establishedOn: '一九九八年三月五日',
      address: '臺北路８８號',
      businessScope: '麵食製售',
    },
    scans: 'b1.jpg; b1-2.png',
    archive_location: '档案室2号柜',
    reviewing_clerk: '陳志強',
    old_registration_number: '１１０１０５０００１２３４５６',
    ...overrides,
  };
}

function codes(r: NormaliseResult): string[] {
  return r.ok ? [] : r.errors.map((e) => `${e.code}@${e.field}`);
}

describe('digitize: historic dates', () => {
  const cases: Array<[string, string]> = [
    ['1998-03-05', '1998-03-05'],
    ['1998/3/5', '1998-03-05'],
    ['1998.03.05', '1998-03-05'],
    ['19980305', '1998-03-05'],
    ['1998年3月5日', '1998-03-05'],
    ['1998年03月05日', '1998-03-05'],
    ['１９９８－０３－０５', '1998-03-05'],
    ['１９９８年３月５日', '1998-03-05'],
    ['一九九八年三月五日', '1998-03-05'],
    ['二〇〇三年十二月一日', '2003-12-01'],
    ['二零零三年十月二十一日', '2003-10-21'],
    ['二〇〇〇年二月廿九日', '2000-02-29'],
    ['1998-03-05 00:00:00', '1998-03-05'],
  ];
  for (const [input, want] of cases) {
    it(`${input} → ${want}`, () => expect(parseHistoricDate(input)).to.deep.equal({ ok: true, value: want }));
  }
  for (const bad of ['1999-02-30', '一九九九年二月三十日', '2001/13/01', '98.3.5', '1998-3/5', '二〇〇三年十三月一日', 'unknown', '1899-12-31']) {
    it(`refuses ${bad}`, () => expect(parseHistoricDate(bad).ok).to.equal(false));
  }
});

describe('digitize: row normaliser', () => {
  it('accepts a good person row: dates normalised, fields validated, hash present', () => {
    const r = normaliseRow(pq(), ctx);
    expect(codes(r)).to.deep.equal([]);
    if (!r.ok) return;
    expect(r.row.holder).to.deep.equal({ kind: 'person', id: ID18, idOriginal: ID18, name: '张𠮷' });
    expect(r.row.fields).to.deep.equal({ qualificationName: '注册会计师', level: '中级', approvedOn: '1998-03-01', managementNumber: 'GL123456' });
    expect(r.row.validUntil).to.equal(null);
    expect(r.row.contentSha256).to.match(/^[0-9a-f]{64}$/);
  });

  it('converts a 15-digit resident ID to 18 digits and keeps the original', () => {
    const r = normaliseRow(pq({ holder_id: ID15 }), ctx);
    expect(r.ok && r.row.holder).to.deep.include({ id: ID18, idOriginal: ID15 });
  });

  it('normalises full-width digits and letters in the holder id', () => {
    const fw = ID18.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace('Ｘ', 'ｘ');
    const r = normaliseRow(pq({ holder_id: fw }), ctx);
    expect(r.ok && r.row.holder).to.deep.include({ id: ID18, idOriginal: fw });
  });

  it('accepts an organisation row: Chinese-numeral dates, 长期, traditional characters, non-BMP name, alias', () => {
    const r = normaliseRow(bl(), ctx);
    expect(codes(r)).to.deep.equal([]);
    if (!r.ok) return;
    expect(r.row.holder.name).to.equal('北京𠮷𪚥餐饮管理有限公司');
    expect(Array.from(r.row.holder.name)).to.include('𠮷');
    expect(r.row.originalIssueDate).to.equal('2003-12-01');
    expect(r.row.validFrom).to.equal('2003-12-01');
    expect(r.row.validUntil).to.equal(null);
    expect(r.row.fields.establishedOn).to.equal('1998-03-05');
    expect(r.row.fields.address).to.equal('臺北路８８號');
    expect(r.row.scans).to.deep.equal(['b1.jpg', 'b1-2.png']);
    expect(r.row.aliases).to.deep.equal({ oldRegistrationNumber: '110105000123456' });
  });

  it('the same content written differently has the same hash; a changed cell changes it', () => {
    const a = normaliseRow(bl(), ctx);
    const b = normaliseRow(bl({ original_issue_date: '2003年12月01日', holder_id: '９１３５０１００ｍ０００１００ｙ４３', valid_from: ' 20031201 ' }), ctx);
    const c = normaliseRow(bl({ archive_location: '档案室3号柜' }), ctx);
    expect(a.ok && b.ok && c.ok).to.equal(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(b.row.contentSha256).to.equal(a.row.contentSha256);
    expect(c.row.contentSha256).to.not.equal(a.row.contentSha256);
  });

  it('EMPTY_REQUIRED for each blank required column', () => {
    expect(codes(normaliseRow(pq({ holder_name: '\u3000 ' }), ctx))).to.deep.equal(['EMPTY_REQUIRED@holder_name']);
    expect(codes(normaliseRow(pq({ reviewing_clerk: undefined }), ctx))).to.deep.equal(['EMPTY_REQUIRED@reviewing_clerk']);
  });

  it('UNKNOWN_TYPE', () => {
    expect(codes(normaliseRow(pq({ licence_type: '营业执照' }), ctx))).to.deep.equal(['UNKNOWN_TYPE@licence_type']);
  });

  it('BAD_HOLDER_ID with the identity module message', () => {
    const bad = ID18.slice(0, 17) + '1';
    const r = normaliseRow(pq({ holder_id: bad }), ctx);
    expect(codes(r)).to.deep.equal(['BAD_HOLDER_ID@holder_id']);
    expect(!r.ok && r.errors[0]!.reason).to.match(/check character should be 'X', got '1'/);
    expect(codes(normaliseRow(bl({ holder_id: '91350100M000100Y44' }), ctx))).to.deep.equal(['BAD_HOLDER_ID@holder_id']);
    // a USCC given for a person licence
    expect(codes(normaliseRow(pq({ holder_id: '91350100M000100Y43' }), ctx))).to.deep.equal(['BAD_HOLDER_ID@holder_id']);
  });

  it('UNRENDERABLE_CHARACTER names the code point', () => {
    const r = normaliseRow(pq({ holder_name: '张\u{13000}' }), ctx);
    expect(codes(r)).to.deep.equal(['UNRENDERABLE_CHARACTER@holder_name']);
    expect(!r.ok && r.errors[0]!.reason).to.contain('U+13000');
  });

  it('BAD_DATE for impossible or unknown dates, also in a future issue date', () => {
    expect(codes(normaliseRow(pq({ original_issue_date: '1999-02-30' }), ctx))).to.deep.equal(['BAD_DATE@original_issue_date']);
    expect(codes(normaliseRow(pq({ valid_until: '明年' }), ctx))).to.deep.equal(['BAD_DATE@valid_until']);
    expect(codes(normaliseRow(pq({ original_issue_date: '2030-01-01' }), ctx))).to.deep.equal(['BAD_DATE@original_issue_date']);
  });

  it('BAD_VALIDITY when valid_until is not after valid_from', () => {
    expect(codes(normaliseRow(pq({ valid_until: '1997-03-05' }), ctx))).to.deep.equal(['BAD_VALIDITY@valid_until']);
    expect(normaliseRow(pq({ valid_until: '二〇一八年三月五日' }), ctx).ok).to.equal(true);
  });

  it('FIELD_INVALID per field, with historic date fields normalised first', () => {
    expect(codes(normaliseRow(pq({ 'field.level': '特级' }), ctx))).to.deep.equal(['FIELD_INVALID@fields.level']);
    expect(codes(normaliseRow(pq({ 'field.approvedOn': '1999-02-30' }), ctx))).to.deep.equal(['FIELD_INVALID@fields.approvedOn']);
    expect(codes(normaliseRow(pq({ 'field.managementNumber': '' }), ctx))).to.deep.equal(['FIELD_INVALID@fields.managementNumber']);
    expect(codes(normaliseRow(pq({ 'field.nickname': 'x' }), ctx))).to.deep.equal(['FIELD_INVALID@fields.nickname']);
  });

  it('MISSING_SCAN when no scan is named or a named scan is absent; BAD_SCAN_NAME for paths', () => {
    expect(codes(normaliseRow(pq({ scans: ' ; ' }), ctx))).to.deep.equal(['MISSING_SCAN@scans']);
    expect(codes(normaliseRow(pq({ scans: 'r1.jpg;missing.jpg' }), ctx))).to.deep.equal(['MISSING_SCAN@scans']);
    expect(codes(normaliseRow(pq({ scans: '../etc/passwd' }), ctx))).to.deep.equal(['BAD_SCAN_NAME@scans']);
  });

  it('reports every problem of a row at once', () => {
    const r = normaliseRow(pq({ holder_name: '', original_issue_date: 'x', scans: '' }), ctx);
    expect(codes(r)).to.have.members(['EMPTY_REQUIRED@holder_name', 'BAD_DATE@original_issue_date', 'MISSING_SCAN@scans']);
  });
});

describe('digitize: two-digit years and the century pivot', () => {
  for (const short of ['98.3.5', '98-03-05', '98/3/5', '98年3月5日', '九八年三月五日', '９８．３．５']) {
    it(`refuses ${short} without a pivot, naming the ambiguity and the option`, () => {
      const r = parseHistoricDate(short);
      expect(r.ok).to.equal(false);
      const reason = (r as { reason: string }).reason;
      expect(reason).to.include('two-digit year (98)');
      expect(reason).to.include('1998 or 2098');
      expect(reason).to.include('--century-pivot');
      expect(reason).to.include('centuryPivot');
    });
    it(`reads ${short} as 1998-03-05 with pivot 30, flagged as a two-digit year`, () => {
      expect(parseHistoricDate(short, { centuryPivot: 30 })).to.deep.equal({ ok: true, value: '1998-03-05', twoDigitYear: true });
    });
  }
  it('reads yy ≤ pivot as 20yy and yy above it as 19yy', () => {
    expect(parseHistoricDate('05.3.5', { centuryPivot: 30 })).to.deep.include({ value: '2005-03-05' });
    expect(parseHistoricDate('30.3.5', { centuryPivot: 30 })).to.deep.include({ value: '2030-03-05' });
    expect(parseHistoricDate('31.3.5', { centuryPivot: 30 })).to.deep.include({ value: '1931-03-05' });
    expect(parseHistoricDate('00.1.1', { centuryPivot: 0 })).to.deep.include({ value: '2000-01-01' });
    expect(parseHistoricDate('01.1.1', { centuryPivot: 0 })).to.deep.include({ value: '1901-01-01' });
  });
  it('still refuses an impossible date read with the pivot, and leaves four-digit years alone', () => {
    expect(parseHistoricDate('99.2.30', { centuryPivot: 30 }).ok).to.equal(false);
    expect(parseHistoricDate('1998-03-05', { centuryPivot: 30 })).to.deep.equal({ ok: true, value: '1998-03-05' });
    expect(() => parseHistoricDate('98.3.5', { centuryPivot: 100 })).to.throw(RangeError);
  });
  it('a row: refused without the pivot (BAD_DATE with the reason); with it, the original text is kept beside the date', () => {
    const row = pq({ original_issue_date: '98.3.5', 'field.approvedOn': '98年3月1日' });
    const refused = normaliseRow(row, ctx);
    expect(codes(refused)).to.have.members(['BAD_DATE@original_issue_date', 'FIELD_INVALID@fields.approvedOn']);
    expect(JSON.stringify(refused)).to.include('--century-pivot');
    const read = normaliseRow(row, { ...ctx, centuryPivot: 30 });
    expect(read.ok).to.equal(true);
    const ok = read as Extract<NormaliseResult, { ok: true }>;
    expect(ok.row.originalIssueDate).to.equal('1998-03-05');
    expect(ok.row.fields.approvedOn).to.equal('1998-03-01');
    expect(ok.row.dateOriginals).to.deep.equal({ original_issue_date: '98.3.5', 'fields.approvedOn': '98年3月1日' });
    // The same certificate with its years written in full is the same content (a re-run finds it done).
    const full = normaliseRow(pq({ original_issue_date: '1998-03-05', 'field.approvedOn': '1998-03-01' }), ctx) as Extract<NormaliseResult, { ok: true }>;
    expect(full.row.dateOriginals).to.deep.equal({});
    expect(ok.row.contentSha256).to.equal(full.row.contentSha256);
  });
});
