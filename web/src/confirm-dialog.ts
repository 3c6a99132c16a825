/**
 * A real confirmation before something that cannot be undone (withdrawing a consent, declining a request):
 * a modal <dialog> that names what happens, with the safe choice first and focused. Resolves with the
 * choice and, when asked for, the reason typed.
 */
import { byId, el, onLanguageChange } from './common.ts';

/** Words are functions: they are said again in the other language if the reader switches while it is open. */
export interface ConfirmOptions {
  title: () => string;
  body: Array<() => string>;
  confirm: () => string;
  cancel: () => string;
  danger?: boolean;
  reason?: { label: () => string; maxLength: number };
}

let redraw: (() => void) | null = null;
onLanguageChange(() => redraw?.());

export function confirmDialog(options: ConfirmOptions): Promise<{ confirmed: boolean; reason: string }> {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  return new Promise((resolve) => {
    const reason = options.reason ? el('textarea', { id: 'confirm-reason', maxlength: String(options.reason.maxLength), autocomplete: 'off' }) : null;
    const cancel = el('button', { type: 'button', class: 'secondary', id: 'confirm-cancel' });
    const confirm = el('button', { type: 'button', class: options.danger ? 'danger' : '', id: 'confirm-ok' });
    const title = el('h2', { id: 'confirm-title' });
    const paragraphs = options.body.map(() => el('p', {}));
    const reasonLabel = el('label', { for: 'confirm-reason' });
    const draw = () => {
      title.textContent = options.title();
      options.body.forEach((text, i) => { paragraphs[i]!.textContent = text(); });
      if (options.reason) reasonLabel.textContent = options.reason.label();
      cancel.textContent = options.cancel();
      confirm.textContent = options.confirm();
    };
    let answered = false;
    const finish = (confirmed: boolean) => {
      if (answered) return;
      answered = true;
      const typed = reason?.value.trim() ?? '';
      redraw = null;
      dialog.close();
      dialog.replaceChildren();
      resolve({ confirmed, reason: typed });
    };
    cancel.addEventListener('click', () => finish(false));
    confirm.addEventListener('click', () => finish(true));
    dialog.addEventListener('close', () => finish(false), { once: true });
    draw();
    redraw = draw;
    dialog.replaceChildren(title, ...paragraphs, ...(reason ? [reasonLabel, reason] : []), el('div', { class: 'dialog-actions' }, cancel, confirm));
    dialog.showModal();
    cancel.focus();
  });
}

/** Closes an open confirmation without an answer (sign-out). */
export function closeConfirmDialog(): void {
  const dialog = document.getElementById('confirm-dialog') as HTMLDialogElement | null;
  redraw = null;
  if (dialog?.open) dialog.close();
  dialog?.replaceChildren();
}
