/**
 * Consents: the normal way in is a department's request (the window raises it, the citizen opens its link
 * or QR code and confirms): shown in plain words — who asks, for which service item, which licences and
 * fields, until when, how many times, the case number — and approved or declined. The holder's consents
 * are listed by name, and withdrawn only after a confirmation. Granting one by hand stays as an expert path,
 * picking the service item from the catalogue (a code typed by hand only as a last resort).
 */
import { apiJson, byId, currentLang, departmentsWithRole, el, formatDate, formatTime, setStatus, t } from './common.ts';
import { confirmDialog } from './confirm-dialog.ts';
import { auth, catalogue, data, departmentOnly, fieldLabel, labelOf, nameOf, serviceItemName, session, typeName } from './portal-state.ts';
import type { Consent, ConsentRequest } from './portal-state.ts';
import { emptyNote, facts, handle, pill, statusBox } from './portal-ui.ts';

export interface ConsentActions { reload(): Promise<void>; openRequest(id: string): void; showConsents(): void }

const CONSENT_PILL: Record<Consent['status'], 'good' | 'bad' | 'plain'> = { ACTIVE: 'good', REVOKED: 'plain', EXPIRED: 'plain', EXHAUSTED: 'plain' };

/** The service item a consent is for, by name (its code only when the catalogue does not know it). */
function purposeName(c: Consent): string {
  return serviceItemName(c.purpose.code, c.purpose.text);
}

async function withdraw(c: Consent, actions: ConsentActions): Promise<void> {
  const who = () => departmentOnly(c.requester);
  const { confirmed } = await confirmDialog({
    title: () => t('withdrawTitle'),
    body: [() => t('withdrawQuestion', { who: who(), item: purposeName(c) }), () => t('withdrawConsequence', { who: who() })],
    confirm: () => t('withdrawConfirm'),
    cancel: () => t('withdrawCancel'),
    danger: true,
  });
  if (!confirmed) return;
  await handle('consents-status', async () => {
    await apiJson('POST', `/me/consents/${encodeURIComponent(c.id)}/withdrawal`, auth());
    await actions.reload();
    setStatus(byId('consents-status'), () => t('withdrawn', { who: departmentOnly(c.requester) }), 'ok');
  });
}

function consentCard(c: Consent, actions: ConsentActions): HTMLElement {
  const who = departmentOnly(c.requester);
  const card = el('article', { class: 'item-card', 'data-consent': c.id, 'data-status': c.status },
    el('div', { class: 'lic-head' }, el('h3', {}, who), pill(t(`consent.${c.status}`), CONSENT_PILL[c.status])),
    el('p', { class: 'purpose-line' }, t('consentFor', { item: purposeName(c) })),
    facts([
      [t('licenceTypes'), c.licenceTypes.map(typeName).join(t('listSep'))],
      [t('fieldsSeen'), c.fields.length ? c.fields.map((f) => fieldLabel(f, c.licenceTypes[0])).join(t('listSep')) : t('noFieldsOnlyValidity')],
      [t('pdfAllowed'), c.allowDocument ? t('yes') : t('no')],
      [t('usesLabel'), t('usesOf', { uses: c.uses, max: c.maxUses })],
      [t('validUntil'), formatDate(c.validUntil)],
      c.grantedByAgent ? [t('grantedByLabel'), t('grantedByAgent', { id: c.grantedByAgent })] : ['', null],
    ]),
  );
  if (c.status === 'ACTIVE') {
    const button = el('button', { type: 'button', class: 'secondary danger-text' }, t('withdraw'));
    button.addEventListener('click', () => void withdraw(c, actions));
    card.append(el('div', { class: 'lic-actions' }, button));
  }
  return card;
}

export function renderConsents(actions: ConsentActions): void {
  const box = byId('consents');
  byId('expert-consent').hidden = data.consents === null;
  if (data.consents === null) return box.replaceChildren(emptyNote('notInScope'));
  if (data.consents.length === 0) return box.replaceChildren(emptyNote('noConsents'));
  const active = data.consents.filter((c) => c.status === 'ACTIVE');
  const ended = data.consents.filter((c) => c.status !== 'ACTIVE');
  box.replaceChildren(
    ...(active.length ? active.map((c) => consentCard(c, actions)) : [emptyNote('noActiveConsents')]),
    ...(ended.length ? [el('h3', { class: 'group-title' }, t('endedConsents')), ...ended.map((c) => consentCard(c, actions))] : []),
  );
}

/* --- requests raised by a department ------------------------------------------------------------------ */

let opened: { id: string; request: ConsentRequest | null } | null = null;

export function forgetConsentRequest(): void {
  opened = null;
}

/** The requests waiting for an answer, on top of the licences and consents views. */
export function renderWaiting(actions: ConsentActions): void {
  const box = byId('waiting-requests');
  const waiting = data.waiting.filter((r) => r.status === 'pending');
  box.hidden = waiting.length === 0;
  box.replaceChildren(...waiting.map((r) => {
    const open = el('button', { type: 'button' }, t('reviewRequest'));
    open.addEventListener('click', () => actions.openRequest(r.id));
    return el('div', { class: 'waiting', 'data-request': r.id }, el('p', {}, t('waitingLine', { who: nameOf(r.requester), item: nameOf(r.serviceItem) })), open);
  }));
}

function requestWords(r: ConsentRequest): HTMLElement[] {
  const who = nameOf(r.requester);
  const types = r.licenceTypes.map(nameOf).join(t('listSep'));
  return [
    el('p', { class: 'request-lead' }, r.caseNumber ? t('requestLeadCase', { who, item: nameOf(r.serviceItem), types, caseNumber: r.caseNumber }) : t('requestLead', { who, item: nameOf(r.serviceItem), types })),
    r.fields.length ? el('ul', { class: 'request-fields' }, ...r.fields.map((f) => el('li', {}, labelOf(f)))) : el('p', {}, t('requestNoFields')),
    facts([
      [t('requester'), who],
      [t('serviceItem'), nameOf(r.serviceItem)],
      [t('licenceTypes'), types],
      [t('caseNumber'), r.caseNumber ?? ''],
      [t('consentLasts'), t('consentLastsUntil', { date: formatDate(r.consentValidUntil) })],
      [t('usesLabel'), t('atMostUses', { n: r.maxUses })],
      [t('pdfAllowed'), r.allowDocument ? t('requestPdfYes') : t('requestPdfNo')],
    ], 'facts request-facts'),
    el('p', { class: 'small muted' }, t('requestWithdrawAnyTime')),
  ];
}

async function approve(r: ConsentRequest, actions: ConsentActions): Promise<void> {
  await handle('request-status', async () => {
    const answer = await apiJson<{ request: ConsentRequest }>('POST', `/me/consent-requests/${encodeURIComponent(r.id)}/approval`, auth());
    if (opened?.id === r.id) opened.request = answer.request;
    await actions.reload();
    setStatus(byId('request-status'), () => t('requestApproved', { who: nameOf(r.requester) }), 'ok');
  });
}

async function decline(r: ConsentRequest, actions: ConsentActions): Promise<void> {
  const { confirmed, reason } = await confirmDialog({
    title: () => t('declineTitle'),
    body: [() => t('declineQuestion', { who: nameOf(r.requester), item: nameOf(r.serviceItem) })],
    confirm: () => t('declineConfirm'),
    cancel: () => t('declineCancel'),
    reason: { label: () => t('declineReason'), maxLength: 200 },
  });
  if (!confirmed) return;
  await handle('request-status', async () => {
    const answer = await apiJson<ConsentRequest>('POST', `/me/consent-requests/${encodeURIComponent(r.id)}/decline`, { ...auth(), json: reason ? { reason } : {} });
    if (opened?.id === r.id) opened.request = answer;
    await actions.reload();
    setStatus(byId('request-status'), () => t('requestDeclined'), 'ok');
  });
}

export function renderConsentRequest(actions: ConsentActions): void {
  const box = byId('consent-request');
  const back = el('button', { type: 'button', class: 'link-button' }, t('toConsents'));
  back.addEventListener('click', actions.showConsents);
  const status = document.getElementById('request-status') ?? statusBox('request-status');
  if (!opened) return box.replaceChildren(back);
  const r = opened.request;
  if (!r) return box.replaceChildren(el('p', { class: 'muted' }, t('loading')), status);
  const parts: Array<Node> = [el('h2', { id: 'request-title', tabindex: '-1' }, t('requestTitle', { who: nameOf(r.requester) })), ...requestWords(r)];
  if (r.status === 'pending') {
    const yes = el('button', { type: 'button', id: 'approve-request' }, t('approveRequest'));
    yes.addEventListener('click', () => void approve(r, actions));
    const no = el('button', { type: 'button', class: 'secondary', id: 'decline-request' }, t('declineRequest'));
    no.addEventListener('click', () => void decline(r, actions));
    parts.push(el('p', { class: 'small' }, t('answerBy', { time: formatTime(r.expiresAt) })), el('div', { class: 'detail-actions' }, yes, no));
  } else {
    parts.push(el('p', { class: 'request-state' }, pill(t(`request.${r.status}`), r.status === 'approved' ? 'good' : 'plain')));
  }
  box.replaceChildren(el('article', { class: 'request-sheet', 'data-request': r.id, 'data-status': r.status }, ...parts), status, back);
}

export async function openConsentRequest(id: string, actions: ConsentActions): Promise<void> {
  opened = { id, request: null };
  renderConsentRequest(actions);
  await handle('request-status', async () => {
    const request = await apiJson<ConsentRequest>('GET', `/me/consent-requests/${encodeURIComponent(id)}`, auth());
    if (opened?.id === id) opened.request = request;
  });
  renderConsentRequest(actions);
}

/* --- the expert path: granting a consent by hand -------------------------------------------------------- */

const MANUAL = '__manual';

/** The form's choices, kept across redraws (a language switch) and dropped at sign-out. */
export function renderExpertForm(): void {
  const select = byId<HTMLSelectElement>('consent-item');
  const chosen = select.value;
  const groups = new Map<string, HTMLOptGroupElement>();
  for (const item of catalogue.serviceItems) {
    const group = groups.get(item.department) ?? el('optgroup', { label: departmentOnly(item.department) });
    group.append(el('option', { value: item.code }, nameOf(item)));
    groups.set(item.department, group);
  }
  select.replaceChildren(el('option', { value: '' }, t('pickServiceItem')), ...groups.values(), el('option', { value: MANUAL }, t('manualItem')));
  select.value = chosen;
  const manual = select.value === MANUAL;
  byId('manual-item').hidden = !manual;
  const requester = byId<HTMLSelectElement>('consent-requester');
  const who = requester.value;
  requester.replaceChildren(...departmentsWithRole('requester').map((d) => el('option', { value: d.code }, currentLang() === 'en' ? d.nameEn : d.nameZh)));
  if (who) requester.value = who;
  renderTypeChoices();
}

function chosenItem() {
  return catalogue.serviceItems.find((x) => x.code === byId<HTMLSelectElement>('consent-item').value);
}

function renderTypeChoices(): void {
  const item = chosenItem();
  const manual = byId<HTMLSelectElement>('consent-item').value === MANUAL;
  const box = byId('consent-types');
  const ticked = new Set([...box.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
  const kind = session.holderKind();
  const offered = item ? catalogue.types.filter((x) => item.licenceTypes.includes(x.key))
    : manual ? catalogue.types.filter((x) => x.sharingClass !== 'not-shared' && (!kind || x.holderKind === kind)) : [];
  box.hidden = offered.length === 0;
  box.replaceChildren(el('legend', {}, t('licenceTypes')), ...offered.map((x) => {
    const input = el('input', { type: 'checkbox', name: 'licenceType', value: x.key, checked: item ? true : ticked.has(x.key) });
    input.addEventListener('change', renderFieldChoices);
    return el('label', { class: 'inline' }, input, nameOf(x));
  }));
  renderFieldChoices();
}

function renderFieldChoices(): void {
  const item = chosenItem();
  const box = byId('consent-fields');
  const ticked = new Set([...box.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
  const types = [...byId('consent-types').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
  const fields = new Map<string, string>();
  for (const key of types) {
    for (const f of catalogue.types.find((x) => x.key === key)?.fields ?? []) {
      if (f.disclosable && (!item || item.fields.includes(f.name))) fields.set(f.name, labelOf(f));
    }
  }
  box.hidden = types.length === 0;
  box.replaceChildren(el('legend', {}, t('fieldsSeen')), ...[...fields].map(([name, label]) =>
    el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'field', value: name, checked: item ? !box.dataset.touched || ticked.has(name) : ticked.has(name) }), label)));
}

export function wireExpertForm(actions: ConsentActions): void {
  byId('consent-item').addEventListener('change', () => {
    byId('consent-fields').dataset.touched = '';
    delete byId('consent-fields').dataset.touched;
    renderExpertForm();
  });
  byId('consent-fields').addEventListener('change', () => { byId('consent-fields').dataset.touched = '1'; });
  byId('consent-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const status = byId('consent-status');
    const item = chosenItem();
    const manual = byId<HTMLSelectElement>('consent-item').value === MANUAL;
    if (!item && !manual) return setStatus(status, () => t('pickServiceItemFirst'), 'error');
    const licenceTypes = [...byId('consent-types').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    if (licenceTypes.length === 0) return setStatus(status, () => t('pickTypeFirst'), 'error');
    const until = byId<HTMLInputElement>('consent-until').value;
    if (!until) return setStatus(status, () => t('pickUntilFirst'), 'error');
    void handle(status, async () => {
      await apiJson('POST', '/me/consents', {
        ...auth(),
        json: {
          requester: item ? item.department : byId<HTMLSelectElement>('consent-requester').value,
          purpose: item ? { code: item.code, text: item.nameZh } : { code: byId<HTMLInputElement>('consent-code').value.trim(), text: byId<HTMLInputElement>('consent-text').value.trim() },
          licenceTypes,
          fields: [...byId('consent-fields').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value),
          allowDocument: byId<HTMLInputElement>('consent-document').checked,
          validUntil: new Date(`${until}T23:59:59+08:00`).toISOString(),
          maxUses: Number(byId<HTMLInputElement>('consent-uses').value),
        },
      });
      await actions.reload();
      setStatus(status, () => t('granted'), 'ok');
    });
  });
}

/** A date input's value a month from today. */
export function inDays(days: number): string {
  return new Date(Date.now() + days * 86400_000).toISOString().slice(0, 10);
}
