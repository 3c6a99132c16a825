/**
 * Where departments' PDF signing keys live: PKCS#8 PEM files `${dir}/<department code>.key.pem`
 * (mode 0600), their certificate chains in the department registry. Production mounts the directory from
 * a secret store; an HSM/PKCS#11 adapter is not built yet (README).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DepartmentStore } from '../departments/department-types.ts';
import type { SigningMaterial } from '../licences/licence-document.ts';
import type { SigningMaterialSource } from '../pdf/pdf-document-factory.ts';

export function signingKeyPath(dir: string, departmentCode: string): string {
  if (!/^[0-9A-Z]{18}$/.test(departmentCode)) throw new Error(`not a department code: ${departmentCode}`);
  return path.join(dir, `${departmentCode}.key.pem`);
}

export function fileSigningMaterial(dir: string, departments: DepartmentStore): SigningMaterialSource {
  const cache = new Map<string, SigningMaterial>();
  return async (issuerCode) => {
    const cached = cache.get(issuerCode);
    if (cached) return cached;
    const department = await departments.get(issuerCode);
    if (!department?.signingChainPem?.length) throw new Error(`department ${issuerCode} has no signing certificate`);
    const keyPem = await fs.promises.readFile(signingKeyPath(dir, issuerCode), 'utf8');
    const material = { keyPem, chainPem: department.signingChainPem };
    cache.set(issuerCode, material);
    return material;
  };
}
