import type { LicenceDocumentInput } from './render-licence.ts';

/** Representative licence used by tests and by measure.ts. */
export function sampleLicenceInput(overrides: Partial<LicenceDocumentInput> = {}): LicenceDocumentInput {
  return {
    licenceId: 'LV-2024-3501-000123',
    version: 2,
    typeNameZh: '食品经营许可证',
    typeNameEn: 'Food Business Licence',
    issuerNameZh: '福州市市场监督管理局',
    issuerNameEn: 'Fuzhou Administration for Market Regulation',
    holderName: '张𠮷𪚥',
    holderId: '350102199003070031',
    holderKindZh: '自然人',
    holderKindEn: 'Natural person',
    fields: [
      { labelZh: '经营者名称', labelEn: 'Operator name', value: '福州闽江𡘙记餐饮管理有限公司' },
      { labelZh: '统一社会信用代码', labelEn: 'Unified Social Credit Code', value: '91350100M000100Y43' },
      { labelZh: '经营场所', labelEn: 'Business premises', value: '福建省福州市鼓楼区五四路158号环球广场1层101室 (Room 101, Floor 1, Global Plaza, 158 Wusi Road, Gulou District)' },
      { labelZh: '主体业态', labelEn: 'Business type', value: '餐饮服务经营者（中型餐馆） Catering service (medium restaurant)' },
      { labelZh: '经营项目', labelEn: 'Business scope', value: '热食类食品制售；冷食类食品制售；自制饮品制售 Hot food; cold food; beverages' },
    ],
    validFrom: '2024-03-01',
    validUntil: '2029-02-28',
    issuedAt: '2024-02-26T09:30:00+08:00',
    verifyUrl: 'https://licence-vault.example.gov.cn/verify/LV-2024-3501-000123?v=2&h=5f1c9a0e7b',
    digitizedFromPaper: { originalIssueDate: '2019-03-01', archiveLocation: '鼓楼区档案馆 A-17' },
    ...overrides,
  };
}
