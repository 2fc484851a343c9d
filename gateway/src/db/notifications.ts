import type { PrismaClient } from './client';

export interface Delivery {
  id: string;
  alertId: string;
  level: number;
  target: string;
  body: string;
  attempts: number;
}

/** NotificationDelivery rows: one per notification, updated on every attempt (the delivery record). */
export function notificationRepo(prisma: PrismaClient) {
  return {
    async create(d: { id: string; alertId: string; level: number; target: string; body: string; at: Date }): Promise<void> {
      await prisma.notificationDelivery.create({ data: { id: d.id, alertId: d.alertId, level: d.level, target: d.target, body: d.body, status: 'pending', nextTryAt: d.at, createdAt: d.at } });
    },
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
    async forAlert(alertId: string) {
      return prisma.notificationDelivery.findMany({ where: { alertId }, orderBy: { createdAt: 'asc' } });
    },
  };
}

export type NotificationRepo = ReturnType<typeof notificationRepo>;
