/**
 * Corrections a holder asks for (issue 20): the licence's fields with their current values, a reason and
 * an optional photo or scan; only what was changed is sent. Below it, the state of every request for this
 * licence: waiting (with the department's deadline), approved (with the new version), or not approved
 * (with the department's reason).
 */
import { apiJson, el, formatDate, setStatus, t } from './common.ts';
import { fieldValue } from './portal-licences.ts';
import { auth, data, departmentOnly, fieldLabel, typeOf } from './portal-state.ts';
import type { Correction, Licence } from './portal-state.ts';
import { handle, pill, statusBox } from './portal-ui.ts';

const MAX_EVIDENCE_BYTES = 5 * 1024 * 1024;
const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'application/pdf'];

/** What the holder typed, kept across redraws (a language switch) and dropped at sign-out. */
let draft: { licenceId: string; values: Record<string, string>; reason: string; open: boolean } | null = null;

export function forgetCorrectionDraft(): void {
  draft = null;
}

export interface CorrectionActions { reload(): Promise<void>; open(id: string): void; redraw(): void }

function changeList(c: Correction, licence: Licence): HTMLElement {
  return el('ul', { class: 'changes' }, ...Object.entries(c.fields).map(([name, value]) => {
    const before = name === 'holderName' ? licence.holder.name : fieldValue(licence.type, name, licence.fields[name]);
    const after = name === 'holderName' ? String(value) : fieldValue(licence.type, name, value);
    return el('li', {}, `${fieldLabel(name, licence.type)}${t('colon')}`, el('span', { class: 'before' }, before || '—'), ' → ', el('strong', {}, after));
  }));
}

function requestState(c: Correction, licence: Licence, actions: CorrectionActions): HTMLElement {
  const who = departmentOnly(c.issuer);
  const item = el('li', { class: `correction ${c.status}`, 'data-correction': c.id });
  if (c.status === 'pending') {
    item.append(
      el('div', { class: 'correction-head' }, pill(t('correction.pending'), 'warn'), ' ', el('span', {}, c.overdue ? t('correctionOverdue', { who, deadline: formatDate(c.deadline) }) : t('correctionPending', { who, deadline: formatDate(c.deadline) }))),
    );
  } else if (c.status === 'approved') {
    const head = el('div', { class: 'correction-head' }, pill(t('correction.approved'), 'good'), ' ', el('span', {}, t('correctionApproved', { who, date: c.decidedAt ? formatDate(c.decidedAt) : '' })));
    item.append(head);
    if (c.successorId && c.successorId !== licence.id) {
      const open = el('button', { type: 'button', class: 'secondary', 'data-successor': c.successorId }, t('openNewVersion'));
      const successor = c.successorId;
      open.addEventListener('click', () => actions.open(successor));
      item.append(open);
    }
  } else {
    item.append(el('div', { class: 'correction-head' }, pill(t('correction.rejected'), 'bad'), ' ', el('span', {}, t('correctionRejected', { who }))));
  }
  item.append(changeList(c, licence), el('p', { class: 'small muted' }, t('yourReason', { reason: c.reason, date: formatDate(c.createdAt) })));
  if (c.decisionReason && c.status !== 'pending') item.append(el('p', { class: 'decision' }, t('departmentSaid', { reason: c.decisionReason })));
  return item;
}

function readFile(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function correctionForm(licence: Licence, actions: CorrectionActions): HTMLElement {
  const type = typeOf(licence.type);
  if (!draft || draft.licenceId !== licence.id) draft = { licenceId: licence.id, values: {}, reason: '', open: false };
  const mine = draft;
  const current: Array<{ name: string; value: string; format?: string; choices?: string[] }> = [
    { name: 'holderName', value: licence.holder.name },
    ...(type?.fields ?? []).map((f) => {
      const prop = type?.schema?.properties?.[f.name];
      return { name: f.name, value: licence.fields[f.name] === undefined ? '' : String(licence.fields[f.name]), format: prop?.format, choices: prop?.enum };
    }),
  ];
  const inputs = current.map((f) => {
    const id = `correct-${f.name}`;
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.choices) {
      input = el('select', { id, name: f.name }, ...f.choices.map((c) => el('option', { value: c }, c)));
      if (f.value && !f.choices.includes(f.value)) input.append(el('option', { value: f.value }, f.value));
    } else {
      input = el('input', { type: f.format === 'date' ? 'date' : 'text', id, name: f.name, autocomplete: 'off', spellcheck: 'false' });
    }
    input.value = mine.values[f.name] ?? f.value;
    input.dataset.original = f.value;
    input.addEventListener('input', () => { mine.values[f.name] = input.value; });
    input.addEventListener('change', () => { mine.values[f.name] = input.value; });
    return el('div', { class: 'form-row' }, el('label', { for: id }, fieldLabel(f.name, licence.type)), input);
  });
  const reason = el('textarea', { id: 'correct-reason', maxlength: '1000', autocomplete: 'off' });
  reason.value = mine.reason;
  reason.addEventListener('input', () => { mine.reason = reason.value; });
  const evidence = el('input', { type: 'file', id: 'correct-evidence', accept: EVIDENCE_TYPES.join(',') });
  const status = statusBox('correction-status');
  const form = el('form', { id: 'correction-form', novalidate: true, autocomplete: 'off' },
    el('p', { class: 'muted small' }, t('correctionIntro')),
    ...inputs,
    el('label', { for: 'correct-reason' }, t('correctionReason')),
    reason,
    el('p', { class: 'small muted' }, t('correctionReasonHint')),
    el('label', { for: 'correct-evidence' }, t('correctionEvidence')),
    evidence,
    el('p', { class: 'small muted' }, t('correctionEvidenceHint')),
    el('div', {}, el('button', { type: 'submit' }, t('correctionSubmit'))),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const fields: Record<string, string> = {};
    for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[name], select[name]')) {
      if (input.type === 'file') continue;
      if (input.value.trim() !== (input.dataset.original ?? '')) fields[input.name] = input.value.trim();
    }
    if (Object.keys(fields).length === 0) return setStatus(status, () => t('correctionNothingChanged'), 'error');
    if (!reason.value.trim()) {
      reason.focus();
      return setStatus(status, () => t('correctionNeedsReason'), 'error');
    }
    const file = evidence.files?.[0];
    if (file && (file.size > MAX_EVIDENCE_BYTES || !EVIDENCE_TYPES.includes(file.type))) return setStatus(status, () => t('correctionBadEvidence'), 'error');
    void handle(status, async () => {
      const body: Record<string, unknown> = { fields, reason: reason.value.trim() };
      if (file) body.evidence = { fileName: file.name.slice(0, 200), contentBase64: await readFile(file) };
      await apiJson('POST', `/me/licences/${encodeURIComponent(licence.id)}/corrections`, { ...auth(), json: body });
      draft = null;
      await actions.reload();
      const after = document.getElementById('correction-list-status');
      if (after) setStatus(after, () => t('correctionSent'), 'ok');
    }, (field) => (field.startsWith('fields.') ? fieldLabel(field.slice(7), licence.type) : undefined));
  });
  const details = el('details', { class: 'correction-form', id: 'correction-details', open: mine.open }, el('summary', {}, t('correctionAsk')), form);
  details.addEventListener('toggle', () => { mine.open = details.open; });
  return details;
}

export function renderCorrections(licence: Licence, actions: CorrectionActions): HTMLElement {
  const mine = (data.corrections ?? []).filter((c) => c.licenceId === licence.id);
  const section = el('section', { class: 'sub-card', id: 'corrections' }, el('h3', {}, t('correctionsTitle')), statusBox('correction-list-status'));
  if (data.corrections === null) {
    section.append(el('p', { class: 'muted' }, t('notInScope')));
    return section;
  }
  if (mine.length) section.append(el('ul', { class: 'correction-list' }, ...mine.map((c) => requestState(c, licence, actions))));
  const fromCorrection = (data.corrections ?? []).find((c) => c.successorId === licence.id);
  if (fromCorrection) section.append(el('p', { class: 'small muted' }, t('madeByCorrection', { date: fromCorrection.decidedAt ? formatDate(fromCorrection.decidedAt) : '' })));
  // Only a licence still in force can be corrected (the service refuses the others: LICENCE_NOT_CORRECTABLE).
  if (licence.status === 'active' || licence.status === 'suspended') {
    if (mine.some((c) => c.status === 'pending')) section.append(el('p', { class: 'muted small' }, t('correctionOnePending')));
    else section.append(correctionForm(licence, actions));
  } else if (!mine.length) section.append(el('p', { class: 'muted small' }, t('correctionNotPossible')));
  return section;
}
