/**
 * Holder authentication: citizens and companies arrive with an ID token from the government identity
 * provider, verified against its JWKS. The embedded default is the development provider below, which signs
 * tokens for whatever identifier is typed in — development only, switched off when a real provider is set.
 */
import crypto from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { identifyHolder } from '../identity/holder-id.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { HolderKind } from '../identity/holder-id.ts';
import { describeJoseError } from './department-tokens.ts';
import type { SigningKey } from './key-files.ts';
import type { HolderPrincipal } from '../principals/principal.ts';

export const HOLDER_TOKEN_AUDIENCE = 'licence-vault';

export class HolderTokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly issuer: string,
    source: { jwksUrl: string } | { localKey: SigningKey },
  ) {
    this.keys = 'jwksUrl' in source ? createRemoteJWKSet(new URL(source.jwksUrl)) : createLocalJWKSet({ keys: [source.localKey.publicJwk] });
  }

  async verify(token: string): Promise<HolderPrincipal> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.issuer,
        audience: HOLDER_TOKEN_AUDIENCE,
        algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
        clockTolerance: 30,
      }));
    } catch (error) {
      throw DomainError.unauthenticated('TOKEN_INVALID', `holder token rejected: ${describeJoseError(error)}`);
    }
    const identity = identifyHolder(String(payload.sub ?? ''));
    if (!identity) throw DomainError.unauthenticated('TOKEN_INVALID', 'holder token subject is not a valid resident ID number or unified social credit code');
    return { kind: 'holder', ...identity, name: typeof payload.name === 'string' ? payload.name : null };
  }
}

export class DevIdentityProvider {
  constructor(
    readonly issuer: string,
    private readonly key: SigningKey,
  ) {}

  async login(subject: string, name: string | undefined): Promise<{ id_token: string; token_type: 'Bearer'; expires_in: number; holder_kind: HolderKind; subject: string }> {
    const identity = identifyHolder(subject);
    if (!identity) {
      throw DomainError.invalid('HOLDER_ID_INVALID', 'subject must be a valid resident ID number (GB 11643) or unified social credit code (GB 32100)', [
        { field: 'subject', message: 'not a valid resident ID number or unified social credit code' },
      ]);
    }
    const ttl = 3600;
    const idToken = await new SignJWT({ ...(name ? { name } : {}), holder_kind: identity.holderKind, dev_only: true })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(identity.holderId)
      .setAudience(HOLDER_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .setJti(crypto.randomUUID())
      .sign(this.key.privateKey);
    return { id_token: idToken, token_type: 'Bearer', expires_in: ttl, holder_kind: identity.holderKind, subject: identity.holderId };
  }

  jwks() {
    return { keys: [this.key.publicJwk] };
  }
}
