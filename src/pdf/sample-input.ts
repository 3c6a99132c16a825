import type { LicenceDocumentInput } from './render-licence.ts';

/**
 * A representative licence, used by tests and by the measurements (bench/pdf.ts, measure*.ts): the
 * business licence (营业执照) the API tests issue (test/support/test-vault.ts businessLicenceRequest), of
 * the development market-regulation department, held by a company whose name and legal representative
 * need CJK Extension B (𠮷 U+20BB7, 𪚥 U+2A6A5). No scans, no end date.
 */
export function sampleLicenceInput(overrides: Partial<LicenceDocumentInput> = {}): LicenceDocumentInput {
  return {
    licenceId: 'BL.111101050000100149.0000000001.01.G',
    version: 1,
    typeNameZh: '营业执照',
    typeNameEn: 'Business Licence',
    issuerCode: '111101050000100149',
    issuerNameZh: '朝阳区市场监督管理局',
    issuerNameEn: 'Chaoyang District Administration for Market Regulation',
    holderKind: 'organisation',
    holderName: '北京𠮷𪚥餐饮管理有限公司',
    holderId: '91350100M000100Y43',
    fields: [
      { labelZh: '类型', labelEn: 'Entity type', value: '有限责任公司（自然人投资或控股）' },
      { labelZh: '法定代表人', labelEn: 'Legal representative', value: '张𠮷𪚥' },
      { labelZh: '注册资本', labelEn: 'Registered capital', value: '人民币壹佰万元整' },
      { labelZh: '成立日期', labelEn: 'Date of establishment', value: '2020-05-01' },
      { labelZh: '住所', labelEn: 'Domicile', value: '北京市朝阳区建国路1号' },
      { labelZh: '经营范围', labelEn: 'Business scope', value: '餐饮服务；食品销售' },
    ],
    validFrom: '2026-12-07',
    validUntil: null,
    issuedAt: '2026-12-07T09:30:00+08:00',
    verifyUrl: 'https://licence-vault.example.gov.cn/verify/BL.111101050000100149.0000000001.01.G#7K2M9QXW3HTRPV8D',
    verificationCode: '7K2M-9QXW-3HTR-PV8D',
    ...overrides,
  };
}

/** A person's certificate (从业人员健康证明) with an end date; pass `photo` to print one. */
export function samplePersonLicenceInput(overrides: Partial<LicenceDocumentInput> = {}): LicenceDocumentInput {
  return {
    licenceId: 'HC.111101050000100224.0000000001.01.P',
    version: 1,
    typeNameZh: '从业人员健康证明',
    typeNameEn: 'Health Certificate of Food Handlers',
    issuerCode: '111101050000100224',
    issuerNameZh: '朝阳区人力资源和社会保障局',
    issuerNameEn: 'Chaoyang District Human Resources and Social Security Bureau',
    holderKind: 'person',
    holderName: '张𠮷𪚥',
    holderId: '11010519491231002X',
    fields: [
      { labelZh: '体检日期', labelEn: 'Date of examination', value: '2026-11-30' },
      { labelZh: '体检机构', labelEn: 'Examining institution', value: '北京市朝阳区疾病预防控制中心' },
      { labelZh: '体检结论', labelEn: 'Conclusion', value: '合格 Fit for work' },
    ],
    validFrom: '2026-12-07',
    validUntil: '2027-12-06',
    issuedAt: '2026-12-07T10:15:00+08:00',
    verifyUrl: 'https://licence-vault.example.gov.cn/verify/HC.111101050000100224.0000000001.01.P#3T9V5BQRMW2KXD7H',
    verificationCode: '3T9V-5BQR-MW2K-XD7H',
    ...overrides,
  };
}

/** A business licence digitized from paper; add `scans` for the scan pages and attachments. */
export function sampleDigitizedLicenceInput(overrides: Partial<LicenceDocumentInput> = {}): LicenceDocumentInput {
  return sampleLicenceInput({
    licenceId: 'BL.111101050000100149.0000001024.01.7',
    holderName: '北京市朝阳区闽江𡘙记小吃店',
    holderId: '91110000600037341L',
    fields: [
      { labelZh: '类型', labelEn: 'Entity type', value: '个体工商户' },
      { labelZh: '经营者', labelEn: 'Operator', value: '张𠮷𪚥' },
      { labelZh: '组成形式', labelEn: 'Form', value: '个人经营' },
      { labelZh: '注册日期', labelEn: 'Date of registration', value: '2009-03-01' },
      { labelZh: '经营场所', labelEn: 'Business premises', value: '北京市朝阳区东三环中路39号院1号楼101室' },
      { labelZh: '经营范围', labelEn: 'Business scope', value: '小吃服务；预包装食品销售' },
    ],
    validFrom: '2009-03-01',
    validUntil: null,
    verifyUrl: 'https://licence-vault.example.gov.cn/verify/BL.111101050000100149.0000001024.01.7#9HD26QWRT4KM8BXZ',
    verificationCode: '9HD2-6QWR-T4KM-8BXZ',
    digitizedFromPaper: { originalIssueDate: '2009-03-01', archiveLocation: '朝阳区档案馆 A-17' },
    ...overrides,
  });
}
