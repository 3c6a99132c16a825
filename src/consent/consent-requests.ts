/**
 * Department-initiated consent — the normal flow at a service window: the department raises a request
 * (a service item from the catalogue, the licence types and fields it needs, how long and how often), gets
 * a link and QR code for it, and the citizen opens it on their phone, sees in plain words who asks for what
 * and why, and approves or declines. Approval grants the consent exactly as the holder's own grant would
 * (the same checks, the same signed artefact); a request already answered, or one answered with a consent
 * that already exists on the same terms, never makes a second one.
 */
import crypto from 'node:crypto';
import type { LicenceTypeCatalogue } from '../catalogue/catalogue.ts';
import type { ServiceItemCatalogue } from '../catalogue/service-items.ts';
import type { DepartmentStore } from '../departments/department-types.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { FieldError } from '../errors/domain-error.ts';
import { identifyHolder } from '../identity/holder-id.ts';
import type { HolderPrincipal, Principal } from '../principals/principal.ts';
import { hasRole } from '../principals/principal.ts';
import type { ConsentRequest, ConsentRequestStore } from './consent-request-types.ts';
import { requestStatus } from './consent-request-types.ts';
import type { ConsentService } from './consent-service.ts';
import type { Consent } from './consent-types.ts';

/** How long a citizen has to answer a request raised at a window. */
export const CONSENT_REQUEST_ANSWER_HOURS = 24;
const MAX_CONSENT_WINDOW_MS = 366 * 24 * 3600 * 1000;

export interface CreateConsentRequest {
  holderId?: string;
  serviceItem: string;
  licenceTypes?: string[];
  fields?: string[];
  allowDocument?: boolean;
  consentValidUntil: string;
  maxUses: number;
  caseNumber?: string;
  officialId?: string;
}

/** A request as the citizen sees it: every code with its name. */
export interface ConsentRequestView {
  id: string;
  status: ReturnType<typeof requestStatus>;
  requester: { code: string; nameZh: string; nameEn: string };
  serviceItem: { code: string; nameZh: string; nameEn: string };
  licenceTypes: Array<{ key: string; nameZh: string; nameEn: string }>;
  fields: Array<{ name: string; labelZh: string; labelEn: string }>;
  allowDocument: boolean;
  consentValidUntil: string;
  maxUses: number;
  caseNumber: string | null;
  createdAt: string;
  expiresAt: string;
  consentId: string | null;
  /** The link the department shows as a QR code: the portal, opened on this request. */
  link: string;
}

export class ConsentRequests {
  constructor(private readonly deps: {
    store: ConsentRequestStore;
    consents: ConsentService;
    serviceItems: ServiceItemCatalogue;
    catalogue: LicenceTypeCatalogue;
    departments: DepartmentStore;
    publicBaseUrl: string;
    now?: () => Date;
  }) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async create(principal: Principal | null, body: CreateConsentRequest): Promise<ConsentRequestView> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'requester')) throw DomainError.forbidden('ROLE_REQUIRED', 'raising a consent request needs the requester role');
    const errors: FieldError[] = [];
    const item = this.deps.serviceItems.get(body.serviceItem);
    if (!item) errors.push({ field: 'serviceItem', message: 'is not in the service-item catalogue' });
    else if (item.department !== principal.code) errors.push({ field: 'serviceItem', message: 'belongs to another department' });
    const licenceTypes = [...new Set(body.licenceTypes ?? item?.licenceTypes ?? [])].sort();
    const fields = [...new Set(body.fields ?? item?.fields ?? [])].sort();
    // The catalogue bounds what a department may ask for under an item: never more types or fields.
    for (const key of licenceTypes) if (item && !item.licenceTypes.includes(key)) errors.push({ field: 'licenceTypes', message: `${key} is not needed for ${item.code}` });
    for (const name of fields) if (item && !item.fields.includes(name)) errors.push({ field: 'fields', message: `${name} is not needed for ${item.code}` });
    if (licenceTypes.length === 0) errors.push({ field: 'licenceTypes', message: 'name at least one licence type' });
    let holderId: string | null = null;
    if (body.holderId !== undefined) {
      const holder = identifyHolder(body.holderId);
      if (!holder) errors.push({ field: 'holderId', message: 'is not a valid resident ID number or unified social credit code' });
      else holderId = holder.holderId;
    }
    const now = this.now();
    const until = new Date(body.consentValidUntil);
    if (Number.isNaN(until.getTime()) || until <= now) errors.push({ field: 'consentValidUntil', message: 'must be a date-time in the future' });
    else if (until.getTime() - now.getTime() > MAX_CONSENT_WINDOW_MS) errors.push({ field: 'consentValidUntil', message: 'a consent lasts at most one year' });
    if (!Number.isInteger(body.maxUses) || body.maxUses < 1 || body.maxUses > 1000) errors.push({ field: 'maxUses', message: 'must be between 1 and 1000' });
    if (errors.length) throw DomainError.invalid('CONSENT_REQUEST_INVALID', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
    const request: ConsentRequest = {
      id: `cr_${crypto.randomBytes(16).toString('base64url')}`,
      requester: principal.code, holderId, serviceItem: item!.code, licenceTypes, fields,
      allowDocument: body.allowDocument ?? false, consentValidUntil: until.toISOString(), maxUses: body.maxUses,
      caseNumber: body.caseNumber ?? null, officialId: body.officialId ?? null,
      status: 'pending', consentId: null, answeredBy: null, declineReason: null,
      createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + CONSENT_REQUEST_ANSWER_HOURS * 3600_000).toISOString(), answeredAt: null,
    };
    await this.deps.store.insert(request);
    return this.view(request);
  }

  /** The department that raised it sees how it was answered; nobody else learns it exists. */
  async getForRequester(principal: Principal | null, id: string): Promise<ConsentRequestView> {
    if (!principal) throw DomainError.authenticationRequired();
    const request = await this.deps.store.get(id);
    if (!request || !hasRole(principal, 'requester') || principal.code !== request.requester) throw notFound();
    return this.view(request);
  }

  async listForRequester(principal: Principal | null): Promise<ConsentRequestView[]> {
    if (!principal) throw DomainError.authenticationRequired();
    if (!hasRole(principal, 'requester')) throw DomainError.forbidden('ROLE_REQUIRED', 'needs the requester role');
    return Promise.all((await this.deps.store.listByRequester(principal.code, 200)).map((r) => this.view(r)));
  }

  /** The request a holder opened from its link; one naming another holder does not exist for them. */
  async open(principal: Principal | null, id: string): Promise<ConsentRequestView> {
    return this.view(await this.forHolder(principal, id));
  }

  async pendingForHolder(principal: Principal | null): Promise<ConsentRequestView[]> {
    const holder = requireHolder(principal);
    return Promise.all((await this.deps.store.listPendingForHolder(holder.holderId, this.now())).map((r) => this.view(r)));
  }

  async approve(principal: Principal | null, id: string): Promise<{ request: ConsentRequestView; consent: Consent; created: boolean }> {
    const holder = requireHolder(principal);
    const request = await this.forHolder(principal, id);
    this.assertOpen(request);
    const item = this.deps.serviceItems.get(request.serviceItem);
    const terms = {
      requester: request.requester,
      purpose: { code: request.serviceItem, text: item?.nameZh ?? request.serviceItem },
      licenceTypes: request.licenceTypes, fields: request.fields, allowDocument: request.allowDocument,
      validUntil: request.consentValidUntil, maxUses: request.maxUses,
    };
    // The same consent, already given and still in force: answer with it instead of a second one.
    const existing = await this.deps.consents.findActiveEquivalent(holder.holderId, terms);
    const consent = existing ?? (await this.deps.consents.grant(principal, terms));
    const at = this.now().toISOString();
    if (!(await this.deps.store.answer(id, { status: 'approved', consentId: consent.id, answeredBy: holder.holderId, declineReason: null, at }))) {
      // Answered meanwhile (a second tap, another device): keep the first answer, undo this consent.
      if (!existing) await this.deps.consents.withdraw(principal, consent.id).catch(() => undefined);
      const answered = (await this.deps.store.get(id))!;
      if (answered.status === 'approved' && answered.consentId) return { request: await this.view(answered), consent: await this.deps.consents.get(principal, answered.consentId), created: false };
      throw DomainError.conflict('CONSENT_REQUEST_ANSWERED', 'this request was already answered');
    }
    return { request: await this.view((await this.deps.store.get(id))!), consent, created: !existing };
  }

  async decline(principal: Principal | null, id: string, reason: string | undefined): Promise<ConsentRequestView> {
    const holder = requireHolder(principal);
    const request = await this.forHolder(principal, id);
    this.assertOpen(request);
    const declineReason = reason?.trim().slice(0, 200) || null;
    if (!(await this.deps.store.answer(id, { status: 'declined', consentId: null, answeredBy: holder.holderId, declineReason, at: this.now().toISOString() }))) {
      throw DomainError.conflict('CONSENT_REQUEST_ANSWERED', 'this request was already answered');
    }
    return this.view((await this.deps.store.get(id))!);
  }

  private async forHolder(principal: Principal | null, id: string): Promise<ConsentRequest> {
    const holder = requireHolder(principal);
    const request = await this.deps.store.get(id);
    if (!request || (request.holderId !== null && request.holderId !== holder.holderId) || (request.answeredBy !== null && request.answeredBy !== holder.holderId)) throw notFound();
    return request;
  }

  private assertOpen(request: ConsentRequest): void {
    const status = requestStatus(request, this.now());
    if (status === 'expired') throw DomainError.conflict('CONSENT_REQUEST_EXPIRED', `this request could be answered until ${request.expiresAt}; ask the department for a new one`);
    if (status !== 'pending') throw DomainError.conflict('CONSENT_REQUEST_ANSWERED', `this request was already ${status}`);
  }

  private async view(r: ConsentRequest): Promise<ConsentRequestView> {
    const department = await this.deps.departments.get(r.requester);
    const item = this.deps.serviceItems.get(r.serviceItem);
    const types = r.licenceTypes.map((key) => ({ key, type: this.deps.catalogue.get(key) }));
    const labels = new Map(types.flatMap(({ type }) => type?.fields.map((f) => [f.name, f] as const) ?? []));
    return {
      id: r.id,
      status: requestStatus(r, this.now()),
      requester: { code: r.requester, nameZh: department?.nameZh ?? r.requester, nameEn: department?.nameEn ?? r.requester },
      serviceItem: { code: r.serviceItem, nameZh: item?.nameZh ?? r.serviceItem, nameEn: item?.nameEn ?? r.serviceItem },
      licenceTypes: types.map(({ key, type }) => ({ key, nameZh: type?.nameZh ?? key, nameEn: type?.nameEn ?? key })),
      fields: r.fields.map((name) => ({ name, labelZh: labels.get(name)?.labelZh ?? name, labelEn: labels.get(name)?.labelEn ?? name })),
      allowDocument: r.allowDocument, consentValidUntil: r.consentValidUntil, maxUses: r.maxUses, caseNumber: r.caseNumber,
      createdAt: r.createdAt, expiresAt: r.expiresAt, consentId: r.consentId,
      link: `${this.deps.publicBaseUrl}/app/portal.html#consent-request=${r.id}`,
    };
  }
}

function requireHolder(principal: Principal | null): HolderPrincipal {
  if (!principal) throw DomainError.authenticationRequired();
  if (principal.kind !== 'holder') throw DomainError.forbidden('HOLDER_REQUIRED', 'only the holder answers a consent request');
  return principal;
}

function notFound(): DomainError {
  return DomainError.notFound('CONSENT_REQUEST_NOT_FOUND', 'no such consent request for you');
}
