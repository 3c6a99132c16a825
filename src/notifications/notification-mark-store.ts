/** NotificationMarkStore on knex. */
import type { Database } from '../db/database.ts';
import { isoTime as iso } from '../db/database.ts';
import type { NotificationMarkStore } from './notification-types.ts';

export function createNotificationMarkStore(db: Database): NotificationMarkStore {
  return {
    async seenUntil(holderId) {
      const row = await db('holder_notification_marks').where({ holder_id: holderId }).first();
      return row ? iso(row.seen_until) : null;
    },
    async markSeen(holderId, until) {
      // Never backwards: a stale tab must not make read notifications unread again.
      await db.raw(
        `INSERT INTO holder_notification_marks (holder_id, seen_until) VALUES (?, ?)
         ON CONFLICT (holder_id) DO UPDATE SET seen_until = GREATEST(holder_notification_marks.seen_until, excluded.seen_until)`,
        [holderId, until],
      );
    },
  };
}
