import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import type { DepartmentTokenService, TokenRequest } from './department-tokens.ts';
import type { DevIdentityProvider } from './holder-tokens.ts';
import type { DevStaffProvider } from './staff-tokens.ts';
import type { SigningKey } from './key-files.ts';

export function authRoutes(tokens: DepartmentTokenService, serviceKeys: SigningKey[], devIdp: DevIdentityProvider | null, dev: { staff: DevStaffProvider; withProductionEngines: boolean } | null): OperationHandlers {
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
    async getDevIdpJwks() {
      if (!devIdp) throw devIdpOff();
      return { status: 200, json: devIdp.jwks() };
    },
  };
}
