/**
 * The frame of the developer documentation under /docs: one bar with the three pages (API reference,
 * getting started, error codes) and the language switch, in Chinese (zh-CN) or English. Pages are plain
 * HTML written on the server; their one script (copy buttons) and stylesheet come from /docs/static, so the
 * pages make no external requests and run under the service's script-src 'self'.
 */

export type DocsLanguage = 'zh-CN' | 'en';

export const DOCS_LANGUAGES: readonly DocsLanguage[] = ['zh-CN', 'en'];

/** Text in both languages. */
export interface Bilingual {
  zh: string;
  en: string;
}

export function pick(text: Bilingual, lang: DocsLanguage): string {
  return lang === 'zh-CN' ? text.zh : text.en;
}

/**
 * Prose in the page's language, its source line breaks joined as the language wants them: a browser shows a
 * line break as a space, which Chinese does not put between characters (only between Latin words, as here
 * around code and numbers). Breaks inside <pre> are kept.
 */
export function prose(text: Bilingual, lang: DocsLanguage): string {
  return pick(text, lang)
    .split(/(<pre>[\s\S]*?<\/pre>)/)
    .map((part) => (part.startsWith('<pre>') ? part : part.replace(/(.)[ \t]*\n[ \t]*(.)/gu, (_, a: string, b: string) => `${a}${joiner(a, b)}${b}`)))
    .join('');
}

const FULL_WIDTH_PUNCTUATION = /[\u3000-\u303f\uff00-\uffef]/u;
const HAN = /\p{Script=Han}/u;

/** Nothing beside full-width punctuation or between two Chinese characters; a space between Chinese and Latin, or two Latin words. */
function joiner(before: string, after: string): string {
  if (FULL_WIDTH_PUNCTUATION.test(before) || FULL_WIDTH_PUNCTUATION.test(after)) return '';
  return HAN.test(before) && HAN.test(after) ? '' : ' ';
}

/**
 * The page's language: `?lang=` when given, else the reader's first choice between Chinese and English by
 * Accept-Language (RFC 9110 §12.5.4, with q-values), else Chinese — most readers are department developers
 * in China.
 */
export function docsLanguage(query: unknown, acceptLanguage: string | string[] | undefined): DocsLanguage {
  if (query === 'zh-CN' || query === 'en') return query;
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : (acceptLanguage ?? '');
  const ranked = header
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), order };
    })
    .filter((l) => l.q > 0 && (l.tag.startsWith('zh') || l.tag.startsWith('en')))
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return ranked[0]?.tag.startsWith('en') ? 'en' : 'zh-CN';
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const NAV: Array<{ path: string; label: Bilingual }> = [
  { path: '/docs', label: { zh: '接口参考', en: 'API reference' } },
  { path: '/docs/getting-started', label: { zh: '快速入门', en: 'Getting started' } },
  { path: '/docs/errors', label: { zh: '错误码', en: 'Error codes' } },
];

/** The bar at the top of every docs page (also above Swagger UI). */
export function docsBar(current: string, lang: DocsLanguage): string {
  const other: DocsLanguage = lang === 'zh-CN' ? 'en' : 'zh-CN';
  const links = NAV.map((item) => `<a href="${item.path}?lang=${lang}"${item.path === current ? ' aria-current="page"' : ''}>${escapeHtml(pick(item.label, lang))}</a>`).join('');
  return `<header class="docs-bar">
<a class="docs-brand" href="/docs?lang=${lang}">Licence Vault <span>${lang === 'zh-CN' ? '开发者文档' : 'developer docs'}</span></a>
<nav aria-label="${lang === 'zh-CN' ? '文档' : 'Documentation'}">${links}</nav>
<a class="docs-lang" href="${current}?lang=${other}" hreflang="${other}" lang="${other}">${other === 'en' ? 'English' : '中文'}</a>
</header>`;
}

/** A whole docs page. */
export function docsPage(opts: { path: string; lang: DocsLanguage; title: string; body: string }): string {
  return `<!doctype html>
<html lang="${opts.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} · Licence Vault</title>
<link rel="stylesheet" href="/docs/static/docs.css">
</head>
<body class="docs-page">
${docsBar(opts.path, opts.lang)}
<main class="docs-main">
${opts.body}
</main>
<script src="/docs/static/docs.js"></script>
</body></html>
`;
}
