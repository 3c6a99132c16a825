/**
 * What the verification page knows, and how it learns it: the public licence card for a number and its
 * verification code, a PDF checked here with the one verifier the CLI and the API use, and a 亮证
 * presentation checked offline against the keys kept from an earlier visit. Each ends in an `Outcome`: one
 * headline from `headline()` (src/verify/verdict.ts — the page never decides a verdict itself), the licence
 * as the public may see it, and why, for the sentence under the headline. No DOM here.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { consistencyProofSpan, headline, presentationTokenFrom, todayInChina, verifyLicence, verifyPresentation } from '../../src/verify/index.ts';
import type { Headline, LedgerFacts, PresentationCheck, PresentationNames, PublicJwk, Receipt, TrustPolicy, VerdictFacts, VerificationReport } from '../../src/verify/index.ts';
import { readLicenceMetadata } from '../../src/verify/pdf-metadata.ts';
import { ApiError, api, apiJson } from './common.ts';

export type LicenceStatus = 'active' | 'suspended' | 'revoked' | 'superseded';

/** The public licence card (openapi.yaml, LicenceCard). */
export interface LicenceCard {
  licenceId: string;
  version: number;
  type: { key: string; nameZh: string; nameEn: string };
  holder: { kind: 'person' | 'organisation'; name: string; id: string };
  issuer: { code: string; nameZh: string; nameEn: string };
  validFrom: string;
  validUntil: string | null;
  status: { value: LicenceStatus; since: string | null; ledger: 'confirmed' | 'pending' | 'unreachable'; ledgerTxId: string | null };
  successor: { licenceId: string } | null;
  documentSha256: string;
  receipt: Receipt | null;
  verdict: Headline;
  checkedAt: string;
}

/** The licence as the page shows it, from a card or from a presentation's claims. */
export interface LicenceView {
  licenceId: string;
  version: number | null;
  type: { nameZh: string; nameEn: string };
  holder: { kind: 'person' | 'organisation'; name: string; id: string };
  issuer: { code: string; nameZh: string; nameEn: string };
  validFrom: string;
  validUntil: string | null;
  status: { value: LicenceStatus; since: string | null } | null;
  successor: string | null;
  /** Extra fields the holder chose to show (presentations only). */
  fields: Array<{ labelZh: string; labelEn: string; value: string }>;
}

/** Which sentence explains the headline (keys of verify-text.ts, `why.*`). */
export type Why =
  | 'valid.card' | 'valid.file' | 'valid.presentation'
  | 'revoked' | 'suspended' | 'expired' | 'not-yet-valid' | 'superseded'
  | 'notFound.code' | 'notFound.invalidId' | 'notFound.file'
  | 'tampered.altered' | 'tampered.otherLicence' | 'tampered.notThis' | 'tampered.notLicenceFile'
  | 'untrusted-issuer' | 'unreachable' | 'notRecorded' | 'rateLimited';

export type Refusal = Exclude<PresentationCheck, { ok: true }>['reason'];

export interface Outcome {
  source: 'code' | 'file' | 'presentation';
  /** Null only for a refused presentation (expired, not genuine): there is no licence to judge. */
  headline: Headline | null;
  refusal: Refusal | null;
  why: Why | null;
  /** Values for the sentence: {id}, {other}, {scanned}. */
  vars: Record<string, string>;
  licence: LicenceView | null;
  presentation: { purpose: string | null; issuedAt: Date; expiresAt: Date; jti: string; rechecked: Date | null } | null;
  technical: {
    report?: VerificationReport;
    fileSha256?: string;
    card?: Pick<LicenceCard, 'documentSha256' | 'status' | 'version'>;
    receiptFrom?: 'service' | 'file' | null;
    presentationDetail?: string;
    checkedAt: Date;
  };
}

// --- trust material and keys, kept for offline use ---------------------------------------------------

const TRUST_KEY = 'licence-vault.trust';
const JWKS_KEY = 'licence-vault.jwks';
const NAMES_KEY = 'licence-vault.names';

function remembered<T>(key: string): T | null {
  try {
    const text = localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

function pemToDer(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    const bin = atob((m[1] ?? '').replace(/\s+/g, ''));
    out.push(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  }
  return out;
}

let trustLoading: Promise<TrustPolicy | null> | null = null;

/**
 * The issuer CA and the log's verifier key: fetched once per page, kept in localStorage so a PDF and its
 * receipt can still be checked without a network. The log origin is the vkey's name (C2SP signed-note).
 */
export function loadTrust(): Promise<TrustPolicy | null> {
  trustLoading ??= (async () => {
    let stored = remembered<{ pem: string; vkey: string }>(TRUST_KEY);
    try {
      const [pem, vkey] = await Promise.all([
        api('GET', '/pki/issuer-ca.pem').then((r) => r.text()),
        api('GET', '/transparency/vkey').then((r) => r.text()),
      ]);
      stored = { pem, vkey: vkey.trim() };
      localStorage.setItem(TRUST_KEY, JSON.stringify(stored));
    } catch {
      trustLoading = null; // try the network again next time
    }
    if (!stored) return null;
    return { issuerCaCertsDer: pemToDer(stored.pem), checkpointVkey: stored.vkey, logOrigin: stored.vkey.split('+')[0] ?? '' };
  })();
  return trustLoading;
}

let jwks: PublicJwk[] = remembered<{ keys: PublicJwk[] }>(JWKS_KEY)?.keys ?? [];

let keysLoading: Promise<boolean> | null = null;

/** The names of licence types, their fields and departments: a presentation carries only codes. */
let names: PresentationNames | undefined = remembered<PresentationNames>(NAMES_KEY) ?? undefined;

/**
 * The service's published keys (presentations are signed with one) and the public catalogue's names:
 * fetched at page load and kept, so a 亮证 code verifies and reads in words without the network.
 */
export function refreshKeys(): Promise<boolean> {
  keysLoading ??= Promise.all([
    apiJson<{ keys: PublicJwk[] }>('GET', '/.well-known/jwks.json'),
    apiJson<{ items: PresentationNames['types'] }>('GET', '/licence-types').catch(() => null),
    apiJson<{ items: PresentationNames['departments'] }>('GET', '/departments').catch(() => null),
  ])
    .then(([set, types, departments]) => {
      jwks = set.keys;
      localStorage.setItem(JWKS_KEY, JSON.stringify({ keys: set.keys }));
      if (types && departments) {
        names = {
          types: types.items.map((t) => ({ code: t.code, key: t.key, nameZh: t.nameZh, nameEn: t.nameEn, fields: t.fields.map((f) => ({ name: f.name, labelZh: f.labelZh, labelEn: f.labelEn })) })),
          departments: departments.items.map((d) => ({ code: d.code, nameZh: d.nameZh, nameEn: d.nameEn })),
        };
        localStorage.setItem(NAMES_KEY, JSON.stringify(names));
      }
      return true;
    })
    .catch(() => false)
    .finally(() => { keysLoading = null; });
  return keysLoading;
}

// --- helpers -----------------------------------------------------------------------------------------

const today = () => todayInChina();

function viewOfCard(card: LicenceCard): LicenceView {
  return {
    licenceId: card.licenceId,
    version: card.version,
    type: card.type,
    holder: card.holder,
    issuer: card.issuer,
    validFrom: card.validFrom,
    validUntil: card.validUntil,
    status: { value: card.status.value, since: card.status.since },
    successor: card.successor?.licenceId ?? null,
    fields: [],
  };
}

/** The sentence for a headline when nothing special explains it. */
function whyOf(h: Headline, source: Outcome['source']): Why {
  switch (h.verdict) {
    case 'valid': return source === 'code' ? 'valid.card' : source === 'file' ? 'valid.file' : 'valid.presentation';
    case 'revoked': case 'suspended': case 'expired': case 'not-yet-valid': case 'superseded': case 'untrusted-issuer': return h.verdict;
    case 'not-found': return source === 'file' ? 'notFound.file' : 'notFound.code';
    case 'tampered': return 'tampered.altered';
    case 'could-not-check': return h.because.includes('UNREACHABLE') ? 'unreachable' : 'notRecorded';
  }
}

function outcome(source: Outcome['source'], h: Headline, parts: Partial<Outcome> = {}): Outcome {
  return { source, headline: h, refusal: null, why: whyOf(h, source), vars: {}, licence: null, presentation: null, technical: { checkedAt: new Date() }, ...parts };
}

/** An answer that is not a card: not found, a malformed number, too many requests, no network. */
function failure(source: Outcome['source'], error: unknown, vars: Record<string, string> = {}): Outcome {
  if (error instanceof ApiError && error.status === 404) return outcome(source, headline({ notFound: true, today: today() }), { vars });
  if (error instanceof ApiError && error.code === 'LICENCE_ID_INVALID') return outcome(source, headline({ notFound: true, today: today() }), { why: 'notFound.invalidId', vars });
  // Any other malformed request (a code the service cannot read, say) finds no licence either.
  if (error instanceof ApiError && error.status === 400) return outcome(source, headline({ notFound: true, today: today() }), { vars });
  const h = headline({ unreachable: true, status: null, today: today() });
  return outcome(source, h, { why: error instanceof ApiError && error.status === 429 ? 'rateLimited' : 'unreachable', vars });
}

/** A verification code as printed, or null when it cannot be one (16 Crockford base32 characters). */
export function canonicalCode(input: string): string | null {
  const text = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(text) ? text : null;
}

// --- 1. the card behind a licence's QR code ------------------------------------------------------------

export async function checkByCode(licenceId: string, code: string): Promise<{ outcome: Outcome; card: LicenceCard | null }> {
  try {
    const card = await apiJson<LicenceCard>('POST', '/verify/licence-card', { json: { licenceId, code } });
    const result = outcome('code', card.verdict, { licence: viewOfCard(card), vars: { id: card.successor?.licenceId ?? '' } });
    result.technical.card = card;
    return { outcome: result, card };
  } catch (error) {
    return { outcome: failure('code', error, { id: licenceId }), card: null };
  }
}

// --- 2. a PDF, checked here -----------------------------------------------------------------------------

async function cardForDocument(sha: string, meta: { licenceId: string; verificationCode: string } | null): Promise<{ card: LicenceCard | null; unreachable: boolean }> {
  try {
    return { card: await apiJson<LicenceCard>('GET', `/verify/documents/${sha}`), unreachable: false };
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) return { card: null, unreachable: true };
  }
  // Not this exact file: the file's own metadata still names its licence, so a changed copy is recognised
  // (and judged tampered by its hash), not mistaken for an unknown one.
  if (!meta) return { card: null, unreachable: false };
  try {
    return { card: await apiJson<LicenceCard>('POST', '/verify/licence-card', { json: { licenceId: meta.licenceId, code: meta.verificationCode } }), unreachable: false };
  } catch (error) {
    return { card: null, unreachable: !(error instanceof ApiError && (error.status === 404 || error.status === 400)) };
  }
}

async function ledgerFactsFor(licenceId: string, receipt: Receipt | null): Promise<LedgerFacts | null> {
  try {
    const facts = await apiJson<LedgerFacts>('GET', `/ledger/facts?licenceId=${encodeURIComponent(licenceId)}`);
    // A later anchor: the log's proof that the receipt's tree is its prefix (checked, not trusted).
    const span = consistencyProofSpan((receipt as { treeSize?: unknown } | null)?.treeSize, facts.anchoredCheckpoint);
    if (span) facts.consistencyProof = (await apiJson<{ proof: string[] }>('GET', `/transparency/consistency?first=${span.first}&second=${span.second}`)).proof;
    return facts;
  } catch {
    return null;
  }
}

/**
 * A PDF (and, for the offline path, its receipt) checked in this browser. `scanned`: the licence whose QR
 * code or verification code was checked just before, which this file must belong to.
 */
export async function checkFile(pdf: Uint8Array, receiptText: string | null, scanned: { licenceId: string } | null): Promise<Outcome> {
  const fileSha256 = bytesToHex(sha256(pdf));
  const meta = readLicenceMetadata(pdf);
  let receiptFile: Receipt | null = null;
  if (receiptText !== null) {
    try {
      receiptFile = JSON.parse(receiptText) as Receipt;
    } catch {
      receiptFile = {} as Receipt; // not JSON: the verifier reports RECEIPT_MALFORMED
    }
  }
  const [{ card, unreachable: lookupFailed }, trust] = await Promise.all([cardForDocument(fileSha256, meta), loadTrust()]);
  const receipt = receiptFile ?? card?.receipt ?? null;
  const licenceId = card?.licenceId ?? (receiptFile as { licenceId?: unknown } | null)?.licenceId ?? meta?.licenceId;
  const facts = typeof licenceId === 'string' && !lookupFailed ? await ledgerFactsFor(licenceId, receipt) : null;
  const report = await verifyLicence(pdf, receipt, trust ?? { issuerCaCertsDer: [], checkpointVkey: '', logOrigin: '' }, facts);

  let why: Why | null = null;
  const vars: Record<string, string> = { scanned: scanned?.licenceId ?? '' };
  let documentMismatch = false;
  const claimed = card?.licenceId ?? meta?.licenceId ?? null;
  if (scanned && claimed && claimed !== scanned.licenceId) {
    documentMismatch = true;
    why = 'tampered.otherLicence';
    vars.other = claimed;
  } else if (card && card.documentSha256 !== fileSha256) {
    documentMismatch = true; // the licence's registered file is another one: this copy was changed
    why = 'tampered.altered';
  } else if (scanned && !card && !lookupFailed) {
    documentMismatch = true;
    why = 'tampered.notThis';
  }
  const signature = report.checks.find((c) => c.check === 'signature');
  if (!why && signature?.ok === false && signature.code === 'PDF_MALFORMED') why = 'tampered.notLicenceFile';

  const facts_: VerdictFacts = {
    report,
    notFound: !card && !lookupFailed && !receiptFile,
    documentMismatch,
    status: card ? (card.status.ledger === 'unreachable' && card.status.value === 'active' ? null : card.status.value) : undefined,
    validity: card ? { validFrom: card.validFrom, validUntil: card.validUntil } : null,
    unreachable: lookupFailed || (typeof licenceId === 'string' && facts === null) || card?.status.ledger === 'unreachable' || !trust,
    today: today(),
  };
  const h = headline(facts_);
  const result = outcome('file', h, { licence: card ? viewOfCard(card) : null, vars: { ...vars, id: card?.successor?.licenceId ?? '' } });
  if (h.verdict === 'tampered' && why) result.why = why;
  result.technical = {
    report,
    fileSha256,
    ...(card ? { card } : {}),
    receiptFrom: receiptFile ? 'file' : card?.receipt ? 'service' : null,
    checkedAt: new Date(),
  };
  return result;
}

// --- 3. a 亮证 presentation, checked offline ---------------------------------------------------------

export { presentationTokenFrom };

const SEVERITY: Record<LicenceStatus, number> = { revoked: 3, suspended: 2, superseded: 1, active: 0 };

function asStatus(value: string): LicenceStatus | null {
  return value === 'active' || value === 'suspended' || value === 'revoked' || value === 'superseded' ? value : null;
}

/** Verifies the token with the keys at hand (no network needed), then, when online, asks for fresh keys once if the key is unknown. */
export async function checkPresentation(token: string): Promise<Outcome> {
  if (!names && keysLoading) await keysLoading; // a first visit: the names are on their way
  let check = verifyPresentation(token, jwks, new Date(), names);
  if (!check.ok && check.reason === 'UNKNOWN_KEY' && (await refreshKeys())) check = verifyPresentation(token, jwks, new Date(), names);
  if (!check.ok) {
    // A key we do not have, with no way to fetch it, says nothing about the code: "could not check".
    const offlineUnknown = check.reason === 'UNKNOWN_KEY' && jwks.length === 0;
    return {
      source: 'presentation', headline: null, refusal: offlineUnknown ? 'UNKNOWN_KEY' : check.reason === 'UNKNOWN_KEY' ? 'SIGNATURE_INVALID' : check.reason, why: null, vars: {},
      licence: null, presentation: null, technical: { presentationDetail: check.detail, checkedAt: new Date() },
    };
  }
  const { claims } = check;
  const l = claims.licence;
  const status = asStatus(l.status);
  const view: LicenceView = {
    licenceId: l.id, version: l.version, type: l.type, holder: l.holder, issuer: l.issuer, validFrom: l.validFrom, validUntil: l.validUntil,
    status: status ? { value: status, since: null } : null, successor: null, fields: l.fields,
  };
  const h = headline({ status, validity: { validFrom: l.validFrom, validUntil: l.validUntil }, today: today() });
  return outcome('presentation', h, {
    licence: view,
    presentation: { purpose: claims.purpose, issuedAt: new Date(claims.iat * 1000), expiresAt: check.expiresAt, jti: claims.jti, rechecked: null },
    technical: { presentationDetail: 'EdDSA (Ed25519): the signature verifies with a key published at /.well-known/jwks.json', checkedAt: new Date() },
  });
}

/**
 * The status now, from the ledger, for a presentation checked offline: the worse of what the code says
 * and what the ledger holds (a change the ledger does not hold yet was signed into the code). Null offline.
 */
export async function recheckPresentation(o: Outcome): Promise<Outcome | null> {
  if (!o.licence || !o.presentation) return null;
  let facts: LedgerFacts;
  try {
    facts = await apiJson<LedgerFacts>('GET', `/ledger/facts?licenceId=${encodeURIComponent(o.licence.licenceId)}`);
  } catch {
    return null;
  }
  const signed = o.licence.status;
  const onLedger = facts.licenceStatus;
  const status = onLedger && (!signed || SEVERITY[onLedger.status] > SEVERITY[signed.value]) ? { value: onLedger.status, since: onLedger.changedAt } : signed;
  const h = headline({ status: status?.value ?? null, validity: { validFrom: o.licence.validFrom, validUntil: o.licence.validUntil }, today: today() });
  return { ...o, headline: h, why: whyOf(h, 'presentation'), licence: { ...o.licence, status }, presentation: { ...o.presentation, rechecked: new Date() } };
}
