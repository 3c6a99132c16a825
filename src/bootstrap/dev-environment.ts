/**
 * Development environment created on first start: an issuer CA, one department of each kind with its
 * client key (for private_key_jwt) and, for issuers, a PDF signing certificate chained to the CA. All of it
 * lives in the data directory; nothing secret is in the repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fromPrivateJwk, loadOrCreateSigningKey, writeSecretFile } from '../auth/key-files.ts';
import type { Department, DepartmentRole, DepartmentStore } from '../departments/department-types.ts';
import { generateIssuerCa, issueDepartmentSigningCert } from '../pki/dev-pki.ts';
import type { CaMaterial } from '../pki/dev-pki.ts';
import { signingKeyPath } from './signing-keys.ts';

export interface DevDepartment {
  code: string;
  nameZh: string;
  nameEn: string;
  roles: DepartmentRole[];
}

/** Codes are valid GB 32100 codes of (fictional) Beijing Chaoyang government bodies. */
export const DEV_DEPARTMENTS: readonly DevDepartment[] = [
  { code: '111101050000100149', nameZh: '朝阳区市场监督管理局', nameEn: 'Chaoyang District Administration for Market Regulation', roles: ['issuer'] },
  { code: '111101050000100224', nameZh: '朝阳区人力资源和社会保障局', nameEn: 'Chaoyang District Human Resources and Social Security Bureau', roles: ['issuer'] },
  { code: '11110105000010030Y', nameZh: '朝阳区税务局', nameEn: 'Chaoyang District Tax Bureau', roles: ['requester'] },
  { code: '11110105000010065H', nameZh: '朝阳区卫生健康委员会', nameEn: 'Chaoyang District Health Commission', roles: ['requester'] },
  { code: '11110105000010049U', nameZh: '朝阳区审计局', nameEn: 'Chaoyang District Audit Office', roles: ['auditor'] },
  { code: '11110105000010057N', nameZh: '朝阳区政务服务和数据管理局', nameEn: 'Chaoyang District Government Services and Data Administration', roles: ['admin'] },
];

export interface DataDirLayout {
  keysDir: string;
  pkiDir: string;
  signingKeysDir: string;
  devClientsDir: string;
}

export function dataDirLayout(dataDir: string): DataDirLayout {
  return {
    keysDir: path.join(dataDir, 'keys'),
    pkiDir: path.join(dataDir, 'pki'),
    signingKeysDir: path.join(dataDir, 'pki', 'departments'),
    devClientsDir: path.join(dataDir, 'dev-clients'),
  };
}

export async function loadOrCreateIssuerCa(pkiDir: string): Promise<CaMaterial> {
  const certFile = path.join(pkiDir, 'issuer-ca.cert.pem');
  const keyFile = path.join(pkiDir, 'issuer-ca.key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    return { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') };
  }
  const ca = await generateIssuerCa({ commonName: 'Licence Vault Development Issuer CA', organization: 'Licence Vault (development)' });
  writeSecretFile(keyFile, ca.keyPem);
  fs.writeFileSync(certFile, ca.certPem);
  return ca;
}

/** The private client JWK a development department signs its client assertions with. */
export function devClientKeyPath(devClientsDir: string, code: string): string {
  return path.join(devClientsDir, `${code}.jwk`);
}

export async function seedDevDepartments(departments: DepartmentStore, layout: DataDirLayout): Promise<Department[]> {
  const ca = await loadOrCreateIssuerCa(layout.pkiDir);
  const seeded: Department[] = [];
  for (const dev of DEV_DEPARTMENTS) {
    const clientKey = await loadOrCreateSigningKey(devClientKeyPath(layout.devClientsDir, dev.code), 'ES256');
    const existing = await departments.get(dev.code);
    let signingChainPem = existing?.signingChainPem ?? null;
    const keyFile = signingKeyPath(layout.signingKeysDir, dev.code);
    if (dev.roles.includes('issuer') && (!signingChainPem || !fs.existsSync(keyFile))) {
      const material = await issueDepartmentSigningCert(ca, { commonName: dev.nameEn, organization: dev.nameZh, departmentCode: dev.code });
      writeSecretFile(keyFile, material.keyPem);
      signingChainPem = material.chainPem;
    }
    const department: Department = { ...dev, jwks: { keys: [clientKey.publicJwk] }, signingChainPem };
    await departments.upsert(department);
    seeded.push(department);
  }
  return seeded;
}

export async function loadDevClientKey(devClientsDir: string, code: string) {
  const file = devClientKeyPath(devClientsDir, code);
  if (!fs.existsSync(file)) throw new Error(`no development client key for ${code} at ${file} — start the service once first`);
  return fromPrivateJwk(JSON.parse(fs.readFileSync(file, 'utf8')));
}
