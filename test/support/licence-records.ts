/**
 * Licence records for store tests: a complete, valid NewLicenceRecord with its issuance event and effects.
 */
import { createDepartmentStore } from '../../src/departments/department-store.ts';
import type { Database } from '../../src/db/database.ts';
import type { Licence, NewLicenceRecord } from '../../src/licences/licence-types.ts';

export const ISSUER = '111101050000100149';

/** The issuing department the records name (licences refer to it). */
export function insertIssuer(db: Database): Promise<void> {
  return createDepartmentStore(db).upsert({ code: ISSUER, nameZh: '市场监管局', nameEn: 'Market Regulation', roles: ['issuer'], jwks: { keys: [] }, signingChainPem: ['PEM'] });
}

export function licenceRecord(id: string, overrides: Partial<Licence> = {}, idempotencyKey: string | null = null): NewLicenceRecord {
  const licence: Licence = {
    id,
    typeKey: 'business-licence',
    typeCode: 'BL',
    issuerCode: ISSUER,
    holder: { kind: 'organisation', id: '91350100M000100Y43', name: '北京𠮷𪚥餐饮管理有限公司' },
    fields: { address: '北京市', nested: { a: [1, 2] } },
    validFrom: '2026-01-01',
    validUntil: '2030-12-31',
    version: 1,
    previousId: null,
    status: 'active',
    document: { sha256: 'a'.repeat(64), key: `licences/sha256/${'a'.repeat(64)}.pdf`, size: 1234 },
    fieldCommitmentRoot: 'c'.repeat(64),
    provenance: null,
    issuedAt: '2026-01-01T08:00:00.000Z',
    ...overrides,
  };
  return {
    licence,
    fieldSalts: { address: 'c2FsdA==', nested: 'c2FsdDI=' },
    provenanceSalts: null,
    verificationCodeSha256: 'c'.repeat(64),
    idempotencyKey,
    requestSha256: idempotencyKey ? 'b'.repeat(64) : null,
    event: { licenceId: id, action: 'issue', fromStatus: null, toStatus: 'active', reason: 'issued', actor: ISSUER, at: licence.issuedAt },
    effects: { log: [{ origin: LOG, subject: id, leaf: { kind: 'licence.issued', licenceId: id } }], ledger: [{ origin: LOG, licenceId: id, status: 'active', reasonSha256: 'd'.repeat(64), changedAt: licence.issuedAt }] },
  };
}

export const LOG = 'test.local/log';
