/** The holder's notification feed: what happened to their data and licences, in a sentence each. */

export type NotificationKind = 'access' | 'expiring' | 'consent-request';

export interface Notification {
  /** Stable per event: `access:<record id>`, `expiring:<licence id>`, `consent-request:<request id>`. */
  id: string;
  kind: NotificationKind;
  /** When it happened (an expiring licence: when the feed learnt of it, i.e. its date 30 days ahead). */
  at: string;
  unread: boolean;
  zh: string;
  en: string;
  /** What the page opens for it. */
  subject: { licenceId?: string; accessId?: string; consentRequestId?: string };
}

/** Port: how far each holder has read their feed. */
export interface NotificationMarkStore {
  seenUntil(holderId: string): Promise<string | null>;
  markSeen(holderId: string, until: string): Promise<void>;
}
