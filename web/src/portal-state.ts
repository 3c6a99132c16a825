/**
 * What the portal holds about the person signed in: the session (in sessionStorage, this tab only) and
 * the answers loaded for them. `forgetEverything` is the one place sign-out empties it all, so the next
 * person at a shared counter finds nothing of the previous one.
 */
import { currentLang, departmentLabel, loadDepartments } from './common.ts';
import type { ApiOptions } from './common.ts';

/** Every key the portal keeps in sessionStorage; the language choice (localStorage) is not personal. */
const KEYS = {
  token: 'licence-vault.idToken',
  subject: 'licence-vault.subject',
  actingFor: 'licence-vault.actingFor',
  kind: 'licence-vault.holderKind',
  name: 'licence-vault.holderName',
  /** A link opened before sign-in (#consent-request=…), kept across an identity provider's redirect. */
  pendingRoute: 'licence-vault.pendingRoute',
} as const;

export interface TypeField { name: string; labelZh: string; labelEn: string; required: boolean; disclosable: boolean }
export interface LicenceType { key: string; nameZh: string; nameEn: string; issuer: string; holderKind: string; sharingClass: string; fields: TypeField[]; schema?: { properties?: Record<string, { format?: string; enum?: string[]; maxLength?: number }> } }
export interface Licence { id: string; type: string; issuer: string; status: 'active' | 'suspended' | 'revoked' | 'superseded'; validFrom: string; validUntil: string | null; version: number; previousId: string | null; issuedAt: string; holder: { kind: string; id: string; name: string }; fields: Record<string, unknown>; document: { sha256: string; size: number } }
export interface Consent { id: string; status: 'ACTIVE' | 'REVOKED' | 'EXPIRED' | 'EXHAUSTED'; requester: string; purpose: { code: string; text: string }; licenceTypes: string[]; fields: string[]; allowDocument: boolean; validUntil: string; maxUses: number; uses: number; createdAt: string; grantedByAgent: string | null }
export interface Appointment { id: string; status: string; agentId: string; agentName: string | null; scopes: string[]; validUntil: string }
export interface Named { code: string; nameZh: string; nameEn: string }
export interface AccessDescription { requester: Named; serviceItem: Named; licences: Array<{ id: string; typeKey: string | null; typeNameZh: string; typeNameEn: string }>; fields: Array<{ name: string; labelZh: string; labelEn: string }>; basis: { kind: string; zh: string; en: string }; outcome: { allowed: boolean; zh: string; en: string } }
export interface AccessItem { record: { id: string; at: string; requester: string; officialId: string; caseNumber: string; serviceItem: string; basisKind: string; result: 'ALLOWED' | 'REFUSED'; reasonCode: string; licenceIds: string[]; fields: string[] }; described: AccessDescription; receipt: unknown }
export interface Notification { id: string; kind: 'access' | 'expiring' | 'consent-request'; at: string; unread: boolean; zh: string; en: string; subject: { licenceId?: string; accessId?: string; consentRequestId?: string } }
export interface ConsentRequest { id: string; status: 'pending' | 'approved' | 'declined' | 'expired'; requester: Named; serviceItem: Named; licenceTypes: Array<{ key: string; nameZh: string; nameEn: string }>; fields: Array<{ name: string; labelZh: string; labelEn: string }>; allowDocument: boolean; consentValidUntil: string; maxUses: number; caseNumber: string | null; createdAt: string; expiresAt: string; consentId: string | null }
export interface Correction { id: string; licenceId: string; issuer: string; fields: Record<string, unknown>; reason: string; evidence: { fileName: string } | null; status: 'pending' | 'approved' | 'rejected'; decisionReason: string | null; successorId: string | null; createdAt: string; deadline: string; decidedAt: string | null; overdue: boolean }
export interface ServiceItem { code: string; nameZh: string; nameEn: string; department: string; licenceTypes: string[]; fields: string[] }

const PUBLIC_KEYS = new Set(['licence-vault.lang', 'licence-vault.trust', 'licence-vault.jwks', 'licence-vault.names']);

/** Public catalogues: the same for everyone, kept across sign-outs. */
export const catalogue = { types: [] as LicenceType[], serviceItems: [] as ServiceItem[] };

/** The signed-in person's data. null: the agent's appointment does not cover it. */
export interface HolderData {
  licences: Licence[] | null;
  consents: Consent[] | null;
  accesses: AccessItem[] | null;
  corrections: Correction[] | null;
  notifications: { unread: number; items: Notification[] } | null;
  waiting: ConsentRequest[];
  agents: Appointment[];
}

const empty = (): HolderData => ({ licences: [], consents: [], accesses: [], corrections: [], notifications: { unread: 0, items: [] }, waiting: [], agents: [] });
export let data: HolderData = empty();

export function setData(next: Partial<HolderData>): void {
  data = { ...data, ...next };
}

export const session = {
  token: (): string | null => sessionStorage.getItem(KEYS.token),
  subject: (): string => sessionStorage.getItem(KEYS.subject) ?? '',
  actingFor: (): string | null => sessionStorage.getItem(KEYS.actingFor),
  holderKind: (): string | null => (sessionStorage.getItem(KEYS.actingFor) ? 'organisation' : sessionStorage.getItem(KEYS.kind)),
  /** A company signed in as itself (not through an agent) manages its agents. */
  isCompanyItself: (): boolean => !sessionStorage.getItem(KEYS.actingFor) && sessionStorage.getItem(KEYS.kind) === 'organisation',
  start(answer: { id_token: string; subject: string; holder_kind: string }, actingFor: string): void {
    sessionStorage.setItem(KEYS.token, answer.id_token);
    sessionStorage.setItem(KEYS.subject, answer.subject);
    sessionStorage.setItem(KEYS.kind, answer.holder_kind);
    if (actingFor) sessionStorage.setItem(KEYS.actingFor, actingFor);
    else sessionStorage.removeItem(KEYS.actingFor);
  },
  /** The token went stale: keep nothing that lets the page act, but the route a link asked for. */
  expire(): void {
    sessionStorage.removeItem(KEYS.token);
  },
  keepRoute(route: string): void {
    sessionStorage.setItem(KEYS.pendingRoute, route);
  },
  takeRoute(): string | null {
    const route = sessionStorage.getItem(KEYS.pendingRoute);
    sessionStorage.removeItem(KEYS.pendingRoute);
    return route;
  },
};

/** The credentials of every holder call: the token, and the company when acting for one. */
export const auth = (): ApiOptions => ({ token: session.token(), actingFor: session.actingFor() });

/** Sign-out: every key the portal owns, and every answer held in memory. */
export function forgetEverything(): void {
  for (const key of Object.values(KEYS)) sessionStorage.removeItem(key);
  // Anything else of ours in either store (an older page version's keys) goes too. What stays is public and
  // the same for everyone: the language and the verification page's trust anchors, keys and names.
  for (const store of [sessionStorage, localStorage]) {
    for (const key of Object.keys(store)) if (key.startsWith('licence-vault.') && !PUBLIC_KEYS.has(key)) store.removeItem(key);
  }
  data = empty();
}

const en = () => currentLang() === 'en';
export const nameOf = (x: { nameZh: string; nameEn: string }): string => (en() ? x.nameEn : x.nameZh);
export const labelOf = (x: { labelZh: string; labelEn: string }): string => (en() ? x.labelEn : x.labelZh);

export function typeOf(key: string): LicenceType | undefined {
  return catalogue.types.find((x) => x.key === key);
}

export function typeName(key: string): string {
  const type = typeOf(key);
  return type ? nameOf(type) : key;
}

/** A field's label, from the given type first, else from any type that has it. */
export function fieldLabel(name: string, typeKey?: string): string {
  const own = typeKey ? typeOf(typeKey)?.fields.find((f) => f.name === name) : undefined;
  const any = own ?? catalogue.types.flatMap((x) => x.fields).find((f) => f.name === name);
  if (name === 'holderName') return en() ? "Holder's name" : '持证人姓名或名称';
  return any ? labelOf(any) : name;
}

/** A department by name only (the portal speaks to people: no codes beside names). */
export function departmentOnly(code: string): string {
  return departmentLabel(code);
}

export function serviceItemName(code: string, fallback?: string): string {
  const item = catalogue.serviceItems.find((x) => x.code === code);
  return item ? nameOf(item) : fallback ?? code;
}

export { loadDepartments };
