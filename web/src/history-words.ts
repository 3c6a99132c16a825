/**
 * A licence's status history as words, shared by the portal and the auditor view. The service's `reason`
 * of an event carries machine prefixes ("issued", "renewal of <id>: …", "correction of <id> (cor_…): …",
 * "correction cor_…: …") before the department's own words; the sentence says what the prefix says, so
 * only the department's words are shown, and the licence it replaced is named.
 */
export interface HistoryEvent { action: 'issue' | 'suspend' | 'reinstate' | 'revoke' | 'renew' | 'correct'; fromStatus: string | null; toStatus: string; reason: string; actor: string; at: string }

/** The department's words, without the machine's prefix ('' for a plain issuance). */
export function reasonWords(e: Pick<HistoryEvent, 'action' | 'reason'>): string {
  if (e.action === 'issue' && e.reason === 'issued') return '';
  const m = /^(?:renewal of \S+|correction of \S+ \(cor_[^)]+\)|correction cor_\S+): ([\s\S]*)$/.exec(e.reason);
  return (m ? m[1]! : e.reason).trim();
}

/** Which sentence an event is: a new version names what it replaced (renewal or correction). */
export function historyKind(e: Pick<HistoryEvent, 'action' | 'reason'>): { key: string; previous: string | null } {
  const previous = /^(?:renewal|correction) of (\S+)/.exec(e.reason)?.[1] ?? null;
  if (e.action === 'issue' && /^renewal of /.test(e.reason)) return { key: 'history.issueRenewal', previous };
  if (e.action === 'issue' && /^correction of /.test(e.reason)) return { key: 'history.issueCorrection', previous };
  return { key: `history.${e.action}`, previous };
}
