/** Small pieces every portal view uses: running an action with its error shown in words, pills, facts. */
import { ApiError, byId, el, errorText, setStatus, t } from './common.ts';

let onExpired: () => void = () => undefined;

/** What to do when the service says the sign-in is no longer good (401): the portal signs the person out. */
export function whenSessionExpires(fn: () => void): void {
  onExpired = fn;
}

/**
 * Runs `fn`; a failure is shown in `where` in the reader's language with the fields named
 * (`fieldLabel` names a licence's own fields).
 */
export async function handle(where: string | HTMLElement, fn: () => Promise<void>, fieldLabel?: (field: string) => string | undefined): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      onExpired();
      setStatus(byId('portal-status'), () => errorText(error), 'error');
      return false;
    }
    const node = typeof where === 'string' ? document.getElementById(where) : where;
    if (node) setStatus(node, () => errorText(error, fieldLabel), 'error');
    return false;
  }
}

export type PillKind = 'good' | 'bad' | 'warn' | 'plain';

export function pill(text: string, kind: PillKind): HTMLSpanElement {
  return el('span', { class: `pill ${kind}` }, text);
}

/** A definition list of label → value rows (values may be nodes). */
export function facts(rows: Array<[string, Node | string | null | undefined]>, cls = 'facts'): HTMLDListElement {
  const dl = el('dl', { class: cls });
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === '') continue;
    dl.append(el('dt', {}, label), el('dd', {}, value));
  }
  return dl;
}

export function emptyNote(key: string): HTMLParagraphElement {
  return el('p', { class: 'muted' }, t(key));
}

export function statusBox(id: string): HTMLDivElement {
  return el('div', { id, class: 'notice', role: 'status', hidden: true });
}
