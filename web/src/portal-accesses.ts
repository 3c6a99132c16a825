/**
 * Who looked at my data, in sentences (the service's `described`: the department and the service item by
 * name, the licences and fields, the basis and the outcome), filtered by department and date; the record's
 * proof only under "供专业人员核验 / For experts". And the notification feed: new accesses, licences expiring
 * within 30 days, consent requests waiting, with an unread count and "mark all as read".
 */
import { api, apiJson, byId, chinaDayBoundary, currentLang, departmentsWithRole, downloadBlob, el, formatTime, setStatus, t } from './common.ts';
import { auth, data, setData } from './portal-state.ts';
import type { AccessItem, Notification } from './portal-state.ts';
import { emptyNote, handle, pill } from './portal-ui.ts';

const en = () => currentLang() === 'en';

/** One access as a sentence: who, for what, which licence and fields, on what basis, and what came of it. */
export function accessSentence(item: AccessItem): string {
  const d = item.described;
  const who = en() ? d.requester.nameEn : d.requester.nameZh;
  const service = en() ? d.serviceItem.nameEn : d.serviceItem.nameZh;
  const licences = d.licences.map((l) => (en() ? l.typeNameEn : l.typeNameZh)).join(t('listSep')) || t('yourLicences');
  const fields = d.fields.map((f) => (en() ? f.labelEn : f.labelZh)).join(t('listSep'));
  const basis = en() ? d.basis.en : d.basis.zh;
  if (d.outcome.allowed) {
    return fields ? t('accessAllowed', { who, service, licences, fields, basis }) : t('accessAllowedNoFields', { who, service, licences, basis });
  }
  const outcome = en() ? d.outcome.en : d.outcome.zh;
  return fields ? t('accessRefused', { who, service, licences, fields, outcome }) : t('accessRefusedNoFields', { who, service, licences, outcome });
}

function accessEntry(item: AccessItem): HTMLElement {
  const r = item.record;
  const proof = el('details', { class: 'experts' }, el('summary', {}, t('forExperts')));
  proof.append(el('dl', { class: 'facts small' },
    el('dt', {}, t('recordId')), el('dd', { class: 'mono' }, r.id),
    el('dt', {}, t('officialId')), el('dd', { class: 'mono' }, r.officialId),
    el('dt', {}, t('reasonCode')), el('dd', { class: 'mono' }, r.reasonCode)));
  if (item.receipt) {
    const button = el('button', { type: 'button', class: 'secondary' }, t('downloadAccessProof'));
    button.addEventListener('click', () => downloadBlob(new Blob([JSON.stringify({ record: r, receipt: item.receipt }, null, 2)], { type: 'application/json' }), `access-${r.id}-proof.json`));
    proof.append(el('p', { class: 'small muted' }, t('accessProofExplained')), button);
  } else proof.append(el('p', { class: 'small muted' }, t('proofPending')));
  return el('li', { class: `access ${r.result === 'ALLOWED' ? 'allowed' : 'refused'}`, 'data-access': r.id },
    el('div', { class: 'access-head' }, el('span', { class: 'when' }, formatTime(r.at)), pill(t(`result.${r.result}`), r.result === 'ALLOWED' ? 'plain' : 'bad')),
    el('p', { class: 'access-sentence' }, accessSentence(item)),
    r.caseNumber ? el('p', { class: 'small muted' }, t('caseNo', { n: r.caseNumber })) : null,
    proof);
}

export function renderAccesses(): void {
  const box = byId('accesses');
  byId('access-filter').hidden = data.accesses === null;
  const select = byId<HTMLSelectElement>('access-department');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, t('allDepartments')), ...departmentsWithRole('requester').map((d) => el('option', { value: d.code }, en() ? d.nameEn : d.nameZh)));
  select.value = chosen;
  if (data.accesses === null) return box.replaceChildren(emptyNote('notInScope'));
  if (data.accesses.length === 0) return box.replaceChildren(emptyNote(filtersInUse() ? 'noAccessesFiltered' : 'noAccesses'));
  box.replaceChildren(el('ol', { class: 'access-list' }, ...data.accesses.map(accessEntry)));
}

function filtersInUse(): boolean {
  return Boolean(byId<HTMLSelectElement>('access-department').value || byId<HTMLInputElement>('access-from').value || byId<HTMLInputElement>('access-to').value);
}

/** The query of GET /me/accesses from the filter form (days in China). */
export function accessQuery(): string {
  const q = new URLSearchParams();
  const requester = byId<HTMLSelectElement>('access-department').value;
  const from = byId<HTMLInputElement>('access-from').value;
  const to = byId<HTMLInputElement>('access-to').value;
  if (requester) q.set('requester', requester);
  if (from) q.set('from', chinaDayBoundary(from, false));
  if (to) q.set('to', chinaDayBoundary(to, true));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function loadAccesses(): Promise<void> {
  const from = byId<HTMLInputElement>('access-from').value;
  const to = byId<HTMLInputElement>('access-to').value;
  if (from && to && from > to) return setStatus(byId('accesses-status'), () => t('fromAfterTo'), 'error');
  await handle('accesses-status', async () => {
    const answer = await apiJson<{ items: AccessItem[] }>('GET', `/me/accesses${accessQuery()}`, auth());
    setData({ accesses: answer.items });
    setStatus(byId('accesses-status'), '');
    renderAccesses();
  });
}

/* --- notifications ----------------------------------------------------------------------------------------- */

export interface NotificationActions { openLicence(id: string): void; openRequest(id: string): void; showAccesses(): void; reload(): Promise<void> }

export function renderUnread(): void {
  const unread = data.notifications?.unread ?? 0;
  for (const badge of document.querySelectorAll<HTMLElement>('.unread-count')) {
    badge.textContent = unread > 99 ? '99+' : String(unread);
    badge.hidden = unread === 0;
  }
  const bell = byId('notifications-link');
  bell.setAttribute('aria-label', unread ? t('notificationsUnread', { n: unread }) : t('notificationsTitle'));
}

function notificationEntry(n: Notification, actions: NotificationActions): HTMLElement {
  const text = en() ? n.en : n.zh;
  const go = el('button', { type: 'button', class: 'link-button' }, t(`notification.open.${n.kind}`));
  go.addEventListener('click', () => {
    if (n.kind === 'consent-request' && n.subject.consentRequestId) actions.openRequest(n.subject.consentRequestId);
    else if (n.kind === 'expiring' && n.subject.licenceId) actions.openLicence(n.subject.licenceId);
    else actions.showAccesses();
  });
  return el('li', { class: `notification ${n.unread ? 'unread' : ''}`, 'data-notification': n.id, 'data-kind': n.kind },
    el('div', { class: 'access-head' }, el('span', { class: 'when' }, formatTime(n.at)), n.unread ? pill(t('new'), 'warn') : null),
    el('p', {}, text),
    go);
}

export function renderNotifications(actions: NotificationActions): void {
  const box = byId('notifications');
  renderUnread();
  const feed = data.notifications;
  byId('mark-read').hidden = !feed || feed.unread === 0;
  if (!feed) return box.replaceChildren(emptyNote('notInScope'));
  if (feed.items.length === 0) return box.replaceChildren(emptyNote('noNotifications'));
  box.replaceChildren(el('ol', { class: 'notification-list' }, ...feed.items.map((n) => notificationEntry(n, actions))));
}

export async function markAllRead(actions: NotificationActions): Promise<void> {
  await handle('notifications-status', async () => {
    // Up to the newest item shown: anything that arrives meanwhile stays unread.
    const newest = data.notifications?.items.map((n) => n.at).sort().pop();
    await api('POST', '/me/notifications/seen', { ...auth(), json: newest ? { until: newest } : {} });
    await actions.reload();
    setStatus(byId('notifications-status'), () => t('allRead'), 'ok');
  });
}
