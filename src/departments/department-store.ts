import type { Database } from '../db/database.ts';
import type { Department, DepartmentStore } from './department-types.ts';

interface DepartmentRow {
  code: string;
  name_zh: string;
  name_en: string;
  roles: Department['roles'];
  jwks: Department['jwks'];
  signing_chain_pem: string[] | null;
}

function fromRow(row: DepartmentRow): Department {
  return {
    code: row.code,
    nameZh: row.name_zh,
    nameEn: row.name_en,
    roles: row.roles,
    jwks: row.jwks,
    signingChainPem: row.signing_chain_pem,
  };
}

export function createDepartmentStore(db: Database): DepartmentStore {
  return {
    async get(code) {
      const row = await db<DepartmentRow>('departments').where({ code }).first();
      return row ? fromRow(row) : null;
    },
    async list() {
      const rows = await db<DepartmentRow>('departments').orderBy('code');
      return rows.map(fromRow);
    },
    async upsert(d) {
      const row = {
        code: d.code,
        name_zh: d.nameZh,
        name_en: d.nameEn,
        roles: JSON.stringify(d.roles),
        jwks: JSON.stringify(d.jwks),
        signing_chain_pem: d.signingChainPem ? JSON.stringify(d.signingChainPem) : null,
      };
      await db('departments').insert(row).onConflict('code').merge();
    },
  };
}
