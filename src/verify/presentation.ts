/**
 * Verifies a 亮证 presentation (src/licences/licence-presentations.ts) offline: a compact JWS with
 * `typ: licence-presentation+jwt`, EdDSA over Ed25519 (RFC 8037), by a key of the vault's published JWKS,
 * not expired. Pure and browser-compatible: the verification page runs it with a JWKS it fetched earlier,
 * without the network. Never throws on bad input: every refusal has a stable reason.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

export const PRESENTATION_TYPE = 'licence-presentation+jwt';

export interface PublicJwk {
  kty?: string;
  crv?: string;
  x?: string;
  kid?: string;
  alg?: string;
}

export type PresentationCheck =
  | { ok: true; claims: PresentationClaims; expiresAt: Date }
  | { ok: false; reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'SIGNATURE_INVALID' | 'EXPIRED' | 'NOT_YET_VALID'; detail: string };

/** As signed by the vault; only what the page shows is typed here. */
export interface PresentationClaims {
  iss: string;
  jti: string;
  iat: number;
  exp: number;
  licence: {
    id: string;
    version: number;
    type: { key: string; nameZh: string; nameEn: string };
    issuer: { code: string; nameZh: string; nameEn: string };
    holder: { kind: 'person' | 'organisation'; name: string; id: string };
    validFrom: string;
    validUntil: string | null;
    status: string;
    fields: Array<{ name: string; labelZh: string; labelEn: string; value: string }>;
  };
  purpose: string | null;
}

const CLOCK_SKEW_SECONDS = 60;

function base64UrlBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  try {
    const binary = atob(padded);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function json(bytes: Uint8Array | null): Record<string, unknown> | null {
  if (!bytes) return null;
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The presentation inside a scanned QR: the token itself, or the verification URL holding it (`#p=`). */
export function presentationTokenFrom(scanned: string): string | null {
  const text = scanned.trim();
  const fromUrl = /[#&]p=([A-Za-z0-9_.-]+)/.exec(text)?.[1];
  const token = fromUrl ?? text;
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) ? token : null;
}

export function verifyPresentation(token: string, keys: PublicJwk[], now: Date = new Date()): PresentationCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'MALFORMED', detail: 'not a compact JWS (three dot-separated parts)' };
  const header = json(base64UrlBytes(parts[0]!));
  const claims = json(base64UrlBytes(parts[1]!));
  const signature = base64UrlBytes(parts[2]!);
  if (!header || !claims || !signature) return { ok: false, reason: 'MALFORMED', detail: 'header, payload or signature is not base64url JSON' };
  if (header.typ !== PRESENTATION_TYPE) return { ok: false, reason: 'MALFORMED', detail: `typ is ${JSON.stringify(header.typ)}, not ${PRESENTATION_TYPE}` };
  if (header.alg !== 'EdDSA') return { ok: false, reason: 'MALFORMED', detail: `alg ${JSON.stringify(header.alg)} is not EdDSA` };
  if (header.crit !== undefined) return { ok: false, reason: 'MALFORMED', detail: 'critical header parameters are not supported' };
  const key = keys.find((k) => k.kid === header.kid && k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string');
  const publicKey = key ? base64UrlBytes(key.x!) : null;
  if (!publicKey || publicKey.length !== 32) return { ok: false, reason: 'UNKNOWN_KEY', detail: `no published Ed25519 key with kid ${JSON.stringify(header.kid)}` };
  const signedBytes = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  let valid = false;
  try {
    valid = signature.length === 64 && ed25519.verify(signature, signedBytes, publicKey);
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'SIGNATURE_INVALID', detail: 'the signature does not verify with the published key' };
  const exp = claims.exp;
  const iat = claims.iat;
  const licence = claims.licence as PresentationClaims['licence'] | undefined;
  if (typeof exp !== 'number' || typeof iat !== 'number' || !licence || typeof licence.id !== 'string') return { ok: false, reason: 'MALFORMED', detail: 'exp, iat or licence missing' };
  const seconds = now.getTime() / 1000;
  if (seconds > exp + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'EXPIRED', detail: `expired at ${new Date(exp * 1000).toISOString()}` };
  if (iat > seconds + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'NOT_YET_VALID', detail: `issued in the future (${new Date(iat * 1000).toISOString()})` };
  return { ok: true, claims: claims as unknown as PresentationClaims, expiresAt: new Date(exp * 1000) };
}
