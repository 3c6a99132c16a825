/** Thin mapping of the holder's notification feed. */
import type { OperationHandlers } from '../http/http-types.ts';
import type { NotificationService } from './notification-service.ts';

export function notificationRoutes(service: NotificationService): OperationHandlers {
  return {
    async listMyNotifications(ctx) {
      return { status: 200, json: await service.feed(ctx.principal), headers: { 'Cache-Control': 'no-store' } };
    },
    async markMyNotificationsSeen(ctx) {
      await service.markSeen(ctx.principal, (ctx.body as { until?: string } | undefined)?.until);
      return { status: 204 };
    },
  };
}
