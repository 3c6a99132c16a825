/** Shared by the three pages: language switch, API calls, downloads, small DOM helpers. */

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
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, detail: string) {
    super(detail);
  }
}

/** `actingFor`: a company's USCC, for a person appointed as its agent (sent as X-Acting-For). */
export interface ApiOptions { token?: string | null; actingFor?: string | null; json?: unknown; accept?: string }

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
  const res = await fetch(url, { method, headers, body });
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let detail = res.statusText;
    try {
      const problem = (await res.json()) as { code?: string; detail?: string; errors?: Array<{ field: string; message: string }> };
      code = problem.code ?? code;
      detail = [problem.detail, ...(problem.errors ?? []).map((e) => `${e.field}: ${e.message}`)].filter(Boolean).join('; ');
    } catch {
      // not problem+json
    }
    throw new ApiError(res.status, code, detail);
  }
  return res;
}

export async function apiJson<T>(method: string, url: string, opts: ApiOptions = {}): Promise<T> {
  return (await (await api(method, url, opts)).json()) as T;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${t('error')}: ${error.code} — ${error.message}`;
  return `${t('error')}: ${error instanceof Error ? error.message : String(error)}`;
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

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(currentLang() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

export function setStatus(node: HTMLElement, text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  node.textContent = text;
  node.className = `notice ${kind}`;
  node.hidden = text === '';
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
  return d ? `${currentLang() === 'en' ? d.nameEn : d.nameZh} (${uscc})` : uscc;
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
