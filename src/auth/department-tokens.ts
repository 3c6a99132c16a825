/**
 * Department authentication: a department proves itself with a client-assertion JWT signed by a key it
 * registered (RFC 7523 `private_key_jwt`, RFC 7521 §4.2) and receives a short-lived access token in the
 * RFC 9068 JWT profile, signed by the vault.
 */
import crypto from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Database } from '../db/database.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { DEPARTMENT_ROLES } from '../departments/department-types.ts';
import type { DepartmentRole } from '../departments/department-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { SigningKey } from './key-files.ts';
import type { DepartmentPrincipal } from '../principals/principal.ts';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Asymmetric algorithms only: HS* would let anyone holding the public key forge assertions. */
const ASSERTION_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;
const VERIFIED_TOKENS_KEPT = 10_000;

export interface TokenRequest {
  grant_type?: string;
  client_assertion_type?: string;
  client_assertion?: string;
  client_id?: string;
  scope?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/*
 * Refusals are domain errors with the RFC 6749 §5.2 error codes in upper case (INVALID_CLIENT, …): the token
 * endpoint's edge adds the OAuth members (`error`, `error_description`) to its problem answers, there and only
 * there (src/http/problem.ts, oauthTokenError); every other answer is RFC 9457 alone.
 */

export interface DepartmentTokenServiceDeps {
  db: Database;
  departments: DepartmentStore;
  signingKey: SigningKey;
  /** `iss` of access tokens and `aud` the assertion must name: the token endpoint's URL. */
  issuer: string;
  tokenEndpointUrl: string;
  ttlSeconds: number;
  /** How many verified access tokens to remember (default 10 000). */
  verifiedTokensKept?: number;
  now?: () => Date;
}

export class DepartmentTokenService {
  /** Imported once: re-importing the key on every request showed up in the CPU profile. */
  private readonly accessTokenKeys;

  constructor(private readonly deps: DepartmentTokenServiceDeps) {
    this.accessTokenKeys = createLocalJWKSet({ keys: [deps.signingKey.publicJwk] });
  }

  async exchange(request: TokenRequest): Promise<TokenResponse> {
    if (request.grant_type !== 'client_credentials') throw DomainError.invalid('UNSUPPORTED_GRANT_TYPE', 'grant_type must be client_credentials');
    if (request.client_assertion_type !== CLIENT_ASSERTION_TYPE) throw DomainError.invalid('INVALID_REQUEST', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    if (!request.client_assertion) throw DomainError.invalid('INVALID_REQUEST', 'client_assertion is required');

    let claimedClient: string | undefined;
    try {
      claimedClient = decodeJwt(request.client_assertion).iss;
    } catch {
      throw DomainError.unauthenticated('INVALID_CLIENT', 'client_assertion is not a JWT');
    }
    if (!claimedClient) throw DomainError.unauthenticated('INVALID_CLIENT', 'client_assertion has no iss');
    if (request.client_id && request.client_id !== claimedClient) throw DomainError.unauthenticated('INVALID_CLIENT', 'client_id does not match the assertion issuer');
    const department = await this.deps.departments.get(claimedClient);
    if (!department) throw DomainError.unauthenticated('INVALID_CLIENT', 'unknown client');

    const payload = await this.verifyAssertion(request.client_assertion, claimedClient, department.jwks);
    await this.consumeJti(claimedClient, payload.jti, payload.exp);

    const roles = this.grantedRoles(department.roles, request.scope);
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ client_id: department.code, scope: roles.join(' ') })
      .setProtectedHeader({ alg: this.deps.signingKey.alg, kid: this.deps.signingKey.kid, typ: 'at+jwt' })
      .setIssuer(this.deps.issuer)
      .setSubject(department.code)
      .setAudience(this.deps.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + this.deps.ttlSeconds)
      .setJti(crypto.randomUUID())
      .sign(this.deps.signingKey.privateKey);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.deps.ttlSeconds, scope: roles.join(' ') };
  }

  /**
   * Access tokens verified before, by their exact text, until their `exp`. The same text verifies the same
   * way until then: the claims are signed, and nothing else is consulted (the signing key does not change
   * while the process runs). The ECDSA verification was about 7% of an exchange query's CPU.
   */
  private readonly verifiedTokens = new Map<string, { principal: DepartmentPrincipal; expiresAtMs: number }>();

  /** Verifies an access token this service issued (RFC 9068 §4). Callers get their own copy of the principal. */
  async verifyAccessToken(token: string): Promise<DepartmentPrincipal> {
    return this.alreadyVerified(token) ?? this.copyOf(await this.verifySignedToken(token, this.deps.now?.() ?? new Date()));
  }

  /** The principal of an access token this service verified before and that has not expired; else undefined. */
  alreadyVerified(token: string): DepartmentPrincipal | undefined {
    const known = this.verifiedTokens.get(token);
    return known && (this.deps.now?.() ?? new Date()).getTime() < known.expiresAtMs ? this.copyOf(known.principal) : undefined;
  }

  private copyOf(principal: DepartmentPrincipal): DepartmentPrincipal {
    return { ...principal, roles: [...principal.roles] };
  }

  private async verifySignedToken(token: string, now: Date): Promise<DepartmentPrincipal> {
    try {
      const { payload } = await jwtVerify(token, this.accessTokenKeys, {
        issuer: this.deps.issuer,
        audience: this.deps.issuer,
        typ: 'at+jwt',
        algorithms: [this.deps.signingKey.alg],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
      });
      const scope = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      const principal: DepartmentPrincipal = {
        kind: 'department',
        code: String(payload.sub),
        roles: scope.filter((s): s is DepartmentRole => (DEPARTMENT_ROLES as string[]).includes(s)),
        tokenId: String(payload.jti),
      };
      if (typeof payload.exp === 'number') this.rememberVerified(token, principal, payload.exp * 1000);
      return principal;
    } catch (error) {
      throw DomainError.unauthenticated('TOKEN_INVALID', `access token rejected: ${describeJoseError(error)}`);
    }
  }

  private rememberVerified(token: string, principal: DepartmentPrincipal, expiresAtMs: number): void {
    this.verifiedTokens.delete(token);
    // Oldest first out: a Map iterates in insertion order.
    if (this.verifiedTokens.size >= (this.deps.verifiedTokensKept ?? VERIFIED_TOKENS_KEPT)) this.verifiedTokens.delete(this.verifiedTokens.keys().next().value!);
    this.verifiedTokens.set(token, { principal, expiresAtMs });
  }

  private async verifyAssertion(assertion: string, clientId: string, jwks: Parameters<typeof createLocalJWKSet>[0]) {
    try {
      const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
        issuer: clientId,
        subject: clientId,
        audience: this.deps.tokenEndpointUrl,
        algorithms: ASSERTION_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'jti'],
      });
      const now = Math.floor(Date.now() / 1000);
      if ((payload.exp ?? 0) - now > MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
        throw DomainError.unauthenticated('INVALID_CLIENT', `client_assertion must expire within ${MAX_ASSERTION_LIFETIME_SECONDS} s`);
      }
      return payload as typeof payload & { jti: string; exp: number };
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw DomainError.unauthenticated('INVALID_CLIENT', `client_assertion rejected: ${describeJoseError(error)}`);
    }
  }

  /** A jti may be used once (RFC 7523 §3 item 7): a replayed assertion is refused. */
  private async consumeJti(clientId: string, jti: string, exp: number): Promise<void> {
    const inserted = await this.deps.db('client_assertion_jtis')
      .insert({ client_id: clientId, jti, expires_at: new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000) })
      .onConflict(['client_id', 'jti'])
      .ignore()
      .returning('jti');
    if (inserted.length === 0) throw DomainError.unauthenticated('INVALID_CLIENT', 'client_assertion jti was already used (replay)');
    // Opportunistic clean-up keeps the table small without a separate job.
    if (Math.random() < 0.01) await this.deps.db('client_assertion_jtis').where('expires_at', '<', new Date()).delete();
  }

  private grantedRoles(registered: DepartmentRole[], scope: string | undefined): DepartmentRole[] {
    if (!scope) return registered;
    const asked = scope.split(' ').filter(Boolean);
    const unknown = asked.filter((s) => !registered.includes(s as DepartmentRole));
    if (unknown.length > 0) throw DomainError.invalid('INVALID_SCOPE', `scope not granted to this department: ${unknown.join(' ')}`);
    return asked as DepartmentRole[];
  }
}

export function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no registered key matches';
  if (error instanceof joseErrors.JOSEError) return error.code;
  return 'malformed token';
}
