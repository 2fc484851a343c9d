import { crc32, deflateSync } from 'node:zlib';
import { hashSecret } from '../../gateway/src/auth/hash';
import type { PrismaClient } from '../../gateway/src/db/client';

/**
 * A PNG drawn in code (no image library): a light ground with darker blocks where `blocks` say, so a screenshot of
 * the guard's map shows a recognisable drawing. Colours are RGB triples.
 */
export function drawnPng(width: number, height: number, blocks: Array<{ x: number; y: number; w: number; h: number; rgb: [number, number, number] }> = []): Buffer {
  const row = 1 + width * 3;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const b = blocks.find((k) => x >= k.x && x < k.x + k.w && y >= k.y && y < k.y + k.h);
      const [r, g, bl] = b?.rgb ?? [236, 232, 220];
      raw.set([r, g, bl], y * row + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A second compound (东区, id `east`) next to the access fixtures' 测试小区: one building with a unit door, a lamp,
 * an alarm post and a decommissioned door; a property manager of it. Returns the device secrets.
 */
export async function addEastCompound(prisma: PrismaClient) {
  await prisma.community.create({ data: { id: 'east', name: '东区小区', latitude: 34.26, longitude: 108.93 } });
  await prisma.building.create({ data: { id: 'e01', communityId: 'east', number: 1, name: '东1号楼', x: 20, y: 20 } });
  await prisma.unit.create({ data: { id: 'e01-u1', buildingId: 'e01', number: 1 } });
  const secrets = { door: 'secret-of-door-e01-u1-0123', lamp: 'secret-of-lamp-e01-0123', post: 'secret-of-post-e01-0123', old: 'secret-of-door-e01-old-0123' };
  const device = async (id: string, kind: string, placeKind: string, name: string, secret: string, extra: object = {}) =>
    prisma.device.create({
      data: { id, kind, name, communityId: 'east', placeKind, buildingId: placeKind === 'unit_door' ? 'e01' : null, unitId: placeKind === 'unit_door' ? 'e01-u1' : null, x: 25, y: 18, secretHash: await hashSecret(secret), ...extra },
    });
  await device('door-e01-u1', 'face_terminal', 'unit_door', '东1号楼1单元门', secrets.door);
  await device('lamp-e01', 'streetlight', 'outdoor', '东区路灯1', secrets.lamp);
  await device('post-e01', 'outdoor_alarm', 'outdoor', '东区报警柱', secrets.post);
  await device('door-e01-old', 'face_terminal', 'unit_door', '东1号楼旧门禁', secrets.old, { enabled: false, decommissionedAt: new Date() });
  await prisma.user.create({
    data: { id: 'user-pm-east', username: 'pm-east', passwordHash: await hashSecret('pm-east-pw-0001'), role: 'property_manager', displayName: '东区物业', communityId: 'east' },
  });
  return { secrets, manager: { username: 'pm-east', password: 'pm-east-pw-0001' } };
}
