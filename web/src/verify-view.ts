/**
 * Draws an Outcome: the headline (a word, a colour and a mark a clerk reads at arm's length), the sentence
 * that says what to do, the licence as a card, and the technical details folded away underneath. Green
 * only for `valid`; the checks under the details are plain ink, so no green tick ever stands beside a
 * licence that is not valid today.
 */
import type { CheckOutcome } from '../../src/verify/index.ts';
import { currentLang, el, formatClock, formatDate, t } from './common.ts';
import type { LicenceView, Outcome } from './verification.ts';

type Tone = 'ok' | 'bad' | 'unknown';

function tone(o: Outcome): Tone {
  if (o.headline) return o.headline.verdict === 'valid' ? 'ok' : o.headline.verdict === 'could-not-check' ? 'unknown' : 'bad';
  return o.refusal === 'UNKNOWN_KEY' || o.refusal === 'NOT_YET_VALID' ? 'unknown' : 'bad';
}

const MARK: Record<Tone, string> = { ok: '✓', bad: '✕', unknown: '?' };

function name(x: { nameZh: string; nameEn: string }): string {
  return currentLang() === 'en' ? x.nameEn : x.nameZh;
}

/**
 * The headline in words: the verdict, with the date that goes with it (kept on one line: a date broken
 * between 8 and 日 reads badly), or the number of the licence that replaced it.
 */
export function headlineWords(o: Outcome): { word: string; when: string | null; sub: string | null } {
  if (!o.headline) return { word: t(`refusal.${o.refusal}`), when: null, sub: null };
  const l = o.licence;
  const verdict = o.headline.verdict;
  // A genuine file of another licence is not "altered": it is the wrong file, and the headline says so.
  const wrongFile = verdict === 'tampered' && (o.why === 'tampered.otherLicence' || o.why === 'tampered.notThis');
  const word = t(wrongFile ? 'verdict.wrongFile' : `verdict.${verdict}`);
  const date = verdict === 'revoked' || verdict === 'suspended' ? l?.status?.since ?? null
    : verdict === 'expired' ? l?.validUntil ?? null
    : verdict === 'not-yet-valid' ? l?.validFrom ?? null
    : null;
  if (date) return { word, when: t(`when.${verdict}`, { date: formatDate(date) }), sub: null };
  if (verdict === 'superseded' && l?.successor) return { word, when: null, sub: t('verdict.supersededBy', { id: l.successor }) };
  return { word, when: null, sub: null };
}

/** The sentence under the headline. */
export function whySentence(o: Outcome): string {
  if (!o.headline) return t(`why.refusal.${o.refusal}`);
  const l = o.licence;
  const vars: Record<string, string> = {
    ...o.vars,
    issuer: l ? name(l.issuer) : '',
    date: o.headline.verdict === 'not-yet-valid' ? formatDate(l?.validFrom ?? '') : formatDate(l?.validUntil ?? ''),
  };
  if (o.why === 'superseded' && !l?.successor) return t('why.supersededUnknown');
  if (o.why === 'superseded') vars.id = l!.successor!;
  return t(`why.${o.why}`, vars);
}

function fact(label: string, ...value: Array<Node | string>): Node[] {
  return [el('dt', {}, label), el('dd', {}, ...value)];
}

function validityText(l: LicenceView): string {
  if (!l.validUntil) return t('validOpenEnded', { from: formatDate(l.validFrom) });
  return t('validRange', { from: formatDate(l.validFrom), until: formatDate(l.validUntil) });
}

function checkedAtText(d: Date): string {
  return `${formatDate(d.toISOString())} ${formatClock(d)}`;
}

function licenceCard(o: Outcome, l: LicenceView): HTMLElement {
  const purpose = o.presentation?.purpose ? t('forPurpose', { purpose: o.presentation.purpose }) : null;
  const card = el('div', { class: `licence-card${purpose ? ' watermarked' : ''}`, id: 'licence-card' },
    el('h3', { class: 'licence-type' }, name(l.type)),
    el('dl', { class: 'facts' },
      ...fact(t('holder'), el('span', { class: 'holder-name' }, l.holder.name)),
      ...fact(t(l.holder.kind === 'person' ? 'holderIdPerson' : 'holderIdOrganisation'), el('span', { class: 'mono' }, l.holder.id)),
      ...l.fields.flatMap((f) => fact(currentLang() === 'en' ? f.labelEn : f.labelZh, f.value)),
      ...fact(t('issuedBy'), name(l.issuer)),
      ...fact(t('validity'), validityText(l)),
      ...fact(t('licenceNumber'), el('span', { class: 'mono' }, l.licenceId)),
      ...fact(t('checkedAt'), checkedAtText(o.technical.checkedAt)),
    ),
  );
  if (purpose) {
    // Decorative repeat of the purpose across the card (as on a photocopy stamped "仅供…使用"); the purpose
    // itself is read out once, in the band above.
    const marks = el('div', { class: 'watermark', 'aria-hidden': 'true' });
    for (let i = 0; i < 12; i++) marks.append(el('span', {}, purpose));
    card.append(marks);
  }
  return card;
}

function checkText(c: CheckOutcome): string {
  if (c.ok === true) return t(`ok.${c.check}`);
  if (c.ok === false) return t(`code.${c.code}`);
  return t('skip.generic');
}

function technicalDetails(o: Outcome): HTMLElement {
  const rows: Node[] = [];
  const add = (label: string, value: string | Node, mono = false) => rows.push(el('dt', {}, label), el('dd', mono ? { class: 'mono' } : {}, value));
  if (o.headline) add(t('decidedBy'), o.headline.because.join(', '), true);
  else if (o.refusal) add(t('decidedBy'), o.refusal, true);
  if (o.licence) add(t('licenceNumber'), `${o.licence.licenceId}${o.licence.version ? ` · ${t('version')} ${o.licence.version}` : ''}`, true);
  const report = o.technical.report;
  if (o.technical.fileSha256) add(t('docHash'), o.technical.fileSha256, true);
  const card = o.technical.card;
  if (card && card.documentSha256 !== o.technical.fileSha256) add(t('registeredHash'), card.documentSha256, true);
  if (report?.signer) {
    add(t('signerCert'), report.signer.subject, true);
    if (report.signer.signingTime) add(t('signingTime'), report.signer.signingTime, true);
  }
  if (card) {
    add(t('ledger'), t(`ledger.${card.status.ledger}`));
    if (card.status.ledgerTxId) add(t('ledgerTx'), card.status.ledgerTxId, true);
  }
  if (o.technical.receiptFrom !== undefined) add(t('receiptFrom'), t(`receiptFrom.${o.technical.receiptFrom ?? 'none'}`));
  if (o.presentation) {
    add(t('presentationId'), o.presentation.jti, true);
    add(t('validity'), `${o.presentation.issuedAt.toISOString()} – ${o.presentation.expiresAt.toISOString()}`, true);
  }
  if (o.technical.presentationDetail) add(t('presentationDetail'), o.technical.presentationDetail, true);
  const details = el('details', { class: 'technical', id: 'technical' }, el('summary', {}, t('technical')), el('dl', { class: 'facts small' }, ...rows));
  if (report) {
    const list = el('ol', { class: 'checks', id: 'checks' });
    for (const c of report.checks) {
      const state = c.ok === true ? 'pass' : c.ok === false ? 'fail' : 'skip';
      list.append(el('li', { class: `check ${state}`, 'data-check': c.check, 'data-state': state },
        el('span', { class: 'badge' }, t(state === 'pass' ? 'passed' : state === 'fail' ? 'failed' : 'skipped')),
        el('strong', {}, t(`check.${c.check}`)),
        c.ok === false ? el('code', { class: 'code' }, c.code) : null,
        el('p', {}, checkText(c)),
        el('p', { class: 'mono small muted' }, c.detail),
      ));
    }
    details.append(list);
  }
  return details;
}

/** The countdown line of a presentation (redrawn every second by the page). */
export function presentationClock(o: Outcome, now = new Date()): string {
  if (!o.presentation) return '';
  const left = Math.floor((o.presentation.expiresAt.getTime() - now.getTime()) / 1000);
  const time = formatClock(o.presentation.expiresAt);
  if (left <= 0) return t('codeRanOut', { time });
  return t('codeValidUntil', { time, left: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` });
}

export function renderOutcome(o: Outcome, box: HTMLElement, scannedId: string | null): void {
  const words = headlineWords(o);
  const kind = tone(o);
  box.className = `card result ${kind}`;
  box.dataset.verdict = o.headline?.verdict ?? `refused-${o.refusal}`;
  const banner = el('div', { class: `verdict-banner ${kind}` },
    el('span', { class: 'mark', 'aria-hidden': 'true' }, MARK[kind]),
    el('div', { class: 'verdict-words' },
      el('h2', { id: 'verdict', tabindex: '-1' }, words.word, words.when ? el('span', { class: 'when' }, words.when) : null),
      words.sub ? el('p', { class: 'verdict-sub mono' }, words.sub) : null,
    ),
  );
  const parts: Node[] = [banner, el('p', { class: 'why', id: 'why' }, whySentence(o))];
  if (o.presentation) {
    parts.push(el('div', { class: 'presented' },
      el('span', { class: 'pill presented-pill' }, t('shownByHolder')),
      o.presentation.purpose ? el('strong', { class: 'purpose', id: 'purpose' }, t('forPurpose', { purpose: o.presentation.purpose })) : null,
      el('span', { class: 'code-clock', id: 'code-clock' }, presentationClock(o)),
    ));
    parts.push(el('p', { class: 'muted small', id: 'recheck-note' },
      o.presentation.rechecked ? t('checkedOnline', { time: formatClock(o.presentation.rechecked) }) : t('checkedOffline', { time: formatClock(o.presentation.issuedAt) })));
  }
  const namesBoth = o.why === 'tampered.otherLicence' || o.why === 'tampered.notThis';
  if (o.source === 'file' && scannedId && !namesBoth) parts.push(el('p', { class: 'muted small' }, t('comparedWith', { id: scannedId })));
  // A licence nobody can vouch for is not drawn as a card: a headline that says "not found" stands alone.
  if (o.licence && o.headline?.verdict !== 'not-found') {
    // Beside a file that is not what was issued, the card is the register's version, to compare the print with.
    if (o.headline?.verdict === 'tampered') parts.push(el('p', { class: 'card-caption' }, t('registeredVersion')));
    parts.push(licenceCard(o, o.licence));
  }
  parts.push(technicalDetails(o));
  box.replaceChildren(...parts);
  box.hidden = false;
}
