/**
 * Staff sign-in for the pages a department's people use (the auditor view): an OpenID Connect ID token from
 * the government's staff identity provider, whose claims name the official (`sub`, `name`), their
 * department (`dept`, its unified social credit code) and the roles they act in (`roles`). A staff token
 * gives the department's principal with the roles both the token and the department registry grant, so a
 * misconfigured identity provider can never widen what a department may do.
 * Machine-to-machine clients keep using private_key_jwt access tokens (department-tokens.ts).
 *
 * Production: STAFF_IDP_ISSUER and STAFF_IDP_JWKS_URL (README "Staff sign-in"). The embedded default is the
 * development staff provider below, which signs a token for whichever development department is picked —
 * development only, off with production engines unless DEV_IDP_ENABLED=true.
 */
import crypto from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { DepartmentRole, DepartmentStore } from '../departments/department-types.ts';
import { DEPARTMENT_ROLES } from '../departments/department-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { DepartmentPrincipal } from '../principals/principal.ts';
import { describeJoseError } from './department-tokens.ts';
import type { SigningKey } from './key-files.ts';

export const STAFF_TOKEN_AUDIENCE = 'licence-vault-staff';

export class StaffTokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly issuer: string,
    source: { jwksUrl: string } | { localKey: SigningKey },
    private readonly departments: DepartmentStore,
  ) {
    this.keys = 'jwksUrl' in source ? createRemoteJWKSet(new URL(source.jwksUrl)) : createLocalJWKSet({ keys: [source.localKey.publicJwk] });
  }

  async verify(token: string): Promise<DepartmentPrincipal> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: this.issuer, audience: STAFF_TOKEN_AUDIENCE, algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'], clockTolerance: 30 }));
    } catch (error) {
      throw DomainError.unauthenticated('TOKEN_INVALID', `staff token rejected: ${describeJoseError(error)}`);
    }
    const department = typeof payload.dept === 'string' ? await this.departments.get(payload.dept) : null;
    if (!department) throw DomainError.unauthenticated('TOKEN_INVALID', 'staff token names no registered department');
    const claimed = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    const roles = department.roles.filter((r) => claimed.includes(r));
    return {
      kind: 'department',
      code: department.code,
      roles,
      tokenId: typeof payload.jti === 'string' ? payload.jti : `staff:${String(payload.sub)}`,
      staff: { id: String(payload.sub ?? ''), name: typeof payload.name === 'string' ? payload.name : null },
    };
  }
}

/** DEVELOPMENT ONLY: signs a staff token for a registered department, in all of its roles. */
export class DevStaffProvider {
  constructor(
    readonly issuer: string,
    private readonly key: SigningKey,
    private readonly departments: DepartmentStore,
  ) {}

  async login(departmentCode: string, name: string | undefined): Promise<{ id_token: string; token_type: 'Bearer'; expires_in: number; department: string; roles: DepartmentRole[] }> {
    const department = await this.departments.get(departmentCode);
    if (!department) throw DomainError.invalid('DEPARTMENT_UNKNOWN', `no registered department ${departmentCode}`, [{ field: 'department', message: 'is not a registered department' }]);
    const ttl = 3600;
    const roles = department.roles.filter((r) => (DEPARTMENT_ROLES as readonly string[]).includes(r));
    const idToken = await new SignJWT({ dept: department.code, roles, name: name ?? `${department.nameZh}（开发人员）`, dev_only: true })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(`dev-staff-${department.code}`)
      .setAudience(STAFF_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .setJti(crypto.randomUUID())
      .sign(this.key.privateKey);
    return { id_token: idToken, token_type: 'Bearer', expires_in: ttl, department: department.code, roles };
  }
}
