import { randomUUID } from 'node:crypto';
import type { AlertType, Severity } from '../../gateway/src/contracts/api/alerts';
import type { PrismaClient } from '../../gateway/src/db/client';

const MIX: Array<{ type: AlertType; severity: Severity; perDay: number; ackSec: [number, number] }> = [
  { type: 'alarm_press', severity: 'critical', perDay: 1.2, ackSec: [8, 50] },
  { type: 'forced_entry', severity: 'critical', perDay: 0.6, ackSec: [10, 70] },
  { type: 'door_held_open', severity: 'major', perDay: 3, ackSec: [30, 240] },
  { type: 'device_offline', severity: 'major', perDay: 1.5, ackSec: [60, 600] },
  { type: 'light_fault', severity: 'minor', perDay: 1, ackSec: [120, 1500] },
  { type: 'repeated_denials', severity: 'minor', perDay: 2, ackSec: [40, 400] },
];

/** Deterministic pseudo-random numbers, so the statistics screenshot is the same on every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Past alerts, answered and closed, over the last `days` days: what the response-time report is made of. */
export async function addHistory(prisma: PrismaClient, days: number): Promise<void> {
  const random = rng(7);
  const now = Date.now();
  const rows = [];
  for (let d = days; d >= 1; d--) {
    // Slower answers on a few nights, as a real log has them.
    const slow = d % 5 === 2 ? 2.2 : 1;
    for (const m of MIX) {
      const n = Math.floor(m.perDay + random() * m.perDay * 1.5);
      for (let i = 0; i < n; i++) {
        const firstAt = new Date(now - d * 86_400_000 + Math.floor(random() * 80_000_000));
        const ack = (m.ackSec[0] + random() * (m.ackSec[1] - m.ackSec[0])) * slow;
        const ackedAt = new Date(firstAt.getTime() + ack * 1000);
        const clearedAt = new Date(ackedAt.getTime() + (120 + random() * 1800) * 1000);
        rows.push({
          id: randomUUID(),
          type: m.type,
          severity: m.severity,
          status: 'cleared',
          latched: m.type === 'alarm_press',
          priority: 0,
          place: JSON.stringify({ label: '历史', kind: null, buildingId: null, unitId: null, householdId: null, x: null, y: null }),
          dedupKey: `history:${randomUUID()}`,
          firstAt,
          lastAt: firstAt,
          ackedBy: 'guard1',
          ackedAt,
          clearedBy: 'guard1',
          clearedAt,
          clearNote: '已处理',
        });
      }
    }
  }
  await prisma.alert.createMany({ data: rows });
}
