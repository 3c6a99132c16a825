/**
 * 亮证 — "show my licence": a holder shows a licence from their phone as a QR code that a clerk scans. The
 * QR carries a short-lived signed presentation (a compact JWS, EdDSA/Ed25519, `typ: licence-presentation+jwt`)
 * with the licence id, the facts the holder chose to show, the status at signing, an optional purpose
 * ("仅供XX事项使用") and an expiry five minutes ahead; the holder's page asks for a fresh one every minute.
 * A verifier checks it offline against the key published at /.well-known/jwks.json (src/verify/presentation.ts)
 * and refreshes the status online when it can.
 *
 * Why a JWS and not a CWT/COSE: jose already signs the vault's tokens and consents, the verifier needs only
 * Ed25519 (already in the pure verifier through @noble/curves), and the JSON stays readable in an audit. What
 * makes a QR code hard to read across a counter is its size, so the claims are compact
 * (PresentationWireClaims: codes, not names — the type and the issuer are in the licence id, names and labels
 * come from the public catalogue — no kid, a short typ and jti): about 530 characters with two fields and a
 * purpose, a version-16 QR code (level L), where spelling everything out took 1 368 (version 27). CBOR/COSE with
 * base45 would save about a third more, for two more encodings in the browser bundle.
 */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from '../auth/key-files.ts';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import { DomainError } from '../errors/domain-error.ts';
import { maskIdentifier, maskName } from '../identity/masking.ts';
import type { Principal } from '../principals/principal.ts';
import type { Licence } from './licence-types.ts';
import { PRESENTATION_TYPE } from '../verify/presentation.ts';
import type { PresentationWireClaims } from '../verify/presentation.ts';

export { PRESENTATION_TYPE };

export const PRESENTATION_TTL_SECONDS = 300;
export const PRESENTATION_REFRESH_SECONDS = 60;
const MAX_PURPOSE_CHARS = 40;

export interface PresentationRequest {
  /** Names of the licence's fields to show (others stay hidden). */
  fields?: string[];
  /** Show the holder's full name instead of the masked one. */
  showHolderName?: boolean;
  /** What the presentation is for, shown as "仅供…使用" on both screens. */
  purpose?: string;
}

export interface Presentation {
  token: string;
  expiresAt: string;
  refreshAfterSeconds: number;
  /** The verification page with the token in its fragment: what the QR code holds. */
  verifyUrl: string;
}

export class LicencePresentations {
  constructor(private readonly deps: {
    licences: { get(principal: Principal | null, id: string): Promise<Licence> };
    catalogue: LicenceTypeCatalogue;
    signingKey: SigningKey;
    publicBaseUrl: string;
    now?: () => Date;
  }) {}

  async present(principal: Principal | null, licenceId: string, request: PresentationRequest): Promise<Presentation> {
    if (!principal) throw DomainError.authenticationRequired();
    if (principal.kind !== 'holder') throw DomainError.forbidden('HOLDER_REQUIRED', 'only the holder shows their licence');
    const licence = await this.deps.licences.get(principal, licenceId); // not-found unless it is theirs
    const type = this.deps.catalogue.get(licence.typeKey);
    const known = new Map((type?.fields ?? []).map((f) => [f.name, f]));
    const wanted = [...new Set(request.fields ?? [])];
    const unknown = wanted.filter((name) => !known.has(name) || licence.fields[name] === undefined);
    if (unknown.length) throw DomainError.invalid('FIELD_UNKNOWN', `this licence has no field ${unknown.join(', ')}`, unknown.map((name) => ({ field: 'fields', message: `${name} is not a field of this licence` })));
    const purpose = request.purpose?.trim() || null;
    if (purpose && ([...purpose].length > MAX_PURPOSE_CHARS || /[\p{Cc}\p{Cs}]/u.test(purpose))) {
      throw DomainError.invalid('PURPOSE_INVALID', `purpose: at most ${MAX_PURPOSE_CHARS} characters, no control characters`, [{ field: 'purpose', message: 'too long or has control characters' }]);
    }
    const now = this.deps.now?.() ?? new Date();
    const iat = Math.floor(now.getTime() / 1000);
    const claims: PresentationWireClaims = {
      j: crypto.randomBytes(9).toString('base64url'),
      iat,
      exp: iat + PRESENTATION_TTL_SECONDS,
      l: licence.id,
      s: licence.status,
      vf: licence.validFrom,
      vu: licence.validUntil,
      hk: licence.holder.kind === 'person' ? 'p' : 'o',
      h: request.showHolderName ? licence.holder.name : maskName(licence.holder.name, licence.holder.kind),
      hi: maskIdentifier(licence.holder.id),
      f: Object.fromEntries(wanted.map((name) => [name, String(licence.fields[name])])),
      ...(purpose ? { p: purpose } : {}),
    };
    const token = await new SignJWT(claims as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: this.deps.signingKey.alg, typ: PRESENTATION_TYPE })
      .sign(this.deps.signingKey.privateKey);
    return {
      token,
      expiresAt: new Date((iat + PRESENTATION_TTL_SECONDS) * 1000).toISOString(),
      refreshAfterSeconds: PRESENTATION_REFRESH_SECONDS,
      verifyUrl: `${this.deps.publicBaseUrl}/app/verify.html#p=${token}`,
    };
  }
}
