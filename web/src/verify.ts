/**
 * Public verification page: the PDF (and optional receipt) are checked here, in the browser, with the same
 * verifier the CLI and the API use. Only trust material and ledger facts are fetched — unless the user
 * explicitly asks the server to look up the receipt, which uploads the PDF.
 */
import { consistencyProofSpan, verifyLicence } from '../../src/verify/index.ts';
import type { CheckOutcome, LedgerFacts, Receipt, VerificationReport } from '../../src/verify/index.ts';
import { api, apiJson, byId, el, errorText, initPage, onLanguageChange, setStatus, t } from './common.ts';
import type { Dict } from './common.ts';

const DICT: Dict = {
  title: { 'zh-CN': '电子证照核验', en: 'Verify an e-licence' },
  intro: {
    'zh-CN': '选择或拖入证照 PDF（可附回执 JSON）。核验在您的浏览器中完成，文件不会离开您的设备；只从服务获取信任根和账本记录。',
    en: 'Pick or drop a licence PDF (optionally with its receipt JSON). Verification runs in your browser and the file never leaves your device; only trust material and ledger facts are fetched from the service.',
  },
  idLabel: { 'zh-CN': '证照编号（扫码后自动填入）', en: 'Licence number (filled in from the QR code)' },
  idLookup: { 'zh-CN': '查询账本状态', en: 'Look up ledger status' },
  pdfLabel: { 'zh-CN': '证照 PDF', en: 'Licence PDF' },
  receiptLabel: { 'zh-CN': '回执 JSON（可选）', en: 'Receipt JSON (optional)' },
  dropHint: { 'zh-CN': '或将 PDF 和回执文件拖到此处', en: 'or drop the PDF and receipt files here' },
  serverLookup: { 'zh-CN': '在服务器上查找回执（会上传 PDF）', en: 'Look up the receipt on the server (uploads the PDF)' },
  verifyButton: { 'zh-CN': '核验', en: 'Verify' },
  needPdf: { 'zh-CN': '请先选择一个 PDF 文件。', en: 'Please choose a PDF file first.' },
  verifying: { 'zh-CN': '正在核验…', en: 'Verifying…' },
  verdictOk: { 'zh-CN': '有效：全部七项检查通过', en: 'Valid: all seven checks passed' },
  verdictPartial: { 'zh-CN': '签名有效，但部分检查未能进行（缺少回执）', en: 'Signature valid, but some checks could not run (no receipt)' },
  verdictBad: { 'zh-CN': '无效：至少一项检查未通过', en: 'Not valid: at least one check failed' },
  ranLocally: { 'zh-CN': '在本机浏览器中核验，文件未上传。', en: 'Verified in this browser; the file was not uploaded.' },
  ranOnServer: { 'zh-CN': '已按您的选择上传 PDF 由服务器核验。', en: 'Verified by the server; the PDF was uploaded as you asked.' },
  docHash: { 'zh-CN': '文件 SHA-256', en: 'Document SHA-256' },
  licenceId: { 'zh-CN': '证照编号', en: 'Licence number' },
  signer: { 'zh-CN': '签章单位', en: 'Signed by' },
  passed: { 'zh-CN': '通过', en: 'Passed' },
  failed: { 'zh-CN': '未通过', en: 'Failed' },
  skipped: { 'zh-CN': '未检查', en: 'Not checked' },
  'check.signature': { 'zh-CN': '电子签章', en: 'Signature' },
  'check.issuer': { 'zh-CN': '签发机构证书', en: 'Issuer certificate' },
  'check.documentHash': { 'zh-CN': '文件完整性', en: 'Document hash' },
  'check.inclusion': { 'zh-CN': '已记入透明日志', en: 'Included in the transparency log' },
  'check.checkpoint': { 'zh-CN': '日志检查点签名', en: 'Log checkpoint signature' },
  'check.anchor': { 'zh-CN': '区块链账本锚定', en: 'Ledger anchor' },
  'check.status': { 'zh-CN': '证照状态', en: 'Licence status' },
  'ok.signature': { 'zh-CN': 'PDF 的电子签章完整有效。', en: 'The PDF’s digital signature is intact and valid.' },
  'ok.issuer': { 'zh-CN': '签章证书由受信任的签发 CA 签发。', en: 'The signing certificate was issued by the trusted issuer CA.' },
  'ok.documentHash': { 'zh-CN': '文件与日志中登记的完全一致。', en: 'The file is exactly the one recorded in the log.' },
  'ok.inclusion': { 'zh-CN': '证照已记入透明日志。', en: 'The licence is recorded in the transparency log.' },
  'ok.checkpoint': { 'zh-CN': '日志检查点由日志密钥签名。', en: 'The log checkpoint is signed by the log’s key.' },
  'ok.anchor': { 'zh-CN': '该检查点已锚定到账本。', en: 'The checkpoint is anchored on the ledger.' },
  'ok.status': { 'zh-CN': '账本显示证照有效。', en: 'The ledger says the licence is in force.' },
  'skip.generic': { 'zh-CN': '未能进行（缺少回执或离线）。', en: 'Could not run (no receipt, or offline).' },
  'code.SIGNATURE_INVALID': { 'zh-CN': '电子签章无效或文件被改动。', en: 'The signature is invalid or the file was altered.' },
  'code.CERT_UNTRUSTED': { 'zh-CN': '签章证书不是受信任的签发机构签发的。', en: 'The signing certificate is not from a trusted issuer.' },
  'code.DOCUMENT_HASH_MISMATCH': { 'zh-CN': '文件与日志中登记的不一致（可能被篡改）。', en: 'The file differs from the one recorded in the log (it may have been tampered with).' },
  'code.INCLUSION_PROOF_INVALID': { 'zh-CN': '回执中的日志证明不成立。', en: 'The receipt’s log proof does not hold.' },
  'code.CHECKPOINT_SIGNATURE_INVALID': { 'zh-CN': '日志检查点签名无效。', en: 'The log checkpoint signature is invalid.' },
  'code.CHECKPOINT_NOT_ANCHORED': { 'zh-CN': '该检查点尚未锚定到账本。', en: 'The checkpoint is not anchored on the ledger.' },
  'code.LICENCE_REVOKED': { 'zh-CN': '账本显示该证照已被撤销。', en: 'The ledger says this licence has been revoked.' },
  'code.LICENCE_SUSPENDED': { 'zh-CN': '账本显示该证照已被暂停。', en: 'The ledger says this licence is suspended.' },
  'code.RECEIPT_MALFORMED': { 'zh-CN': '回执格式不正确。', en: 'The receipt is malformed.' },
  'code.PDF_MALFORMED': { 'zh-CN': '不是有效的已签章 PDF。', en: 'Not a valid signed PDF.' },
  technical: { 'zh-CN': '技术细节', en: 'Technical detail' },
  ledgerStatus: { 'zh-CN': '账本状态：{status}（{at}）', en: 'Ledger status: {status} (since {at})' },
  ledgerUnknown: { 'zh-CN': '账本中没有此证照的状态变更记录。', en: 'The ledger has no status change for this licence.' },
};

interface Trust {
  issuerCaCertsDer: Uint8Array[];
  checkpointVkey: string;
  logOrigin: string;
}

let lastReport: { report: VerificationReport; where: 'local' | 'server' } | null = null;
let droppedPdf: File | null = null;
let droppedReceipt: File | null = null;

function pemToDer(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    const bin = atob((m[1] ?? '').replace(/\s+/g, ''));
    out.push(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  }
  return out;
}

async function loadTrust(): Promise<Trust> {
  const [pem, vkey, checkpoints] = await Promise.all([
    api('GET', '/pki/issuer-ca.pem').then((r) => r.text()),
    api('GET', '/transparency/vkey').then((r) => r.text()),
    apiJson<{ origin: string }>('GET', '/transparency/checkpoints?limit=1'),
  ]);
  return { issuerCaCertsDer: pemToDer(pem), checkpointVkey: vkey.trim(), logOrigin: checkpoints.origin };
}

async function ledgerFacts(licenceId: string | null): Promise<LedgerFacts> {
  const url = licenceId ? `/ledger/facts?licenceId=${encodeURIComponent(licenceId)}` : '/ledger/facts';
  return apiJson<LedgerFacts>('GET', url);
}

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function checkText(c: CheckOutcome): string {
  if (c.ok === true) return t(`ok.${c.check}`);
  if (c.ok === false) return t(`code.${c.code}`);
  return t('skip.generic');
}

function renderReport(): void {
  const out = byId('result');
  out.replaceChildren();
  if (!lastReport) return;
  const { report, where } = lastReport;
  const verdictKind = !report.ok ? 'bad' : report.complete ? 'ok' : 'partial';
  const verdictKey = verdictKind === 'ok' ? 'verdictOk' : verdictKind === 'bad' ? 'verdictBad' : 'verdictPartial';
  out.append(
    el('h2', { class: `verdict ${verdictKind}`, id: 'verdict', tabindex: '-1' }, t(verdictKey)),
    el('p', { class: 'muted' }, t(where === 'local' ? 'ranLocally' : 'ranOnServer')),
    el('dl', { class: 'facts' },
      el('dt', {}, t('licenceId')), el('dd', { class: 'mono' }, report.licenceId ?? '—'),
      el('dt', {}, t('docHash')), el('dd', { class: 'mono' }, report.documentSha256),
      report.signer ? el('dt', {}, t('signer')) : null,
      report.signer ? el('dd', {}, report.signer.subject) : null,
    ),
  );
  const list = el('ol', { class: 'checks', id: 'checks' });
  for (const c of report.checks) {
    const state = c.ok === true ? 'pass' : c.ok === false ? 'fail' : 'skip';
    list.append(el('li', { class: `check ${state}`, 'data-check': c.check, 'data-state': state },
      el('span', { class: 'badge' }, t(state === 'pass' ? 'passed' : state === 'fail' ? 'failed' : 'skipped')),
      el('strong', {}, t(`check.${c.check}`)),
      c.ok === false ? el('code', { class: 'code' }, c.code) : null,
      el('p', {}, checkText(c)),
      el('details', {}, el('summary', {}, t('technical')), el('p', { class: 'mono small' }, c.detail)),
    ));
  }
  out.append(list);
}

async function runVerification(): Promise<void> {
  const status = byId('verify-status');
  const pdfFile = byId<HTMLInputElement>('pdf-file').files?.[0] ?? droppedPdf;
  const receiptFile = byId<HTMLInputElement>('receipt-file').files?.[0] ?? droppedReceipt;
  lastReport = null;
  renderReport();
  if (!pdfFile) {
    setStatus(status, t('needPdf'), 'error');
    return;
  }
  setStatus(status, t('verifying'));
  try {
    const pdf = new Uint8Array(await pdfFile.arrayBuffer());
    const receipt = receiptFile ? (JSON.parse(await receiptFile.text()) as Receipt) : null;
    const serverLookup = byId<HTMLInputElement>('server-lookup').checked;
    if (!receipt && serverLookup) {
      const report = await apiJson<VerificationReport>('POST', '/verify', { json: { pdf: toBase64(pdf) } });
      lastReport = { report, where: 'server' };
    } else {
      const typedId = byId<HTMLInputElement>('licence-id').value.trim() || null;
      const licenceId = (receipt as { licenceId?: string } | null)?.licenceId ?? typedId;
      const [trust, facts] = await Promise.all([loadTrust(), ledgerFacts(licenceId)]);
      // A later anchor: the log's proof that the receipt's tree is its prefix (checked, not trusted).
      const span = consistencyProofSpan((receipt as { treeSize?: unknown } | null)?.treeSize, facts.anchoredCheckpoint);
      if (span) facts.consistencyProof = (await apiJson<{ proof: string[] }>('GET', `/transparency/consistency?first=${span.first}&second=${span.second}`)).proof;
      lastReport = { report: await verifyLicence(pdf, receipt, trust, facts), where: 'local' };
    }
    setStatus(status, '');
    renderReport();
    byId('verdict').focus();
  } catch (error) {
    setStatus(status, errorText(error), 'error');
  }
}

async function lookUpId(): Promise<void> {
  const id = byId<HTMLInputElement>('licence-id').value.trim();
  const out = byId('ledger-status');
  if (!id) return;
  try {
    const facts = await ledgerFacts(id);
    const s = facts.licenceStatus;
    setStatus(out, s ? t('ledgerStatus', { status: t(`status.${s.status}`), at: new Date(s.changedAt).toLocaleString() }) : t('ledgerUnknown'), s && s.status !== 'active' ? 'error' : 'info');
  } catch (error) {
    setStatus(out, errorText(error), 'error');
  }
}

function setUpDrop(): void {
  const zone = byId('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    for (const file of e.dataTransfer?.files ?? []) {
      if (file.name.toLowerCase().endsWith('.json') || file.type === 'application/json') droppedReceipt = file;
      else droppedPdf = file;
    }
    byId('dropped').textContent = [droppedPdf?.name, droppedReceipt?.name].filter(Boolean).join(' + ');
    if (droppedPdf) void runVerification();
  });
}

initPage(DICT);
onLanguageChange(renderReport);
setUpDrop();
byId('verify-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void runVerification();
});
byId('lookup-button').addEventListener('click', () => void lookUpId());
for (const id of ['pdf-file', 'receipt-file']) byId(id).addEventListener('change', () => { droppedPdf = null; droppedReceipt = null; byId('dropped').textContent = ''; });
function openFromHash(): void {
  const fromHash = decodeURIComponent(location.hash.replace(/^#/, '')).trim();
  if (!fromHash) return;
  byId<HTMLInputElement>('licence-id').value = fromHash;
  void lookUpId();
}
window.addEventListener('hashchange', openFromHash);
openFromHash();
