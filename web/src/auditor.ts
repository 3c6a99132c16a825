/** Auditor view: checkpoints and their anchors, consistency (verified here), anchoring lag, alerts, history, access-log export. */
import { verifyConsistency } from '../../src/proofs/merkle.ts';
import { api, apiJson, byId, departmentName, downloadBlob, el, errorText, formatTime, initPage, onLanguageChange, setStatus, t } from './common.ts';
import type { Dict } from './common.ts';

const DICT: Dict = {
  title: { 'zh-CN': '审计视图', en: 'Auditor view' },
  tokenTitle: { 'zh-CN': '审计访问令牌', en: 'Auditor access token' },
  tokenLabel: { 'zh-CN': '粘贴访问令牌', en: 'Paste an access token' },
  tokenHint: { 'zh-CN': '开发环境获取方式：npm run cli -- token --department 11110105000010049U', en: 'In development, get one with: npm run cli -- token --department 11110105000010049U' },
  useToken: { 'zh-CN': '使用令牌', en: 'Use token' },
  tokenSaved: { 'zh-CN': '令牌已设置（仅保存在本标签页）。', en: 'Token set (kept in this tab only).' },
  checkpointsTitle: { 'zh-CN': '日志检查点与账本锚定', en: 'Log checkpoints and ledger anchors' },
  colSize: { 'zh-CN': '树大小', en: 'Tree size' },
  colRoot: { 'zh-CN': '根哈希', en: 'Root hash' },
  colCreated: { 'zh-CN': '生成时间', en: 'Created' },
  colAnchor: { 'zh-CN': '账本锚定', en: 'Ledger anchor' },
  anchoredTx: { 'zh-CN': '已锚定 · 交易 {tx} · 区块 {block} · {at}', en: 'Anchored · tx {tx} · block {block} · {at}' },
  coveredBy: { 'zh-CN': '由大小 {size} 的检查点锚定覆盖', en: 'Covered by the anchor of size {size}' },
  notAnchored: { 'zh-CN': '尚未锚定', en: 'Not anchored yet' },
  noCheckpoints: { 'zh-CN': '还没有检查点。', en: 'No checkpoints yet.' },
  lag: { 'zh-CN': '锚定滞后：最新检查点大小 {latest}，最新已锚定大小 {anchored}，相差 {lag} 条。', en: 'Anchoring lag: latest checkpoint size {latest}, latest anchored size {anchored}, {lag} leaves behind.' },
  consistencyTitle: { 'zh-CN': '一致性证明（在浏览器中验证）', en: 'Consistency proof (verified in this browser)' },
  firstSize: { 'zh-CN': '较小的树大小', en: 'Smaller tree size' },
  secondSize: { 'zh-CN': '较大的树大小', en: 'Larger tree size' },
  checkConsistency: { 'zh-CN': '验证一致性', en: 'Check consistency' },
  consistent: { 'zh-CN': '一致：大小 {second} 的树是大小 {first} 的树的追加扩展。', en: 'Consistent: the size {second} tree extends the size {first} tree (append-only).' },
  inconsistent: { 'zh-CN': '不一致：{detail}', en: 'Inconsistent: {detail}' },
  unknownSize: { 'zh-CN': '列表中没有大小为 {size} 的检查点。', en: 'No listed checkpoint has size {size}.' },
  alertsTitle: { 'zh-CN': '数据交换告警', en: 'Exchange alerts' },
  noAlerts: { 'zh-CN': '暂无告警。', en: 'No alerts.' },
  colRequester: { 'zh-CN': '请求部门', en: 'Requester' },
  colKind: { 'zh-CN': '类型', en: 'Kind' },
  colDetail: { 'zh-CN': '详情', en: 'Detail' },
  colAt: { 'zh-CN': '时间', en: 'At' },
  historyTitle: { 'zh-CN': '证照状态历史', en: 'Licence status history' },
  licenceId: { 'zh-CN': '证照编号', en: 'Licence number' },
  showHistory: { 'zh-CN': '查看历史', en: 'Show history' },
  colAction: { 'zh-CN': '操作', en: 'Action' },
  colChange: { 'zh-CN': '状态变化', en: 'Change' },
  colReason: { 'zh-CN': '原因', en: 'Reason' },
  colActor: { 'zh-CN': '执行者', en: 'Actor' },
  exportTitle: { 'zh-CN': '导出访问日志', en: 'Export the access log' },
  exportButton: { 'zh-CN': '下载访问日志 (JSON)', en: 'Download access log (JSON)' },
  exported: { 'zh-CN': '已导出 {n} 条记录。', en: 'Exported {n} records.' },
  needToken: { 'zh-CN': '请先粘贴审计访问令牌。', en: 'Paste an auditor access token first.' },
};

const TOKEN_KEY = 'licence-vault.auditorToken';

interface Anchor { txId: string; blockNumber: number | null; anchoredAt: string; coveredBySize?: number }
interface Checkpoint { origin: string; size: number; rootHash: string; createdAt: string; anchor: Anchor | null; anchorError: string | null }

let checkpoints: Checkpoint[] = [];
let alerts: Array<{ id: string; requester: string; kind: string; detail: object; at: string }> | null = null;
let history: Array<{ action: string; fromStatus: string | null; toStatus: string; reason: string; actor: string; at: string }> | null = null;

const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);
const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

function requireToken(statusId: string): string | null {
  const tok = token();
  if (!tok) setStatus(byId(statusId), t('needToken'), 'error');
  return tok;
}

function table(id: string, headers: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return el('table', { class: 'stack', id }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows));
}

function renderCheckpoints(): void {
  const box = byId('checkpoints');
  if (checkpoints.length === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, t('noCheckpoints')));
    byId('lag').hidden = true;
    return;
  }
  box.replaceChildren(table('checkpoint-table', [t('colSize'), t('colRoot'), t('colCreated'), t('colAnchor')], checkpoints.map((c) => {
    const a = c.anchor;
    const anchorText = !a ? `${t('notAnchored')}${c.anchorError ? ` (${c.anchorError})` : ''}`
      : a.coveredBySize ? t('coveredBy', { size: a.coveredBySize })
        : t('anchoredTx', { tx: a.txId, block: a.blockNumber ?? '—', at: formatTime(a.anchoredAt) });
    return el('tr', { 'data-size': String(c.size) },
      el('td', { 'data-label': t('colSize') }, String(c.size)),
      el('td', { 'data-label': t('colRoot'), class: 'mono small' }, c.rootHash),
      el('td', { 'data-label': t('colCreated') }, formatTime(c.createdAt)),
      el('td', { 'data-label': t('colAnchor') }, el('span', { class: `pill ${a ? 'good' : 'bad'}` }, anchorText)),
    );
  })));
  const latest = Math.max(...checkpoints.map((c) => c.size));
  const anchored = Math.max(0, ...checkpoints.filter((c) => c.anchor).map((c) => c.size));
  setStatus(byId('lag'), t('lag', { latest, anchored, lag: latest - anchored }), latest === anchored ? 'ok' : 'error');
}

function renderAlerts(): void {
  const box = byId('alerts');
  if (alerts === null) return box.replaceChildren();
  if (alerts.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, t('noAlerts')));
  box.replaceChildren(table('alert-table', [t('colAt'), t('colRequester'), t('colKind'), t('colDetail')], alerts.map((a) => el('tr', {},
    el('td', { 'data-label': t('colAt') }, formatTime(a.at)),
    el('td', { 'data-label': t('colRequester') }, departmentName(a.requester)),
    el('td', { 'data-label': t('colKind') }, a.kind),
    el('td', { 'data-label': t('colDetail'), class: 'mono small' }, JSON.stringify(a.detail)),
  ))));
}

function renderHistory(): void {
  const box = byId('history');
  if (history === null) return box.replaceChildren();
  box.replaceChildren(table('history-table', [t('colAt'), t('colAction'), t('colChange'), t('colReason'), t('colActor')], history.map((h) => el('tr', {},
    el('td', { 'data-label': t('colAt') }, formatTime(h.at)),
    el('td', { 'data-label': t('colAction') }, h.action),
    el('td', { 'data-label': t('colChange') }, `${h.fromStatus ? t(`status.${h.fromStatus}`) : '—'} → ${t(`status.${h.toStatus}`)}`),
    el('td', { 'data-label': t('colReason') }, h.reason),
    el('td', { 'data-label': t('colActor') }, departmentName(h.actor)),
  ))));
}

async function loadCheckpoints(): Promise<void> {
  try {
    checkpoints = (await apiJson<{ items: Checkpoint[] }>('GET', '/transparency/checkpoints?limit=100')).items;
    renderCheckpoints();
    const sizes = checkpoints.map((c) => c.size);
    const first = byId<HTMLInputElement>('first-size');
    const second = byId<HTMLInputElement>('second-size');
    if (sizes.length > 0 && !first.value) first.value = String(Math.min(...sizes));
    if (sizes.length > 0 && !second.value) second.value = String(Math.max(...sizes));
  } catch (error) {
    setStatus(byId('checkpoints-status'), errorText(error), 'error');
  }
}

async function checkConsistency(e: Event): Promise<void> {
  e.preventDefault();
  const out = byId('consistency-status');
  const first = Number(byId<HTMLInputElement>('first-size').value);
  const second = Number(byId<HTMLInputElement>('second-size').value);
  try {
    const c1 = checkpoints.find((c) => c.size === first);
    const c2 = checkpoints.find((c) => c.size === second);
    if (!c1 || !c2) return setStatus(out, t('unknownSize', { size: !c1 ? first : second }), 'error');
    const res = await apiJson<{ proof: string[] }>('GET', `/transparency/consistency?first=${first}&second=${second}`);
    try {
      verifyConsistency(first, second, res.proof.map(b64), b64(c1.rootHash), b64(c2.rootHash));
      setStatus(out, t('consistent', { first, second }), 'ok');
    } catch (error) {
      setStatus(out, t('inconsistent', { detail: error instanceof Error ? error.message : String(error) }), 'error');
    }
  } catch (error) {
    setStatus(out, errorText(error), 'error');
  }
}

async function loadAlerts(): Promise<void> {
  const tok = requireToken('alerts-status');
  if (!tok) return;
  try {
    alerts = (await apiJson<{ items: NonNullable<typeof alerts> }>('GET', '/exchange/alerts', { token: tok })).items;
    setStatus(byId('alerts-status'), '');
    renderAlerts();
  } catch (error) {
    setStatus(byId('alerts-status'), errorText(error), 'error');
  }
}

async function loadHistory(e: Event): Promise<void> {
  e.preventDefault();
  const tok = requireToken('history-status');
  if (!tok) return;
  const id = byId<HTMLInputElement>('history-id').value.trim();
  try {
    history = (await apiJson<{ items: NonNullable<typeof history> }>('GET', `/licences/${encodeURIComponent(id)}/history`, { token: tok })).items;
    setStatus(byId('history-status'), '');
    renderHistory();
  } catch (error) {
    setStatus(byId('history-status'), errorText(error), 'error');
  }
}

async function exportLog(): Promise<void> {
  const tok = requireToken('export-status');
  if (!tok) return;
  try {
    const text = await (await api('GET', '/exchange/access-log', { token: tok })).text();
    const n = (JSON.parse(text) as { items: unknown[] }).items.length;
    downloadBlob(new Blob([text], { type: 'application/json' }), `access-log-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`);
    setStatus(byId('export-status'), t('exported', { n }), 'ok');
  } catch (error) {
    setStatus(byId('export-status'), errorText(error), 'error');
  }
}

initPage(DICT);
onLanguageChange(() => { renderCheckpoints(); renderAlerts(); renderHistory(); });
byId('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, byId<HTMLInputElement>('token').value.trim());
  byId<HTMLInputElement>('token').value = '';
  setStatus(byId('token-status'), t('tokenSaved'), 'ok');
  void loadAlerts();
});
byId('reload-checkpoints').addEventListener('click', () => void loadCheckpoints());
byId('consistency-form').addEventListener('submit', (e) => void checkConsistency(e));
byId('reload-alerts').addEventListener('click', () => void loadAlerts());
byId('history-form').addEventListener('submit', (e) => void loadHistory(e));
byId('export-button').addEventListener('click', () => void exportLog());
if (token()) {
  setStatus(byId('token-status'), t('tokenSaved'), 'ok');
  void loadAlerts();
}
void loadCheckpoints();
