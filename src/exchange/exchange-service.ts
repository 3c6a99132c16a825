/**
 * The consent-checked exchange. A requesting department asks, for a named holder and service item, to
 * verify a licence or to list the holder's licences of a type, on a basis: the holder's consent, a
 * catalogued legal basis, or the type's unconditional sharing class. It gets only the fields the basis
 * covers, each with its salt and the proof that it belongs to the anchored leaf. Every request, allowed
 * or refused, is recorded in the access log, whose records are leaves of their own transparency log.
 */
import crypto from 'node:crypto';
import type { DepartmentPrincipal, Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import { TtlCache } from '../caching/ttl-cache.ts';
import type { Consent, ConsentStore } from '../consent/consent-types.ts';
import { consentStatus } from '../consent/consent-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { DomainErrorKind } from '../errors/domain-error.ts';
import { identifyHolder } from '../identity/holder-id.ts';
import type { LicenceType, LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import { fieldDiscloser } from '../proofs/field-commitments.ts';
import type { DisclosedField } from '../proofs/field-commitments.ts';
import type { DisclosableLicence, LicenceStatus, LicenceStore } from '../licences/licence-types.ts';
import type { Receipt, TransparencyService } from '../transparency/transparency-service.ts';
import type { AccessFilter, AccessLogStore, AccessRecord, BasisKind, ExchangeStore, LegalBasis, RefusalCode } from './exchange-types.ts';
import type { AccessDescriber } from './access-descriptions.ts';
import type { Crosswalk, ResolvedHolder } from '../holders/crosswalk.ts';

export interface ExchangeQuery {
  holderId: string;
  serviceItem: string;
  caseNumber: string;
  officialId: string;
  basis: { kind: 'consent'; consentId: string } | { kind: 'legal-basis'; legalBasisId: string } | { kind: 'unconditional' };
  query: { kind: 'verify'; licenceId: string } | { kind: 'list'; licenceType: string };
  fields: string[];
  includeDocument?: boolean;
}

export interface ExchangeResult {
  licenceId: string;
  type: string;
  issuer: string;
  version: number;
  status: { value: string; source: string; ledgerTxId: string | null };
  validFrom: string;
  validUntil: string | null;
  fieldCommitmentRoot: string;
  disclosedFields: DisclosedField[];
  receipt: Receipt | null;
  documentUrl: string | null;
}

/** Whom the answer is about: the canonical ID, and the identifier the department asked with. */
export interface ExchangeHolder {
  id: string;
  matchedBy: ResolvedHolder['matchedBy'];
}

export interface ExchangeLimits {
  perDepartmentPerMinute: number;
  perHolderPerMinute: number;
  alertDistinctHolders: number;
  alertWindowMinutes: number;
  /** How often one process re-counts a department's distinct holders (default 5 s). */
  patternCheckIntervalMs?: number;
}

const REFUSAL_KIND: Record<RefusalCode, DomainErrorKind> = {
  NO_CONSENT: 'forbidden', CONSENT_EXPIRED: 'forbidden', CONSENT_REVOKED: 'forbidden', CONSENT_EXHAUSTED: 'forbidden', FIELD_NOT_COVERED: 'forbidden',
  NOT_SHARED: 'forbidden', PURPOSE_MISMATCH: 'forbidden', LICENCE_NOT_FOUND: 'not-found', RATE_LIMITED: 'rate-limited',
};

class Refusal extends Error {
  constructor(readonly code: RefusalCode, detail: string) {
    super(detail);
  }
}

/**
 * How long a replica keeps facts that never change (consent and legal-basis terms, licences but their
 * status, field trees): this only bounds memory.
 */
const UNCHANGING_FACTS_CACHE_MS = 60_000;
const UNCHANGING_FACTS_CACHE_ENTRIES = 10_000;

/** A cached read that does not remember "not found": the thing may be created a moment later. */
async function readThrough<V>(cache: TtlCache<V | null>, key: string, load: () => Promise<V | null>): Promise<V | null> {
  const pending = cache.get(key, load);
  const value = await pending;
  if (value === null) cache.delete(key, pending);
  return value;
}

type Decision = { licences: DisclosableLicence[]; basisKind: BasisKind; basisId: string | null; fields: string[]; document: boolean };

export class ExchangeService {
  constructor(
    private readonly deps: {
      store: ExchangeStore;
      accessLog: AccessLogStore;
      describer: AccessDescriber;
      crosswalk: Pick<Crosswalk, 'resolve'>;
      consents: ConsentStore;
      licences: LicenceStore;
      catalogue: LicenceTypeCatalogue;
      transparency: TransparencyService;
      documentUrl: (licenceId: string, requester: string) => string;
      limits: ExchangeLimits;
      /** Per-minute request counts shared by the replicas (see SharedRateCounters). */
      rateCounters: { count(subject: string, now: Date): number };
      now?: () => Date;
    },
  ) {}

  /**
   * A consent's terms (holder, requester, purpose, types, fields, window, maximum uses) never change after
   * it is granted; only its status and use count do, and only one way (ACTIVE to REVOKED, EXHAUSTED or
   * EXPIRED). So a cached copy may let through a consent that was withdrawn or used up meanwhile, but
   * never refuse one that is usable; and the use is spent by a statement that checks the current state
   * (AccessLogStore.recordAllowedAccess), which then refuses it with a fresh read's reason. That keeps
   * "withdrawal takes effect on the next request" and saves a database round trip per query.
   */
  private readonly consentTerms = new TtlCache<Consent | null>(UNCHANGING_FACTS_CACHE_MS, UNCHANGING_FACTS_CACHE_ENTRIES);

  /**
   * A legal basis's terms (department, service item, types, fields) never change; it can only be revoked,
   * once, and the write refuses a revoked one (AccessLogStore.recordAllowedAccess), as with consents.
   */
  private readonly legalBasisTerms = new TtlCache<LegalBasis | null>(UNCHANGING_FACTS_CACHE_MS, UNCHANGING_FACTS_CACHE_ENTRIES);

  /**
   * Licences named by verification queries. Everything of a licence but its status is fixed at issuance
   * (a renewal is a new licence); the status shown in an answer is read by the statement that records
   * the access (AccessLogStore.recordAllowedAccess), never taken from this copy.
   */
  private readonly licenceTerms = new TtlCache<DisclosableLicence | null>(UNCHANGING_FACTS_CACHE_MS, UNCHANGING_FACTS_CACHE_ENTRIES);

  /** Each licence's field commitment tree (its fields and salts never change; a renewal is a new licence). */
  private readonly disclosers = new TtlCache<ReturnType<typeof fieldDiscloser>>(UNCHANGING_FACTS_CACHE_MS, UNCHANGING_FACTS_CACHE_ENTRIES);

  private consentOf(id: string): Promise<Consent | null> {
    return readThrough(this.consentTerms, id, () => this.deps.consents.get(id));
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async query(principal: Principal | null, q: ExchangeQuery): Promise<{ accessId: string; holder: ExchangeHolder; results: ExchangeResult[] }> {
    const department = requireRequester(principal);
    // A canonical ID is itself (no lookup: the hot path); any other identifier goes through the crosswalk.
    const direct = identifyHolder(q.holderId);
    const holder: ResolvedHolder = direct
      ? { ...direct, matchedBy: { identifier: direct.holderId, kind: direct.holderKind === 'person' ? 'resident-id' : 'uscc' } }
      : await this.deps.crosswalk.resolve(q.holderId, department.code);
    const holderId = holder.holderId;
    const at = this.now();
    const record: AccessRecord = {
      id: `acc_${crypto.randomUUID()}`, at: at.toISOString(), requester: department.code, officialId: q.officialId, caseNumber: q.caseNumber,
      serviceItem: q.serviceItem, basisKind: q.basis.kind, basisId: basisIdOf(q), holderId,
      ...(direct ? {} : { identifierUsed: holder.matchedBy.identifier }),
      licenceIds: q.query.kind === 'verify' ? [q.query.licenceId] : [], fields: [...q.fields].sort(), result: 'REFUSED', reasonCode: 'NO_CONSENT',
    };
    let decision: Decision;
    let statuses: Map<string, LicenceStatus>;
    try {
      this.enforceRateLimits(department.code, holderId, at);
      decision = await this.decide(department, holderId, q, at);
      statuses = await this.recordAllowed({ ...record, result: 'ALLOWED', reasonCode: 'OK', licenceIds: decision.licences.map((l) => l.licence.id).sort() }, decision, at);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      // A licence that is not this holder's must not appear in this holder's data tracker.
      await this.record({ ...record, reasonCode: error.code, licenceIds: error.code === 'LICENCE_NOT_FOUND' ? [] : record.licenceIds });
      throw new DomainError(REFUSAL_KIND[error.code], error.code, error.message, { extensions: { accessId: record.id }, ...(error.code === 'RATE_LIMITED' ? { retryAfterSeconds: 60 } : {}) });
    }
    return { accessId: record.id, holder: { id: holderId, matchedBy: holder.matchedBy }, results: await Promise.all(decision.licences.map((l) => this.answer(l, statuses.get(l.licence.id) ?? l.licence.status, decision, department.code))) };
  }

  private async record(record: AccessRecord): Promise<void> {
    await this.deps.accessLog.recordAccess(record);
    await this.watchPattern(record.requester, new Date(record.at));
  }

  /**
   * Records an allowed request and returns the current status of its licences. The write re-checks the
   * basis as it is now (see AccessLogStore.recordAllowedAccess): under a consent it spends one use in the
   * same statement or refuses; a legal basis revoked meanwhile refuses too.
   */
  private async recordAllowed(record: AccessRecord, decision: Decision, now: Date): Promise<Map<string, LicenceStatus>> {
    const basis = decision.basisKind === 'consent' ? { consentId: decision.basisId! } : decision.basisKind === 'legal-basis' ? { legalBasisId: decision.basisId! } : null;
    const statuses = await this.deps.accessLog.recordAllowedAccess(record, basis, now);
    if (!statuses && decision.basisKind === 'legal-basis') {
      this.legalBasisTerms.delete(decision.basisId!);
      throw new Refusal('NO_CONSENT', 'the legal basis has been revoked');
    }
    if (!statuses) {
      // Withdrawn, expired or used up meanwhile (or since its terms were cached): report the state that
      // refused it, and keep that fresh copy, so the next request is refused before it reaches the database.
      this.consentTerms.delete(decision.basisId!);
      const fresh = await this.consentOf(decision.basisId!);
      this.checkConsentState(fresh ? consentStatus(fresh, now) : 'REVOKED');
      throw new Refusal('CONSENT_EXHAUSTED', 'the consent has no uses left');
    }
    await this.watchPattern(record.requester, now);
    return statuses;
  }

  /** Decides under the named basis; throws Refusal with the precise code. A consent use is spent when the access is recorded. */
  private async decide(department: DepartmentPrincipal, holderId: string, q: ExchangeQuery, now: Date): Promise<Decision> {
    const { licences, type } = await this.scope(holderId, q);
    if (type.sharingClass === 'not-shared') throw new Refusal('NOT_SHARED', `${type.key} is never shared through the exchange`);
    const disclosable = new Set(type.fields.filter((f) => f.disclosable).map((f) => f.name));
    const notDisclosable = q.fields.filter((f) => !disclosable.has(f));
    if (notDisclosable.length) throw new Refusal('FIELD_NOT_COVERED', `fields not disclosable for ${type.key}: ${notDisclosable.join(', ')}`);

    if (q.basis.kind === 'unconditional') {
      if (type.sharingClass !== 'unconditional') throw new Refusal('NO_CONSENT', `${type.key} is shared only with the holder's consent or a legal basis`);
      this.covered(q.fields, type.publicFields, 'the unconditional sharing class');
      if (q.includeDocument) throw new Refusal('FIELD_NOT_COVERED', 'the unconditional class does not cover the document itself');
      return { licences, basisKind: 'unconditional', basisId: null, fields: q.fields, document: false };
    }
    if (q.basis.kind === 'legal-basis') {
      const legalBasisId = q.basis.legalBasisId;
      const basis = await readThrough(this.legalBasisTerms, legalBasisId, () => this.deps.store.getLegalBasis(legalBasisId));
      if (!basis || basis.revokedAt || basis.requester !== department.code) throw new Refusal('NO_CONSENT', 'no catalogued legal basis with this id for your department');
      this.checkLegalBasis(basis, q, type);
      return { licences, basisKind: 'legal-basis', basisId: basis.id, fields: q.fields, document: false };
    }
    const consent = await this.consentOf(q.basis.consentId);
    if (!consent || consent.holder.id !== holderId || consent.requester !== department.code) throw new Refusal('NO_CONSENT', 'no consent with this id from this holder to your department');
    this.checkConsentState(consentStatus(consent, now));
    if (consent.purpose.code !== q.serviceItem) throw new Refusal('PURPOSE_MISMATCH', `the consent is for service item ${consent.purpose.code}, not ${q.serviceItem}`);
    if (!consent.licenceTypes.includes(type.key)) throw new Refusal('NO_CONSENT', `the consent does not cover ${type.key}`);
    const inScope = consent.licenceIds ? licences.filter((l) => consent.licenceIds!.includes(l.licence.id)) : licences;
    if (q.query.kind === 'verify' && inScope.length === 0) throw new Refusal('NO_CONSENT', 'the consent does not cover this licence');
    this.covered(q.fields, consent.fields, 'the consent');
    if (q.includeDocument && !consent.allowDocument) throw new Refusal('FIELD_NOT_COVERED', 'the consent does not cover the document itself');
    return { licences: inScope, basisKind: 'consent', basisId: consent.id, fields: q.fields, document: Boolean(q.includeDocument) };
  }

  private async scope(holderId: string, q: ExchangeQuery): Promise<{ licences: DisclosableLicence[]; type: LicenceType }> {
    if (q.query.kind === 'verify') {
      const licenceId = q.query.licenceId;
      const found = await readThrough(this.licenceTerms, licenceId, () => this.deps.licences.getDisclosable(licenceId));
      // A licence of another holder is "not found" for this holder: the department learns nothing more.
      if (!found || found.licence.holder.id !== holderId) throw new Refusal('LICENCE_NOT_FOUND', `holder ${holderId} has no licence ${q.query.licenceId}`);
      return { licences: [found], type: this.deps.catalogue.get(found.licence.typeKey)! };
    }
    const type = this.deps.catalogue.get(q.query.licenceType);
    if (!type) throw DomainError.invalid('LICENCE_TYPE_UNKNOWN', `unknown licence type ${q.query.licenceType}`, [{ field: 'query.licenceType', message: 'not in the catalogue' }]);
    const licences = (await this.deps.licences.listDisclosable({ holderId, typeKey: type.key, limit: 100 })).filter((l) => l.licence.status !== 'superseded');
    return { licences, type };
  }

  private checkLegalBasis(basis: LegalBasis, q: ExchangeQuery, type: LicenceType): void {
    if (basis.serviceItem.code !== q.serviceItem) throw new Refusal('PURPOSE_MISMATCH', `the legal basis is for service item ${basis.serviceItem.code}, not ${q.serviceItem}`);
    if (!basis.licenceTypes.includes(type.key)) throw new Refusal('NO_CONSENT', `the legal basis does not cover ${type.key}`);
    this.covered(q.fields, basis.fields, 'the legal basis');
    if (q.includeDocument) throw new Refusal('FIELD_NOT_COVERED', 'a legal basis covers fields, not the document itself');
  }

  private checkConsentState(status: string): void {
    if (status === 'REVOKED') throw new Refusal('CONSENT_REVOKED', 'the holder withdrew this consent');
    if (status === 'EXPIRED') throw new Refusal('CONSENT_EXPIRED', 'the consent is outside its validity window');
    if (status === 'EXHAUSTED') throw new Refusal('CONSENT_EXHAUSTED', 'the consent has no uses left');
  }

  private covered(asked: string[], allowed: string[], by: string): void {
    const beyond = asked.filter((f) => !allowed.includes(f));
    if (beyond.length) throw new Refusal('FIELD_NOT_COVERED', `${by} does not cover: ${beyond.join(', ')}`);
  }

  /** `vaultStatus` is the licence's status when the access was recorded (see recordAllowed). */
  private async answer({ licence, fieldSalts }: DisclosableLicence, vaultStatus: LicenceStatus, decision: Decision, requester: string): Promise<ExchangeResult> {
    const { status, receipt } = await this.deps.transparency.licenceFacts(licence.id, vaultStatus);
    return {
      licenceId: licence.id,
      type: licence.typeKey,
      issuer: licence.issuerCode,
      version: licence.version,
      status: { value: status.status, source: status.source, ledgerTxId: status.txId },
      validFrom: licence.validFrom,
      validUntil: licence.validUntil,
      fieldCommitmentRoot: licence.fieldCommitmentRoot,
      disclosedFields: fieldSalts ? (await this.disclosers.get(licence.id, async () => fieldDiscloser(licence.fields, fieldSalts)))(decision.fields) : [],
      receipt,
      documentUrl: decision.document ? this.deps.documentUrl(licence.id, requester) : null,
    };
  }

  /** Fixed one-minute windows, shared by the replicas through the database (see SharedRateCounters). */
  private enforceRateLimits(requester: string, holderId: string, now: Date): void {
    const { perDepartmentPerMinute, perHolderPerMinute } = this.deps.limits;
    const byDepartment = this.deps.rateCounters.count(`department:${requester}`, now);
    const byHolder = this.deps.rateCounters.count(`holder:${holderId}`, now);
    if (byDepartment > perDepartmentPerMinute) throw new Refusal('RATE_LIMITED', `at most ${perDepartmentPerMinute} exchange requests per minute per department`);
    if (byHolder > perHolderPerMinute) throw new Refusal('RATE_LIMITED', `at most ${perHolderPerMinute} exchange requests per minute about one holder`);
  }

  private readonly lastPatternCheck = new Map<string, number>();

  /**
   * Many distinct holders in a short window is the pattern of a department trawling the vault. Checked at
   * most every few seconds per department and process: the count scans the window, so not per request.
   */
  private async watchPattern(requester: string, now: Date): Promise<void> {
    const last = this.lastPatternCheck.get(requester) ?? 0;
    if (now.getTime() - last < (this.deps.limits.patternCheckIntervalMs ?? 5000)) return;
    this.lastPatternCheck.set(requester, now.getTime());
    const { alertDistinctHolders, alertWindowMinutes } = this.deps.limits;
    const windowMs = alertWindowMinutes * 60_000;
    const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
    const distinct = await this.deps.accessLog.distinctHoldersSince(requester, windowStart);
    if (distinct >= alertDistinctHolders) {
      await this.deps.store.raiseAlert({
        id: `alr_${crypto.randomUUID()}`, requester, kind: 'MANY_DISTINCT_HOLDERS',
        detail: { distinctHolders: distinct, threshold: alertDistinctHolders, windowMinutes: alertWindowMinutes },
        windowStart: windowStart.toISOString(), at: now.toISOString(),
      });
    }
  }

  // — holders and auditors —

  /** The holder's data tracker: every access to their data in plain words, each with its proof for experts. */
  async accessesOfHolder(principal: Principal | null, filter: Pick<AccessFilter, 'requester' | 'from' | 'to'> = {}) {
    if (principal?.kind !== 'holder') throw principal ? DomainError.forbidden('HOLDER_REQUIRED', 'only the holder sees their data tracker') : DomainError.authenticationRequired();
    const records = await this.deps.accessLog.accessesOfHolder(principal.holderId, 200, filter);
    return Promise.all(records.map(async (record) => {
      const receipt = await this.deps.transparency.leafReceipt(this.accessLogOrigin, record.id);
      return { record, described: await this.deps.describer.describe(record), receipt: typeof receipt === 'string' ? null : receipt };
    }));
  }

  /** Plain words for access records (the notification feed, the auditor's export). */
  describe(record: AccessRecord) {
    return this.deps.describer.describe(record);
  }

  get accessLogOrigin(): string {
    return this.deps.accessLog.accessLogOrigin;
  }

  async accessLog(principal: Principal | null, filter: AccessFilter, limit = 1000) {
    requireAuditor(principal);
    return this.deps.accessLog.accesses(filter, limit);
  }

  async alerts(principal: Principal | null) {
    requireAuditor(principal);
    return this.deps.store.alerts(200);
  }
}

function basisIdOf(q: ExchangeQuery): string | null {
  if (q.basis.kind === 'consent') return q.basis.consentId;
  if (q.basis.kind === 'legal-basis') return q.basis.legalBasisId;
  return null;
}

function requireRequester(principal: Principal | null): DepartmentPrincipal {
  if (!principal) throw DomainError.authenticationRequired();
  if (!hasRole(principal, 'requester')) throw DomainError.forbidden('ROLE_REQUIRED', 'exchange queries need a department token with the requester role');
  return principal;
}

function requireAuditor(principal: Principal | null): void {
  if (!principal) throw DomainError.authenticationRequired();
  if (!hasRole(principal, 'auditor') && !hasRole(principal, 'admin')) throw DomainError.forbidden('ROLE_REQUIRED', 'this needs the auditor or admin role');
}
