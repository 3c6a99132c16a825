/**
 * The holder's licences as cards, grouped 当前有效 / 已失效. A licence's standing is computed for today in
 * China: an active licence past its end date is expired (never green), one not started yet says so; a
 * revoked or superseded one is no longer valid whatever its dates.
 */
import { byId, el, formatDate, t, todayInChina } from './common.ts';
import { data, departmentOnly, typeName, typeOf } from './portal-state.ts';
import type { Licence } from './portal-state.ts';
import { emptyNote, facts, pill } from './portal-ui.ts';
import type { PillKind } from './portal-ui.ts';

export type Standing = 'valid' | 'not-yet' | 'suspended' | 'expired' | 'revoked' | 'superseded';

export function standingOf(licence: Pick<Licence, 'status' | 'validFrom' | 'validUntil'>, today = todayInChina()): Standing {
  if (licence.status === 'revoked') return 'revoked';
  if (licence.status === 'superseded') return 'superseded';
  // validUntil is the last day of validity (inclusive), as printed on the licence.
  if (licence.validUntil && licence.validUntil < today) return 'expired';
  if (licence.status === 'suspended') return 'suspended';
  if (licence.validFrom > today) return 'not-yet';
  return 'valid';
}

/** A field's value as a person reads it: dates written out, everything else as it is. */
export function fieldValue(typeKey: string, name: string, value: unknown): string {
  const format = typeOf(typeKey)?.schema?.properties?.[name]?.format;
  if (typeof value === 'string' && format === 'date') return formatDate(value);
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

export const isCurrent = (s: Standing): boolean => s === 'valid' || s === 'not-yet' || s === 'suspended';

const PILL: Record<Standing, PillKind> = { valid: 'good', 'not-yet': 'warn', suspended: 'warn', expired: 'bad', revoked: 'bad', superseded: 'plain' };

export function standingPill(s: Standing): HTMLSpanElement {
  return pill(t(`standing.${s}`), PILL[s]);
}

/** 2020年5月1日 至 2025年4月30日, or 至 长期 for an open end. */
export function validityText(l: Pick<Licence, 'validFrom' | 'validUntil'>): string {
  return l.validUntil ? t('validity', { from: formatDate(l.validFrom), until: formatDate(l.validUntil) }) : t('validityOpen', { from: formatDate(l.validFrom) });
}

/** Days from today to the licence's last day (0: today), when that is within 30 days. */
export function expiresWithin30Days(l: Licence, today = todayInChina()): number | null {
  if (!l.validUntil || standingOf(l, today) !== 'valid') return null;
  const days = Math.round((Date.parse(`${l.validUntil}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86400_000);
  return days <= 30 ? days : null;
}

export interface CardActions {
  open(id: string): void;
  present(licence: Licence): void;
}

function card(l: Licence, actions: CardActions): HTMLElement {
  const s = standingOf(l);
  const view = el('button', { type: 'button', class: 'secondary' }, t('viewLicence'));
  view.addEventListener('click', () => actions.open(l.id));
  let present: HTMLButtonElement | null = null;
  if (s === 'valid') {
    present = el('button', { type: 'button', class: 'present-button' }, t('present'));
    present.addEventListener('click', () => actions.present(l));
  }
  const pending = (data.corrections ?? []).some((c) => c.licenceId === l.id && c.status === 'pending');
  const soon = expiresWithin30Days(l);
  const title = el('h3', { class: 'lic-title' }, typeName(l.type));
  return el('article', { class: `lic-card ${isCurrent(s) ? 'current' : 'past'}`, 'data-licence': l.id, 'data-standing': s },
    el('div', { class: 'lic-head' }, title, standingPill(s)),
    facts([
      [t('holder'), l.holder.name],
      [t('validityLabel'), validityText(l)],
      [t('issuer'), departmentOnly(l.issuer)],
      [t('licenceNumber'), el('span', { class: 'mono small' }, l.id)],
    ], 'facts lic-facts'),
    soon !== null ? el('p', { class: 'notice warn small' }, soon === 0 ? t('expiresToday') : t('expiresInDays', { days: soon })) : null,
    pending ? el('p', { class: 'notice small' }, t('correctionWaiting')) : null,
    el('div', { class: 'lic-actions' }, present, view),
  );
}

/** The cards as a list (a grid of cards on a wide screen, one column on a phone). */
function cardList(licences: Licence[], actions: CardActions): HTMLElement {
  return el('ul', { class: 'card-grid card-list' }, ...licences.map((l) => el('li', {}, card(l, actions))));
}

export function renderLicenceList(actions: CardActions): void {
  const current = byId('licences-current');
  const past = byId('licences-past');
  const list = data.licences;
  byId('licences-past-group').hidden = false;
  if (list === null) {
    current.replaceChildren(emptyNote('notInScope'));
    past.replaceChildren();
    byId('licences-past-group').hidden = true;
    return;
  }
  const today = todayInChina();
  const nowValid = list.filter((l) => isCurrent(standingOf(l, today)));
  const ended = list.filter((l) => !isCurrent(standingOf(l, today)));
  current.replaceChildren(nowValid.length ? cardList(nowValid, actions) : emptyNote(list.length ? 'noCurrentLicences' : 'noLicences'));
  past.replaceChildren(cardList(ended, actions));
  byId('licences-past-group').hidden = ended.length === 0;
}
