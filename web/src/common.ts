/** Shared by the three pages: language switch, API calls, downloads, small DOM helpers, the development banner. */
import { problemText } from './problem-text.ts';

export type Lang = 'zh-CN' | 'en';
export type Dict = Record<string, { 'zh-CN': string; en: string }>;

const LANG_KEY = 'licence-vault.lang';

export const COMMON: Dict = {
  langSwitch: { 'zh-CN': 'English', en: '中文' },
  langSwitchLabel: { 'zh-CN': 'Switch to English', en: '切换到中文' },
  navVerify: { 'zh-CN': '核验证照', en: 'Verify a licence' },
  navPortal: { 'zh-CN': '我的证照', en: 'My licences' },
  navAuditor: { 'zh-CN': '审计', en: 'Auditor' },
  loading: { 'zh-CN': '加载中…', en: 'Loading…' },
  none: { 'zh-CN': '暂无', en: 'None' },
  error: { 'zh-CN': '出错了', en: 'Something went wrong' },
  signOut: { 'zh-CN': '退出', en: 'Sign out' },
  refresh: { 'zh-CN': '刷新', en: 'Refresh' },
  'status.active': { 'zh-CN': '有效', en: 'Active' },
  'status.suspended': { 'zh-CN': '已暂停', en: 'Suspended' },
  'status.revoked': { 'zh-CN': '已撤销', en: 'Revoked' },
  'status.superseded': { 'zh-CN': '已被新版本取代', en: 'Superseded' },
  devBanner: { 'zh-CN': '开发用登录', en: 'Development sign-in' },
  devBannerText: { 'zh-CN': '此环境开启了开发用登录：任何人输入任意号码即可冒用他人身份。请勿存放或查看真实数据。', en: 'This environment has development sign-in on: anyone can sign in as anyone by typing a number. Never keep or view real data here.' },
  devBannerProduction: { 'zh-CN': '（已连接正式数据库，请立即关闭 DEV_IDP_ENABLED）', en: '(with production engines: turn DEV_IDP_ENABLED off now)' },
};

let dict: Dict = COMMON;
const listeners: Array<() => void> = [];

export function currentLang(): Lang {
  const stored = localStorage.getItem(LANG_KEY);
  if (stored === 'zh-CN' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function t(key: string, vars: Record<string, string | number> = {}): string {
  const entry = dict[key];
  let text = entry ? entry[currentLang()] : key;
  for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
  return text;
}

/** Re-renders every [data-i18n] element and calls the page's own re-render hooks. */
export function applyLanguage(): void {
  const lang = currentLang();
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) node.textContent = t(node.dataset.i18n ?? '');
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n-placeholder]')) {
    (node as HTMLInputElement).placeholder = t(node.dataset.i18nPlaceholder ?? '');
  }
  const titleKey = document.body.dataset.titleKey;
  if (titleKey) document.title = `${t(titleKey)} · Licence Vault`;
  for (const fn of listeners) fn();
  retranslateMessages();
}

export function onLanguageChange(fn: () => void): void {
  listeners.push(fn);
}

/** Call once per page with the page's strings. */
export function initPage(pageDict: Dict): void {
  dict = { ...COMMON, ...pageDict };
  const button = document.getElementById('lang-switch');
  button?.addEventListener('click', () => {
    localStorage.setItem(LANG_KEY, currentLang() === 'en' ? 'zh-CN' : 'en');
    applyLanguage();
  });
  onLanguageChange(() => {
    if (button) {
      button.textContent = t('langSwitch');
      button.setAttribute('aria-label', t('langSwitchLabel'));
    }
  });
  applyLanguage();
  void loadDepartments();
  void showDevelopmentBanner();
}

let devStatus: Promise<{ enabled: boolean; withProductionEngines: boolean }> | null = null;

/** Whether the development sign-in is on (GET /dev-idp/status answers 200; 404 when it is off). */
export function developmentSignIn(): Promise<{ enabled: boolean; withProductionEngines: boolean }> {
  devStatus ??= fetch('/dev-idp/status', { cache: 'no-store', credentials: 'omit' })
    .then(async (res) => (res.ok ? { enabled: true, withProductionEngines: Boolean(((await res.json()) as { withProductionEngines?: boolean }).withProductionEngines) } : { enabled: false, withProductionEngines: false }))
    .catch(() => ({ enabled: false, withProductionEngines: false }));
  return devStatus;
}

/** The red band on top of every page while anyone can sign in as anyone (issue 21 item 4). */
async function showDevelopmentBanner(): Promise<void> {
  const status = await developmentSignIn();
  if (!status.enabled || document.getElementById('dev-banner')) return;
  const title = el('strong', { class: 'dev-ribbon-title' });
  const text = el('span', {});
  const banner = el('div', { id: 'dev-banner', class: 'dev-ribbon', role: 'note' }, title, ' ', text);
  const draw = () => {
    title.textContent = t('devBanner');
    text.textContent = `${t('devBannerText')}${status.withProductionEngines ? ` ${t('devBannerProduction')}` : ''}`;
  };
  draw();
  onLanguageChange(draw);
  document.body.prepend(banner);
}

export interface FieldError { field: string; message: string }

/** An RFC 9457 problem answer: `code` is stable, `errors` name the fields (their messages are English). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, detail: string, readonly errors: FieldError[] = []) {
    super(detail);
  }
}

/** `actingFor`: a company's USCC, for a person appointed as its agent (sent as X-Acting-For). */
export interface ApiOptions { token?: string | null; actingFor?: string | null; json?: unknown; accept?: string }

/**
 * Pages that show a person's data (portal, auditor) fetch with `cache: 'no-store'`: nothing of one person
 * stays in the browser's HTTP cache for the next one at a shared counter.
 */
let fetchCache: RequestCache = 'default';
export function neverCacheResponses(): void {
  fetchCache = 'no-store';
}

export async function api(method: string, url: string, opts: ApiOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.actingFor) headers['x-acting-for'] = opts.actingFor;
  if (opts.accept) headers.accept = opts.accept;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(url, { method, headers, body, cache: fetchCache, credentials: 'omit' });
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let detail = res.statusText;
    let errors: FieldError[] = [];
    try {
      const problem = (await res.json()) as { code?: string; detail?: string; errors?: FieldError[] };
      code = problem.code ?? code;
      detail = [problem.detail, ...(problem.errors ?? []).map((e) => `${e.field}: ${e.message}`)].filter(Boolean).join('; ');
      errors = problem.errors ?? [];
    } catch {
      // not problem+json
    }
    throw new ApiError(res.status, code, detail, errors);
  }
  return res;
}

export async function apiJson<T>(method: string, url: string, opts: ApiOptions = {}): Promise<T> {
  return (await (await api(method, url, opts)).json()) as T;
}

/**
 * A failure in the reader's language, with the fields named (problem-text.ts): never the service's
 * English validation text. `fieldLabel` names fields the page knows better (a licence type's own labels).
 */
export function errorText(error: unknown, fieldLabel?: (field: string) => string | undefined): string {
  return problemText(error, currentLang(), fieldLabel);
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = String(v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing`);
  return node as T;
}

/** An instant as people read it, in China whatever the device says: 2026年12月8日 03:20 / 8 Dec 2026, 03:20. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const en = currentLang() === 'en';
  return d.toLocaleString(en ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: en ? 'short' : 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Messages given as a function are said again in the other language when the reader switches. */
const liveMessages = new Map<HTMLElement, () => string>();

export function setStatus(node: HTMLElement, text: string | (() => string), kind: 'info' | 'ok' | 'error' = 'info'): void {
  if (typeof text === 'function') liveMessages.set(node, text);
  else liveMessages.delete(node);
  const words = typeof text === 'function' ? text() : text;
  node.textContent = words;
  node.className = `notice ${kind}`;
  node.hidden = words === '';
}

function retranslateMessages(): void {
  for (const [node, text] of liveMessages) {
    if (!node.isConnected) liveMessages.delete(node);
    else node.textContent = text();
  }
}

export interface DepartmentEntry { code: string; nameZh: string; nameEn: string; roles: string[] }

/** The public department directory (GET /departments), loaded once per page; until then codes show. */
let departments: DepartmentEntry[] = [];
let departmentsLoaded: Promise<DepartmentEntry[]> | null = null;

export function loadDepartments(): Promise<DepartmentEntry[]> {
  departmentsLoaded ??= apiJson<{ items: DepartmentEntry[] }>('GET', '/departments')
    .then((answer) => {
      departments = answer.items;
      applyLanguage(); // redraws whatever shows department names
      return departments;
    })
    .catch(() => departments);
  return departmentsLoaded;
}

export function departmentsWithRole(role: string): DepartmentEntry[] {
  return departments.filter((d) => d.roles.includes(role));
}

export function departmentName(uscc: string): string {
  const d = departments.find((entry) => entry.code === uscc);
  if (!d) return uscc;
  return currentLang() === 'en' ? `${d.nameEn} (${uscc})` : `${d.nameZh}（${uscc}）`;
}

/** A department by name only, for people who need no codes (the code until the directory has loaded). */
export function departmentLabel(uscc: string): string {
  const d = departments.find((entry) => entry.code === uscc);
  return d ? (currentLang() === 'en' ? d.nameEn : d.nameZh) : uscc;
}

/** Licences are valid in China: dates and times are shown in China Standard Time, whatever the device says. */
const CHINA = 'Asia/Shanghai';

/**
 * A day as people write it: 2026年12月7日 / 7 December 2026. A calendar date (YYYY-MM-DD, as validity is
 * given) is shown as is; an instant is shown as its day in China.
 */
export function formatDate(value: string): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const d = new Date(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) return value;
  return d.toLocaleDateString(currentLang() === 'en' ? 'en-GB' : 'zh-CN', { year: 'numeric', month: 'long', day: 'numeric', timeZone: dateOnly ? 'UTC' : CHINA });
}

/** A time of day in China, 24-hour: 18:05:09. */
export function formatClock(d: Date): string {
  return d.toLocaleTimeString(currentLang() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: CHINA });
}

/** Today's date in China (YYYY-MM-DD): a licence's validity is in calendar days there. */
export function todayInChina(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: CHINA, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** A date typed in a date input (YYYY-MM-DD) as the start or the end of that day in China, as an instant. */
export function chinaDayBoundary(day: string, end: boolean): string {
  return new Date(`${day}T${end ? '23:59:59.999' : '00:00:00.000'}+08:00`).toISOString();
}

/** A resident ID or USCC as the verification page shows it: the first and last four characters. */
export { maskIdentifier as maskId } from '../../src/identity/masking.ts';
