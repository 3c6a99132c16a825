/**
 * The catalogue of error codes, kept in openapi.yaml (`x-error-codes`) so a client that downloads the
 * contract has it too, and rendered here as /docs/errors. Each code links to itself (`/docs/errors#NO_CONSENT`).
 */
import type { Bilingual, DocsLanguage } from './docs-layout.ts';
import { docsPage, escapeHtml, pick, prose } from './docs-layout.ts';

export interface ErrorCodeEntry extends Bilingual {
  code: string;
  /** The HTTP statuses the code is answered with (usually one). */
  statuses: number[];
}

export interface ErrorCodeGroup extends Bilingual {
  id: string;
  /** What holds for every code of the group. */
  note?: Bilingual;
  codes: ErrorCodeEntry[];
}

/** The catalogue as openapi.yaml has it; a malformed one stops start-up (fail fast, like the other catalogues). */
export function errorCatalogue(openApi: Record<string, unknown>): ErrorCodeGroup[] {
  const raw = openApi['x-error-codes'];
  if (!Array.isArray(raw)) throw new Error('openapi.yaml: x-error-codes must be a list of groups');
  return raw.map((group: Record<string, unknown>, g) => {
    const where = `openapi.yaml: x-error-codes[${g}]`;
    if (typeof group.group !== 'string' || typeof group.zh !== 'string' || typeof group.en !== 'string' || !Array.isArray(group.codes)) {
      throw new Error(`${where} needs group, zh, en and codes`);
    }
    const note = group.note as Bilingual | undefined;
    if (note !== undefined && (typeof note.zh !== 'string' || typeof note.en !== 'string')) throw new Error(`${where}.note needs zh and en`);
    return {
      id: group.group,
      zh: group.zh,
      en: group.en,
      ...(note ? { note: { zh: note.zh, en: note.en } } : {}),
      codes: group.codes.map((entry: Record<string, unknown>, i) => {
        const statuses = Array.isArray(entry.status) ? entry.status : [entry.status];
        if (typeof entry.code !== 'string' || typeof entry.zh !== 'string' || typeof entry.en !== 'string' || !statuses.every((s) => Number.isInteger(s))) {
          throw new Error(`${where}.codes[${i}] needs code, status, zh and en`);
        }
        return { code: entry.code, statuses: statuses as number[], zh: entry.zh, en: entry.en };
      }),
    };
  });
}

const TEXT = {
  title: { zh: '错误码', en: 'Error codes' },
  lead: {
    zh: `出错时，服务按 <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a> 返回 <code>application/problem+json</code>：
<code>type</code>、<code>title</code>、<code>status</code>、<code>detail</code>，以及固定不变的 <code>code</code>。程序应以 <code>code</code> 为准，
不要解析 <code>detail</code> 的文字（措辞可能随版本调整）。输入错误另带 <code>errors: [{field, message}]</code>，逐项列出要改的字段。
只有令牌端点 <code>POST /oauth/token</code> 的错误还带 RFC 6749 的 <code>error</code> 与 <code>error_description</code>，供 OAuth 客户端库识别；其他接口一律不带。`,
    en: `When something goes wrong, the service answers with an <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a> problem,
<code>application/problem+json</code>: <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and a stable <code>code</code>.
Programs match on <code>code</code>, never on the words of <code>detail</code> (they may be reworded). Input errors also carry
<code>errors: [{field, message}]</code>, one entry per field to fix. Only the token endpoint, <code>POST /oauth/token</code>, adds
RFC 6749's <code>error</code> and <code>error_description</code> for OAuth client libraries; no other route does.`,
  },
  retry: {
    zh: '带 <code>Retry-After</code> 的响应（429、503，以及 409 <code>RECEIPT_PENDING</code>）表示稍后重试同一请求即可；其余 4xx 须先修改请求。',
    en: 'Answers with <code>Retry-After</code> (429, 503, and 409 <code>RECEIPT_PENDING</code>) mean the same request will succeed later; any other 4xx needs a changed request.',
  },
  example: { zh: '示例', en: 'Example' },
  code: { zh: '错误码', en: 'Code' },
  status: { zh: 'HTTP 状态', en: 'HTTP status' },
  meaning: { zh: '含义与处理', en: 'Meaning and what to do' },
  count: { zh: (n: number) => `共 ${n} 个错误码。`, en: (n: number) => `${n} codes in all.` },
};

const EXAMPLE = `HTTP/1.1 403 Forbidden
Content-Type: application/problem+json; charset=utf-8

{
  "type": "urn:licence-vault:problem:no-consent",
  "title": "Forbidden",
  "status": 403,
  "detail": "no consent with this id from this holder to your department",
  "code": "NO_CONSENT",
  "accessId": "acc_1cd8473f-b71a-4dca-9174-b0457f25ebd6",
  "instance": "/exchange/queries"
}`;

export function renderErrorCatalogue(groups: ErrorCodeGroup[], lang: DocsLanguage): string {
  const count = groups.reduce((n, g) => n + g.codes.length, 0);
  const toc = groups.map((g) => `<li><a href="#${g.id}">${escapeHtml(pick(g, lang))}</a></li>`).join('');
  const sections = groups.map((g) => `<section id="${g.id}">
<h2>${escapeHtml(pick(g, lang))}</h2>
${g.note ? `<p>${escapeHtml(pick(g.note, lang))}</p>` : ''}
<table class="codes">
<thead><tr><th scope="col">${pick(TEXT.code, lang)}</th><th scope="col">${pick(TEXT.status, lang)}</th><th scope="col">${pick(TEXT.meaning, lang)}</th></tr></thead>
<tbody>
${g.codes.map((c) => `<tr id="${c.code}"><td><a href="#${c.code}"><code>${c.code}</code></a></td><td>${c.statuses.join(' / ')}</td><td>${escapeHtml(pick(c, lang))}</td></tr>`).join('\n')}
</tbody>
</table>
</section>`).join('\n');
  const body = `<h1>${pick(TEXT.title, lang)}</h1>
<p>${prose(TEXT.lead, lang)}</p>
<p>${prose(TEXT.retry, lang)}</p>
<figure><figcaption>${pick(TEXT.example, lang)}</figcaption><pre><code>${escapeHtml(EXAMPLE)}</code></pre></figure>
<p>${lang === 'zh-CN' ? TEXT.count.zh(count) : TEXT.count.en(count)}</p>
<nav class="toc"><ul>${toc}</ul></nav>
${sections}`;
  return docsPage({ path: '/docs/errors', lang, title: pick(TEXT.title, lang), body });
}
