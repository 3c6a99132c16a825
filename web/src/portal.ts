/**
 * Citizen and company portal: sign in (development IdP), my licences, consents, and who looked at my data.
 * A company signed in as itself appoints its agents; an appointed person signs in and acts for the company.
 */
import { ApiError, api, apiJson, byId, currentLang, departmentName, departmentsWithRole, downloadBlob, el, errorText, formatTime, initPage, onLanguageChange, setStatus, t } from './common.ts';
import type { Dict } from './common.ts';
import { openPresentation, PRESENT_TEXT } from './portal-present.ts';

const DICT: Dict = {
  title: { 'zh-CN': '我的证照', en: 'My licences' },
  devOnly: { 'zh-CN': '仅限开发环境：开发用身份提供方，输入任意身份证号或统一社会信用代码即可登录。', en: 'Development only: the development identity provider signs you in as anyone whose resident ID or USCC you type.' },
  signInTitle: { 'zh-CN': '登录', en: 'Sign in' },
  subjectLabel: { 'zh-CN': '身份证号或统一社会信用代码', en: 'Resident ID number or USCC' },
  nameLabel: { 'zh-CN': '姓名或名称（可选）', en: 'Name (optional)' },
  signInButton: { 'zh-CN': '登录（开发环境）', en: 'Sign in (development only)' },
  signedInAs: { 'zh-CN': '已登录：{subject}', en: 'Signed in as {subject}' },
  actingForLabel: { 'zh-CN': '代理企业的统一社会信用代码（可选，须已获该企业指定）', en: 'Act for a company: its USCC (optional; you must be its appointed agent)' },
  signedInActing: { 'zh-CN': '已登录：{subject}，代理 {company}', en: 'Signed in as {subject}, acting for {company}' },
  agentsTitle: { 'zh-CN': '本企业的经办人', en: "The company's agents" },
  agentId: { 'zh-CN': '经办人身份证号', en: "Agent's resident ID number" },
  agentName: { 'zh-CN': '经办人姓名（可选）', en: "Agent's name (optional)" },
  appointUntil: { 'zh-CN': '授权有效至', en: 'Appointed until' },
  appointButton: { 'zh-CN': '指定经办人', en: 'Appoint agent' },
  agentScopes: { 'zh-CN': '授权范围', en: 'What the agent may do' },
  'scope.licences': { 'zh-CN': '查看和下载电子证照', en: 'read and download licences' },
  'scope.consents': { 'zh-CN': '授予、查看和撤回授权', en: 'grant, inspect and withdraw consents' },
  'scope.accesses': { 'zh-CN': '查看数据使用记录', en: 'read the data tracker' },
  colScopes: { 'zh-CN': '授权范围', en: 'Scopes' },
  notInScope: { 'zh-CN': '您的经办人授权不包括此项。', en: 'Your appointment as agent does not cover this.' },
  appointed: { 'zh-CN': '已指定经办人。', en: 'Agent appointed.' },
  revokeAgent: { 'zh-CN': '撤销', en: 'Revoke' },
  agentRevoked: { 'zh-CN': '已撤销经办人。', en: 'Agent revoked.' },
  noAgents: { 'zh-CN': '尚未指定经办人。', en: 'No agents appointed.' },
  colAgent: { 'zh-CN': '经办人', en: 'Agent' },
  'agent.ACTIVE': { 'zh-CN': '生效中', en: 'Active' },
  'agent.PENDING': { 'zh-CN': '未生效', en: 'Not yet valid' },
  'agent.EXPIRED': { 'zh-CN': '已过期', en: 'Expired' },
  'agent.REVOKED': { 'zh-CN': '已撤销', en: 'Revoked' },
  grantedByAgent: { 'zh-CN': '经办人 {id} 授权', en: 'granted by agent {id}' },
  licencesTitle: { 'zh-CN': '我的证照', en: 'My licences' },
  colLicence: { 'zh-CN': '证照', en: 'Licence' },
  colStatus: { 'zh-CN': '状态', en: 'Status' },
  colValid: { 'zh-CN': '有效期', en: 'Valid' },
  colActions: { 'zh-CN': '操作', en: 'Actions' },
  downloadPdf: { 'zh-CN': '下载 PDF', en: 'Download PDF' },
  openPdf: { 'zh-CN': '预览 PDF', en: 'Preview PDF' },
  downloadReceipt: { 'zh-CN': '下载回执', en: 'Download receipt' },
  downloaded: { 'zh-CN': '已下载 {file}', en: 'Downloaded {file}' },
  noLicences: { 'zh-CN': '您还没有证照。', en: 'You have no licences yet.' },
  consentTitle: { 'zh-CN': '授权部门使用我的证照', en: 'Grant a department access' },
  department: { 'zh-CN': '部门', en: 'Department' },
  serviceCode: { 'zh-CN': '事项编码', en: 'Service item code' },
  serviceText: { 'zh-CN': '事项名称 / 用途', en: 'Service item / purpose' },
  licenceTypes: { 'zh-CN': '证照类型', en: 'Licence types' },
  fields: { 'zh-CN': '可以查看的字段', en: 'Fields they may see' },
  pickType: { 'zh-CN': '请先选择证照类型。', en: 'Choose a licence type first.' },
  allowDocument: { 'zh-CN': '允许下载证照 PDF', en: 'Allow downloading the PDF' },
  validUntil: { 'zh-CN': '有效至', en: 'Valid until' },
  maxUses: { 'zh-CN': '最多使用次数', en: 'Maximum uses' },
  grantButton: { 'zh-CN': '授权', en: 'Grant consent' },
  granted: { 'zh-CN': '已授权。', en: 'Consent granted.' },
  consentsTitle: { 'zh-CN': '我的授权', en: 'My consents' },
  colPurpose: { 'zh-CN': '用途', en: 'Purpose' },
  colUses: { 'zh-CN': '已用/上限', en: 'Used / max' },
  colUntil: { 'zh-CN': '有效至', en: 'Until' },
  withdraw: { 'zh-CN': '撤回', en: 'Withdraw' },
  withdrawn: { 'zh-CN': '已撤回授权。', en: 'Consent withdrawn.' },
  noConsents: { 'zh-CN': '暂无授权。', en: 'No consents.' },
  'consent.ACTIVE': { 'zh-CN': '生效中', en: 'Active' },
  'consent.REVOKED': { 'zh-CN': '已撤回', en: 'Withdrawn' },
  'consent.EXPIRED': { 'zh-CN': '已过期', en: 'Expired' },
  'consent.EXHAUSTED': { 'zh-CN': '次数已用完', en: 'Used up' },
  accessTitle: { 'zh-CN': '谁查看了我的数据', en: 'Who looked at my data' },
  colWhen: { 'zh-CN': '时间', en: 'When' },
  colWho: { 'zh-CN': '部门', en: 'Who' },
  colWhy: { 'zh-CN': '事由', en: 'Why' },
  colResult: { 'zh-CN': '结果', en: 'Result' },
  colProof: { 'zh-CN': '证明', en: 'Proof' },
  'result.ALLOWED': { 'zh-CN': '已允许', en: 'Allowed' },
  'result.REFUSED': { 'zh-CN': '已拒绝', en: 'Refused' },
  proofAvailable: { 'zh-CN': '可下载证明', en: 'Proof available' },
  proofPending: { 'zh-CN': '证明生成中', en: 'Proof pending' },
  caseNo: { 'zh-CN': '案号 {n}', en: 'case {n}' },
  noAccesses: { 'zh-CN': '还没有部门查看过您的数据。', en: 'No department has looked at your data yet.' },
  receiptNotReady: { 'zh-CN': '回执尚未生成（证照还未记入日志检查点）。', en: 'The receipt is not ready yet (the licence is not in a log checkpoint yet).' },
};

const TOKEN_KEY = 'licence-vault.idToken';
const SUBJECT_KEY = 'licence-vault.subject';
const ACTING_KEY = 'licence-vault.actingFor';
const KIND_KEY = 'licence-vault.holderKind';

interface LicenceType { key: string; nameZh: string; nameEn: string; holderKind: string; sharingClass: string; fields: Array<{ name: string; labelZh: string; labelEn: string; disclosable: boolean }> }
interface Licence { id: string; type: string; status: string; validFrom: string; validUntil: string | null; holder: { kind: string; name: string }; fields?: Record<string, unknown> }
interface Consent { id: string; status: string; requester: string; purpose: { code: string; text: string }; licenceTypes: string[]; fields: string[]; validUntil: string; maxUses: number; uses: number; grantedByAgent: string | null }
interface Appointment { id: string; status: string; agentId: string; agentName: string | null; scopes: string[]; validUntil: string }
interface AccessItem { record: { id: string; at: string; requester: string; officialId: string; caseNumber: string; serviceItem: string; basisKind: string; result: string; reasonCode: string; licenceIds: string[] }; receipt: unknown }

let types: LicenceType[] = [];
// null: the signed-in agent's appointment does not cover this part of the company's data.
let licences: Licence[] | null = [];
let consents: Consent[] | null = [];
let accesses: AccessItem[] | null = [];
let agents: Appointment[] = [];

const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);
const actingFor = (): string | null => sessionStorage.getItem(ACTING_KEY);
/** The credentials of every holder call: the token, and the company when acting for one. */
const auth = () => ({ token: token(), actingFor: actingFor() });
/** A company signed in as itself (a USCC subject, not acting through an agent) manages its agents. */
const isCompanyItself = (): boolean => !actingFor() && sessionStorage.getItem(KIND_KEY) === 'organisation';
const typeName = (key: string): string => {
  const type = types.find((x) => x.key === key);
  return type ? (currentLang() === 'en' ? type.nameEn : type.nameZh) : key;
};

function fieldLabel(name: string): string {
  for (const x of types) {
    const f = x.fields.find((y) => y.name === name);
    if (f) return currentLang() === 'en' ? f.labelEn : f.labelZh;
  }
  return name;
}

function cell(label: string, ...children: Array<Node | string | null>): HTMLTableCellElement {
  return el('td', { 'data-label': label }, ...children);
}

function table(id: string, headers: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return el('table', { class: 'stack', id }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows));
}

function renderSession(): void {
  const signedIn = token() !== null;
  byId('signin-card').hidden = signedIn;
  for (const id of ['session-card', 'licences-card', 'consent-card', 'consents-card', 'accesses-card']) byId(id).hidden = !signedIn;
  byId('agents-card').hidden = !signedIn || !isCompanyItself();
  const subject = sessionStorage.getItem(SUBJECT_KEY) ?? '';
  if (signedIn) byId('signed-in-as').textContent = actingFor() ? t('signedInActing', { subject, company: actingFor()! }) : t('signedInAs', { subject });
}

function renderLicences(): void {
  const box = byId('licences');
  if (licences === null) return box.replaceChildren(el('p', { class: 'muted' }, t('notInScope')));
  if (licences.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, t('noLicences')));
  box.replaceChildren(table('licence-table', [t('colLicence'), t('colStatus'), t('colValid'), t('colActions')], licences.map((l) => {
    const pdf = el('button', { type: 'button', class: 'secondary' }, t('downloadPdf'));
    pdf.addEventListener('click', () => void downloadDocument(l.id, false));
    const preview = el('button', { type: 'button', class: 'secondary' }, t('openPdf'));
    preview.addEventListener('click', () => void downloadDocument(l.id, true));
    const receipt = el('button', { type: 'button', class: 'secondary' }, t('downloadReceipt'));
    receipt.addEventListener('click', () => void downloadReceipt(l.id));
    // 亮证: only a licence in force is worth showing at a counter.
    let present: HTMLButtonElement | null = null;
    if (l.status === 'active') {
      present = el('button', { type: 'button', class: 'present-button' }, t('present'));
      present.addEventListener('click', () => void handle('licences-status', () => openPresentation(l, types.find((x) => x.key === l.type), auth)));
    }
    return el('tr', { 'data-licence': l.id },
      cell(t('colLicence'), el('strong', {}, typeName(l.type)), el('br'), el('span', { class: 'mono small' }, l.id)),
      cell(t('colStatus'), el('span', { class: `pill ${l.status === 'active' ? 'good' : 'bad'}` }, t(`status.${l.status}`))),
      cell(t('colValid'), `${l.validFrom} – ${l.validUntil ?? '∞'}`),
      cell(t('colActions'), present, pdf, preview, receipt),
    );
  })));
}

function renderConsentForm(): void {
  const select = byId<HTMLSelectElement>('consent-requester');
  const chosen = select.value;
  select.replaceChildren(...departmentsWithRole('requester').map((d) => el('option', { value: d.code }, departmentName(d.code))));
  if (chosen) select.value = chosen;
  const kind = actingFor() ? 'organisation' : sessionStorage.getItem(KIND_KEY);
  const box = byId('consent-types');
  const checked = new Set([...box.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
  const mine = new Set((licences ?? []).map((l) => l.type));
  const shareable = types.filter((x) => x.sharingClass !== 'not-shared' && (mine.size === 0 || mine.has(x.key) || x.holderKind === kind));
  box.replaceChildren(el('legend', {}, t('licenceTypes')), ...shareable.map((x) => {
    const input = el('input', { type: 'checkbox', name: 'licenceType', value: x.key, checked: checked.has(x.key) });
    input.addEventListener('change', renderFieldChoices);
    return el('label', { class: 'inline' }, input, currentLang() === 'en' ? x.nameEn : x.nameZh);
  }));
  renderFieldChoices();
}

function renderFieldChoices(): void {
  const box = byId('consent-fields');
  const checked = new Set([...box.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
  const chosenTypes = [...byId('consent-types').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
  const fields = new Map<string, string>();
  for (const key of chosenTypes) for (const f of types.find((x) => x.key === key)?.fields ?? []) if (f.disclosable) fields.set(f.name, currentLang() === 'en' ? f.labelEn : f.labelZh);
  box.replaceChildren(el('legend', {}, t('fields')), ...(fields.size === 0 ? [el('p', { class: 'muted small' }, t('pickType'))] : [...fields].map(([name, label]) =>
    el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'field', value: name, checked: checked.has(name) }), label))));
}

function renderConsents(): void {
  const box = byId('consents');
  byId('consent-card').hidden = token() === null || consents === null;
  if (consents === null) return box.replaceChildren(el('p', { class: 'muted' }, t('notInScope')));
  if (consents.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, t('noConsents')));
  box.replaceChildren(table('consent-table', [t('department'), t('colPurpose'), t('colStatus'), t('colUses'), t('colUntil'), t('colActions')], consents.map((c) => {
    let action: Node | null = null;
    if (c.status === 'ACTIVE') {
      const button = el('button', { type: 'button', class: 'secondary' }, t('withdraw'));
      button.addEventListener('click', () => void withdraw(c.id));
      action = button;
    }
    return el('tr', { 'data-consent': c.id },
      cell(t('department'), departmentName(c.requester)),
      cell(t('colPurpose'), `${c.purpose.text} (${c.purpose.code})`, el('br'), el('span', { class: 'small muted' }, `${c.licenceTypes.map(typeName).join(', ')} · ${c.fields.map(fieldLabel).join(', ')}`),
        ...(c.grantedByAgent ? [el('br'), el('span', { class: 'small muted' }, t('grantedByAgent', { id: c.grantedByAgent }))] : [])),
      cell(t('colStatus'), el('span', { class: `pill ${c.status === 'ACTIVE' ? 'good' : 'bad'}` }, t(`consent.${c.status}`))),
      cell(t('colUses'), `${c.uses} / ${c.maxUses}`),
      cell(t('colUntil'), formatTime(c.validUntil)),
      cell(t('colActions'), action),
    );
  })));
}

function renderAccesses(): void {
  const box = byId('accesses');
  if (accesses === null) return box.replaceChildren(el('p', { class: 'muted' }, t('notInScope')));
  if (accesses.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, t('noAccesses')));
  box.replaceChildren(table('access-table', [t('colWhen'), t('colWho'), t('colWhy'), t('colResult'), t('colProof')], accesses.map(({ record: r, receipt }) => {
    let proof: Node;
    if (receipt) {
      const button = el('button', { type: 'button', class: 'secondary' }, t('proofAvailable'));
      button.addEventListener('click', () => downloadBlob(new Blob([JSON.stringify({ record: r, receipt }, null, 2)], { type: 'application/json' }), `access-${r.id}-proof.json`));
      proof = button;
    } else proof = el('span', { class: 'muted' }, t('proofPending'));
    return el('tr', { 'data-access': r.id },
      cell(t('colWhen'), formatTime(r.at)),
      cell(t('colWho'), departmentName(r.requester), el('br'), el('span', { class: 'small muted' }, r.officialId)),
      cell(t('colWhy'), r.serviceItem, el('br'), el('span', { class: 'small muted' }, t('caseNo', { n: r.caseNumber }))),
      cell(t('colResult'), el('span', { class: `pill ${r.result === 'ALLOWED' ? 'good' : 'bad'}` }, t(`result.${r.result}`)), ' ', el('code', { class: 'small' }, r.reasonCode)),
      cell(t('colProof'), proof),
    );
  })));
}

function renderAgents(): void {
  const box = byId('agents');
  if (agents.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, t('noAgents')));
  box.replaceChildren(table('agent-table', [t('colAgent'), t('colScopes'), t('colStatus'), t('colUntil'), t('colActions')], agents.map((a) => {
    let action: Node | null = null;
    if (a.status === 'ACTIVE' || a.status === 'PENDING') {
      const button = el('button', { type: 'button', class: 'secondary' }, t('revokeAgent'));
      button.addEventListener('click', () => void revokeAgent(a.id));
      action = button;
    }
    return el('tr', { 'data-agent': a.id },
      cell(t('colAgent'), a.agentName ?? '', el('br'), el('span', { class: 'mono small' }, a.agentId)),
      cell(t('colScopes'), a.scopes.map((scope) => t(`scope.${scope}`)).join('; ')),
      cell(t('colStatus'), el('span', { class: `pill ${a.status === 'ACTIVE' ? 'good' : 'bad'}` }, t(`agent.${a.status}`))),
      cell(t('colUntil'), formatTime(a.validUntil)),
      cell(t('colActions'), action),
    );
  })));
}

function renderAll(): void {
  renderSession();
  renderAgents();
  renderLicences();
  renderConsentForm();
  renderConsents();
  renderAccesses();
}

async function handle(where: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      renderSession();
    }
    setStatus(byId(where), errorText(error), 'error');
  }
}

/** A list the agent's appointment does not cover is null (that card says so); any other failure stays one. */
async function inScope<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'AGENT_SCOPE_NOT_GRANTED') return null;
    throw error;
  }
}

async function loadAll(): Promise<void> {
  await handle('portal-status', async () => {
    if (types.length === 0) types = (await apiJson<{ items: LicenceType[] }>('GET', '/licence-types')).items;
    if (!token()) return renderAll();
    const [l, c, a, g] = await Promise.all([
      inScope(apiJson<{ items: Licence[] }>('GET', '/licences', auth())),
      inScope(apiJson<{ items: Consent[] }>('GET', '/me/consents', auth())),
      inScope(apiJson<{ items: AccessItem[] }>('GET', '/me/accesses', auth())),
      isCompanyItself() ? apiJson<{ items: Appointment[] }>('GET', '/me/agents', auth()) : Promise.resolve({ items: [] }),
    ]);
    licences = l?.items ?? null;
    consents = c?.items ?? null;
    accesses = a?.items ?? null;
    agents = g.items;
    renderAll();
  });
}

async function signIn(e: Event): Promise<void> {
  e.preventDefault();
  await handle('signin-status', async () => {
    const subject = byId<HTMLInputElement>('subject').value.trim();
    const name = byId<HTMLInputElement>('holder-name').value.trim();
    const company = byId<HTMLInputElement>('acting-for').value.trim();
    const res = await apiJson<{ id_token: string; subject: string; holder_kind: string }>('POST', '/dev-idp/token', { json: { subject, ...(name ? { name } : {}) } });
    sessionStorage.setItem(TOKEN_KEY, res.id_token);
    sessionStorage.setItem(SUBJECT_KEY, res.subject);
    sessionStorage.setItem(KIND_KEY, res.holder_kind);
    if (company) sessionStorage.setItem(ACTING_KEY, company);
    else sessionStorage.removeItem(ACTING_KEY);
    setStatus(byId('signin-status'), '');
    await loadAll();
  });
}

async function downloadDocument(id: string, preview: boolean): Promise<void> {
  await handle('licences-status', async () => {
    const blob = await (await api('GET', `/licences/${encodeURIComponent(id)}/document`, auth())).blob();
    if (preview) {
      window.open(URL.createObjectURL(new Blob([blob], { type: 'application/pdf' })), '_blank', 'noopener');
      return;
    }
    const file = `${id}.pdf`;
    downloadBlob(blob, file);
    setStatus(byId('licences-status'), t('downloaded', { file }), 'ok');
  });
}

async function downloadReceipt(id: string): Promise<void> {
  await handle('licences-status', async () => {
    try {
      const blob = await (await api('GET', `/licences/${encodeURIComponent(id)}/receipt`, auth())).blob();
      const file = `${id}.receipt.json`;
      downloadBlob(blob, file);
      setStatus(byId('licences-status'), t('downloaded', { file }), 'ok');
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) setStatus(byId('licences-status'), t('receiptNotReady'), 'error');
      else throw error;
    }
  });
}

async function grant(e: Event): Promise<void> {
  e.preventDefault();
  await handle('consent-status', async () => {
    const licenceTypes = [...byId('consent-types').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const fields = [...byId('consent-fields').querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const until = byId<HTMLInputElement>('consent-until').value;
    await apiJson('POST', '/me/consents', {
      ...auth(),
      json: {
        requester: byId<HTMLSelectElement>('consent-requester').value,
        purpose: { code: byId<HTMLInputElement>('consent-code').value.trim(), text: byId<HTMLInputElement>('consent-text').value.trim() },
        licenceTypes, fields,
        allowDocument: byId<HTMLInputElement>('consent-document').checked,
        validUntil: new Date(until).toISOString(),
        maxUses: Number(byId<HTMLInputElement>('consent-uses').value),
      },
    });
    await loadAll();
    setStatus(byId('consent-status'), t('granted'), 'ok');
  });
}

async function withdraw(id: string): Promise<void> {
  await handle('consents-status', async () => {
    await apiJson('POST', `/me/consents/${encodeURIComponent(id)}/withdrawal`, auth());
    await loadAll();
    setStatus(byId('consents-status'), t('withdrawn'), 'ok');
  });
}

async function appointAgent(e: Event): Promise<void> {
  e.preventDefault();
  await handle('agents-status', async () => {
    const agentName = byId<HTMLInputElement>('agent-name').value.trim();
    await apiJson('POST', '/me/agents', {
      ...auth(),
      json: {
        agentId: byId<HTMLInputElement>('agent-id').value.trim(), ...(agentName ? { agentName } : {}),
        scopes: [...document.querySelectorAll<HTMLInputElement>('input[name="agentScope"]:checked')].map((input) => input.value),
        validUntil: new Date(byId<HTMLInputElement>('agent-until').value).toISOString(),
      },
    });
    await loadAll();
    setStatus(byId('agents-status'), t('appointed'), 'ok');
  });
}

async function revokeAgent(id: string): Promise<void> {
  await handle('agents-status', async () => {
    await apiJson('POST', `/me/agents/${encodeURIComponent(id)}/revocation`, auth());
    await loadAll();
    setStatus(byId('agents-status'), t('agentRevoked'), 'ok');
  });
}

function defaultUntil(days = 30): string {
  const d = new Date(Date.now() + days * 86400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

initPage({ ...DICT, ...PRESENT_TEXT });
onLanguageChange(renderAll);
byId<HTMLInputElement>('consent-until').value = defaultUntil();
byId<HTMLInputElement>('agent-until').value = defaultUntil(365);
byId('agent-form').addEventListener('submit', (e) => void appointAgent(e));
byId('signin-form').addEventListener('submit', (e) => void signIn(e));
byId('consent-form').addEventListener('submit', (e) => void grant(e));
byId('refresh').addEventListener('click', () => void loadAll());
byId('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(SUBJECT_KEY);
  sessionStorage.removeItem(ACTING_KEY);
  sessionStorage.removeItem(KIND_KEY);
  licences = []; consents = []; accesses = []; agents = [];
  renderAll();
});
// The card for the stored session at once, before the first fetch: no sign-in form flashing up for a
// signed-in holder (and a browser test that looks right after load sees the page as it will stay).
renderSession();
void loadAll();
