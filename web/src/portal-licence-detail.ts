/**
 * One licence, read on the phone: its content as HTML (each field with its label, dates as people write
 * them), download and 亮证 beside it, its history in sentences, the holder's correction requests and the
 * form to ask for one. The proof file (JSON) is only under "供专业人员核验 / For experts".
 */
import { ApiError, api, apiJson, byId, downloadBlob, el, formatDate, formatTime, setStatus, t } from './common.ts';
import { historyKind, reasonWords } from './history-words.ts';
import type { HistoryEvent } from './history-words.ts';
import { renderCorrections } from './portal-corrections.ts';
import { fieldValue, isCurrent, standingOf, standingPill, validityText } from './portal-licences.ts';
import { auth, data, departmentOnly, fieldLabel, typeName, typeOf } from './portal-state.ts';
import type { Licence } from './portal-state.ts';
import { facts, handle, statusBox } from './portal-ui.ts';


/** History loaded for the licence on screen (per licence id; emptied at sign-out with the view). */
let history: { id: string; items: HistoryEvent[] | null } | null = null;

export function forgetDetail(): void {
  history = null;
}

function historySentence(e: HistoryEvent, licence: Licence): string {
  const { key, previous } = historyKind(e);
  const reason = reasonWords(e);
  const sentence = t(key, { who: departmentOnly(e.actor), previous: previous ?? licence.previousId ?? '' });
  return reason ? t('history.withReason', { sentence, reason }) : sentence;
}

function renderHistory(licence: Licence): HTMLElement {
  const box = el('section', { class: 'sub-card', id: 'licence-history' }, el('h3', {}, t('historyTitle')));
  if (!history || history.id !== licence.id) return box;
  if (history.items === null) {
    box.append(el('p', { class: 'muted' }, t('loading')));
    return box;
  }
  box.append(el('ol', { class: 'timeline' }, ...history.items.map((e) => el('li', { 'data-action': e.action },
    el('span', { class: 'when' }, formatTime(e.at)), ' ', el('span', {}, historySentence(e, licence))))));
  return box;
}

/** Loads the history and redraws only its section (a half-typed correction request stays as it is). */
async function loadHistory(licence: Licence): Promise<void> {
  history = { id: licence.id, items: null };
  await handle('detail-status', async () => {
    const answer = await apiJson<{ items: HistoryEvent[] }>('GET', `/licences/${encodeURIComponent(licence.id)}/history`, auth());
    if (history?.id === licence.id) history.items = answer.items;
  });
  if (history?.id === licence.id) document.getElementById('licence-history')?.replaceWith(renderHistory(licence));
}

async function downloadDocument(licence: Licence): Promise<void> {
  await handle('detail-status', async () => {
    const blob = await (await api('GET', `/licences/${encodeURIComponent(licence.id)}/document`, auth())).blob();
    const file = `${licence.id}.pdf`;
    downloadBlob(blob, file);
    setStatus(byId('detail-status'), () => t('downloaded', { file }), 'ok');
  });
}

async function downloadReceipt(licence: Licence): Promise<void> {
  await handle('detail-status', async () => {
    try {
      const blob = await (await api('GET', `/licences/${encodeURIComponent(licence.id)}/receipt`, auth())).blob();
      const file = `${licence.id}.receipt.json`;
      downloadBlob(blob, file);
      setStatus(byId('detail-status'), () => t('downloaded', { file }), 'ok');
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) setStatus(byId('detail-status'), () => t('receiptNotReady'), 'error');
      else throw error;
    }
  });
}

export interface DetailActions {
  back(): void;
  open(id: string): void;
  present(licence: Licence): void;
  reload(): Promise<void>;
}

/** What a licence that is no longer valid says at the top, and where its successor is. */
function endedNotice(licence: Licence, actions: DetailActions): HTMLElement | null {
  const s = standingOf(licence);
  if (isCurrent(s) && s !== 'suspended') return null;
  const successor = (data.licences ?? []).find((l) => l.previousId === licence.id)
    ?? (data.licences ?? []).find((l) => l.id === (data.corrections ?? []).find((c) => c.licenceId === licence.id && c.successorId)?.successorId);
  const box = el('div', { class: `notice ${s === 'suspended' ? 'warn' : 'error'}`, id: 'ended-notice' }, el('p', {}, t(`ended.${s}`, { until: licence.validUntil ? formatDate(licence.validUntil) : '' })));
  if (successor) {
    const go = el('button', { type: 'button', class: 'secondary', id: 'open-successor' }, t('openSuccessor'));
    go.addEventListener('click', () => actions.open(successor.id));
    box.append(go);
  }
  return box;
}

export function renderDetail(box: HTMLElement, licence: Licence, actions: DetailActions): void {
  const redraw = () => renderDetail(box, licence, actions);
  const s = standingOf(licence);
  const type = typeOf(licence.type);
  const back = el('button', { type: 'button', class: 'link-button', id: 'back-to-list' }, t('backToList'));
  back.addEventListener('click', actions.back);

  const idLabel = licence.holder.kind === 'organisation' ? t('uscc') : t('residentId');
  const fieldRows: Array<[string, string]> = (type?.fields ?? Object.keys(licence.fields).map((name) => ({ name })))
    .filter((f) => licence.fields[f.name] !== undefined && licence.fields[f.name] !== '')
    .map((f) => [fieldLabel(f.name, licence.type), fieldValue(licence.type, f.name, licence.fields[f.name])]);
  const sheet = el('article', { class: `lic-sheet ${isCurrent(s) ? 'current' : 'past'}`, 'data-licence': licence.id, 'data-standing': s },
    el('div', { class: 'lic-head' }, el('h2', { id: 'detail-title', tabindex: '-1' }, typeName(licence.type)), standingPill(s)),
    facts([
      [t('holder'), el('strong', {}, licence.holder.name)],
      [idLabel, el('span', { class: 'mono' }, licence.holder.id)],
      ...fieldRows,
      [t('validityLabel'), validityText(licence)],
      [t('issuer'), departmentOnly(licence.issuer)],
      [t('issuedOn'), formatDate(licence.issuedAt)],
      [t('licenceNumber'), el('span', { class: 'mono small' }, licence.id)],
      [t('versionLabel'), t('versionN', { n: licence.version })],
    ], 'facts sheet-facts'),
  );

  // Download and 亮证 beside the content. A licence no longer valid downloads only after a warning.
  const buttons = el('div', { class: 'detail-actions' });
  if (s === 'valid') {
    const present = el('button', { type: 'button', class: 'present-button' }, t('present'));
    present.addEventListener('click', () => actions.present(licence));
    buttons.append(present);
  }
  if (isCurrent(s)) {
    const pdf = el('button', { type: 'button', class: 'secondary', id: 'download-pdf' }, t('downloadPdf'));
    pdf.addEventListener('click', () => void downloadDocument(licence));
    buttons.append(pdf);
  } else {
    const archive = el('details', { class: 'archive-download' },
      el('summary', {}, t('archiveDownloadSummary')),
      el('p', { class: 'small' }, t('archiveDownloadWarning')));
    const pdf = el('button', { type: 'button', class: 'secondary', id: 'download-pdf' }, t('archiveDownload'));
    pdf.addEventListener('click', () => void downloadDocument(licence));
    archive.append(pdf);
    buttons.append(archive);
  }

  const receipt = el('button', { type: 'button', class: 'secondary' }, t('downloadReceipt'));
  receipt.addEventListener('click', () => void downloadReceipt(licence));
  const experts = el('details', { class: 'experts', id: 'licence-experts' },
    el('summary', {}, t('forExperts')),
    el('p', { class: 'small muted' }, t('receiptExplained')),
    facts([[t('documentHash'), el('span', { class: 'mono small' }, licence.document.sha256)]]),
    receipt);

  box.replaceChildren(
    back,
    endedNotice(licence, actions) ?? '',
    sheet,
    buttons,
    statusBox('detail-status'),
    renderCorrections(licence, { reload: actions.reload, open: actions.open, redraw }),
    renderHistory(licence),
    experts,
  );
  if (!history || history.id !== licence.id) void loadHistory(licence);
}
