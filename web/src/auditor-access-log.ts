/**
 * The access log for auditors: filtered by requesting department, holder, date range (days in China) and
 * result, shown with names beside what the record holds (department, service item, licence type, field
 * labels, the outcome as words), and downloaded as the service's CSV with the same filters.
 */
import { api, apiJson, byId, chinaDayBoundary, currentLang, departmentName, departmentsWithRole, downloadBlob, el, errorText, formatTime, setStatus, t } from './common.ts';

export interface LogCatalogues {
  types: Array<{ key: string; code: string; nameZh: string; nameEn: string; fields: Array<{ name: string; labelZh: string; labelEn: string }> }>;
  serviceItems: Array<{ code: string; nameZh: string; nameEn: string }>;
}

interface AccessRecord { id: string; at: string; requester: string; officialId: string; caseNumber: string; serviceItem: string; basisKind: string; holderId: string; identifierUsed?: string; licenceIds: string[]; fields: string[]; result: 'ALLOWED' | 'REFUSED'; reasonCode: string }

const JSON_LIMIT = 1000;
let records: AccessRecord[] | null = null;

export function forgetAccessLog(): void {
  records = null;
}

const en = () => currentLang() === 'en';

function typeOfLicence(cat: LogCatalogues, id: string) {
  return cat.types.find((x) => x.code === id.split('.')[0]);
}

function outcome(r: AccessRecord): string {
  const key = `reason.${r.reasonCode}`;
  const words = t(key);
  return words === key ? t('reasonOther', { code: r.reasonCode }) : words;
}

function query(format: 'json' | 'csv'): string | null {
  const q = new URLSearchParams();
  const requester = byId<HTMLSelectElement>('log-requester').value;
  const holder = byId<HTMLInputElement>('log-holder').value.trim().toUpperCase();
  const from = byId<HTMLInputElement>('log-from').value;
  const to = byId<HTMLInputElement>('log-to').value;
  const result = byId<HTMLSelectElement>('log-result').value;
  if (from && to && from > to) {
    setStatus(byId('log-status'), () => t('fromAfterTo'), 'error');
    return null;
  }
  if (requester) q.set('requester', requester);
  if (holder) q.set('holderId', holder);
  if (from) q.set('from', chinaDayBoundary(from, false));
  if (to) q.set('to', chinaDayBoundary(to, true));
  if (result) q.set('result', result);
  if (format === 'csv') q.set('format', 'csv');
  const s = q.toString();
  return `/exchange/access-log${s ? `?${s}` : ''}`;
}

export function renderFilterChoices(): void {
  const requester = byId<HTMLSelectElement>('log-requester');
  const chosen = requester.value;
  requester.replaceChildren(el('option', { value: '' }, t('allDepartments')), ...departmentsWithRole('requester').map((d) => el('option', { value: d.code }, en() ? d.nameEn : d.nameZh)));
  requester.value = chosen;
  const result = byId<HTMLSelectElement>('log-result');
  const picked = result.value;
  result.replaceChildren(el('option', { value: '' }, t('allResults')), el('option', { value: 'ALLOWED' }, t('result.ALLOWED')), el('option', { value: 'REFUSED' }, t('result.REFUSED')));
  result.value = picked;
}

export function renderAccessLog(cat: LogCatalogues): void {
  const box = byId('access-log');
  if (records === null) return box.replaceChildren();
  if (records.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, t('noRecords')));
  const head = [t('colWhen'), t('colRequester'), t('colService'), t('colHolder'), t('colBasis'), t('colResult'), t('colLicences')];
  const rows = records.map((r) => {
    const item = cat.serviceItems.find((x) => x.code === r.serviceItem);
    const licences = r.licenceIds.map((id) => {
      const type = typeOfLicence(cat, id);
      return el('div', {}, type ? (en() ? type.nameEn : type.nameZh) : '', ' ', el('span', { class: 'mono small' }, id));
    });
    const labels = r.fields.map((name) => {
      const f = cat.types.flatMap((x) => x.fields).find((y) => y.name === name);
      return f ? (en() ? f.labelEn : f.labelZh) : name;
    });
    const cell = (label: string, ...children: Array<Node | string | null>) => el('td', { 'data-label': label }, ...children);
    return el('tr', { 'data-record': r.id, 'data-result': r.result },
      cell(head[0]!, formatTime(r.at)),
      cell(head[1]!, departmentName(r.requester)),
      cell(head[2]!, item ? (en() ? item.nameEn : item.nameZh) : r.serviceItem, el('br'), el('span', { class: 'small muted' }, t('caseAndOfficial', { caseNumber: r.caseNumber, official: r.officialId }))),
      cell(head[3]!, el('span', { class: 'mono nowrap' }, r.holderId), r.identifierUsed ? el('div', { class: 'small muted' }, t('identifierUsed', { id: r.identifierUsed })) : null),
      cell(head[4]!, t(`basis.${r.basisKind}`)),
      cell(head[5]!, el('span', { class: `pill ${r.result === 'ALLOWED' ? 'plain' : 'bad'}` }, t(`result.${r.result}`)), r.result === 'REFUSED' ? el('div', { class: 'small' }, outcome(r)) : null),
      cell(head[6]!, ...licences, labels.length ? el('div', { class: 'small muted' }, labels.join(t('listSep'))) : null),
    );
  });
  box.replaceChildren(
    el('p', { class: 'small muted' }, records.length >= JSON_LIMIT ? t('recordsCapped', { n: records.length }) : t('recordsShown', { n: records.length })),
    el('table', { class: 'stack', id: 'access-log-table' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows)),
  );
}

export async function searchAccessLog(token: string, cat: LogCatalogues): Promise<void> {
  const url = query('json');
  if (!url) return;
  try {
    records = (await apiJson<{ items: AccessRecord[] }>('GET', url, { token })).items;
    setStatus(byId('log-status'), '');
    renderAccessLog(cat);
  } catch (error) {
    setStatus(byId('log-status'), () => errorText(error), 'error');
  }
}

export async function downloadCsv(token: string): Promise<void> {
  const url = query('csv');
  if (!url) return;
  try {
    const text = await (await api('GET', url, { token, accept: 'text/csv' })).text();
    // Named by the time in China, as the records' days are: access-log-20261208-0335.csv
    const stamp = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date()).replace(/[-:]/g, '').replace(' ', '-');
    const file = `access-log-${stamp}.csv`;
    // The service's CSV is UTF-8 with a byte-order mark (Excel reads Chinese right with it): keep it as is.
    downloadBlob(new Blob([text.startsWith('\ufeff') ? text : `\ufeff${text}`], { type: 'text/csv;charset=utf-8' }), file);
    const n = Math.max(0, text.replace(/^\ufeff/, '').trimEnd().split(/\r?\n/).length - 1);
    setStatus(byId('log-status'), () => t('csvDownloaded', { file, n }), 'ok');
  } catch (error) {
    setStatus(byId('log-status'), () => errorText(error), 'error');
  }
}
