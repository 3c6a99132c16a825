/**
 * Citizen and company portal (wiring): sign-in (the development provider while it is on; otherwise the
 * configured identity provider), then views reached by the fragment — #licences (cards), #licence (one
 * licence; its id stays in memory, not in the browser history of a shared counter), #consents,
 * #accesses, #notifications, #agents — and #consent-request=<id>, the link a department's window shows as
 * a QR code, kept through sign-in. Sign-out forgets everything of the person (portal-state.ts).
 */
import { ApiError, apiJson, byId, developmentSignIn, initPage, maskId, neverCacheResponses, onLanguageChange, setStatus, t } from './common.ts';
import { closeConfirmDialog } from './confirm-dialog.ts';
import { loadAccesses, markAllRead, renderAccesses, renderNotifications, renderUnread, accessQuery } from './portal-accesses.ts';
import { renderAgents, wireAgentForm } from './portal-agents.ts';
import { forgetConsentRequest, inDays, openConsentRequest, renderConsentRequest, renderConsents, renderExpertForm, renderWaiting, wireExpertForm } from './portal-consents.ts';
import { forgetCorrectionDraft } from './portal-corrections.ts';
import { forgetDetail, renderDetail } from './portal-licence-detail.ts';
import { renderLicenceList } from './portal-licences.ts';
import { openPresentation, PRESENT_TEXT } from './portal-present.ts';
import { auth, catalogue, data, forgetEverything, session, setData, typeOf } from './portal-state.ts';
import type { AccessItem, Appointment, Consent, ConsentRequest, Correction, Licence, LicenceType, Notification, ServiceItem } from './portal-state.ts';
import { PORTAL_TEXT } from './portal-text.ts';
import { handle, whenSessionExpires } from './portal-ui.ts';
import { finishSignIn, isSignInReturn, signInOptions, startSignIn, wasCancelled } from './oidc-sign-in.ts';

type View = 'licences' | 'licence' | 'consent-request' | 'consents' | 'accesses' | 'notifications' | 'agents';
const VIEWS: View[] = ['licences', 'licence', 'consent-request', 'consents', 'accesses', 'notifications', 'agents'];
const REQUEST_LINK = /^#consent-request=([A-Za-z0-9_-]{1,64})$/;

/** The licence open in the detail view (memory only). */
let openLicenceId: string | null = null;
let view: View = 'licences';

/* --- catalogues (public, loaded once) --------------------------------------------------------------------- */

let catalogues: Promise<void> | null = null;
function loadCatalogues(): Promise<void> {
  catalogues ??= Promise.all([
    apiJson<{ items: LicenceType[] }>('GET', '/licence-types'),
    apiJson<{ items: ServiceItem[] }>('GET', '/service-items'),
  ]).then(([types, items]) => {
    catalogue.types = types.items;
    catalogue.serviceItems = items.items;
  }).catch((error: unknown) => {
    catalogues = null;
    throw error;
  });
  return catalogues;
}

/* --- loading the person's data ------------------------------------------------------------------------------- */

/** A part the agent's appointment does not cover is null (its view says so); any other failure stays one. */
async function inScope<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'AGENT_SCOPE_NOT_GRANTED') return null;
    throw error;
  }
}

async function allLicences(): Promise<Licence[]> {
  const items: Licence[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const answer: { items: Licence[]; nextCursor: string | null } = await apiJson('GET', `/licences?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, auth());
    items.push(...answer.items);
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return items;
}

const actions = {
  reload: () => loadAll(),
  open: (id: string) => openLicence(id),
  openLicence: (id: string) => openLicence(id),
  openRequest: (id: string) => go(`#consent-request=${id}`),
  showConsents: () => go('#consents'),
  showAccesses: () => go('#accesses'),
  back: () => go('#licences'),
  present: (licence: Licence) => void handle('licences-status', () => openPresentation(licence, typeOf(licence.type), auth)),
};

async function loadAll(): Promise<void> {
  await handle('portal-status', async () => {
    await loadCatalogues();
    if (!session.token()) return renderAll();
    const company = session.isCompanyItself();
    const [licences, consents, accesses, corrections, notifications, waiting, agents] = await Promise.all([
      inScope(allLicences()),
      inScope(apiJson<{ items: Consent[] }>('GET', '/me/consents', auth())),
      inScope(apiJson<{ items: AccessItem[] }>('GET', `/me/accesses${accessQuery()}`, auth())),
      inScope(apiJson<{ items: Correction[] }>('GET', '/me/corrections', auth())),
      inScope(apiJson<{ unread: number; items: Notification[] }>('GET', '/me/notifications', auth())),
      apiJson<{ items: ConsentRequest[] }>('GET', '/me/consent-requests', auth()).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 403) return { items: [] as ConsentRequest[] };
        throw error;
      }),
      company ? apiJson<{ items: Appointment[] }>('GET', '/me/agents', auth()) : Promise.resolve({ items: [] as Appointment[] }),
    ]);
    if (!session.token()) return; // signed out meanwhile: nothing of this answer may land
    setData({
      licences, consents: consents?.items ?? null, accesses: accesses?.items ?? null, corrections: corrections?.items ?? null,
      notifications, waiting: waiting.items, agents: agents.items,
    });
    forgetDetail();
    setStatus(byId('portal-status'), '');
    renderAll();
  });
}

/* --- views ------------------------------------------------------------------------------------------------------ */

function go(hash: string): void {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function openLicence(id: string): void {
  openLicenceId = id;
  for (const box of ['detail-status', 'correction-status']) document.getElementById(box)?.remove();
  go('#licence');
  window.scrollTo(0, 0);
  document.getElementById('detail-title')?.focus();
}

function route(): void {
  if (!session.token()) return renderSession();
  const hash = location.hash;
  const request = REQUEST_LINK.exec(hash);
  if (request) {
    view = 'consent-request';
    void openConsentRequest(request[1]!, actions);
  } else if (hash === '#licence' && openLicenceId) view = 'licence';
  else if (VIEWS.includes(hash.slice(1) as View) && hash !== '#licence' && hash !== '#consent-request') view = hash.slice(1) as View;
  else view = 'licences';
  if (view === 'agents' && !session.isCompanyItself()) view = 'licences';
  renderAll();
}

function renderSession(): void {
  const signedIn = session.token() !== null;
  byId('signin-card').hidden = signedIn;
  byId('session-bar').hidden = !signedIn;
  byId('tabs').hidden = !signedIn;
  byId('agents-tab').hidden = !session.isCompanyItself();
  for (const v of VIEWS) byId(`view-${v}`).hidden = !signedIn || v !== view;
  byId('page-title').textContent = signedIn ? t(`viewTitle.${view}`) : t('title');
  byId('link-waiting').hidden = signedIn || !(REQUEST_LINK.test(location.hash) || sessionStorage.getItem('licence-vault.pendingRoute'));
  for (const tab of byId('tabs').querySelectorAll<HTMLAnchorElement>('a[data-view]')) {
    const current = tab.dataset.view === view || (view === 'licence' && tab.dataset.view === 'licences') || (view === 'consent-request' && tab.dataset.view === 'consents');
    if (current) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (!signedIn) return;
  byId('signed-in-as').textContent = maskId(session.subject());
  const company = session.actingFor();
  byId('acting-for-line').hidden = !company;
  byId('acting-for-line').textContent = company ? t('actingForLine', { company: maskId(company) }) : '';
}

function renderAll(): void {
  renderSession();
  if (!session.token()) return;
  byId('waiting-requests').hidden = true;
  if (view === 'licences' || view === 'consents') renderWaiting(actions);
  renderLicenceList(actions);
  const licence = (data.licences ?? []).find((l) => l.id === openLicenceId);
  if (view === 'licence' && licence) renderDetail(byId('licence-detail'), licence, actions);
  else if (view === 'licence') byId('licence-detail').replaceChildren();
  renderConsents(actions);
  renderExpertForm();
  renderAccesses();
  renderNotifications(actions);
  renderUnread();
  if (view === 'consent-request') renderConsentRequest(actions);
  if (session.isCompanyItself()) renderAgents(actions);
}

/* --- sign-in and sign-out ---------------------------------------------------------------------------------------- */

async function signIn(e: Event): Promise<void> {
  e.preventDefault();
  const status = byId('signin-status');
  const subject = byId<HTMLInputElement>('subject').value.trim();
  if (!subject) return setStatus(status, () => t('subjectMissing'), 'error');
  await handle(status, async () => {
    const name = byId<HTMLInputElement>('holder-name').value.trim();
    const company = byId<HTMLInputElement>('acting-for').value.trim().toUpperCase();
    const answer = await apiJson<{ id_token: string; subject: string; holder_kind: string }>('POST', '/dev-idp/token', { json: { subject, ...(name ? { name } : {}) } });
    session.start(answer, company);
    byId<HTMLFormElement>('signin-form').reset();
    setStatus(status, '');
    // A department's link opened before signing in: the fragment is still there, or kept for a redirect.
    const pending = session.takeRoute();
    if (pending && REQUEST_LINK.test(pending) && location.hash !== pending) history.replaceState(null, '', pending);
    await loadAll();
    route();
  });
}

/** Everything of the person who signs out goes: session keys, answers, typed text, messages, dialogs, views. */
function signOut(): void {
  closeConfirmDialog();
  const present = byId<HTMLDialogElement>('present-dialog');
  if (present.open) present.close();
  present.replaceChildren();
  forgetEverything();
  forgetDetail();
  forgetCorrectionDraft();
  forgetConsentRequest();
  openLicenceId = null;
  view = 'licences';
  for (const form of document.querySelectorAll('form')) form.reset();
  for (const box of document.querySelectorAll<HTMLElement>('.notice[role="status"]')) setStatus(box, '');
  for (const id of ['licences-current', 'licences-past', 'licence-detail', 'consent-request', 'consents', 'accesses', 'notifications', 'agents', 'waiting-requests', 'signed-in-as', 'acting-for-line']) byId(id).replaceChildren();
  for (const id of ['consent-types', 'consent-fields']) byId(id).replaceChildren();
  setFormDefaults();
  history.replaceState(null, '', location.pathname);
  renderSession();
  renderUnread();
  setStatus(byId('portal-status'), () => t('signedOutDone'), 'ok');
  byId<HTMLInputElement>('subject').focus();
}

function setFormDefaults(): void {
  byId<HTMLInputElement>('consent-until').value = inDays(30);
  byId<HTMLInputElement>('agent-until').value = inDays(365);
}

async function showSignIn(): Promise<void> {
  const [dev, options] = await Promise.all([developmentSignIn(), signInOptions()]);
  byId('signin-checking').hidden = true;
  byId('signin-form').hidden = !dev.enabled;
  byId('idp-signin').hidden = !options.holder;
  byId('idp-missing').hidden = dev.enabled || Boolean(options.holder);
}

/** To the government identity provider (the company an agent acts for comes back with the answer). */
async function idpSignIn(e: Event): Promise<void> {
  e.preventDefault();
  const status = byId('idp-status');
  await handle(status, async () => {
    const options = await signInOptions();
    if (!options.holder) throw new Error('no identity provider');
    await startSignIn(options.holder, { actingFor: byId<HTMLInputElement>('idp-acting-for').value.trim().toUpperCase() });
  });
}

/** Back from the identity provider: the ID token becomes this page's session, as the development one does. */
async function finishIdpSignIn(): Promise<void> {
  const options = await signInOptions();
  const status = byId('idp-status');
  try {
    if (!options.holder) throw new Error('no identity provider');
    const { idToken, claims, carry } = await finishSignIn(options.holder);
    const subject = String(claims.sub);
    session.start({ id_token: idToken, subject, holder_kind: /^\d{17}[\dX]$/.test(subject) ? 'person' : 'organisation' }, carry.actingFor ?? '');
    const pending = session.takeRoute();
    if (pending && REQUEST_LINK.test(pending) && location.hash !== pending) history.replaceState(null, '', pending);
    renderSession();
    await loadAll();
    route();
  } catch (error) {
    console.warn('sign-in not completed', error); // the detail is for whoever debugs; the person gets a sentence
    setStatus(status, () => t(wasCancelled(error) ? 'idpCancelled' : 'idpFailed'), 'error');
  }
}

/* --- start ---------------------------------------------------------------------------------------------------------- */

neverCacheResponses();
initPage({ ...PORTAL_TEXT, ...PRESENT_TEXT });
onLanguageChange(() => {
  renderAll();
  renderSession();
});
whenSessionExpires(() => {
  session.expire();
  renderSession();
});
setFormDefaults();
wireExpertForm(actions);
wireAgentForm(actions);
byId('signin-form').addEventListener('submit', (e) => void signIn(e));
byId('idp-signin').addEventListener('submit', (e) => void idpSignIn(e));
byId('refresh').addEventListener('click', () => void loadAll().then(route));
byId('sign-out').addEventListener('click', signOut);
byId('mark-read').addEventListener('click', () => void markAllRead(actions));
byId('access-filter').addEventListener('submit', (e) => {
  e.preventDefault();
  void loadAccesses();
});
byId('access-clear').addEventListener('click', () => {
  byId<HTMLFormElement>('access-filter').reset();
  void loadAccesses();
});
window.addEventListener('hashchange', route);
// A department's link opened before signing in: keep it (a production identity provider's redirect loses
// the fragment), and say what waits.
if (!session.token() && REQUEST_LINK.test(location.hash)) session.keepRoute(location.hash);
renderSession();
void showSignIn();
if (isSignInReturn()) void finishIdpSignIn();
else void loadAll().then(route);
