/**
 * Auditor view (wiring): sign-in without a terminal — the staff identity provider in production (described
 * here; its redirect is not built yet), the development staff sign-in while it is on (marked as such), a
 * pasted token for experts — then the access log with filters and CSV, overdue corrections, alarms and
 * alerts, a licence's status history in words; checkpoints, anchors and consistency (verified in this
 * browser) are public.
 */
import { verifyConsistency } from '../../src/proofs/merkle.ts';
import { downloadCsv, forgetAccessLog, renderAccessLog, renderFilterChoices, searchAccessLog } from './auditor-access-log.ts';
import type { LogCatalogues } from './auditor-access-log.ts';
import { forgetFindings, loadAlarms, loadCorrections, renderAlarms, renderCorrections } from './auditor-findings.ts';
import { AUDITOR_TEXT } from './auditor-text.ts';
import { apiJson, byId, departmentLabel, departmentName, departmentsWithRole, developmentSignIn, el, errorText, formatTime, initPage, loadDepartments, neverCacheResponses, onLanguageChange, setStatus, t } from './common.ts';
import { historyKind, reasonWords } from './history-words.ts';
import { finishSignIn, isSignInReturn, signInOptions, startSignIn, wasCancelled } from './oidc-sign-in.ts';
import type { HistoryEvent } from './history-words.ts';

const TOKEN_KEY = 'licence-vault.auditorToken';
const WHO_KEY = 'licence-vault.auditorWho';

interface Who { department: string | null; roles: string[]; name: string | null }
interface Anchor { txId: string; blockNumber: number | null; anchoredAt: string; coveredBySize?: number }
interface Checkpoint { origin: string; size: number; rootHash: string; createdAt: string; anchor: Anchor | null; anchorError: string | null }

const cat: LogCatalogues = { types: [], serviceItems: [] };
let checkpoints: Checkpoint[] = [];
let history: HistoryEvent[] | null = null;

const token = (): string | null => sessionStorage.getItem(TOKEN_KEY);
const who = (): Who | null => {
  try {
    return JSON.parse(sessionStorage.getItem(WHO_KEY) ?? 'null') as Who | null;
  } catch {
    return null;
  }
};
const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/* --- sign-in --------------------------------------------------------------------------------------------------- */

function renderSession(): void {
  const signedIn = token() !== null;
  byId('signin-card').hidden = signedIn;
  byId('session-bar').hidden = !signedIn;
  for (const id of ['access-log-card', 'corrections-card', 'alarms-card', 'history-card']) byId(id).hidden = !signedIn;
  const me = who();
  if (!signedIn || !me) return void (byId('signed-in-as').textContent = signedIn ? t('tokenPasted') : '');
  const roles = me.roles.map((r) => t(`role.${r}`)).join(t('listSep'));
  const department = me.department ? departmentLabel(me.department) : '';
  byId('signed-in-as').textContent = me.name ? t('signedInNamed', { name: me.name, department, roles }) : t('signedInAs', { department, roles });
}

function renderStaffChoices(): void {
  const select = byId<HTMLSelectElement>('staff-department');
  const chosen = select.value;
  const staff = [...departmentsWithRole('auditor'), ...departmentsWithRole('admin').filter((d) => !d.roles.includes('auditor'))];
  select.replaceChildren(...staff.map((d) => el('option', { value: d.code }, departmentName(d.code))));
  if (chosen) select.value = chosen;
}

async function afterSignIn(): Promise<void> {
  renderSession();
  const tok = token();
  if (!tok) return;
  await Promise.all([searchAccessLog(tok, cat), loadCorrections(tok, cat), loadAlarms(tok)]);
}

async function devStaffSignIn(e: Event): Promise<void> {
  e.preventDefault();
  try {
    const name = byId<HTMLInputElement>('staff-name').value.trim();
    const answer = await apiJson<{ id_token: string; department: string; roles: string[] }>('POST', '/dev-idp/staff-token', { json: { department: byId<HTMLSelectElement>('staff-department').value, ...(name ? { name } : {}) } });
    sessionStorage.setItem(TOKEN_KEY, answer.id_token);
    sessionStorage.setItem(WHO_KEY, JSON.stringify({ department: answer.department, roles: answer.roles, name: name || null } satisfies Who));
    byId<HTMLFormElement>('dev-staff-form').reset();
    setStatus(byId('signin-status'), '');
    await afterSignIn();
  } catch (error) {
    setStatus(byId('signin-status'), () => errorText(error), 'error');
  }
}

async function showStaffSignIn(): Promise<void> {
  const options = await signInOptions();
  byId('staff-idp-button').hidden = !options.staff;
  byId('staff-idp-missing').hidden = Boolean(options.staff);
}

async function staffIdpSignIn(): Promise<void> {
  try {
    const options = await signInOptions();
    if (options.staff) await startSignIn(options.staff);
  } catch (error) {
    setStatus(byId('signin-status'), () => errorText(error), 'error');
  }
}

/** Back from the staff identity provider: its ID token (claims dept, roles, name) is this tab's session. */
async function finishStaffSignIn(): Promise<void> {
  try {
    const options = await signInOptions();
    if (!options.staff) throw new Error('no staff identity provider');
    const { idToken, claims } = await finishSignIn(options.staff);
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
    sessionStorage.setItem(TOKEN_KEY, idToken);
    sessionStorage.setItem(WHO_KEY, JSON.stringify({ department: typeof claims.dept === 'string' ? claims.dept : null, roles, name: typeof claims.name === 'string' ? claims.name : null } satisfies Who));
    await afterSignIn();
  } catch (error) {
    console.warn('sign-in not completed', error);
    setStatus(byId('signin-status'), () => t(wasCancelled(error) ? 'idpCancelled' : 'idpFailed'), 'error');
  }
}

function useToken(e: Event): void {
  e.preventDefault();
  const value = byId<HTMLInputElement>('token').value.trim();
  if (!value) return setStatus(byId('signin-status'), () => t('tokenMissing'), 'error');
  sessionStorage.setItem(TOKEN_KEY, value);
  sessionStorage.removeItem(WHO_KEY);
  byId<HTMLFormElement>('token-form').reset();
  setStatus(byId('signin-status'), () => t('tokenSaved'), 'ok');
  void afterSignIn();
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(WHO_KEY);
  forgetAccessLog();
  forgetFindings();
  history = null;
  for (const form of document.querySelectorAll('form')) form.reset();
  for (const box of document.querySelectorAll<HTMLElement>('.notice[role="status"]')) setStatus(box, '');
  for (const id of ['access-log', 'corrections', 'alerts', 'alarms', 'conflicts', 'history']) byId(id).replaceChildren();
  renderSession();
  setStatus(byId('signin-status'), () => t('signedOutDone'), 'ok');
  fillConsistencySizes();
}

/* --- history ------------------------------------------------------------------------------------------------------ */

function renderHistory(): void {
  const box = byId('history');
  if (history === null) return box.replaceChildren();
  const head = [t('colAt'), t('colAction'), t('colChange'), t('colReason'), t('colActor')];
  box.replaceChildren(el('table', { class: 'stack', id: 'history-table' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...history.map((h) => {
    const { key, previous } = historyKind(h);
    const origin = previous && key === 'history.issueRenewal' ? t('renewalOf', { id: previous }) : previous && key === 'history.issueCorrection' ? t('correctionOf', { id: previous }) : '';
    return el('tr', { 'data-action': h.action },
      el('td', { 'data-label': head[0]! }, formatTime(h.at)),
      el('td', { 'data-label': head[1]! }, t(`action.${h.action}`)),
      el('td', { 'data-label': head[2]! }, `${h.fromStatus ? t(`status.${h.fromStatus}`) : '—'} → ${t(`status.${h.toStatus}`)}`),
      el('td', { 'data-label': head[3]! }, [origin, reasonWords(h)].filter(Boolean).join(t('listSep')) || '—'),
      el('td', { 'data-label': head[4]! }, departmentName(h.actor)),
    );
  }))));
}

async function loadHistory(e: Event): Promise<void> {
  e.preventDefault();
  const tok = token();
  if (!tok) return;
  const id = byId<HTMLInputElement>('history-id').value.trim();
  try {
    history = (await apiJson<{ items: HistoryEvent[] }>('GET', `/licences/${encodeURIComponent(id)}/history`, { token: tok })).items;
    setStatus(byId('history-status'), '');
    renderHistory();
  } catch (error) {
    setStatus(byId('history-status'), () => errorText(error), 'error');
  }
}

/* --- checkpoints and consistency (public) ------------------------------------------------------------------------- */

function renderCheckpoints(): void {
  const box = byId('checkpoints');
  if (checkpoints.length === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, t('noCheckpoints')));
    byId('lag').hidden = true;
    return;
  }
  const head = [t('colSize'), t('colRoot'), t('colCreated'), t('colAnchor')];
  box.replaceChildren(el('table', { class: 'stack', id: 'checkpoint-table' }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...checkpoints.map((c) => {
    const a = c.anchor;
    const anchorText = !a ? `${t('notAnchored')}${c.anchorError ? ` (${c.anchorError})` : ''}`
      : a.coveredBySize ? t('coveredBy', { size: a.coveredBySize })
        : t('anchoredTx', { tx: a.txId, block: a.blockNumber ?? '—', at: formatTime(a.anchoredAt) });
    return el('tr', { 'data-size': String(c.size) },
      el('td', { 'data-label': head[0]! }, String(c.size)),
      el('td', { 'data-label': head[1]!, class: 'mono small' }, c.rootHash),
      el('td', { 'data-label': head[2]! }, formatTime(c.createdAt)),
      el('td', { 'data-label': head[3]! }, el('span', { class: `anchor-state ${a ? 'anchored' : 'pending'}` }, anchorText)),
    );
  }))));
  const latest = Math.max(...checkpoints.map((c) => c.size));
  const anchored = Math.max(0, ...checkpoints.filter((c) => c.anchor).map((c) => c.size));
  setStatus(byId('lag'), () => t('lag', { latest, anchored, lag: latest - anchored }), latest === anchored ? 'ok' : 'error');
}

function fillConsistencySizes(): void {
  const sizes = checkpoints.map((c) => c.size);
  if (sizes.length === 0) return;
  const first = byId<HTMLInputElement>('first-size');
  const second = byId<HTMLInputElement>('second-size');
  if (!first.value) first.value = String(Math.min(...sizes));
  if (!second.value) second.value = String(Math.max(...sizes));
}

async function loadCheckpoints(): Promise<void> {
  try {
    checkpoints = (await apiJson<{ items: Checkpoint[] }>('GET', '/transparency/checkpoints?limit=100')).items;
    setStatus(byId('checkpoints-status'), '');
    renderCheckpoints();
    fillConsistencySizes();
  } catch (error) {
    setStatus(byId('checkpoints-status'), () => errorText(error), 'error');
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
    if (!c1 || !c2) return setStatus(out, () => t('unknownSize', { size: !c1 ? first : second }), 'error');
    const res = await apiJson<{ proof: string[] }>('GET', `/transparency/consistency?first=${first}&second=${second}`);
    try {
      verifyConsistency(first, second, res.proof.map(b64), b64(c1.rootHash), b64(c2.rootHash));
      setStatus(out, () => t('consistent', { first, second }), 'ok');
    } catch (error) {
      const detail = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
      setStatus(out, () => t('inconsistent', { detail }), 'error');
    }
  } catch (error) {
    setStatus(out, () => errorText(error), 'error');
  }
}

/* --- start ----------------------------------------------------------------------------------------------------------- */

async function loadCatalogues(): Promise<void> {
  try {
    const [types, items] = await Promise.all([
      apiJson<{ items: LogCatalogues['types'] }>('GET', '/licence-types'),
      apiJson<{ items: LogCatalogues['serviceItems'] }>('GET', '/service-items'),
      loadDepartments(),
    ]);
    cat.types = types.items;
    cat.serviceItems = items.items;
  } catch (error) {
    setStatus(byId('log-status'), () => errorText(error), 'error');
  }
}

neverCacheResponses();
initPage(AUDITOR_TEXT);
onLanguageChange(() => {
  renderSession();
  renderStaffChoices();
  renderFilterChoices();
  renderAccessLog(cat);
  renderCorrections(cat);
  renderAlarms();
  renderHistory();
  renderCheckpoints();
});
byId('dev-staff-form').addEventListener('submit', (e) => void devStaffSignIn(e));
byId('staff-idp-button').addEventListener('click', () => void staffIdpSignIn());
byId('token-form').addEventListener('submit', useToken);
byId('sign-out').addEventListener('click', signOut);
byId('log-filter').addEventListener('submit', (e) => {
  e.preventDefault();
  const tok = token();
  if (tok) void searchAccessLog(tok, cat);
});
byId('csv-button').addEventListener('click', () => {
  const tok = token();
  if (tok) void downloadCsv(tok);
});
byId('reload-corrections').addEventListener('click', () => {
  const tok = token();
  if (tok) void loadCorrections(tok, cat);
});
byId('reload-alarms').addEventListener('click', () => {
  const tok = token();
  if (tok) void loadAlarms(tok);
});
byId('reload-checkpoints').addEventListener('click', () => void loadCheckpoints());
byId('consistency-form').addEventListener('submit', (e) => void checkConsistency(e));
byId('history-form').addEventListener('submit', (e) => void loadHistory(e));
renderSession();
renderFilterChoices();
void developmentSignIn().then((dev) => {
  byId('dev-staff-form').hidden = !dev.enabled;
});
void showStaffSignIn();
void loadCatalogues().then(() => {
  renderStaffChoices();
  renderFilterChoices();
  return isSignInReturn() ? finishStaffSignIn() : afterSignIn();
});
void loadCheckpoints();
