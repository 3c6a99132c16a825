/** A company signed in as itself appoints the people who act for it (经办人), and revokes them. */
import { apiJson, byId, el, formatDate, setStatus, t } from './common.ts';
import { auth, data } from './portal-state.ts';
import type { Appointment } from './portal-state.ts';
import { emptyNote, facts, handle, pill } from './portal-ui.ts';

export interface AgentActions { reload(): Promise<void> }

function agentCard(a: Appointment, actions: AgentActions): HTMLElement {
  const card = el('article', { class: 'item-card', 'data-agent': a.id },
    el('div', { class: 'lic-head' }, el('h3', {}, a.agentName ?? a.agentId), pill(t(`agent.${a.status}`), a.status === 'ACTIVE' ? 'good' : 'plain')),
    facts([
      [t('agentId'), el('span', { class: 'mono' }, a.agentId)],
      [t('agentScopes'), a.scopes.map((scope) => t(`scope.${scope}`)).join(t('listSep'))],
      [t('appointUntil'), formatDate(a.validUntil)],
    ]));
  if (a.status === 'ACTIVE' || a.status === 'PENDING') {
    const button = el('button', { type: 'button', class: 'secondary danger-text' }, t('revokeAgent'));
    button.addEventListener('click', () => void revoke(a.id, actions));
    card.append(el('div', { class: 'lic-actions' }, button));
  }
  return card;
}

async function revoke(id: string, actions: AgentActions): Promise<void> {
  await handle('agents-status', async () => {
    await apiJson('POST', `/me/agents/${encodeURIComponent(id)}/revocation`, auth());
    await actions.reload();
    setStatus(byId('agents-status'), () => t('agentRevoked'), 'ok');
  });
}

export function renderAgents(actions: AgentActions): void {
  const box = byId('agents');
  if (data.agents.length === 0) return box.replaceChildren(emptyNote('noAgents'));
  box.replaceChildren(...data.agents.map((a) => agentCard(a, actions)));
}

export function wireAgentForm(actions: AgentActions): void {
  byId('agent-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void handle('agents-status', async () => {
      const agentName = byId<HTMLInputElement>('agent-name').value.trim();
      const until = byId<HTMLInputElement>('agent-until').value;
      await apiJson('POST', '/me/agents', {
        ...auth(),
        json: {
          agentId: byId<HTMLInputElement>('agent-id').value.trim(), ...(agentName ? { agentName } : {}),
          scopes: [...document.querySelectorAll<HTMLInputElement>('input[name="agentScope"]:checked')].map((input) => input.value),
          validUntil: new Date(`${until}T23:59:59+08:00`).toISOString(),
        },
      });
      await actions.reload();
      setStatus(byId('agents-status'), () => t('appointed'), 'ok');
    });
  });
}
