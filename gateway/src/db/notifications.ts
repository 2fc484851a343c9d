import type { PrismaClient } from './client';

export interface Delivery {
  id: string;
  alertId: string;
  level: number;
  target: string;
  body: string;
  attempts: number;
}

/**
 * NotificationDelivery rows: one per notification (created as an outbox row with the alert change, db/alert-writes.ts),
 * updated on every attempt: the delivery record.
 */
export function notificationRepo(prisma: PrismaClient) {
  return {
    async due(now: Date, limit: number): Promise<Delivery[]> {
      return prisma.notificationDelivery.findMany({
        where: { status: 'pending', nextTryAt: { lte: now } },
        orderBy: { nextTryAt: 'asc' },
        take: limit,
        select: { id: true, alertId: true, level: true, target: true, body: true, attempts: true },
      });
    },
    async nextDue(): Promise<Date | null> {
      const r = await prisma.notificationDelivery.findFirst({ where: { status: 'pending' }, orderBy: { nextTryAt: 'asc' }, select: { nextTryAt: true } });
      return r?.nextTryAt ?? null;
    },
    /** Counted before the call is made: a crash mid-call is still an attempt (receivers dedupe on the delivery id). */
    async startAttempt(id: string, attempts: number): Promise<void> {
      await prisma.notificationDelivery.update({ where: { id }, data: { attempts } });
    },
    async delivered(id: string, at: Date): Promise<void> {
      await prisma.notificationDelivery.update({ where: { id }, data: { status: 'delivered', deliveredAt: at, nextTryAt: null, lastError: null } });
    },
    async retryLater(id: string, error: string, nextTryAt: Date): Promise<void> {
      await prisma.notificationDelivery.update({ where: { id }, data: { lastError: error, nextTryAt } });
    },
    async failed(id: string, error: string): Promise<void> {
      await prisma.notificationDelivery.update({ where: { id }, data: { status: 'failed', lastError: error, nextTryAt: null } });
    },
  };
}

export type NotificationRepo = ReturnType<typeof notificationRepo>;
