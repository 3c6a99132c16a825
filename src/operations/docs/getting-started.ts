/**
 * /docs/getting-started: from nothing to a department's query under a holder's consent, in bash — a token
 * (RFC 7523 client assertion), a licence issued, its PDF downloaded and verified, the holder's consent, the
 * requesting department's query. The commands are written once here and shown the same in both languages;
 * test/docs/getting-started.test.ts reads them back from the served page and runs them, in order, against a
 * running vault, so the page cannot drift from what works.
 */
import type { Bilingual, DocsLanguage } from './docs-layout.ts';
import { docsPage, escapeHtml, pick, prose } from './docs-layout.ts';

export interface GettingStartedStep {
  /** Anchor and test handle. */
  id: string;
  title: Bilingual;
  /** HTML, before the commands. */
  text: Bilingual;
  /** Bash, copied as is. */
  commands: string;
  /** HTML, after the commands: what the reader should see. */
  after?: Bilingual;
  /** False for what the test does itself (starting the service). */
  run: boolean;
}

export const GETTING_STARTED_STEPS: readonly GettingStartedStep[] = [
  {
    id: 'start',
    run: false,
    title: { zh: '启动服务', en: 'Start the service' },
    text: {
      zh: `需要 Node.js 20 或更高版本、bash 和 curl。在仓库目录下安装依赖并启动服务。服务使用内置的默认组件（PGlite 数据库、本地目录存储、嵌入式账本），
首次启动时会在 <code>./data</code> 下生成开发用的证书体系和各部门的客户端密钥：`,
      en: `You need Node.js 20 or later, bash and curl. In the repository, install and start the service; it runs on its embedded defaults
(PGlite, a local directory, the embedded ledger) and on first start creates a development PKI and each department's client key under <code>./data</code>:`,
    },
    commands: 'npm ci && npm start',
    after: {
      zh: '服务监听 <code>http://127.0.0.1:8080</code>。以下命令都在<strong>另一个终端</strong>中执行，工作目录仍是仓库目录。',
      en: 'The service listens on <code>http://127.0.0.1:8080</code>. Run everything below in <strong>another terminal</strong>, in the same repository.',
    },
  },
  {
    id: 'setup',
    run: true,
    title: { zh: '准备环境变量', en: 'Set up the shell' },
    text: {
      zh: `<code>VAULT</code> 是服务地址；<code>PUBLIC_BASE_URL</code> 是它对外公布的地址，客户端断言的 <code>aud</code> 要用它（经反向代理访问时两者不同）；
<code>DATA_DIR</code> 是 <code>npm start</code> 存放密钥的目录。已经设置的变量不会被覆盖。<code>json</code> 是一个小函数，用 Node.js 取出 JSON 响应中的某一项
（装了 jq 也可以用 <code>jq -r</code>）。`,
      en: `<code>VAULT</code> is where the service answers; <code>PUBLIC_BASE_URL</code> is its public URL, which a client assertion's <code>aud</code>
names (the two differ behind a reverse proxy); <code>DATA_DIR</code> is where <code>npm start</code> keeps its keys. Variables you have already set are kept.
<code>json</code> is a small function that prints one member of a JSON answer with Node.js (<code>jq -r</code> does the same if you have jq).`,
    },
    commands: `export VAULT=\${VAULT:-http://127.0.0.1:8080}
export PUBLIC_BASE_URL=\${PUBLIC_BASE_URL:-$VAULT}
export DATA_DIR=\${DATA_DIR:-./data}
json() { node -pe "JSON.parse(require('fs').readFileSync(0, 'utf8'))$1"; }
curl -sS --fail-with-body -w '\\n' "$VAULT/healthz"`,
    after: { zh: '应输出 <code>{"status":"ok"}</code>。', en: 'It prints <code>{"status":"ok"}</code>.' },
  },
  {
    id: 'token',
    run: true,
    title: { zh: '第一步：部门获取访问令牌', en: 'Step 1: a department gets an access token' },
    text: {
      zh: `部门系统用自己的私钥签名生成一个客户端断言（JWT：<code>iss</code> 和 <code>sub</code> 都是本部门的统一社会信用代码，<code>aud</code> 是令牌端点地址，
<code>jti</code> 每次不同，有效期不超过 5 分钟），提交到 <code>POST /oauth/token</code>（RFC 7523 <code>private_key_jwt</code>），换取有效期 5 分钟的访问令牌。
开发环境中，<code>npm start</code> 已为每个开发部门生成了私钥，存放在 <code>$DATA_DIR/dev-clients/&lt;部门代码&gt;.jwk</code>（JWK 格式，权限 0600），
公钥已登记在部门名册中；生产环境由部门自行生成密钥对，只登记公钥。下面以朝阳区市场监督管理局（发证部门）为例，手工生成断言并换取令牌：`,
      en: `A department's system signs a client assertion with its private key (a JWT: <code>iss</code> and <code>sub</code> are the department's unified social credit code,
<code>aud</code> is the token endpoint's URL, a new <code>jti</code> each time, expiring within 5 minutes) and sends it to <code>POST /oauth/token</code>
(RFC 7523 <code>private_key_jwt</code>) for an access token that lasts 5 minutes. In development, <code>npm start</code> made a private key for each development department
in <code>$DATA_DIR/dev-clients/&lt;department code&gt;.jwk</code> (a JWK, mode 0600) and registered its public half; in production a department makes its own key pair and registers
only the public key. Here, by hand, for the Chaoyang District Administration for Market Regulation (an issuer):`,
    },
    commands: `DEPT=111101050000100149   # 朝阳区市场监督管理局
ASSERTION=$(KEY="$DATA_DIR/dev-clients/$DEPT.jwk" DEPT=$DEPT AUD="$PUBLIC_BASE_URL/oauth/token" node --input-type=module -e '
import crypto from "node:crypto";
import fs from "node:fs";
import { importJWK, SignJWT } from "jose";
const jwk = JSON.parse(fs.readFileSync(process.env.KEY, "utf8"));
const now = Math.floor(Date.now() / 1000);
console.log(await new SignJWT({})
  .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: "JWT" })
  .setIssuer(process.env.DEPT).setSubject(process.env.DEPT).setAudience(process.env.AUD)
  .setIssuedAt(now).setExpirationTime(now + 60).setJti(crypto.randomUUID())
  .sign(await importJWK(jwk, jwk.alg)));
')
curl -sS --fail-with-body -w '\\n' -X POST "$VAULT/oauth/token" \\
  --data-urlencode grant_type=client_credentials \\
  --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\
  --data-urlencode "client_assertion=$ASSERTION" | tee token.json
T=$(json .access_token < token.json)`,
    after: {
      zh: `响应中的 <code>scope</code> 为 <code>issuer</code>（发证）。命令行工具把以上操作合成了一条命令，之后可以直接使用：
<pre><code>T=$(npm run -s cli -- token --department 111101050000100149 --url "$VAULT")</code></pre>
令牌 5 分钟后失效；之后的请求如果返回 401 <code>TOKEN_INVALID</code>，重新执行这一步即可。`,
      en: `The answer's <code>scope</code> is <code>issuer</code>. The command line does all of the above in one go, for later:
<pre><code>T=$(npm run -s cli -- token --department 111101050000100149 --url "$VAULT")</code></pre>
The token expires after 5 minutes; if a later request gets 401 <code>TOKEN_INVALID</code>, run this step again.`,
    },
  },
  {
    id: 'issue',
    run: true,
    title: { zh: '第二步：签发一张证照', en: 'Step 2: issue a licence' },
    text: {
      zh: `市场监督管理局给北京𠮷𪚥餐饮管理有限公司（统一社会信用代码 91350100M000100Y43）签发食品经营许可证。字段按证照类型的 JSON Schema 填写
（<code>GET /licence-types/food-business-licence</code>）；不填有效期时，自今日起按该类型的默认年限计算。带上 <code>Idempotency-Key</code>，
网络中断后原样重发是安全的：同一个键、同一份请求，得到的是同一张证照（200，<code>Idempotent-Replayed: true</code>），不会签发第二张。`,
      en: `The market regulator issues a food business licence to 北京𠮷𪚥餐饮管理有限公司 (unified social credit code 91350100M000100Y43). The fields follow the
type's JSON Schema (<code>GET /licence-types/food-business-licence</code>); without a validity window it starts today and lasts the type's default years.
With an <code>Idempotency-Key</code> a retry after a network failure is safe: the same key and request answer with the same licence (200,
<code>Idempotent-Replayed: true</code>), never a second one.`,
    },
    commands: `curl -sS --fail-with-body -w '\\n' -X POST "$VAULT/licences" \\
  -H "authorization: Bearer $T" -H 'content-type: application/json' \\
  -H 'Idempotency-Key: getting-started-1' --data-binary @- <<'EOF' | tee licence.json
{"type": "food-business-licence",
 "holder": {"id": "91350100M000100Y43", "name": "北京𠮷𪚥餐饮管理有限公司"},
 "fields": {"legalRepresentative": "张𠮷", "premises": "北京市朝阳区建国路1号",
            "mainBusinessFormat": "餐饮服务经营者", "businessItems": "热食类食品制售"}}
EOF
ID=$(json .id < licence.json)
echo "$ID"`,
    after: {
      zh: `证照编号形如 <code>FB.111101050000100149.0000000001.01.N</code>：类型、发证部门代码、流水号、版本、校验位。首次签发的响应中还有
<code>verificationCode</code>，即印在证照二维码旁的核验码；服务只保存它的哈希值，此后无法再次获取。`,
      en: `A licence number looks like <code>FB.111101050000100149.0000000001.01.N</code>: type, issuer code, serial, version, check character. The first answer also
carries <code>verificationCode</code>, the code printed beside the licence's QR code; the service keeps only its hash, so it is never shown again.`,
    },
  },
  {
    id: 'download',
    run: true,
    title: { zh: '第三步：持证主体下载 PDF', en: 'Step 3: the holder downloads the PDF' },
    text: {
      zh: `持证主体用政府统一身份认证平台的令牌登录；开发环境用内置的开发登录代替（<code>POST /dev-idp/token</code>，生产环境不开放）。
企业以统一社会信用代码登录。下载的是发证部门签名的 PDF（PAdES），服务在发出前会与签发时记录的哈希值核对。`,
      en: `A holder signs in with a token from the government identity provider; in development the built-in development sign-in stands in for it
(<code>POST /dev-idp/token</code>, never on in production). A company signs in with its unified social credit code. The PDF is signed by the issuer (PAdES)
and checked against the hash recorded at issuance before it is served.`,
    },
    commands: `H=$(curl -sS --fail-with-body -X POST "$VAULT/dev-idp/token" -H 'content-type: application/json' \\
  -d '{"subject": "91350100M000100Y43"}' | json .id_token)
curl -sS --fail-with-body -o licence.pdf "$VAULT/licences/$ID/document" -H "authorization: Bearer $H"
ls -l licence.pdf`,
    after: {
      zh: '如已安装 poppler-utils，执行 <code>pdfsig licence.pdf</code> 会显示“Signature is Valid”。',
      en: 'With poppler-utils installed, <code>pdfsig licence.pdf</code> says “Signature is Valid”.',
    },
  },
  {
    id: 'verify',
    run: true,
    title: { zh: '第四步：核验 PDF', en: 'Step 4: verify the PDF' },
    text: {
      zh: `核验需要回执：证照在透明日志中的叶子、包含证明、签名检查点和账本锚定。签发后几秒内，后台任务把证照纳入签名检查点，
在此之前回执接口返回 409 <code>RECEIPT_PENDING</code>，下面的循环会等到回执就绪。然后把 PDF（base64 编码）和回执提交给公开接口 <code>POST /verify</code>，
或用命令行工具在本地核验（只有账本上的事实需要联网查询）：`,
      en: `Verifying needs the receipt: the licence's leaf in the transparency log, its inclusion proof, the signed checkpoint and the ledger anchor. A background task
puts the licence into a signed checkpoint within seconds of issuance; until then the receipt answers 409 <code>RECEIPT_PENDING</code>, and the loop below waits for it.
Then hand the PDF (base64) and the receipt to the public <code>POST /verify</code>, or verify locally with the command line (only ledger facts come from the network):`,
    },
    commands: `for i in $(seq 30); do
  curl -sf -o receipt.json "$VAULT/licences/$ID/receipt" -H "authorization: Bearer $H" && break
  sleep 2
done
node -e '
const fs = require("fs");
fs.writeFileSync("verify-request.json", JSON.stringify({
  pdf: fs.readFileSync("licence.pdf").toString("base64"),
  receipt: JSON.parse(fs.readFileSync("receipt.json", "utf8")),
}));'
curl -sS --fail-with-body -X POST "$VAULT/verify" -H 'content-type: application/json' \\
  --data-binary @verify-request.json > report.json
json .verdict.verdict < report.json
npm run -s cli -- verify licence.pdf --receipt receipt.json --url "$VAULT"`,
    after: {
      zh: `<code>POST /verify</code> 的结论是 <code>valid</code>，<code>report.json</code> 中七项检查（签名、签发机构、文件哈希、包含证明、检查点、账本锚定、状态）
均通过；未通过的检查会带上固定的失败码。命令行工具全部核验通过时退出码为 0，有检查未通过时为 1，缺少回执而未能全部核验时为 3。`,
      en: `<code>POST /verify</code> says <code>valid</code>, and all seven checks in <code>report.json</code> (signature, issuer, document hash, inclusion, checkpoint, anchor,
status) pass; a failing one carries a stable failure code. The command line exits 0 when everything verified, 1 when a check failed, 3 when it could not check
everything (no receipt).`,
    },
  },
  {
    id: 'consent',
    run: true,
    title: { zh: '第五步：用证部门申请授权，持证主体同意', en: 'Step 5: a department asks for consent, the holder approves' },
    text: {
      zh: `食品经营许可证属于有条件共享：用证部门须取得持证主体的授权（或有法定依据）才能查询。朝阳区税务局（用证部门）为办理
“餐饮企业发票领用”（事项编码 11110105000010030Y-0002，见 <code>GET /service-items</code>）发起授权申请；响应中的 <code>link</code>
在办事窗口显示为二维码，企业扫码后看清是谁、为什么、要哪些信息，再点同意。这里直接调用接口代替扫码：`,
      en: `A food business licence is shared conditionally: a requesting department needs the holder's consent (or a legal basis) to query it. The Chaoyang District
Tax Bureau (a requester) raises a consent request for “Invoice application for a catering business” (service item 11110105000010030Y-0002, see
<code>GET /service-items</code>); the answer's <code>link</code> is shown at the counter as a QR code, and the company opens it, sees who asks for what and why, and
approves. Here the API stands in for the phone:`,
    },
    commands: `TAX=$(npm run -s cli -- token --department 11110105000010030Y --url "$VAULT")   # 朝阳区税务局
UNTIL=$(node -p 'new Date(Date.now() + 30 * 86400e3).toISOString()')
curl -sS --fail-with-body -w '\\n' -X POST "$VAULT/consent-requests" \\
  -H "authorization: Bearer $TAX" -H 'content-type: application/json' --data-binary @- <<EOF | tee consent-request.json
{"holderId": "91350100M000100Y43", "serviceItem": "11110105000010030Y-0002",
 "consentValidUntil": "$UNTIL", "maxUses": 3, "caseNumber": "TAX-2026-0042"}
EOF
REQUEST=$(json .id < consent-request.json)
curl -sS --fail-with-body "$VAULT/me/consent-requests/$REQUEST" -H "authorization: Bearer $H" | json .serviceItem.nameZh
CONSENT=$(curl -sS --fail-with-body -X POST "$VAULT/me/consent-requests/$REQUEST/approval" \\
  -H "authorization: Bearer $H" | json .consent.id)
echo "$CONSENT"`,
    after: {
      zh: `企业看到的事项名称是“餐饮企业发票领用”；同意后得到授权编号 <code>cns_…</code>，税务局可在 30 天内查询至多 3 次食品经营许可证的法定代表人、
经营场所和主体业态。持证主体也可以主动授权（<code>POST /me/consents</code>），并可随时撤回（<code>POST /me/consents/{consentId}/withdrawal</code>）。`,
      en: `The company sees “餐饮企业发票领用” and, once it approves, the consent's id <code>cns_…</code>: the tax bureau may read the food business licence's legal
representative, premises and main business format, at most 3 times within 30 days. A holder can also grant consent directly (<code>POST /me/consents</code>) and
withdraw it at any time (<code>POST /me/consents/{consentId}/withdrawal</code>).`,
    },
  },
  {
    id: 'query',
    run: true,
    title: { zh: '第六步：用证部门查询', en: 'Step 6: the requesting department queries' },
    text: {
      zh: `税务局凭授权核验这张证照，并写明事项、案件编号和经办人。响应只包含授权范围内的字段，每个字段附带盐值和证明，可与账本锚定的叶子核对；
证照状态取自账本。每次查询（包括被拒绝的）都记入访问日志，持证主体可以在“数据使用记录”中看到：`,
      en: `The tax bureau verifies the licence under the consent, naming the service item, its case number and the official. The answer holds only the fields the consent
covers, each with its salt and proof against the anchored leaf; the status comes from the ledger. Every query, refused ones included, is in the access log, and the
holder sees it in their data tracker:`,
    },
    commands: `curl -sS --fail-with-body -w '\\n' -X POST "$VAULT/exchange/queries" \\
  -H "authorization: Bearer $TAX" -H 'content-type: application/json' --data-binary @- <<EOF | tee answer.json
{"holderId": "91350100M000100Y43", "serviceItem": "11110105000010030Y-0002",
 "caseNumber": "TAX-2026-0042", "officialId": "tax-officer-017",
 "basis": {"kind": "consent", "consentId": "$CONSENT"},
 "query": {"kind": "verify", "licenceId": "$ID"},
 "fields": ["legalRepresentative", "premises", "mainBusinessFormat"]}
EOF
json '.results[0].status.value' < answer.json
curl -sS --fail-with-body "$VAULT/me/accesses" -H "authorization: Bearer $H" | json '.items[0].described.outcome.zh'`,
    after: {
      zh: `状态为 <code>active</code>，企业的数据使用记录中有这次查询。没有授权、授权已撤回或次数用完、字段超出范围时，响应为 403，
<code>code</code> 分别为 <code>NO_CONSENT</code>、<code>CONSENT_REVOKED</code>、<code>CONSENT_EXHAUSTED</code>、<code>FIELD_NOT_COVERED</code>，
含义见<a href="/docs/errors?lang=zh-CN#exchange">错误码</a>。`,
      en: `The status is <code>active</code>, and the query is in the company's data tracker. Without consent, after it is withdrawn or used up, or for fields beyond it,
the answer is 403 with <code>code</code> <code>NO_CONSENT</code>, <code>CONSENT_REVOKED</code>, <code>CONSENT_EXHAUSTED</code> or <code>FIELD_NOT_COVERED</code>;
see the <a href="/docs/errors?lang=en#exchange">error codes</a>.`,
    },
  },
];

const TEXT = {
  title: { zh: '快速入门', en: 'Getting started' },
  lead: {
    zh: `用 bash 和 curl 走一遍完整流程：部门取得令牌、签发证照、持证主体下载 PDF、核验、持证主体授权、用证部门查询。
所有命令都可以直接复制执行。请按顺序执行，后面的步骤要用到前面设置的变量（<code>$T</code>、<code>$ID</code>、<code>$H</code> 等）。接口的完整说明见
<a href="/docs?lang=zh-CN">接口参考</a>，错误响应见<a href="/docs/errors?lang=zh-CN">错误码</a>。`,
    en: `The whole flow in bash and curl: a department gets a token and issues a licence, the holder downloads the PDF, it is verified, the holder consents, a
requesting department queries. Every command can be copied and run as it is; run them in order, since later steps use the variables earlier ones set
(<code>$T</code>, <code>$ID</code>, <code>$H</code> and so on). Every operation is in the <a href="/docs?lang=en">API reference</a>, every error answer in
<a href="/docs/errors?lang=en">error codes</a>.`,
  },
  copy: { zh: '复制', en: 'Copy' },
};

export function renderGettingStarted(lang: DocsLanguage): string {
  const toc = GETTING_STARTED_STEPS.map((s) => `<li><a href="#${s.id}">${escapeHtml(pick(s.title, lang))}</a></li>`).join('');
  const steps = GETTING_STARTED_STEPS.map((s) => `<section class="step" id="${s.id}">
<h2>${escapeHtml(pick(s.title, lang))}</h2>
<p>${prose(s.text, lang)}</p>
<pre class="commands" data-step="${s.id}" data-run="${s.run ? 'yes' : 'no'}" data-copy-label="${pick(TEXT.copy, lang)}"><code class="language-bash">${escapeHtml(s.commands)}</code></pre>
${s.after ? `<div class="after">${wrapParagraphs(prose(s.after, lang))}</div>` : ''}
</section>`).join('\n');
  const body = `<h1>${pick(TEXT.title, lang)}</h1>
<p>${prose(TEXT.lead, lang)}</p>
<nav class="toc"><ol>${toc}</ol></nav>
${steps}`;
  return docsPage({ path: '/docs/getting-started', lang, title: pick(TEXT.title, lang), body });
}

/** Text with a <pre> inside is split into paragraphs around it (a <pre> cannot sit inside a <p>). */
function wrapParagraphs(html: string): string {
  return html.split(/(<pre>[\s\S]*?<\/pre>)/).map((part) => (part.startsWith('<pre>') ? part : part.trim() ? `<p>${part.trim()}</p>` : '')).join('\n');
}
