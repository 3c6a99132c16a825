/**
 * 亮证 — "show my licence" in the portal: the holder picks what to show and, if they like, what for; the
 * page asks the vault for a short-lived signed presentation and shows its verification URL as a big QR code
 * with the purpose stamped around it ("仅供…使用"), and asks for a fresh one every `refreshAfterSeconds`
 * (the vault's own expiry is five minutes), so a screenshot soon stops working. The clerk's verification
 * page checks the code offline.
 */
import { ApiError, apiJson, byId, currentLang, el, errorText, formatClock, onLanguageChange, setStatus, t } from './common.ts';
import type { ApiOptions, Dict } from './common.ts';
import { qrSvg } from './qr-svg.ts';

export const PRESENT_TEXT: Dict = {
  present: { 'zh-CN': '亮证', en: 'Show licence' },
  presentTitle: { 'zh-CN': '亮证：{type}', en: 'Show licence: {type}' },
  presentIntro: { 'zh-CN': '选择要向对方出示的信息，没选的不会出示。姓名或名称默认打码显示。', en: 'Choose what to show. Anything you leave unticked is not shown. Your name is shown masked unless you choose otherwise.' },
  presentFields: { 'zh-CN': '出示的信息', en: 'Details to show' },
  presentNoFields: { 'zh-CN': '这类证照没有可选的信息：对方将看到证照类型、持证人（打码）、发证机关和有效期。', en: 'This licence has no details to choose from: the other side sees its type, the holder (masked), the issuing department and the validity.' },
  presentFullName: { 'zh-CN': '显示完整姓名或名称', en: 'Show my full name' },
  presentPurpose: { 'zh-CN': '用途（可选）', en: 'Purpose (optional)' },
  presentPurposeHint: { 'zh-CN': '例如“餐饮服务许可”，对方看到的是“仅供餐饮服务许可使用”。', en: 'For example “food service permit”: the other side sees “For food service permit only”.' },
  presentPurposePlaceholder: { 'zh-CN': '例如：餐饮服务许可', en: 'e.g. food service permit' },
  presentMake: { 'zh-CN': '生成亮证码', en: 'Show the code' },
  presentCancel: { 'zh-CN': '取消', en: 'Cancel' },
  presentQrLabel: { 'zh-CN': '亮证二维码', en: 'Licence QR code' },
  presentForPurpose: { 'zh-CN': '仅供{purpose}使用', en: 'For {purpose} only' },
  presentAnyPurpose: { 'zh-CN': '出示给当面核验的工作人员', en: 'For a clerk checking it in person' },
  presentClock: { 'zh-CN': '{seconds} 秒后自动刷新 · {time} 前有效', en: 'Refreshes in {seconds} s · valid until {time}' },
  presentRefreshing: { 'zh-CN': '正在刷新…', en: 'Refreshing…' },
  presentExpired: { 'zh-CN': '亮证码已过期，且未能刷新。请检查网络后重新生成。', en: 'The code has expired and could not be refreshed. Check your connection and make a new one.' },
  presentRefreshFailed: { 'zh-CN': '刷新失败，当前二维码在 {time} 前仍然有效。', en: 'Could not refresh; the code shown stays valid until {time}.' },
  presentHowTo: { 'zh-CN': '请对方用“电子证照核验”页面扫码。二维码每分钟更新、5 分钟后失效，截图无法冒用。', en: 'Ask the other side to scan it on the “Verify an e-licence” page. The code changes every minute and expires after five, so a screenshot cannot be reused.' },
  presentChange: { 'zh-CN': '修改出示内容', en: 'Change what is shown' },
  presentStop: { 'zh-CN': '结束亮证', en: 'Stop showing' },
  signedOut: { 'zh-CN': '登录已过期，请重新登录后再亮证。', en: 'You have been signed out. Sign in again to show your licence.' },
};

export interface PresentableLicence {
  id: string;
  type: string;
  fields?: Record<string, unknown>;
}

interface LicenceTypeFields {
  key: string;
  nameZh: string;
  nameEn: string;
  fields: Array<{ name: string; labelZh: string; labelEn: string }>;
}

interface Presentation { token: string; expiresAt: string; refreshAfterSeconds: number; verifyUrl: string }

interface Choice { fields: string[]; showHolderName: boolean; purpose: string }

/** One open 亮证 dialog at a time; everything it runs stops when it closes. */
let session: { stop(): void } | null = null;

const label = (f: { labelZh: string; labelEn: string }) => (currentLang() === 'en' ? f.labelEn : f.labelZh);

export async function openPresentation(licence: PresentableLicence, known: LicenceTypeFields | undefined, auth: () => ApiOptions): Promise<void> {
  session?.stop();
  const dialog = byId<HTMLDialogElement>('present-dialog');
  const type = known ?? (await apiJson<LicenceTypeFields>('GET', `/licence-types/${encodeURIComponent(licence.type)}`));
  const typeName = () => (currentLang() === 'en' ? type.nameEn : type.nameZh);
  const fields = type.fields.filter((f) => licence.fields?.[f.name] !== undefined);
  let choice: Choice = { fields: [], showHolderName: false, purpose: '' };
  let shown: Presentation | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let clockTimer: ReturnType<typeof setInterval> | undefined;
  let refreshAt = 0;
  let refreshFailed = false;
  let wakeLock: { release(): Promise<void> } | null = null;
  let step: 'choose' | 'show' = 'choose';

  const stopTimers = () => {
    clearTimeout(refreshTimer);
    clearInterval(clockTimer);
  };

  /** What the form on screen says (kept across a language switch, which redraws it). */
  const captureChoice = () => {
    const form = dialog.querySelector<HTMLFormElement>('#present-form');
    if (!form) return;
    choice = {
      fields: [...form.querySelectorAll<HTMLInputElement>('input[name="presentField"]:checked')].map((i) => i.value),
      showHolderName: form.querySelector<HTMLInputElement>('#present-full-name')?.checked ?? false,
      purpose: form.querySelector<HTMLInputElement>('#present-purpose')?.value.trim() ?? '',
    };
  };

  const drawChoose = () => {
    captureChoice();
    step = 'choose';
    stopTimers();
    const boxes = fields.map((f) => el('label', { class: 'inline field-choice' },
      el('input', { type: 'checkbox', name: 'presentField', value: f.name, checked: choice.fields.includes(f.name) }),
      el('span', {}, label(f), el('span', { class: 'muted small' }, ` ${String(licence.fields?.[f.name] ?? '')}`))));
    const purpose = el('input', { type: 'text', id: 'present-purpose', maxlength: '40', placeholder: t('presentPurposePlaceholder'), value: choice.purpose, autocomplete: 'off' });
    const form = el('form', { id: 'present-form', novalidate: true },
      el('p', { class: 'muted' }, t('presentIntro')),
      el('fieldset', {}, el('legend', {}, t('presentFields')), ...(boxes.length ? boxes : [el('p', { class: 'muted small' }, t('presentNoFields'))])),
      el('label', { class: 'inline' }, el('input', { type: 'checkbox', id: 'present-full-name', checked: choice.showHolderName }), t('presentFullName')),
      el('label', { for: 'present-purpose' }, t('presentPurpose')),
      purpose,
      el('p', { class: 'small muted' }, t('presentPurposeHint')),
      el('div', { class: 'dialog-actions' },
        el('button', { type: 'submit' }, t('presentMake')),
        el('button', { type: 'button', class: 'secondary', id: 'present-cancel' }, t('presentCancel'))),
      el('div', { id: 'present-status', class: 'notice', role: 'status', hidden: true }),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      captureChoice();
      void fetchPresentation(true);
    });
    dialog.replaceChildren(el('h2', { id: 'present-title' }, t('presentTitle', { type: typeName() })), form);
    form.querySelector('#present-cancel')!.addEventListener('click', () => dialog.close());
  };

  const clockText = () => {
    if (!shown) return '';
    const expires = new Date(shown.expiresAt);
    if (refreshFailed) return t('presentRefreshFailed', { time: formatClock(expires) });
    return t('presentClock', { seconds: Math.max(0, Math.ceil((refreshAt - Date.now()) / 1000)), time: formatClock(expires) });
  };

  const drawShow = () => {
    if (!shown) return;
    step = 'show';
    const band = choice.purpose ? t('presentForPurpose', { purpose: choice.purpose }) : t('presentAnyPurpose');
    const expired = Date.parse(shown.expiresAt) <= Date.now();
    const stamp = el('div', { class: 'present-stamp', 'aria-hidden': 'true' });
    for (let i = 0; i < 8; i++) stamp.append(el('span', {}, band));
    const frame = el('div', { class: `present-qr${choice.purpose ? ' with-purpose' : ''}`, id: 'present-qr' },
      stamp,
      el('p', { class: 'present-band', id: 'present-purpose-band' }, band),
      expired ? el('p', { class: 'notice error' }, t('presentExpired')) : qrSvg(shown.verifyUrl, `${t('presentQrLabel')} · ${typeName()}`, 'L'),
      el('p', { class: 'present-band', 'aria-hidden': 'true' }, band),
    );
    const change = el('button', { type: 'button', class: 'secondary' }, t('presentChange'));
    change.addEventListener('click', drawChoose);
    const stop = el('button', { type: 'button' }, t('presentStop'));
    stop.addEventListener('click', () => dialog.close());
    dialog.replaceChildren(
      el('h2', { id: 'present-title' }, t('presentTitle', { type: typeName() })),
      frame,
      el('p', { class: 'present-clock', id: 'present-clock', role: 'timer' }, expired ? '' : clockText()),
      el('p', { class: 'small muted' }, t('presentHowTo')),
      el('div', { class: 'dialog-actions' }, change, stop),
      el('div', { id: 'present-status', class: 'notice', role: 'status', hidden: true }),
    );
  };

  const tick = () => {
    if (!shown) return;
    if (Date.parse(shown.expiresAt) <= Date.now()) {
      stopTimers();
      drawShow();
      return;
    }
    const clock = document.getElementById('present-clock');
    if (clock) clock.textContent = clockText();
  };

  const fetchPresentation = async (first: boolean): Promise<void> => {
    const status = () => document.getElementById('present-status');
    try {
      const body = { fields: choice.fields, ...(choice.showHolderName ? { showHolderName: true } : {}), ...(choice.purpose ? { purpose: choice.purpose } : {}) };
      shown = await apiJson<Presentation>('POST', `/me/licences/${encodeURIComponent(licence.id)}/presentations`, { ...auth(), json: body });
      refreshFailed = false;
      refreshAt = Date.now() + shown.refreshAfterSeconds * 1000;
      drawShow();
      stopTimers();
      clockTimer = setInterval(tick, 1000);
      refreshTimer = setTimeout(() => void fetchPresentation(false), shown.refreshAfterSeconds * 1000);
      wakeLock ??= await (navigator as { wakeLock?: { request(kind: 'screen'): Promise<{ release(): Promise<void> }> } }).wakeLock?.request('screen').catch(() => null) ?? null;
    } catch (error) {
      if (first || !shown) {
        const node = status();
        if (node) setStatus(node, error instanceof ApiError && error.status === 401 ? t('signedOut') : errorText(error), 'error');
        return;
      }
      // Keep showing the code while it is still valid, and try again shortly.
      refreshFailed = true;
      tick();
      refreshTimer = setTimeout(() => void fetchPresentation(false), 10_000);
    }
  };

  const redraw = () => {
    if (session !== mine || !dialog.open) return;
    if (step === 'show') drawShow();
    else drawChoose();
  };
  onLanguageChange(redraw);
  const stop = () => {
    stopTimers();
    void wakeLock?.release().catch(() => undefined);
    wakeLock = null;
    shown = null;
    session = null;
  };
  const mine = { stop };
  session = mine;
  dialog.addEventListener('close', stop, { once: true });
  dialog.replaceChildren(); // nothing of a previous licence's form carries over
  drawChoose();
  dialog.showModal();
}
