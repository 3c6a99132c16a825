/**
 * The consent artefact: a JWS the holder and the department can both verify against the vault's JWKS
 * (/.well-known/jwks.json). Its fields follow the ReBIT consent artefact: consent id, start, expiry,
 * purpose {code, text}, data consumer, data principal, the data (licence types/ids, fields), frequency (uses).
 */
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import type { SigningKey } from '../auth/key-files.ts';
import type { Consent } from './consent-types.ts';

export const CONSENT_ARTEFACT_TYP = 'consent+jwt';

type ArtefactSource = Omit<Consent, 'artefact' | 'uses' | 'storedStatus' | 'revokedAt' | 'withdrawnByAgent'>;

export function artefactClaims(c: ArtefactSource) {
  return {
    ver: '1.0',
    consentId: c.id,
    createdAt: c.createdAt,
    consentStart: c.validFrom,
    consentExpiry: c.validUntil,
    purpose: { code: c.purpose.code, text: c.purpose.text },
    dataConsumer: { type: 'DEPARTMENT', id: c.requester },
    dataPrincipal: { type: c.holder.kind === 'person' ? 'RESIDENT' : 'ORGANISATION', id: c.holder.id },
    data: { licenceTypes: c.licenceTypes, licenceIds: c.licenceIds, fields: c.fields, document: c.allowDocument },
    frequency: { maxUses: c.maxUses },
    // A company's consent granted through its appointed agent names that person (the company is the data principal).
    ...(c.grantedByAgent ? { grantedBy: { type: 'AGENT', id: c.grantedByAgent } } : {}),
  };
}

export async function signConsentArtefact(c: ArtefactSource, key: SigningKey, issuer: string): Promise<string> {
  return new SignJWT(artefactClaims(c))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CONSENT_ARTEFACT_TYP })
    .setIssuer(issuer)
    .setSubject(c.holder.id)
    .setAudience(c.requester)
    .setJti(c.id)
    .setIssuedAt(Math.floor(Date.parse(c.createdAt) / 1000))
    .setExpirationTime(Math.floor(Date.parse(c.validUntil) / 1000))
    .sign(key.privateKey);
}

/** What a department (or the holder) does with an artefact: verify it against the vault's published keys. */
export async function verifyConsentArtefact(jws: string, jwks: { keys: object[] }, issuer: string) {
  const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks as never), { issuer, typ: CONSENT_ARTEFACT_TYP });
  return payload as ReturnType<typeof artefactClaims> & { sub: string; aud: string };
}
