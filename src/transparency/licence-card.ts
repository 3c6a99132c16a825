/**
 * The public licence card: what the page a clerk lands on after scanning a licence's QR code shows — type,
 * masked holder, issuer by name, validity, status with its date, the successor of a replaced licence, and
 * one headline verdict. Licence ids are sequential, so the card is released only for the licence's
 * verification code (printed on it, carried in its QR URL), or for the SHA-256 of its PDF (only whoever
 * holds the file knows it). An unknown id and a wrong code get the same answer, LICENCE_NOT_FOUND.
 * The card carries the licence's receipt, so a page that holds the PDF verifies it locally, without
 * uploading it.
 */
import crypto from 'node:crypto';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { DomainError, isUnavailable } from '../errors/domain-error.ts';
import { nextVersionId } from '../identity/licence-id.ts';
import { maskIdentifier, maskName } from '../identity/masking.ts';
import type { Licence, LicenceStatus } from '../licences/licence-types.ts';
import { normaliseVerificationCode, verificationCodeSha256 } from '../licences/verification-code.ts';
import { headline, todayInChina } from '../verify/verdict.ts';
import type { Headline } from '../verify/verdict.ts';
import type { Receipt } from '../verify/receipt.ts';
import type { TransparencyService } from './transparency-service.ts';

/** What the card needs of the licence store (the permission is the code or the document, not a principal). */
export interface CardLicenceSource {
  get(id: string): Promise<Licence | null>;
  verificationCodeSha256(id: string): Promise<string | null>;
  findByDocumentSha256(sha256: string): Promise<Licence | null>;
}

export interface LicenceCard {
  licenceId: string;
  version: number;
  type: { key: string; nameZh: string; nameEn: string };
  holder: { kind: 'person' | 'organisation'; name: string; id: string };
  issuer: { code: string; nameZh: string; nameEn: string };
  validFrom: string;
  validUntil: string | null;
  status: {
    value: LicenceStatus;
    /** When the issuing department made the last change (null: never changed since issuance). */
    since: string | null;
    /** confirmed: the ledger holds this status; pending: the vault's change has not reached it yet; unreachable. */
    ledger: 'confirmed' | 'pending' | 'unreachable';
    ledgerTxId: string | null;
  };
  /** The licence that replaces this one (renewal or correction), if any. */
  successor: { licenceId: string } | null;
  documentSha256: string;
  receipt: Receipt | null;
  verdict: Headline;
  checkedAt: string;
}

const SEVERITY: Record<LicenceStatus, number> = { revoked: 3, suspended: 2, superseded: 1, active: 0 };

export class LicenceCards {
  constructor(private readonly deps: {
    licences: CardLicenceSource;
    transparency: TransparencyService;
    catalogue: LicenceTypeCatalogue;
    departments: DepartmentStore;
    now?: () => Date;
  }) {}

  /** The card for a licence id and its verification code (as printed, with or without dashes). */
  async byCode(licenceId: string, code: string): Promise<LicenceCard> {
    const canonical = normaliseVerificationCode(code);
    const [licence, stored] = await Promise.all([this.deps.licences.get(licenceId), this.deps.licences.verificationCodeSha256(licenceId)]);
    // The same answer, and the same work, for an unknown id, a licence without a code and a wrong code.
    const given = Buffer.from(canonical ? verificationCodeSha256(canonical) : crypto.randomBytes(32).toString('hex'));
    const expected = Buffer.from(stored ?? crypto.randomBytes(32).toString('hex'));
    if (!licence || !stored || !canonical || !crypto.timingSafeEqual(given, expected)) throw notFound();
    return this.card(licence);
  }

  /** The card for the licence whose PDF has this SHA-256. */
  async byDocument(documentSha256: string): Promise<LicenceCard> {
    const licence = await this.deps.licences.findByDocumentSha256(documentSha256.toLowerCase());
    if (!licence) throw notFound();
    return this.card(licence);
  }

  private async card(licence: Licence): Promise<LicenceCard> {
    const type = this.deps.catalogue.get(licence.typeKey);
    const issuer = await this.deps.departments.get(licence.issuerCode);
    let facts: Awaited<ReturnType<TransparencyService['licenceFacts']>> | null = null;
    let lastChange: string | null = null;
    try {
      [facts, lastChange] = await Promise.all([this.deps.transparency.licenceFacts(licence.id, licence.status, { fresh: true }), this.deps.transparency.lastStatusChangeTime(licence.id)]);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
    }
    const successor = licence.status === 'superseded' ? await this.successorOf(licence.id) : null;
    const ledger = !facts ? 'unreachable' : facts.status.source === 'vault-pending-ledger' ? 'pending' : 'confirmed';
    // Never better than the worst the vault or the ledger knows (a change pending on the ledger counts).
    const ledgerValue = facts?.ledgerRecord?.status as LicenceStatus | undefined;
    const value = ledgerValue && SEVERITY[ledgerValue] > SEVERITY[licence.status] ? ledgerValue : licence.status;
    const now = this.deps.now?.() ?? new Date();
    return {
      licenceId: licence.id,
      version: licence.version,
      type: { key: licence.typeKey, nameZh: type?.nameZh ?? licence.typeKey, nameEn: type?.nameEn ?? licence.typeKey },
      holder: { kind: licence.holder.kind, name: maskName(licence.holder.name, licence.holder.kind), id: maskIdentifier(licence.holder.id) },
      issuer: { code: licence.issuerCode, nameZh: issuer?.nameZh ?? licence.issuerCode, nameEn: issuer?.nameEn ?? licence.issuerCode },
      validFrom: licence.validFrom,
      validUntil: licence.validUntil,
      status: { value, since: lastChange, ledger, ledgerTxId: facts?.status.txId ?? null },
      successor,
      documentSha256: licence.document.sha256,
      receipt: facts?.receipt ?? null,
      verdict: headline({
        status: ledger === 'unreachable' && value === 'active' ? null : value,
        validity: { validFrom: licence.validFrom, validUntil: licence.validUntil },
        today: todayInChina(now),
        unreachable: ledger === 'unreachable',
      }),
      checkedAt: now.toISOString(),
    };
  }

  /** The newest version that replaced this one, following the chain of versions. */
  private async successorOf(id: string): Promise<{ licenceId: string } | null> {
    let current = id;
    let found: string | null = null;
    for (let i = 0; i < 99; i++) {
      const next = nextVersionId(current);
      if (!next.ok) break;
      const licence = await this.deps.licences.get(next.value);
      if (!licence) break;
      found = licence.id;
      if (licence.status !== 'superseded') break;
      current = licence.id;
    }
    return found ? { licenceId: found } : null;
  }
}

function notFound(): DomainError {
  return DomainError.notFound('LICENCE_NOT_FOUND', 'no licence with this number and verification code');
}
