import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import type { DepartmentTokenService, TokenRequest } from './department-tokens.ts';
import type { DevIdentityProvider } from './holder-tokens.ts';
import { HOLDER_TOKEN_AUDIENCE } from './holder-tokens.ts';
import type { DevStaffProvider } from './staff-tokens.ts';
import { STAFF_TOKEN_AUDIENCE } from './staff-tokens.ts';
import type { SigningKey } from './key-files.ts';

/** The identity providers the pages sign people in with (OIDC authorization code flow with PKCE, public client). */
export interface SignInProviders {
  publicBaseUrl: string;
  /** The government identity provider's issuer, when one is configured (else only development sign-in). */
  holderIssuer: string | null;
  staffIssuer: string | null;
}

export function authRoutes(tokens: DepartmentTokenService, serviceKeys: SigningKey[], devIdp: DevIdentityProvider | null, dev: { staff: DevStaffProvider; withProductionEngines: boolean } | null, providers: SignInProviders): OperationHandlers {
  const devIdpOff = () => DomainError.notFound('DEV_IDP_DISABLED', 'the development identity provider is disabled on this deployment');
  return {
    async issueAccessToken(ctx) {
      const token = await tokens.exchange(ctx.body as TokenRequest);
      return { status: 200, json: token, headers: { 'Cache-Control': 'no-store' } };
    },
    async getServiceJwks() {
      return { status: 200, json: { keys: serviceKeys.map((k) => k.publicJwk) }, headers: { 'Cache-Control': 'public, max-age=300' } };
    },
    async devIdpLogin(ctx) {
      if (!devIdp) throw devIdpOff();
      const { subject, name } = ctx.body as { subject: string; name?: string };
      return { status: 200, json: await devIdp.login(subject, name), headers: { 'Cache-Control': 'no-store' } };
    },
    async devStaffLogin(ctx) {
      if (!dev) throw devIdpOff();
      const { department, name } = ctx.body as { department: string; name?: string };
      return { status: 200, json: await dev.staff.login(department, name), headers: { 'Cache-Control': 'no-store' } };
    },
    async getDevIdpStatus() {
      if (!devIdp && !dev) throw devIdpOff();
      // Every page asks, and shows a red "development sign-in" banner while this answers 200.
      return { status: 200, json: { enabled: true, withProductionEngines: dev?.withProductionEngines ?? false }, headers: { 'Cache-Control': 'no-store' } };
    },
    async getSignInOptions() {
      // The client ids are the audiences the vault requires of the providers' ID tokens; the redirect URIs are
      // the pages, registered with the providers.
      const provider = (issuer: string | null, clientId: string, page: string) => (issuer ? { issuer, clientId, redirectUri: `${providers.publicBaseUrl}${page}`, scope: 'openid' } : null);
      return {
        status: 200,
        json: {
          holder: provider(providers.holderIssuer, HOLDER_TOKEN_AUDIENCE, '/app/portal.html'),
          staff: provider(providers.staffIssuer, STAFF_TOKEN_AUDIENCE, '/app/auditor.html'),
          development: Boolean(devIdp || dev),
        },
        headers: { 'Cache-Control': 'public, max-age=60' },
      };
    },
    async getDevIdpJwks() {
      if (!devIdp) throw devIdpOff();
      return { status: 200, json: devIdp.jwks() };
    },
  };
}
