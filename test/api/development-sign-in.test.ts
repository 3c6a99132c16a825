/**
 * Development sign-in never by accident: with production engines the development identity providers
 * (holder and staff) are off unless DEV_IDP_ENABLED=true is set; when they are on outside the embedded
 * defaults, /readyz names it and /dev-idp/status answers (every page shows a banner from it). Staff tokens
 * (the staff identity provider's ID tokens) give a department's principal, never more roles than the
 * department registry grants.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import { loadOrCreateSigningKey } from '../../src/auth/key-files.ts';
import { StaffTokenVerifier } from '../../src/auth/staff-tokens.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createDepartmentStore } from '../../src/departments/department-store.ts';
import { openTestDatabase, skipUnlessAvailable } from '../support/databases.ts';
import type { TestDatabase } from '../support/databases.ts';
import { DEPARTMENTS, HOLDERS, TestVault } from '../support/test-vault.ts';

describe('development sign-in', function () {
  this.timeout(60_000);

  it('is off by default with production engines, on by default with the embedded ones, and on only when said so', () => {
    expect(loadConfig({}).devIdpEnabled).to.equal(true);
    expect(loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db' }).devIdpEnabled).to.equal(false);
    expect(loadConfig({ HOLDER_IDP_JWKS_URL: 'https://idp.example/jwks' }).devIdpEnabled).to.equal(false);
    const explicit = loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', DEV_IDP_ENABLED: 'true' });
    expect(explicit.devIdpEnabled).to.equal(true);
    expect(explicit.devIdpWithProductionEngines).to.equal(true);
  });

  describe('on PostgreSQL', () => {
    let t: TestDatabase;
    before(async function () {
      await skipUnlessAvailable(this, 'postgres');
      t = await openTestDatabase('postgres');
    });
    after(async () => t?.dispose());

    it('refuses to mint holder or staff tokens by default (404), and /readyz warns of nothing', async () => {
      const vault = await TestVault.start({ env: { DATABASE_URL: t.url!, DEV_IDP_ENABLED: '' } });
      try {
        expect(vault.config.devIdpEnabled).to.equal(false);
        const holder = await vault.request('POST', '/dev-idp/token', { json: { subject: HOLDERS.personA } });
        expect(holder.status).to.equal(404);
        expect(holder.body.code).to.equal('DEV_IDP_DISABLED');
        expect((await vault.request('POST', '/dev-idp/staff-token', { json: { department: DEPARTMENTS.audit } })).status).to.equal(404);
        expect((await vault.request('GET', '/dev-idp/status')).status).to.equal(404);
        const ready = (await vault.request('GET', '/readyz')).body;
        expect(ready.warnings).to.equal(undefined);
      } finally {
        await vault.stop();
      }
    });

    it('with DEV_IDP_ENABLED=true says so on /readyz and /dev-idp/status', async () => {
      const vault = await TestVault.start({ env: { DATABASE_URL: t.url!, DEV_IDP_ENABLED: 'true' } });
      try {
        expect((await vault.request('POST', '/dev-idp/token', { json: { subject: HOLDERS.personA } })).status).to.equal(200);
        expect((await vault.request('GET', '/readyz')).body.warnings).to.deep.equal(['development sign-in is enabled with production engines (DEV_IDP_ENABLED=true)']);
        expect((await vault.request('GET', '/dev-idp/status')).body).to.deep.equal({ enabled: true, withProductionEngines: true });
      } finally {
        await vault.stop();
      }
    });
  });

  describe('staff tokens', () => {
    let vault: TestVault;
    before(async () => {
      vault = await TestVault.start();
    });
    after(async () => vault?.stop());

    it('signs an auditor in without a terminal: the auditor routes answer, other roles\' do not', async () => {
      const res = await vault.request('POST', '/dev-idp/staff-token', { json: { department: DEPARTMENTS.audit, name: '审计员王芳' } });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ department: DEPARTMENTS.audit });
      expect(res.body.roles).to.deep.equal(['auditor']);
      const token = res.body.id_token as string;
      expect((await vault.request('GET', '/exchange/access-log', { token })).status).to.equal(200);
      expect((await vault.request('GET', '/transparency/alarms', { token })).status).to.equal(200);
      expect((await vault.request('POST', '/exchange/legal-bases', { token, json: { requester: DEPARTMENTS.tax, serviceItem: { code: 'X', name: 'x' }, licenceTypes: ['food-business-licence'], fields: [], legalReference: 'x' } })).status).to.equal(403);
      expect((await vault.request('GET', '/dev-idp/status')).body).to.deep.equal({ enabled: true, withProductionEngines: false });
      expect((await vault.request('POST', '/dev-idp/staff-token', { json: { department: '91350100M000100Y43' } })).status).to.equal(400);
    });

    it('never grants a role the department registry does not give, whatever the token claims', async () => {
      const key = await loadOrCreateSigningKey(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lv-staff-')), 'k.jwk'));
      const verifier = new StaffTokenVerifier('https://staff-idp.example', { localKey: key }, createDepartmentStore(vault.vault.db));
      const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid }).setIssuer('https://staff-idp.example').setAudience('licence-vault-staff').setSubject('official-1').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
      const principal = await verifier.verify(await sign({ dept: DEPARTMENTS.audit, roles: ['auditor', 'admin', 'issuer'], name: '王芳' }));
      expect(principal).to.deep.include({ kind: 'department', code: DEPARTMENTS.audit, roles: ['auditor'] });
      expect(principal.staff).to.deep.equal({ id: 'official-1', name: '王芳' });
      for (const bad of [{ dept: '91350100M000100Y43', roles: ['auditor'] }, { roles: ['auditor'] }]) {
        let error: unknown;
        try {
          await verifier.verify(await sign(bad));
        } catch (e) {
          error = e;
        }
        expect((error as { code?: string }).code).to.equal('TOKEN_INVALID');
      }
    });
  });
});
