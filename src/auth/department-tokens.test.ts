import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Database } from '../db/database.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import { DepartmentTokenService } from './department-tokens.ts';
import { fromPrivateJwk } from './key-files.ts';
import type { SigningKey } from './key-files.ts';

const ISSUER = 'https://vault.test';

describe('department access tokens: the verified-token cache', () => {
  let key: SigningKey;
  let now: Date;
  const service = (kept?: number) =>
    new DepartmentTokenService({
      db: null as unknown as Database, departments: null as unknown as DepartmentStore, signingKey: key, issuer: ISSUER,
      tokenEndpointUrl: `${ISSUER}/oauth/token`, ttlSeconds: 300, verifiedTokensKept: kept, now: () => now,
    });
  /** An access token as the service issues it (see DepartmentTokenService.exchange), expiring in 300 s. */
  const accessToken = (sub: string, signWith: CryptoKey = key.privateKey) => {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ client_id: sub, scope: 'requester' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER).setSubject(sub).setAudience(ISSUER).setIssuedAt(iat).setExpirationTime(iat + 300).setJti(`jti-${sub}-${iat}`)
      .sign(signWith);
  };
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => null, (e: unknown) => e);
    expect(error, 'refused').to.be.instanceOf(DomainError);
    return (error as DomainError).code;
  };

  before(async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    key = await fromPrivateJwk({ ...(await exportJWK(privateKey)), alg: 'ES256' });
  });
  beforeEach(() => (now = new Date('2026-11-22T10:00:00Z')));

  it('accepts a remembered token until its exp, and refuses it once expired (past the clock tolerance)', async () => {
    const tokens = service();
    const token = await accessToken('11110105MB0123456X');
    expect(await tokens.verifyAccessToken(token)).to.include({ kind: 'department', code: '11110105MB0123456X' });
    now = new Date(now.getTime() + 299_000);
    expect((await tokens.verifyAccessToken(token)).roles).to.deep.equal(['requester']);
    now = new Date(now.getTime() + 1_000 + 31_000); // exp + the 30 s tolerance + 1 s
    expect(await refusal(tokens.verifyAccessToken(token))).to.equal('TOKEN_INVALID');
  });

  it('knows a token without verifying it only after verifying it, and only until it expires', async () => {
    const tokens = service();
    const token = await accessToken('11110105MB0123456X');
    expect(tokens.alreadyVerified(token)).to.equal(undefined);
    await tokens.verifyAccessToken(token);
    expect(tokens.alreadyVerified(token)).to.deep.include({ code: '11110105MB0123456X', roles: ['requester'] });
    now = new Date(now.getTime() + 300_000);
    expect(tokens.alreadyVerified(token)).to.equal(undefined);
  });

  it('refuses a token whose signature differs from a remembered one with the same claims', async () => {
    const tokens = service();
    const genuine = await accessToken('11110105MB0123456X');
    await tokens.verifyAccessToken(genuine);
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    const forged = await accessToken('11110105MB0123456X', otherKey);
    expect(forged.split('.').slice(0, 2)).to.deep.equal(genuine.split('.').slice(0, 2));
    expect(await refusal(tokens.verifyAccessToken(forged))).to.equal('TOKEN_INVALID');
    const truncated = genuine.slice(0, -2);
    expect(await refusal(tokens.verifyAccessToken(truncated))).to.equal('TOKEN_INVALID');
  });

  it('hands out a copy: a caller changing its principal does not change the next answer', async () => {
    const tokens = service();
    const token = await accessToken('11110105MB0123456X');
    const first = await tokens.verifyAccessToken(token);
    first.roles.push('admin' as never);
    (first as { code: string }).code = 'someone else';
    expect(await tokens.verifyAccessToken(token)).to.deep.include({ code: '11110105MB0123456X', roles: ['requester'] });
  });

  it('remembers a bounded number of tokens, oldest out first, and still verifies the forgotten ones', async () => {
    const tokens = service(2);
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((s) => accessToken(`1111010${s}MB0123456X`)));
    for (const t of [a!, b!, c!]) await tokens.verifyAccessToken(t);
    const kept = (tokens as unknown as { verifiedTokens: Map<string, unknown> }).verifiedTokens;
    expect([...kept.keys()]).to.deep.equal([b, c]);
    expect((await tokens.verifyAccessToken(a!)).code).to.equal('1111010AMB0123456X');
    expect([...kept.keys()]).to.deep.equal([c, a]);
  });
});
