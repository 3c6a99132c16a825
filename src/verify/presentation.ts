/**
 * Verifies a 亮证 presentation (src/licences/licence-presentations.ts) offline: a compact JWS with
 * `typ: licence-presentation+jwt`, EdDSA over Ed25519 (RFC 8037), by a key of the vault's published JWKS,
 * not expired. Pure and browser-compatible: the verification page runs it with a JWKS it fetched earlier,
 * without the network. Never throws on bad input: every refusal has a stable reason.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

/** The JWS `typ`: short, because every byte of the token is a module of the QR code on the holder's phone. */
export const PRESENTATION_TYPE = 'lvp+jwt';

export interface PublicJwk {
  kty?: string;
  crv?: string;
  x?: string;
  kid?: string;
  alg?: string;
}

/**
 * The signed claims as they travel: compact, because a QR code a clerk's camera reads across a counter must
 * stay small (about 530 characters: a version-16 code, where the first, readable-JSON design needed version 27).
 * Codes only — the type and the issuer are inside the licence id, their names and the field labels come
 * from the public catalogue (`GET /licence-types`, `GET /departments`), which the page keeps for offline use.
 */
export interface PresentationWireClaims {
  /** A random id of this presentation (12 base64url characters). */
  j: string;
  iat: number;
  exp: number;
  /** The licence id (type code . issuer USCC . serial . version . check). */
  l: string;
  /** The status when signed. */
  s: string;
  vf: string;
  vu: string | null;
  /** Holder kind: p(erson) or o(rganisation); masked name (or the full one when the holder chose); masked ID. */
  hk: 'p' | 'o';
  h: string;
  hi: string;
  /** The fields the holder chose to show: name → value. */
  f: Record<string, string>;
  /** The purpose ("仅供…使用"), when given. */
  p?: string;
}

/** Names for the codes a presentation carries, from the public catalogue; without them the codes are shown. */
export interface PresentationNames {
  types: ReadonlyArray<{ code: string; key: string; nameZh: string; nameEn: string; fields: ReadonlyArray<{ name: string; labelZh: string; labelEn: string }> }>;
  departments: ReadonlyArray<{ code: string; nameZh: string; nameEn: string }>;
}

export type PresentationCheck =
  | { ok: true; claims: PresentationClaims; expiresAt: Date }
  | { ok: false; reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'SIGNATURE_INVALID' | 'EXPIRED' | 'NOT_YET_VALID'; detail: string };

/** A verified presentation, spelled out for the page. */
export interface PresentationClaims {
  jti: string;
  iat: number;
  exp: number;
  licence: {
    id: string;
    version: number;
    type: { key: string; code: string; nameZh: string; nameEn: string };
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

export function verifyPresentation(token: string, keys: PublicJwk[], now: Date = new Date(), names?: PresentationNames): PresentationCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'MALFORMED', detail: 'not a compact JWS (three dot-separated parts)' };
  const header = json(base64UrlBytes(parts[0]!));
  const claims = json(base64UrlBytes(parts[1]!));
  const signature = base64UrlBytes(parts[2]!);
  if (!header || !claims || !signature) return { ok: false, reason: 'MALFORMED', detail: 'header, payload or signature is not base64url JSON' };
  if (header.typ !== PRESENTATION_TYPE) return { ok: false, reason: 'MALFORMED', detail: `typ is ${JSON.stringify(header.typ)}, not ${PRESENTATION_TYPE}` };
  if (header.alg !== 'EdDSA') return { ok: false, reason: 'MALFORMED', detail: `alg ${JSON.stringify(header.alg)} is not EdDSA` };
  if (header.crit !== undefined) return { ok: false, reason: 'MALFORMED', detail: 'critical header parameters are not supported' };
  // No kid in the header (bytes in the QR): every published Ed25519 key is tried — a vault publishes one or two.
  const candidates = keys
    .filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string' && (header.kid === undefined || k.kid === header.kid))
    .map((k) => base64UrlBytes(k.x!))
    .filter((k): k is Uint8Array => k !== null && k.length === 32);
  if (candidates.length === 0) return { ok: false, reason: 'UNKNOWN_KEY', detail: 'no published Ed25519 key' };
  const signedBytes = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  const valid = signature.length === 64 && candidates.some((publicKey) => {
    try {
      return ed25519.verify(signature, signedBytes, publicKey);
    } catch {
      return false;
    }
  });
  if (!valid) return { ok: false, reason: 'SIGNATURE_INVALID', detail: 'the signature does not verify with a published key' };
  const wire = readWireClaims(claims);
  if (!wire) return { ok: false, reason: 'MALFORMED', detail: 'the claims are not those of a licence presentation' };
  const seconds = now.getTime() / 1000;
  if (seconds > wire.exp + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'EXPIRED', detail: `expired at ${new Date(wire.exp * 1000).toISOString()}` };
  if (wire.iat > seconds + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'NOT_YET_VALID', detail: `issued in the future (${new Date(wire.iat * 1000).toISOString()})` };
  return { ok: true, claims: spelledOut(wire, names), expiresAt: new Date(wire.exp * 1000) };
}

function readWireClaims(c: Record<string, unknown>): PresentationWireClaims | null {
  const str = (v: unknown): v is string => typeof v === 'string';
  const f = c.f;
  if (typeof c.iat !== 'number' || typeof c.exp !== 'number' || !str(c.j) || !str(c.l) || !str(c.s) || !str(c.vf) || !(c.vu === null || str(c.vu))) return null;
  if ((c.hk !== 'p' && c.hk !== 'o') || !str(c.h) || !str(c.hi) || !f || typeof f !== 'object' || Array.isArray(f)) return null;
  if (!Object.values(f).every(str) || !(c.p === undefined || str(c.p))) return null;
  if (c.l.split('.').length !== 5) return null;
  return c as unknown as PresentationWireClaims;
}

function spelledOut(w: PresentationWireClaims, names: PresentationNames | undefined): PresentationClaims {
  const [typeCode = '', issuerCode = '', , version = '0'] = w.l.split('.');
  const type = names?.types.find((t) => t.code === typeCode);
  const issuer = names?.departments.find((d) => d.code === issuerCode);
  const label = (name: string) => type?.fields.find((f) => f.name === name);
  return {
    jti: w.j, iat: w.iat, exp: w.exp,
    licence: {
      id: w.l,
      version: Number(version),
      type: { key: type?.key ?? typeCode, code: typeCode, nameZh: type?.nameZh ?? typeCode, nameEn: type?.nameEn ?? typeCode },
      issuer: { code: issuerCode, nameZh: issuer?.nameZh ?? issuerCode, nameEn: issuer?.nameEn ?? issuerCode },
      holder: { kind: w.hk === 'p' ? 'person' : 'organisation', name: w.h, id: w.hi },
      validFrom: w.vf,
      validUntil: w.vu,
      status: w.s,
      fields: Object.entries(w.f).map(([name, value]) => ({ name, labelZh: label(name)?.labelZh ?? name, labelEn: label(name)?.labelEn ?? name, value })),
    },
    purpose: w.p ?? null,
  };
}
