/**
 * Licence rules: who may issue what, what a valid licence is, and how its status may change.
 * Depends only on ports (stores, object store, document factory); routes call it, it calls them.
 */
import crypto from 'node:crypto';
import { sha256Hex } from '../hashing/sha256.ts';
import { canonicalJson } from '../proofs/canonical-json.ts';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { FieldError } from '../errors/domain-error.ts';
import { checkHolderId } from '../identity/holder-id.ts';
import { formatLicenceId, nextVersionId } from '../identity/licence-id.ts';
import { todayInChina } from '../verify/verdict.ts';
import type { LicenceType, LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { documentKey } from './document-keys.ts';
import { fieldCommitmentRoot } from '../proofs/field-commitments.ts';
import type { LicenceDocumentFactory, LicenceDocumentInput } from './licence-document.ts';
import { issuanceEffects, provenanceSaltsFor, statusEffects } from './licence-leaves.ts';
import { newVerificationCode, verificationCodeSha256 } from './verification-code.ts';
import { aliasesOfIssuance } from '../holders/crosswalk.ts';
import type { DigitizedProvenance, Licence, LicenceQuery, LicenceStatus, LicenceStore, NewLicenceRecord, StatusAction, StatusEvent } from './licence-types.ts';
import type { LicenceScan } from './licence-document.ts';
import { LicenceStoreConflict } from './licence-types.ts';

export interface IssueLicenceRequest {
  type: string;
  holder: { id: string; name: string };
  fields: Record<string, unknown>;
  validFrom?: string;
  validUntil?: string | null;
  /** Set only by digitization (never accepted from the public API): the paper's chain of custody. */
  provenance?: DigitizedProvenance;
}

/** Scan contents to embed; not part of the request hash (their SHA-256s in the provenance are). */
export interface IssueOptions {
  scans?: LicenceScan[];
}

export interface RenewLicenceRequest {
  reason: string;
  validFrom?: string;
  validUntil?: string | null;
  fields?: Record<string, unknown>;
}

export type StatusChangeAction = Extract<StatusAction, 'suspend' | 'reinstate' | 'revoke'>;

/** Which statuses each action may start from, and where it leads. */
const TRANSITIONS: Record<StatusChangeAction, { from: LicenceStatus[]; to: LicenceStatus }> = {
  suspend: { from: ['active'], to: 'suspended' },
  reinstate: { from: ['suspended'], to: 'active' },
  revoke: { from: ['active', 'suspended'], to: 'revoked' },
};
const RENEWABLE_FROM: LicenceStatus[] = ['active', 'suspended'];

const MAX_NAME_LENGTH = 100;

export interface LicenceServiceDeps {
  licences: LicenceStore;
  departments: DepartmentStore;
  catalogue: LicenceTypeCatalogue;
  objects: ObjectStore;
  documents: LicenceDocumentFactory;
  publicBaseUrl: string;
  /** Origin of the transparency log that records licence events. */
  logOrigin: string;
  /** The crosswalk: any identifier a holder is known by, to their canonical ID (for the issuer's filter). */
  resolveHolder?: (identifier: string, actor: string) => Promise<{ holderId: string }>;
  now?: () => Date;
}

export interface IssueOutcome {
  licence: Licence;
  /** True when an Idempotency-Key matched an earlier identical request: nothing new was written. */
  replayed: boolean;
  /**
   * The new licence's verification code, handed to the issuer once (the vault keeps only its hash; it is
   * printed on the PDF). Absent on a replay.
   */
  verificationCode?: string;
}

export class LicenceService {
  private readonly now: () => Date;

  constructor(private readonly deps: LicenceServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async issue(principal: Principal | null, request: IssueLicenceRequest, idempotencyKey: string | null, options: IssueOptions = {}): Promise<IssueOutcome> {
    const issuer = requireIssuer(principal);
    const type = this.deps.catalogue.get(request.type);
    if (!type) throw DomainError.invalid('LICENCE_TYPE_UNKNOWN', `unknown licence type ${JSON.stringify(request.type)}`, [{ field: 'type', message: 'is not a licence type in the catalogue' }]);
    if (type.issuer !== issuer) throw DomainError.forbidden('LICENCE_TYPE_NOT_OWNED', `licence type ${type.key} is issued by department ${type.issuer}, not by ${issuer}`);

    const requestSha256 = idempotencyKey ? sha256Hex(canonicalJson(request) ?? '') : null;
    if (idempotencyKey) {
      const earlier = await this.replay(issuer, idempotencyKey, requestSha256);
      if (earlier) return { licence: earlier, replayed: true };
    }

    const holder = this.validateHolder(type, request.holder);
    this.validateFields(type, request.fields);
    const validity = this.validateValidity(type, request.validFrom ?? typeValidFrom(type, request.fields), request.validUntil);

    const serial = await this.deps.licences.allocateSerial(type.code, issuer);
    const id = formatLicenceId({ typeCode: type.code, issuerCode: issuer, serial, version: 1 });
    const issuedAt = this.now();
    const fieldSalts = saltsFor(request.fields);
    const provenanceSalts = request.provenance ? provenanceSaltsFor() : null;
    const verificationCode = newVerificationCode();
    const licence = await this.produceDocument({
      id,
      typeKey: type.key,
      typeCode: type.code,
      issuerCode: issuer,
      holder: { kind: type.holderKind, ...holder },
      fields: request.fields,
      ...validity,
      version: 1,
      previousId: null,
      status: 'active',
      fieldCommitmentRoot: fieldCommitmentRoot(request.fields, fieldSalts),
      provenance: request.provenance ?? null,
      issuedAt: issuedAt.toISOString(),
    }, type, verificationCode, options.scans);
    const record: NewLicenceRecord = {
      licence,
      fieldSalts,
      provenanceSalts,
      verificationCodeSha256: verificationCodeSha256(verificationCode),
      aliases: aliasesOfIssuance(licence, licence.provenance),
      idempotencyKey,
      requestSha256,
      event: { licenceId: id, action: 'issue', fromStatus: null, toStatus: 'active', reason: 'issued', actor: issuer, at: licence.issuedAt },
      effects: issuanceEffects(this.deps.logOrigin, licence, provenanceSalts),
    };
    try {
      await this.deps.licences.insert(record);
    } catch (error) {
      // Two identical requests raced on the same Idempotency-Key: the loser answers with the winner's licence.
      if (error instanceof LicenceStoreConflict && idempotencyKey) {
        const earlier = await this.replay(issuer, idempotencyKey, requestSha256);
        if (earlier) return { licence: earlier, replayed: true };
      }
      throw error;
    }
    return { licence, replayed: false, verificationCode };
  }

  /** For a dry run of digitization: was this request issued before ('done'), with other content ('conflict'), or not ('new')? */
  async digitizedState(principal: Principal | null, request: IssueLicenceRequest, idempotencyKey: string): Promise<'new' | 'done' | 'conflict'> {
    const issuer = requireIssuer(principal);
    const earlier = await this.deps.licences.findByIdempotencyKey(issuer, idempotencyKey);
    if (!earlier) return 'new';
    return earlier.requestSha256 === sha256Hex(canonicalJson(request) ?? '') ? 'done' : 'conflict';
  }

  async get(principal: Principal | null, id: string): Promise<Licence> {
    const licence = await this.deps.licences.get(id);
    if (!licence || !canRead(principal, licence)) throw notFound(id);
    return licence;
  }

  async document(principal: Principal | null, id: string): Promise<{ licence: Licence; bytes: Uint8Array }> {
    return this.checkedDocument(await this.get(principal, id));
  }

  /**
   * The PDF behind a document link (the exchange's consented download): the link itself is the permission,
   * checked by whoever opened it; the document is served as every other one is, re-checked against its hash.
   */
  async documentForLink(id: string): Promise<{ licence: Licence; bytes: Uint8Array } | null> {
    const licence = await this.deps.licences.get(id);
    return licence ? this.checkedDocument(licence) : null;
  }

  /** The one path documents leave by. */
  private async checkedDocument(licence: Licence): Promise<{ licence: Licence; bytes: Uint8Array }> {
    const bytes = await this.storeCall(() => this.deps.objects.get(licence.document.key));
    if (!bytes) throw DomainError.internal('DOCUMENT_MISSING', `the document of licence ${licence.id} is missing from the object store`);
    // Integrity on the way out: a corrupted or substituted object is never served as the licence.
    if (sha256Hex(bytes) !== licence.document.sha256) throw DomainError.internal('DOCUMENT_CORRUPT', `the stored document of licence ${licence.id} does not match its recorded hash`);
    return { licence, bytes };
  }

  async history(principal: Principal | null, id: string): Promise<StatusEvent[]> {
    await this.getForAudit(principal, id);
    return this.deps.licences.history(id);
  }

  /** Whoever holds the document may learn which licence it is (public verification). */
  findByDocument(sha256: string): Promise<Licence | null> {
    return this.deps.licences.findByDocumentSha256(sha256);
  }

  /** Metadata access for the licence's issuer, its holder, and auditors (never the document or fields to auditors). */
  async getForAudit(principal: Principal | null, id: string): Promise<Licence> {
    const licence = await this.deps.licences.get(id);
    if (!licence || !(canRead(principal, licence) || hasRole(principal, 'auditor'))) throw notFound(id);
    return licence;
  }

  async list(principal: Principal | null, filter: Omit<LicenceQuery, 'issuerCode'> & { holderId?: string }): Promise<Licence[]> {
    if (principal?.kind === 'holder') return this.deps.licences.list({ ...filter, holderId: principal.holderId });
    if (hasRole(principal, 'issuer')) {
      if (filter.holderId === undefined) return this.deps.licences.list({ ...filter, issuerCode: principal.code });
      // Any identifier the holder is known by finds their licences (an old registration number, say).
      let holderId: string;
      try {
        holderId = this.deps.resolveHolder ? (await this.deps.resolveHolder(filter.holderId, principal.code)).holderId : filter.holderId;
      } catch (error) {
        if (error instanceof DomainError && error.code === 'HOLDER_NOT_FOUND') return [];
        throw error;
      }
      return this.deps.licences.list({ ...filter, holderId, issuerCode: principal.code });
    }
    if (!principal) throw DomainError.authenticationRequired();
    throw DomainError.forbidden('ROLE_REQUIRED', 'listing licences needs a holder token or the issuer role');
  }

  async changeStatus(principal: Principal | null, id: string, action: StatusChangeAction, reason: string): Promise<Licence> {
    const actor = requireIssuer(principal);
    const licence = await this.deps.licences.get(id);
    if (!licence || !canRead(principal, licence)) throw notFound(id);
    if (licence.issuerCode !== actor) throw DomainError.forbidden('NOT_ISSUER', 'only the issuing department may change the status of a licence');
    const transition = TRANSITIONS[action];
    const at = this.now().toISOString();
    const why = requireReason(reason);
    const result = await this.deps.licences.changeStatus(
      id,
      transition.from,
      { licenceId: id, action, fromStatus: licence.status, toStatus: transition.to, reason: why, actor, at },
      statusEffects(this.deps.logOrigin, licence, action, transition.to, why, at),
    );
    if (!result.licence) throw notFound(id);
    if (!result.changed) throw invalidTransition(action, result.licence.status);
    return result.licence;
  }

  async renew(principal: Principal | null, id: string, request: RenewLicenceRequest): Promise<{ licence: Licence; verificationCode: string }> {
    const actor = requireIssuer(principal);
    const previous = await this.issuedBy(principal, actor, id, 'renew');
    const type = this.typeOf(previous);
    const reason = requireReason(request.reason);
    const fields = { ...previous.fields, ...(request.fields ?? {}) };
    this.validateFields(type, fields);
    const validity = this.validateValidity(type, request.validFrom, request.validUntil);
    return this.nextVersion(previous, type, { fields, holderName: previous.holder.name, validity, action: 'renew', reason, eventReason: `renewal of ${id}: ${reason}`, actor });
  }

  /**
   * A correction approved by the issuing department (LicenceCorrections): the next version with the
   * corrected fields (and name), the same validity; the old one becomes superseded "by correction", with the
   * request's id in the history, the log leaf's reason hash and the ledger's status change.
   */
  async correct(principal: Principal | null, id: string, correction: { correctionId: string; fields: Record<string, unknown>; holderName?: string; reason: string }): Promise<{ licence: Licence; verificationCode: string }> {
    const actor = requireIssuer(principal);
    const previous = await this.issuedBy(principal, actor, id, 'correct');
    const type = this.typeOf(previous);
    const fields = { ...previous.fields, ...correction.fields };
    this.validateFields(type, fields);
    const holderName = correction.holderName === undefined ? previous.holder.name : this.validateHolder(type, { id: previous.holder.id, name: correction.holderName }).name;
    const reason = requireReason(`correction ${correction.correctionId}: ${correction.reason}`);
    return this.nextVersion(previous, type, {
      fields, holderName, validity: { validFrom: previous.validFrom, validUntil: previous.validUntil }, action: 'correct', reason,
      // The department's words may quote the corrected name: the log and the ledger commit to the request's id only.
      publicReason: `correction ${correction.correctionId}`, eventReason: `correction of ${id} (${correction.correctionId}): ${correction.reason}`, actor,
    });
  }

  /** Checks that a correction request would pass (fields by the type's schema, a drawable name) before the department sees it. */
  checkCorrection(licence: Licence, fields: Record<string, unknown>, holderName?: string): void {
    const type = this.typeOf(licence);
    this.validateFields(type, { ...licence.fields, ...fields });
    if (holderName !== undefined) this.validateHolder(type, { id: licence.holder.id, name: holderName });
  }

  private async issuedBy(principal: Principal | null, actor: string, id: string, action: 'renew' | 'correct'): Promise<Licence> {
    const previous = await this.deps.licences.get(id);
    if (!previous || !canRead(principal, previous)) throw notFound(id);
    if (previous.issuerCode !== actor) throw DomainError.forbidden('NOT_ISSUER', `only the issuing department may ${action} a licence`);
    if (!RENEWABLE_FROM.includes(previous.status)) throw invalidTransition(action, previous.status);
    return previous;
  }

  private typeOf(licence: Licence): LicenceType {
    const type = this.deps.catalogue.get(licence.typeKey);
    if (!type) throw DomainError.internal('LICENCE_TYPE_MISSING', `licence type ${licence.typeKey} is no longer in the catalogue`);
    return type;
  }

  /** Issues the next version of `previous` and supersedes it, atomically (renewal and correction). */
  private async nextVersion(
    previous: Licence,
    type: LicenceType,
    change: { fields: Record<string, unknown>; holderName: string; validity: { validFrom: string; validUntil: string | null }; action: 'renew' | 'correct'; reason: string; publicReason?: string; eventReason: string; actor: string },
  ): Promise<{ licence: Licence; verificationCode: string }> {
    const id = previous.id;
    const next = nextVersionId(id);
    if (!next.ok) throw DomainError.conflict('VERSION_EXHAUSTED', next.message);
    const at = this.now().toISOString();
    const fieldSalts = saltsFor(change.fields);
    // A new version is a new document: its own verification code, its own salts.
    const provenanceSalts = previous.provenance ? provenanceSaltsFor() : null;
    const verificationCode = newVerificationCode();
    const licence = await this.produceDocument({
      ...previous, id: next.value, holder: { ...previous.holder, name: change.holderName }, fields: change.fields, ...change.validity,
      version: next.version, previousId: id, status: 'active', issuedAt: at, fieldCommitmentRoot: fieldCommitmentRoot(change.fields, fieldSalts),
    }, type, verificationCode);
    const successor: NewLicenceRecord = {
      licence, fieldSalts, provenanceSalts, verificationCodeSha256: verificationCodeSha256(verificationCode), aliases: aliasesOfIssuance(licence, licence.provenance), idempotencyKey: null, requestSha256: null,
      event: { licenceId: licence.id, action: 'issue', fromStatus: null, toStatus: 'active', reason: change.eventReason, actor: change.actor, at },
      effects: issuanceEffects(this.deps.logOrigin, licence, provenanceSalts),
    };
    const supersede: StatusEvent = { licenceId: id, action: change.action, fromStatus: previous.status, toStatus: 'superseded', reason: change.reason, actor: change.actor, at };
    try {
      const result = await this.deps.licences.renew(id, RENEWABLE_FROM, successor, supersede, statusEffects(this.deps.logOrigin, previous, change.action, 'superseded', change.publicReason ?? change.reason, at));
      if (!result.changed) throw invalidTransition(change.action, result.licence?.status ?? 'unknown');
    } catch (error) {
      if (error instanceof LicenceStoreConflict) throw DomainError.conflict('ALREADY_RENEWED', `licence ${id} already has a next version`);
      throw error;
    }
    return { licence, verificationCode };
  }

  /** Renders, signs and stores the PDF; returns the licence with its document reference filled in. */
  private readonly issuerNames = new Map<string, { at: number; nameZh: string; nameEn: string }>();

  /** Issuer names for the PDF, cached for a minute: one query less per licence on bulk issuance. */
  private async issuerName(code: string): Promise<{ nameZh: string; nameEn: string } | null> {
    const cached = this.issuerNames.get(code);
    if (cached && Date.now() - cached.at < 60_000) return cached;
    const department = await this.deps.departments.get(code);
    if (department) this.issuerNames.set(code, { at: Date.now(), nameZh: department.nameZh, nameEn: department.nameEn });
    return department;
  }

  private async produceDocument(draft: Omit<Licence, 'document'>, type: LicenceType, verificationCode: string, scans?: LicenceScan[]): Promise<Licence> {
    const issuerDept = await this.issuerName(draft.issuerCode);
    const input: LicenceDocumentInput = {
      licenceId: draft.id,
      version: draft.version,
      typeNameZh: type.nameZh,
      typeNameEn: type.nameEn,
      issuerCode: draft.issuerCode,
      issuerNameZh: issuerDept?.nameZh ?? draft.issuerCode,
      issuerNameEn: issuerDept?.nameEn ?? draft.issuerCode,
      holderKind: draft.holder.kind,
      holderName: draft.holder.name,
      holderId: draft.holder.id,
      fields: type.fields
        .filter((f) => draft.fields[f.name] !== undefined && draft.fields[f.name] !== '')
        .map((f) => ({ labelZh: f.labelZh, labelEn: f.labelEn, value: String(draft.fields[f.name]) })),
      validFrom: draft.validFrom,
      validUntil: draft.validUntil,
      issuedAt: draft.issuedAt,
      // The code rides in the fragment: browsers never send it to a server, nor does a redirect drop it.
      verifyUrl: verificationUrl(this.deps.publicBaseUrl, draft.id, verificationCode),
      verificationCode,
      ...(draft.provenance ? { digitizedFromPaper: { originalIssueDate: draft.provenance.originalIssueDate, archiveLocation: draft.provenance.archiveLocation } } : {}),
      ...(scans?.length ? { scans } : {}),
    };
    let pdf: Uint8Array;
    try {
      pdf = await this.deps.documents.produce(input, draft.issuerCode, new Date(draft.issuedAt));
    } catch (error) {
      // The renderer's capacity is a transient limit (pool busy, worker restarting): ask the client to retry.
      const code = (error as { code?: string }).code ?? '';
      if (code.startsWith('RENDER_')) throw DomainError.unavailable('RENDERING_UNAVAILABLE', `the PDF renderer is unavailable (${code}); retry shortly`);
      throw error;
    }
    const sha256 = sha256Hex(pdf);
    const key = documentKey(sha256);
    // Content-addressed: a retry after a crash re-puts the same key; an orphan (PDF stored, row not
    // written) is harmless and never served, because only rows point at objects.
    await this.storeCall(() => this.deps.objects.put(key, pdf, 'application/pdf'));
    return { ...draft, document: { sha256, key, size: pdf.length } };
  }

  private async storeCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // The driver's message names hosts and paths: it goes to the log (the edge logs the cause), not to the client.
      throw DomainError.unavailable('OBJECT_STORE_UNAVAILABLE', `the object store (${this.deps.objects.kind}) is unavailable; retry later`, error);
    }
  }

  private async replay(issuer: string, key: string, requestSha256: string | null): Promise<Licence | null> {
    const earlier = await this.deps.licences.findByIdempotencyKey(issuer, key);
    if (!earlier) return null;
    if (earlier.requestSha256 !== requestSha256) {
      throw DomainError.conflict('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request');
    }
    return earlier.licence;
  }

  private validateHolder(type: LicenceType, holder: IssueLicenceRequest['holder']): { id: string; name: string } {
    const errors: FieldError[] = [];
    const idCheck = checkHolderId(type.holderKind, holder.id);
    if (!idCheck.ok) {
      const what = type.holderKind === 'person' ? 'resident ID number (GB 11643)' : 'unified social credit code (GB 32100)';
      errors.push({ field: 'holder.id', message: `not a valid ${what}: ${idCheck.message}` });
    }
    const name = holder.name.normalize('NFC').trim();
    if (name === '') errors.push({ field: 'holder.name', message: 'must not be empty' });
    if ([...name].length > MAX_NAME_LENGTH) errors.push({ field: 'holder.name', message: `must be at most ${MAX_NAME_LENGTH} characters` });
    errors.push(...this.glyphProblems('holder.name', name));
    if (errors.length > 0) throw DomainError.invalid(errors[0]!.field === 'holder.id' ? 'HOLDER_ID_INVALID' : 'HOLDER_NAME_INVALID', summarise(errors), errors);
    return { id: (idCheck as { value: string }).value, name };
  }

  private validateFields(type: LicenceType, fields: Record<string, unknown>): void {
    const errors: FieldError[] = this.deps.catalogue.validateFields(type.key, fields).map((v) => ({ field: `fields.${v.field}`, message: v.message }));
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === 'string') errors.push(...this.glyphProblems(`fields.${name}`, value));
    }
    if (errors.length > 0) throw DomainError.invalid('FIELDS_INVALID', summarise(errors), errors);
  }

  private glyphProblems(field: string, text: string): FieldError[] {
    const missing = this.deps.documents.missingGlyphs(text);
    return missing.length === 0 ? [] : [{ field, message: `contains characters no configured font can draw: ${missing.join(', ')}` }];
  }

  private validateValidity(type: LicenceType, validFrom: string | undefined, validUntil: string | null | undefined): { validFrom: string; validUntil: string | null } {
    // A validity is a date on the Chinese calendar: issued at 01:00 in Beijing is that day, not UTC's day before.
    const from = validFrom ?? todayInChina(this.now());
    let until = validUntil;
    if (until === undefined) until = type.defaultValidityYears ? addYears(from, type.defaultValidityYears) : null;
    const errors: FieldError[] = [];
    if (!isRealDate(from)) errors.push({ field: 'validFrom', message: 'must be a real calendar date YYYY-MM-DD' });
    if (until !== null && !isRealDate(until)) errors.push({ field: 'validUntil', message: 'must be a real calendar date YYYY-MM-DD' });
    if (errors.length === 0 && until !== null && until <= from) errors.push({ field: 'validUntil', message: 'must be after validFrom' });
    if (errors.length > 0) throw DomainError.invalid('VALIDITY_INVALID', summarise(errors), errors);
    return { validFrom: from, validUntil: until };
  }
}

/** Where a type dates its validity from one of its own fields (a health certificate: the examination), that date. */
function typeValidFrom(type: LicenceType, fields: Record<string, unknown> | undefined): string | undefined {
  const value = type.validFromField ? fields?.[type.validFromField] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function requireIssuer(principal: Principal | null): string {
  if (!principal) throw DomainError.authenticationRequired();
  if (!hasRole(principal, 'issuer')) throw DomainError.forbidden('ROLE_REQUIRED', 'this operation needs a department token with the issuer role');
  return principal.code;
}

function requireReason(reason: string): string {
  const trimmed = reason.trim();
  if (!trimmed) throw DomainError.invalid('REASON_REQUIRED', 'a reason is required', [{ field: 'reason', message: 'must not be empty' }]);
  return trimmed;
}

/** The issuer reads what it issued, the holder reads what it holds; nobody else learns the licence exists. */
function canRead(principal: Principal | null, licence: Licence): boolean {
  if (principal?.kind === 'holder') return principal.holderId === licence.holder.id;
  if (principal?.kind === 'department') return principal.roles.includes('issuer') && principal.code === licence.issuerCode;
  return false;
}

function notFound(id: string): DomainError {
  return DomainError.notFound('LICENCE_NOT_FOUND', `no licence ${id} that you may see`);
}

function invalidTransition(action: string, status: string): DomainError {
  return DomainError.conflict('STATUS_TRANSITION_INVALID', `cannot ${action} a licence whose status is ${status}`);
}

function summarise(errors: FieldError[]): string {
  return errors.map((e) => `${e.field} ${e.message}`).join('; ');
}

/** 128-bit random salt per field, so a commitment cannot be brute-forced from a guessable value. */
function saltsFor(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.keys(fields).map((name) => [name, crypto.randomBytes(16).toString('base64')]));
}

/** The QR code's target: the public verification page of a licence, its code in the fragment. */
export function verificationUrl(publicBaseUrl: string, licenceId: string, verificationCode: string): string {
  return `${publicBaseUrl}/verify/${encodeURIComponent(licenceId)}#${verificationCode.replace(/-/g, '')}`;
}

function isRealDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function addYears(date: string, years: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  d.setUTCDate(d.getUTCDate() - 1); // a five-year licence from 2026-01-01 runs to 2030-12-31
  return d.toISOString().slice(0, 10);
}
