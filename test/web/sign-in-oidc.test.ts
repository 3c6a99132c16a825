/**
 * Sign-in as in production, with development sign-in off: the portal sends a citizen to the government
 * identity provider and back (OpenID Connect authorization code flow with PKCE, a public client), keeps a
 * department's consent link through the round trip, and shows the holder's own licences; a cancelled
 * sign-in says so and signs nobody in; the auditor page signs an auditor in through the staff provider, and
 * an official of a department without the auditor role gets nothing. The provider is a stand-in on
 * 127.0.0.1 (test/support/fake-openid-provider.ts) that checks the code, the redirect URI and the PKCE
 * verifier; the vault checks the ID tokens' signatures against its JWKS.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { FakeOpenIdProvider } from '../support/fake-openid-provider.ts';
import { DEPARTMENTS, freePort, HOLDERS, qualificationRequest, TestVault } from '../support/test-vault.ts';
import { launchChromium, setLang, shootAll } from './web-support.ts';
import type { Browsing } from './web-support.ts';

describe('pages: sign-in through the identity providers (OIDC code flow with PKCE)', function () {
  this.timeout(180_000);
  let provider: FakeOpenIdProvider;
  let vault: TestVault;
  let browsing: Browsing;
  let page: Page;
  let licenceId: string;
  let base: string;

  before(async () => {
    provider = await FakeOpenIdProvider.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider.register('holder', 'licence-vault', [`${base}/app/portal.html`]);
    provider.register('staff', 'licence-vault-staff', [`${base}/app/auditor.html`]);
    vault = await TestVault.start({
      port,
      env: {
        PUBLIC_BASE_URL: base, DEV_IDP_ENABLED: 'false',
        HOLDER_IDP_ISSUER: provider.issuer('holder'), HOLDER_IDP_JWKS_URL: provider.jwksUrl('holder'),
        STAFF_IDP_ISSUER: provider.issuer('staff'), STAFF_IDP_JWKS_URL: provider.jwksUrl('staff'),
      },
    });
    const hrss = await vault.departmentToken(DEPARTMENTS.hrss);
    const issued = await vault.request('POST', '/licences', { token: hrss, json: qualificationRequest(HOLDERS.personA) });
    expect(issued.status, JSON.stringify(issued.body)).to.equal(201);
    licenceId = issued.body.id;
    browsing = await launchChromium();
    page = browsing.page;
  });
  after(async () => {
    await browsing?.close();
    await vault?.stop();
    await provider?.stop();
  });

  it('says which providers the pages sign in with', async () => {
    const options = await vault.request('GET', '/auth/sign-in');
    expect(options.body).to.deep.equal({
      holder: { issuer: provider.issuer('holder'), clientId: 'licence-vault', redirectUri: `${base}/app/portal.html`, scope: 'openid' },
      staff: { issuer: provider.issuer('staff'), clientId: 'licence-vault-staff', redirectUri: `${base}/app/auditor.html`, scope: 'openid' },
      development: false,
    });
    expect((await vault.request('POST', '/dev-idp/token', { json: { subject: HOLDERS.personA } })).status).to.equal(404);
  });

  it('signs a citizen in through the government identity provider and back, keeping a department\'s link', async () => {
    provider.users.set('holder', { sub: HOLDERS.personA, claims: { name: '张𠮷' } });
    // A department's consent link opened before signing in (the request need not exist for the round trip).
    await page.goto(`${base}/app/portal.html#consent-request=cr_AAAAAAAAAAAAAAAAAAAAAA`);
    await page.locator('#idp-signin').waitFor();
    expect(await page.locator('#signin-form').isVisible(), 'no development sign-in').to.equal(false);
    expect(await page.locator('#dev-banner').count()).to.equal(0);
    await shootAll(page, 'portal-idp-sign-in');
    await page.getByRole('button', { name: 'Sign in with the government identity service' }).click();
    await page.locator('#session-bar').waitFor();
    expect(await page.locator('#signed-in-as').innerText()).to.equal('1101**********002X');
    expect(page.url(), 'the code left the address bar').not.to.include('code=');
    expect(new URL(page.url()).hash).to.equal('#consent-request=cr_AAAAAAAAAAAAAAAAAAAAAA');
    expect(provider.tokenRequests.at(-1)).to.deep.equal({ prefix: 'holder', ok: true });
    await page.goto(`${base}/app/portal.html#licences`);
    await page.locator(`article[data-licence="${licenceId}"]`).waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes('oidc')))).to.deep.equal([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#idp-signin').waitFor();
  });

  it('says a cancelled sign-in was cancelled, and signs nobody in', async () => {
    provider.users.set('holder', null);
    await page.goto(`${base}/app/portal.html`);
    await page.getByRole('button', { name: 'Sign in with the government identity service' }).click();
    await page.getByText('You cancelled the sign-in at the identity service.').waitFor();
    expect(await page.locator('#session-bar').isVisible()).to.equal(false);
    await setLang(page, 'zh-CN');
    await page.getByText('您在认证平台取消了登录。').waitFor();
    await setLang(page, 'en');
  });

  it('refuses an answer this page did not ask for (a replayed or forged callback)', async () => {
    await page.goto(`${base}/app/portal.html?code=forged&state=forged`);
    await page.getByText("Sign-in was not completed: the identity service's answer could not be checked. Please sign in again.").waitFor();
    expect(await page.locator('#session-bar').isVisible()).to.equal(false);
  });

  it('signs an auditor in through the staff identity provider; an official without the auditor role gets nothing', async () => {
    provider.users.set('staff', { sub: 'auditor-wang', claims: { name: '王芳', dept: DEPARTMENTS.audit, roles: ['auditor'] } });
    await page.goto(`${base}/app/auditor.html`);
    await page.getByRole('button', { name: 'Sign in with the staff identity provider' }).click();
    await page.locator('#session-bar').waitFor();
    expect(await page.locator('#signed-in-as').innerText()).to.include('王芳');
    await page.locator('#access-log-card').waitFor();
    await shootAll(page, 'auditor-idp-signed-in');
    await page.getByRole('button', { name: 'Sign out' }).click();

    provider.users.set('staff', { sub: 'clerk-li', claims: { name: '李明', dept: DEPARTMENTS.tax, roles: ['auditor'] } });
    await page.getByRole('button', { name: 'Sign in with the staff identity provider' }).click();
    await page.locator('#session-bar').waitFor();
    // The tax bureau holds no auditor role: the vault refuses its official's token whatever it claims.
    const log = await page.evaluate(async () => (await fetch('/exchange/access-log', { headers: { authorization: `Bearer ${sessionStorage.getItem('licence-vault.auditorToken')}` } })).status);
    expect(log).to.be.oneOf([401, 403]);
  });
});
