/**
 * Corrections a holder can ask for: a misread name or date on a digitized (or any) licence. The holder (or
 * a company's agent) names the fields to correct, why, and may attach evidence (a scan); the issuing
 * department sees its queue and approves or rejects, with a reason, before the deadline it sets for itself
 * (overdue requests are listed for auditors and counted in /metrics). Approval issues the next version with
 * the corrected fields, linked to the old one, which becomes superseded by correction — the history, the log
 * leaf and the ledger's status change carry the request's id. One pending correction per licence at a time.
 */
import crypto from 'node:crypto';
import { DomainError } from '../errors/domain-error.ts';
import type { FieldError } from '../errors/domain-error.ts';
import { sha256Hex } from '../hashing/sha256.ts';
import type { Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { Correction, CorrectionEvidence, CorrectionStatus, CorrectionStore } from './correction-types.ts';
import type { LicenceService } from './licence-service.ts';
import type { Licence } from './licence-types.ts';

export const DEFAULT_CORRECTION_DEADLINE_DAYS = 15;
const MAX_EVIDENCE_BYTES = 5 * 1024 * 1024;
/** The name is not a field of the type, but the commonest misreading: it is correctable under this key. */
export const HOLDER_NAME_FIELD = 'holderName';

export interface CorrectionRequest {
  fields: Record<string, unknown>;
  reason: string;
  evidence?: { fileName: string; contentBase64: string };
}

export class LicenceCorrections {
  constructor(private readonly deps: {
    store: CorrectionStore;
    licences: Pick<LicenceService, 'get' | 'getForAudit' | 'correct' | 'checkCorrection'>;
    objects: ObjectStore;
    now?: () => Date;
  }) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async request(principal: Principal | null, licenceId: string, body: CorrectionRequest): Promise<Correction> {
    if (!principal) throw DomainError.authenticationRequired();
    if (principal.kind !== 'holder') throw DomainError.forbidden('HOLDER_REQUIRED', 'only the holder (or their agent) asks for a correction');
    const licence = await this.deps.licences.get(principal, licenceId); // another holder's licence does not exist for them
    if (licence.status !== 'active' && licence.status !== 'suspended') {
      throw DomainError.conflict('LICENCE_NOT_CORRECTABLE', `a ${licence.status} licence is not corrected; its current version is`);
    }
    if (await this.deps.store.pendingFor(licence.id)) throw DomainError.conflict('CORRECTION_PENDING', 'a correction of this licence is already waiting for the department');
    const errors: FieldError[] = [];
    const reason = body.reason?.trim();
    if (!reason) errors.push({ field: 'reason', message: 'must not be empty' });
    const entries = Object.entries(body.fields ?? {});
    if (entries.length === 0) errors.push({ field: 'fields', message: 'name at least one field to correct' });
    const { [HOLDER_NAME_FIELD]: holderName, ...fields } = body.fields ?? {};
    for (const [name, value] of Object.entries(fields)) {
      if (!(name in licence.fields) && value !== undefined && !isFieldOfType(licence, name)) errors.push({ field: `fields.${name}`, message: 'is not a field of this licence' });
      else if (licence.fields[name] === value) errors.push({ field: `fields.${name}`, message: 'is already this value' });
    }
    if (holderName !== undefined && (typeof holderName !== 'string' || holderName.trim() === '' || holderName === licence.holder.name)) errors.push({ field: `fields.${HOLDER_NAME_FIELD}`, message: 'must be a new name' });
    if (errors.length) throw DomainError.invalid('CORRECTION_INVALID', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
    // The corrected licence must be one the department could issue: checked now, so it never sees a request it cannot approve.
    this.deps.licences.checkCorrection(licence, fields, holderName as string | undefined);
    const id = `cor_${crypto.randomUUID()}`;
    const evidence = body.evidence ? await this.storeEvidence(id, body.evidence) : null;
    const now = this.now();
    const days = (await this.deps.store.deadlineDays(licence.issuerCode)) ?? DEFAULT_CORRECTION_DEADLINE_DAYS;
    const correction: Correction = {
      id, licenceId: licence.id, issuerCode: licence.issuerCode, holderId: licence.holder.id, requestedBy: principal.agent?.id ?? principal.holderId,
      fields: body.fields, reason: reason!.slice(0, 1000), evidence, status: 'pending', decidedBy: null, decisionReason: null, successorId: null,
      createdAt: now.toISOString(), deadline: new Date(now.getTime() + days * 86400_000).toISOString(), decidedAt: null,
    };
    await this.deps.store.insert(correction);
    return correction;
  }

  /** The holder's own requests, newest first. */
  async mine(principal: Principal | null): Promise<Correction[]> {
    if (!principal) throw DomainError.authenticationRequired();
    if (principal.kind !== 'holder') throw DomainError.forbidden('HOLDER_REQUIRED', 'only the holder sees their correction requests');
    return this.deps.store.list({ holderId: principal.holderId }, 200);
  }

  /** An issuer's queue (its own licences' requests); auditors see all, or only the overdue ones. */
  async queue(principal: Principal | null, filter: { status?: CorrectionStatus; overdue?: boolean }): Promise<Correction[]> {
    if (!principal) throw DomainError.authenticationRequired();
    const overdueAt = filter.overdue ? this.now() : undefined;
    if (hasRole(principal, 'issuer')) return this.deps.store.list({ issuerCode: principal.code, status: filter.status, overdueAt }, 500);
    if (hasRole(principal, 'auditor') || hasRole(principal, 'admin')) return this.deps.store.list({ status: filter.status, overdueAt }, 500);
    throw DomainError.forbidden('ROLE_REQUIRED', 'the correction queue is for issuing departments and auditors');
  }

  async get(principal: Principal | null, id: string): Promise<Correction> {
    const correction = await this.deps.store.get(id);
    if (!correction || !this.maySee(principal, correction)) throw DomainError.notFound('CORRECTION_NOT_FOUND', 'no such correction request for you');
    return correction;
  }

  async evidence(principal: Principal | null, id: string): Promise<{ bytes: Uint8Array; evidence: CorrectionEvidence }> {
    const correction = await this.get(principal, id);
    if (!correction.evidence) throw DomainError.notFound('EVIDENCE_NOT_FOUND', 'this request has no evidence attached');
    const bytes = await this.deps.objects.get(correction.evidence.key);
    if (!bytes || sha256Hex(bytes) !== correction.evidence.sha256) throw DomainError.internal('EVIDENCE_CORRUPT', 'the stored evidence does not match its recorded hash');
    return { bytes, evidence: correction.evidence };
  }

  async approve(principal: Principal | null, id: string, reason: string): Promise<{ correction: Correction; licence: Licence; verificationCode: string }> {
    const correction = await this.forIssuer(principal, id);
    const decisionReason = requireReason(reason);
    const { [HOLDER_NAME_FIELD]: holderName, ...fields } = correction.fields;
    const next = await this.deps.licences.correct(principal, correction.licenceId, { correctionId: correction.id, fields, holderName: holderName as string | undefined, reason: decisionReason });
    if (!(await this.deps.store.decide(id, { status: 'approved', decidedBy: principal!.kind === 'department' ? principal!.code : '', reason: decisionReason, successorId: next.licence.id, at: this.now().toISOString() }))) {
      throw DomainError.conflict('CORRECTION_DECIDED', 'this request was decided meanwhile');
    }
    return { correction: (await this.deps.store.get(id))!, ...next };
  }

  async reject(principal: Principal | null, id: string, reason: string): Promise<Correction> {
    const correction = await this.forIssuer(principal, id);
    const decisionReason = requireReason(reason);
    if (!(await this.deps.store.decide(correction.id, { status: 'rejected', decidedBy: (principal as { code: string }).code, reason: decisionReason, successorId: null, at: this.now().toISOString() }))) {
      throw DomainError.conflict('CORRECTION_DECIDED', 'this request was decided meanwhile');
    }
    return (await this.deps.store.get(id))!;
  }

  /** An issuing department's own deadline for answering corrections. */
  async setDeadline(principal: Principal | null, days: number): Promise<{ deadlineDays: number }> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'issuer')) throw DomainError.forbidden('ROLE_REQUIRED', 'an issuing department sets its own deadline');
    if (!Number.isInteger(days) || days < 1 || days > 180) throw DomainError.invalid('DEADLINE_INVALID', 'deadlineDays must be between 1 and 180', [{ field: 'deadlineDays', message: 'between 1 and 180' }]);
    await this.deps.store.setDeadlineDays(principal.code, days);
    return { deadlineDays: days };
  }

  async deadline(principal: Principal | null): Promise<{ deadlineDays: number }> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'issuer')) throw DomainError.forbidden('ROLE_REQUIRED', 'for issuing departments');
    return { deadlineDays: (await this.deps.store.deadlineDays(principal.code)) ?? DEFAULT_CORRECTION_DEADLINE_DAYS };
  }

  /** Pending requests past their deadline per issuing department, for /metrics. */
  async overdueByIssuer(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const c of await this.deps.store.list({ overdueAt: this.now() }, 10_000)) counts[c.issuerCode] = (counts[c.issuerCode] ?? 0) + 1;
    return counts;
  }

  isOverdue(c: Correction): boolean {
    return c.status === 'pending' && Date.parse(c.deadline) < this.now().getTime();
  }

  private maySee(principal: Principal | null, c: Correction): boolean {
    if (!principal) return false;
    if (principal.kind === 'holder') return principal.holderId === c.holderId;
    return (hasRole(principal, 'issuer') && principal.code === c.issuerCode) || hasRole(principal, 'auditor') || hasRole(principal, 'admin');
  }

  /** Only the department that issued the licence decides; for any other it does not exist. */
  private async forIssuer(principal: Principal | null, id: string): Promise<Correction> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'issuer')) throw DomainError.forbidden('ROLE_REQUIRED', 'deciding a correction needs the issuer role');
    const correction = await this.deps.store.get(id);
    if (!correction || correction.issuerCode !== principal.code) throw DomainError.notFound('CORRECTION_NOT_FOUND', 'no such correction request for you');
    if (correction.status !== 'pending') throw DomainError.conflict('CORRECTION_DECIDED', `this request was already ${correction.status}`);
    return correction;
  }

  private async storeEvidence(id: string, evidence: NonNullable<CorrectionRequest['evidence']>): Promise<CorrectionEvidence> {
    const bytes = Buffer.from(evidence.contentBase64 ?? '', 'base64');
    const bad = (message: string) => DomainError.invalid('EVIDENCE_INVALID', message, [{ field: 'evidence', message }]);
    if (bytes.length === 0) throw bad('evidence.contentBase64 must be the base64 of the file');
    if (bytes.length > MAX_EVIDENCE_BYTES) throw bad(`evidence is larger than ${MAX_EVIDENCE_BYTES} bytes`);
    const mediaType = sniff(bytes);
    if (!mediaType) throw bad('evidence must be a JPEG, PNG or PDF file');
    const key = `corrections/${id.slice(4)}/evidence`;
    await this.deps.objects.put(key, new Uint8Array(bytes), mediaType);
    return { key, fileName: (evidence.fileName ?? 'evidence').slice(0, 200), mediaType, size: bytes.length, sha256: sha256Hex(bytes) };
  }
}

function isFieldOfType(licence: Licence, name: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9]{0,63}$/.test(name) && name !== HOLDER_NAME_FIELD && licence.fields !== null && name in licence.fields;
}

/** The media type by magic bytes, not by the name a browser gave. */
function sniff(bytes: Buffer): CorrectionEvidence['mediaType'] | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return null;
}

function requireReason(reason: string | undefined): string {
  const trimmed = reason?.trim();
  if (!trimmed) throw DomainError.invalid('REASON_REQUIRED', 'a reason is required', [{ field: 'reason', message: 'must not be empty' }]);
  return trimmed.slice(0, 1000);
}
