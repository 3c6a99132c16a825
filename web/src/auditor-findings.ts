/**
 * What an auditor has to look into, in words: correction requests past their department's deadline,
 * exchange alerts (a department querying many holders), anchoring alarms (the ledger and the log
 * disagree) and identifiers claimed for two holders.
 */
import { apiJson, byId, currentLang, departmentName, el, errorText, formatTime, setStatus, t } from './common.ts';
import type { LogCatalogues } from './auditor-access-log.ts';

interface Correction { id: string; licenceId: string; issuer: string; holderId: string; fields: Record<string, unknown>; createdAt: string; deadline: string; overdue: boolean }
interface Alert { id: string; requester: string; kind: string; detail: Record<string, unknown>; windowStart: string; at: string }
interface Alarm { origin: string; kind: 'fork' | 'rollback'; detail: string; ledgerSize: number; logSize: number; firstSeenAt: string; lastSeenAt: string }
interface Conflict { id: number; identifier: string; kind: string; claimedHolderId: string; existingHolderId: string; source: string; licenceId: string | null; at: string }

let found: { corrections: Correction[] | null; alerts: Alert[] | null; alarms: Alarm[] | null; conflicts: Conflict[] | null } = { corrections: null, alerts: null, alarms: null, conflicts: null };

export function forgetFindings(): void {
  found = { corrections: null, alerts: null, alarms: null, conflicts: null };
}

const table = (id: string, head: string[], rows: HTMLTableRowElement[]) =>
  el('table', { class: 'stack', id }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows));

export function renderCorrections(cat: LogCatalogues): void {
  const box = byId('corrections');
  const list = found.corrections;
  if (list === null) return box.replaceChildren();
  if (list.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, t('noOverdue')));
  const head = [t('colLicence'), t('colIssuer'), t('colAsked'), t('colDeadline'), t('colOverdue'), t('colFields')];
  const now = Date.now();
  box.replaceChildren(table('overdue-table', head, list.map((c) => {
    const days = Math.floor((now - Date.parse(c.deadline)) / 86400_000);
    const type = cat.types.find((x) => x.code === c.licenceId.split('.')[0]);
    const labels = Object.keys(c.fields).map((name) => {
      if (name === 'holderName') return t('holderNameField');
      const f = type?.fields.find((y) => y.name === name);
      return f ? (currentLang() === 'en' ? f.labelEn : f.labelZh) : name;
    });
    return el('tr', { 'data-correction': c.id },
      el('td', { 'data-label': head[0]! }, el('span', { class: 'mono small' }, c.licenceId)),
      el('td', { 'data-label': head[1]! }, departmentName(c.issuer)),
      el('td', { 'data-label': head[2]! }, formatTime(c.createdAt)),
      el('td', { 'data-label': head[3]! }, formatTime(c.deadline)),
      el('td', { 'data-label': head[4]! }, el('span', { class: 'pill bad' }, days >= 1 ? t('overdueDays', { n: days }) : t('overdueLessThanDay'))),
      el('td', { 'data-label': head[5]! }, labels.join(t('listSep'))),
    );
  })));
}

function alertText(a: Alert): string {
  const who = departmentName(a.requester);
  if (a.kind === 'MANY_DISTINCT_HOLDERS') {
    const d = a.detail as { distinctHolders?: number; threshold?: number; windowMinutes?: number };
    return t('alert.MANY_DISTINCT_HOLDERS', { who, n: d.distinctHolders ?? '?', threshold: d.threshold ?? '?', window: d.windowMinutes ?? '?' });
  }
  return t('alertOther', { who, kind: a.kind });
}

export function renderAlarms(): void {
  const alerts = byId('alerts');
  const alarms = byId('alarms');
  const conflicts = byId('conflicts');
  if (found.alerts === null) alerts.replaceChildren();
  else if (found.alerts.length === 0) alerts.replaceChildren(el('p', { class: 'muted' }, t('noAlerts')));
  else alerts.replaceChildren(el('ul', { class: 'findings', id: 'alert-list' }, ...found.alerts.map((a) => el('li', { 'data-alert': a.id }, el('span', { class: 'when' }, formatTime(a.at)), ' ', alertText(a)))));
  if (found.alarms === null) alarms.replaceChildren();
  else if (found.alarms.length === 0) alarms.replaceChildren(el('p', { class: 'muted' }, t('noAlarms')));
  else alarms.replaceChildren(el('ul', { class: 'findings' }, ...found.alarms.map((a) => el('li', { class: 'alarm' },
    t(`alarm.${a.kind}`, { origin: a.origin, ledgerSize: a.ledgerSize, logSize: a.logSize }), el('div', { class: 'small muted' }, t('alarmSeen', { first: formatTime(a.firstSeenAt), last: formatTime(a.lastSeenAt) }))))));
  if (found.conflicts === null) conflicts.replaceChildren();
  else if (found.conflicts.length === 0) conflicts.replaceChildren(el('p', { class: 'muted' }, t('noConflicts')));
  else conflicts.replaceChildren(el('ul', { class: 'findings' }, ...found.conflicts.map((c) => el('li', {},
    el('span', { class: 'when' }, formatTime(c.at)), ' ',
    t('conflictLine', { identifier: c.identifier, kind: t(`kind.${c.kind}`), existing: c.existingHolderId, claimed: c.claimedHolderId, source: t(`source.${c.source}`) })))));
}

/** Each list on its own: a role that may read one but not another (an admin, an auditor) still sees the rest. */
async function part<T>(request: Promise<{ items: T[] }>, statusId: string): Promise<T[] | null> {
  try {
    return (await request).items;
  } catch (error) {
    setStatus(byId(statusId), () => errorText(error), 'error');
    return null;
  }
}

export async function loadCorrections(token: string, cat: LogCatalogues): Promise<void> {
  setStatus(byId('corrections-status'), '');
  found.corrections = await part(apiJson<{ items: Correction[] }>('GET', '/corrections?overdue=true', { token }), 'corrections-status');
  renderCorrections(cat);
}

export async function loadAlarms(token: string): Promise<void> {
  setStatus(byId('alarms-status'), '');
  const [alerts, alarms, conflicts] = await Promise.all([
    part(apiJson<{ items: Alert[] }>('GET', '/exchange/alerts', { token }), 'alarms-status'),
    part(apiJson<{ items: Alarm[] }>('GET', '/transparency/alarms', { token }), 'alarms-status'),
    part(apiJson<{ items: Conflict[] }>('GET', '/identifier-conflicts', { token }), 'alarms-status'),
  ]);
  found = { ...found, alerts, alarms, conflicts };
  renderAlarms();
}
