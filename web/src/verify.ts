/**
 * Public verification page. Three ways in, one headline out:
 *   - a licence's QR code (`/verify/<id>#<code>` redirects here as `?licence=<id>#<code>`; the code stays in
 *     the fragment, which no server sees) or its number and verification code typed in → the public card;
 *   - a licence PDF, checked in this browser with the verifier the CLI and API use (only its SHA-256 is
 *     sent, to find its card; the file itself never leaves the device);
 *   - a 亮证 code from the holder's phone (camera, USB scanner, pasted link or `#p=<token>`), verified
 *     offline with the keys kept from an earlier visit, then rechecked online when there is a network.
 * Nothing is drawn until there is a result.
 */
import { byId, initPage, onLanguageChange, setStatus, t } from './common.ts';
import { startCameraScan } from './qr-scanner.ts';
import type { CameraScan } from './qr-scanner.ts';
import { canonicalCode, checkByCode, checkFile, checkPresentation, loadTrust, presentationTokenFrom, recheckPresentation, refreshKeys } from './verification.ts';
import type { Outcome } from './verification.ts';
import { VERIFY_TEXT } from './verify-text.ts';
import { presentationClock, renderOutcome } from './verify-view.ts';

let current: Outcome | null = null;
/** The licence whose QR code or verification code was checked last: a PDF checked next must be its file. */
let scanned: { licenceId: string } | null = null;
/** The licence number the URL named without a code: the page asks for the code and shows nothing else. */
let askingFor: string | null = null;
let droppedPdf: File | null = null;
let generation = 0;
let camera: CameraScan | null = null;

const progress = () => byId('progress');

/** Starts a check; the returned function says whether a newer check has replaced it meanwhile. */
function begin(): () => boolean {
  const mine = ++generation;
  setStatus(progress(), t('checking'));
  for (const id of ['code-status', 'scan-status', 'file-status']) setStatus(byId(id), '');
  return () => mine === generation;
}

function arrangeTools(): void {
  const tools = byId('tools');
  const [scan, file, code] = [byId('scan-card'), byId('file-card'), byId('code-card')];
  // What a person most likely does next comes first: the code they were asked for, the file to compare
  // with the licence just checked, or (arriving with nothing) a scan.
  const order = askingFor && !current ? [code, scan, file] : scanned ? [file, scan, code] : [scan, file, code];
  // Moving an element drops its focus: move only when the order changes, and keep the focus where it was.
  if (order.some((node, i) => tools.children[i] !== node)) {
    const focused = document.activeElement;
    tools.replaceChildren(...order);
    if (focused instanceof HTMLElement && tools.contains(focused)) focused.focus();
  }
  byId('id-row').hidden = askingFor !== null;
  byId('code-intro').textContent = askingFor ? t('codeIntroFor', { id: askingFor }) : t('codeIntro');
  byId('file-title').textContent = t(scanned ? 'fileTitleScanned' : 'fileTitle');
  byId('file-hint').textContent = t(scanned ? 'fileHintScanned' : 'fileHint');
  byId('intro').hidden = current !== null;
}

function show(outcome: Outcome): void {
  current = outcome;
  setStatus(progress(), '');
  renderOutcome(outcome, byId('result'), scanned?.licenceId ?? null);
  arrangeTools();
  byId('verdict').focus();
}

/** The same result again (another language, a rechecked status), with the details left open or closed as they were. */
function redraw(): void {
  if (current) {
    const open = (document.getElementById('technical') as HTMLDetailsElement | null)?.open ?? false;
    renderOutcome(current, byId('result'), current.source === 'file' ? scanned?.licenceId ?? null : null);
    (byId('technical') as HTMLDetailsElement).open = open;
  }
  arrangeTools();
}

// --- the three ways in ---------------------------------------------------------------------------------

async function lookUp(licenceId: string, code: string): Promise<void> {
  const fresh = begin();
  const { outcome, card } = await checkByCode(licenceId, code);
  if (!fresh()) return;
  scanned = card ? { licenceId: card.licenceId } : null;
  askingFor = null;
  show(outcome);
}

async function checkPdf(): Promise<void> {
  const pdfFile = byId<HTMLInputElement>('pdf-file').files?.[0] ?? droppedPdf;
  const receiptFile = byId<HTMLInputElement>('receipt-file').files?.[0] ?? null;
  if (!pdfFile) {
    setStatus(byId('file-status'), t('needPdf'), 'error');
    return;
  }
  const [pdf, receipt] = await Promise.all([pdfFile.arrayBuffer(), receiptFile ? receiptFile.text() : Promise.resolve(null)]);
  // A photo or a Word file picked by mistake is not "a tampered licence": say what it is instead.
  if (new TextDecoder('latin1').decode(new Uint8Array(pdf, 0, Math.min(5, pdf.byteLength))) !== '%PDF-') {
    setStatus(byId('file-status'), t('notPdf'), 'error');
    return;
  }
  const fresh = begin();
  const outcome = await checkFile(new Uint8Array(pdf), receipt, scanned);
  if (!fresh()) return;
  show(outcome);
}

async function checkToken(token: string): Promise<void> {
  const fresh = begin();
  const outcome = await checkPresentation(token);
  if (!fresh()) return;
  scanned = null;
  show(outcome);
  await recheck(fresh);
}

/** A presentation's status from the ledger, as soon as there is a network. */
async function recheck(fresh: () => boolean): Promise<void> {
  if (!current?.presentation || current.presentation.rechecked || !current.headline) return;
  const again = await recheckPresentation(current);
  if (again && fresh()) {
    current = again;
    redraw();
  }
}

/** Whatever a camera or a scanner read: a 亮证 code, or a licence's own QR URL. */
function handleScanned(text: string): void {
  const token = presentationTokenFrom(text);
  if (token) return void checkToken(token);
  let url: URL | null = null;
  try {
    url = new URL(text.trim(), location.href);
  } catch {
    url = null;
  }
  const id = url?.searchParams.get('licence') ?? (url ? /\/verify\/([^/?#]+)$/.exec(url.pathname)?.[1] : undefined);
  const code = url?.hash.slice(1) ?? '';
  if (url && /^https?:$/.test(url.protocol) && id && canonicalCode(code)) return void lookUp(decodeURIComponent(id), code);
  setStatus(byId('scan-status'), t('notAQr'), 'error');
}

/** The page's address: `?licence=<id>#<code>` (a licence's QR), `#p=<token>` (亮证), or nothing. */
function route(): void {
  const params = new URLSearchParams(location.search);
  const fragment = decodeURIComponent(location.hash.replace(/^#/, '')).trim();
  const token = fragment.startsWith('p=') ? presentationTokenFrom(location.hash) : null;
  if (token) return void checkToken(token);
  // Older QR codes carried the number alone (`verify.html#<id>`): ask for the code then too.
  const id = params.get('licence')?.trim() || (fragment.includes('.') ? fragment : '');
  const code = params.get('licence') ? canonicalCode(fragment) : null;
  if (id && code) {
    byId<HTMLInputElement>('licence-id').value = id;
    return void lookUp(id, code);
  }
  askingFor = id || null;
  if (askingFor) byId<HTMLInputElement>('licence-id').value = askingFor;
  arrangeTools();
  if (askingFor) byId('code').focus();
}

// --- wiring ----------------------------------------------------------------------------------------------

function setUpCodeForm(): void {
  byId('code-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = (askingFor ?? byId<HTMLInputElement>('licence-id').value).trim();
    const typed = byId<HTMLInputElement>('code').value;
    if (!id) return setStatus(byId('code-status'), t('needId'), 'error');
    if (!canonicalCode(typed)) return setStatus(byId('code-status'), t('badCode'), 'error');
    void lookUp(id, typed);
  });
}

function setUpScanning(): void {
  byId('scanner-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('scanner-input');
    const text = input.value;
    input.value = '';
    if (text.trim()) handleScanned(text);
  });
  const button = byId<HTMLButtonElement>('camera-button');
  const box = byId('camera-box');
  const stop = () => {
    camera?.stop();
    camera = null;
    box.hidden = true;
    button.textContent = t('cameraButton');
  };
  button.addEventListener('click', async () => {
    if (camera) return stop();
    setStatus(byId('scan-status'), '');
    box.hidden = false;
    button.textContent = t('cameraStop');
    try {
      camera = await startCameraScan(byId<HTMLVideoElement>('camera'), (text) => {
        stop();
        handleScanned(text);
      });
    } catch {
      stop();
      setStatus(byId('scan-status'), t('cameraUnavailable'), 'error');
    }
  });
  onLanguageChange(() => { button.textContent = t(camera ? 'cameraStop' : 'cameraButton'); });
}

function setUpFiles(): void {
  const zone = byId('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    const pdf = files.find((f) => !(f.name.toLowerCase().endsWith('.json') || f.type === 'application/json'));
    const receipt = files.find((f) => f !== pdf);
    if (receipt) {
      const list = new DataTransfer();
      list.items.add(receipt);
      byId<HTMLInputElement>('receipt-file').files = list.files;
    }
    if (!pdf) return;
    droppedPdf = pdf;
    byId<HTMLInputElement>('pdf-file').value = '';
    byId('dropped').textContent = pdf.name;
    void checkPdf();
  });
  byId('pdf-file').addEventListener('change', () => {
    droppedPdf = null;
    byId('dropped').textContent = '';
    if (byId<HTMLInputElement>('pdf-file').files?.length) void checkPdf();
  });
  byId('receipt-file').addEventListener('change', () => {
    if (byId<HTMLInputElement>('pdf-file').files?.length || droppedPdf) void checkPdf();
  });
  byId('recheck-button').addEventListener('click', () => void checkPdf());
}

initPage(VERIFY_TEXT);
onLanguageChange(redraw);
setUpCodeForm();
setUpScanning();
setUpFiles();
// Kept for later, offline use: the keys 亮证 codes are signed with, the issuer CA and the log's key.
void refreshKeys();
void loadTrust();
window.addEventListener('hashchange', route);
window.addEventListener('online', () => {
  const mine = generation;
  void recheck(() => mine === generation);
});
setInterval(() => {
  const clock = document.getElementById('code-clock');
  if (clock && current?.presentation) clock.textContent = presentationClock(current);
}, 1000);
route();
