import type { DeviceKind } from '../../gateway/src/contracts';
import { hashSecret } from '../../gateway/src/auth/hash';
import type { PrismaClient } from '../../gateway/src/db/client';

/** Inserts the minimum a device row needs: a community and the device with its hashed secret. */
export async function addDevice(
  prisma: PrismaClient,
  d: { id: string; kind: DeviceKind; secret: string; enabled?: boolean; placeKind?: string },
): Promise<void> {
  await prisma.community.upsert({
    where: { id: 'test-community' },
    update: {},
    create: { id: 'test-community', name: '测试小区', latitude: 34.2583, longitude: 108.9286 },
  });
  await prisma.device.create({
    data: {
      id: d.id,
      kind: d.kind,
      name: d.id,
      communityId: 'test-community',
      placeKind: d.placeKind ?? 'outdoor',
      x: 0,
      y: 0,
      secretHash: await hashSecret(d.secret),
      enabled: d.enabled ?? true,
      supervisionSec: 60,
    },
  });
}
