/**
 * The crosswalk: every identifier a holder is known by leads to one holder. Canonical IDs (18-character
 * resident ID, USCC) are themselves, with no lookup; a 15-digit resident ID converts to its 18-digit form;
 * an organisation code and an old registration number are looked up. An identifier that leads to two
 * holders is a conflict: refused (IDENTIFIER_AMBIGUOUS), recorded for the admin role, never resolved by
 * guessing. Nothing of the crosswalk reaches a public log leaf (provenance carries it only as salted
 * commitments).
 */
import { DomainError } from '../errors/domain-error.ts';
import { identifyHolder } from '../identity/holder-id.ts';
import { convertResidentId15To18 } from '../identity/resident-id.ts';
import { isOrganisationCode, organisationCodeOf, readIdentifier } from '../identity/legacy-identifiers.ts';
import type { IdentifierKind } from '../identity/legacy-identifiers.ts';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { AliasKind, HolderAlias, HolderIdentifierStore, IdentifierConflict } from './holder-identifier-types.ts';

export interface ResolvedHolder {
  holderId: string;
  holderKind: 'person' | 'organisation';
  /** The identifier the caller gave, in stored form, and how it was read. */
  matchedBy: { identifier: string; kind: IdentifierKind };
}

export interface AddAliasRequest {
  identifier: string;
  kind: AliasKind;
  reason: string;
}

export class Crosswalk {
  constructor(private readonly deps: {
    store: HolderIdentifierStore;
    /** Whether this issuing department has issued a licence to this holder (only then may it add an alias). */
    issuedTo: (issuerCode: string, holderId: string) => Promise<boolean>;
    now?: () => Date;
  }) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The canonical holder an identifier stands for (see the module comment); `actor` is recorded with a conflict. */
  async resolve(input: string, actor: string): Promise<ResolvedHolder> {
    const direct = identifyHolder(input);
    if (direct) return { ...direct, matchedBy: { identifier: direct.holderId, kind: direct.holderKind === 'person' ? 'resident-id' : 'uscc' } };
    const readings = readIdentifier(input);
    if (readings.length === 0) throw invalidIdentifier();
    const found = new Map<string, { holderKind: 'person' | 'organisation'; kind: IdentifierKind; identifier: string }>();
    for (const reading of readings) {
      // Claimed by two holders: it leads to neither until the conflict is resolved, never to a guess.
      if (reading.kind !== 'resident-id-15' && (await this.deps.store.disputed(reading.value))) throw ambiguous();
      const alias = await this.deps.store.get(reading.value);
      if (alias) found.set(alias.holderId, { holderKind: alias.holderKind, kind: alias.kind, identifier: reading.value });
      else if (reading.canonical && (readings.length === 1 || (await this.deps.store.holderExists(reading.canonical)))) {
        found.set(reading.canonical, { holderKind: reading.holderKind, kind: reading.kind, identifier: reading.value });
      }
    }
    if (found.size === 1) {
      const [holderId, how] = [...found][0]!;
      return { holderId, holderKind: how.holderKind, matchedBy: { identifier: how.identifier, kind: how.kind } };
    }
    if (found.size === 0) throw DomainError.notFound('HOLDER_NOT_FOUND', 'no holder is known by this identifier');
    const [first, ...others] = [...found.keys()];
    for (const other of others) {
      await this.deps.store.recordConflict({
        identifier: readings[0]!.value, kind: aliasKindOf(readings[0]!.kind), claimedHolderId: other, existingHolderId: first!, source: 'lookup', licenceId: null,
        claimedBy: actor, reason: 'one identifier leads to two holders', at: this.now().toISOString(),
      });
    }
    throw ambiguous();
  }

  /** An issuing department records an identifier it knows a holder by, with a reason (logged with it). */
  async addAlias(principal: Principal | null, holderIdInput: string, request: AddAliasRequest): Promise<HolderAlias> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'issuer')) throw DomainError.forbidden('ROLE_REQUIRED', 'adding an identifier needs the issuer role');
    const holder = identifyHolder(holderIdInput);
    if (!holder) throw notCanonical();
    if (!(await this.deps.issuedTo(principal.code, holder.holderId))) throw DomainError.notFound('HOLDER_NOT_FOUND', 'you have issued no licence to this holder');
    const reason = request.reason?.trim();
    if (!reason) throw DomainError.invalid('REASON_REQUIRED', 'a reason is required', [{ field: 'reason', message: 'must not be empty' }]);
    const identifier = aliasValueFor(request.kind, request.identifier, holder);
    const alias: HolderAlias = {
      identifier, kind: request.kind, holderId: holder.holderId, holderKind: holder.holderKind, source: 'issuer', licenceId: null,
      addedBy: principal.code, reason: reason.slice(0, 500), addedAt: this.now().toISOString(),
    };
    const { conflicts } = await this.deps.store.add([alias]);
    if (conflicts.length) {
      throw new DomainError('conflict', 'IDENTIFIER_CONFLICT', 'another holder is already known by this identifier; the conflict is reported to the administrators', { extensions: { identifier } });
    }
    return (await this.deps.store.get(identifier))!;
  }

  async aliases(principal: Principal | null, holderIdInput: string): Promise<HolderAlias[]> {
    if (!principal) throw DomainError.authenticationRequired();
    const holder = identifyHolder(holderIdInput);
    if (!holder) throw notCanonical();
    const mayRead = (principal.kind === 'holder' && principal.holderId === holder.holderId)
      || hasRole(principal, 'auditor') || hasRole(principal, 'admin')
      || (hasRole(principal, 'issuer') && (await this.deps.issuedTo(principal.code, holder.holderId)));
    if (!mayRead) throw DomainError.notFound('HOLDER_NOT_FOUND', 'no holder that you may see');
    return this.deps.store.listForHolder(holder.holderId);
  }

  async conflicts(principal: Principal | null): Promise<IdentifierConflict[]> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'admin') && !hasRole(principal, 'auditor')) throw DomainError.forbidden('ROLE_REQUIRED', 'identifier conflicts are for administrators and auditors');
    return this.deps.store.conflicts(500);
  }
}

/**
 * The identifiers a new licence brings for its holder: the organisation code in a USCC, and what a
 * digitized paper record knew them by (the 15-digit resident ID it was written with, an old registration
 * number). Added with the licence, in its transaction.
 */
export function aliasesOfIssuance(licence: { id: string; issuerCode: string; issuedAt: string; holder: { id: string; kind: 'person' | 'organisation' } }, provenance: { holderIdOriginal?: string; aliases?: Record<string, string> } | null): HolderAlias[] {
  const base = { holderId: licence.holder.id, holderKind: licence.holder.kind, licenceId: licence.id, addedBy: licence.issuerCode, addedAt: licence.issuedAt };
  const out: HolderAlias[] = [];
  if (licence.holder.kind === 'organisation') out.push({ ...base, identifier: organisationCodeOf(licence.holder.id), kind: 'organisation-code', source: 'issuance', reason: null });
  const original = provenance?.holderIdOriginal?.toUpperCase().replace(/\s/g, '');
  if (original && /^\d{15}$/.test(original) && convertResidentId15To18(original).ok) {
    out.push({ ...base, identifier: original, kind: 'resident-id-15', source: 'digitization', reason: 'the paper record gave this 15-digit resident ID' });
  }
  const registration = provenance?.aliases?.oldRegistrationNumber?.toUpperCase().replace(/[\s-]/g, '');
  if (registration) out.push({ ...base, identifier: registration, kind: 'registration-number', source: 'digitization', reason: 'the paper record gave this registration number' });
  return out;
}

function aliasValueFor(kind: AliasKind, input: string, holder: { holderId: string; holderKind: 'person' | 'organisation' }): string {
  const value = input.toUpperCase().replace(/[\s-]/g, '');
  const bad = (message: string) => DomainError.invalid('IDENTIFIER_INVALID', message, [{ field: 'identifier', message }]);
  switch (kind) {
    case 'organisation-code':
      if (holder.holderKind !== 'organisation' || !isOrganisationCode(value)) throw bad('not a GB 11714 organisation code of an organisation');
      if (value !== organisationCodeOf(holder.holderId)) throw bad('the organisation code of a company is the one its unified social credit code embeds (characters 9 to 17)');
      return value;
    case 'resident-id-15': {
      const converted = convertResidentId15To18(value);
      if (holder.holderKind !== 'person' || !converted.ok || converted.value !== holder.holderId) throw bad('not the 15-digit form of this person\'s resident ID number');
      return value;
    }
    case 'registration-number':
      if (holder.holderKind !== 'organisation' || !/^[0-9A-Z]{6,30}$/.test(value)) throw bad('a registration number has 6 to 30 digits or letters, and belongs to an organisation');
      return value;
    default:
      throw bad('unknown kind');
  }
}

function aliasKindOf(kind: IdentifierKind): AliasKind {
  return kind === 'organisation-code' || kind === 'resident-id-15' ? kind : 'registration-number';
}

function ambiguous(): DomainError {
  return DomainError.conflict('IDENTIFIER_AMBIGUOUS', 'this identifier leads to more than one holder; ask for the holder\'s unified social credit code or resident ID number (the conflict is reported)');
}

/** The path's holder of the identifier operations is the canonical one (the ID a holder signs in with). */
function notCanonical(): DomainError {
  return DomainError.invalid('HOLDER_ID_INVALID', 'holderId must be the 18-digit resident ID number or unified social credit code', [{ field: 'holderId', message: 'is not an 18-digit resident ID number or unified social credit code' }]);
}

function invalidIdentifier(field = 'holderId'): DomainError {
  return DomainError.invalid('HOLDER_ID_INVALID', `${field} is not an identifier a holder can be known by`, [{ field, message: 'is not a resident ID number, a unified social credit code, an organisation code or a registration number' }]);
}
