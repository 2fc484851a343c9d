import type { DeviceKind, PlaceKind } from '@linli/gateway/contracts';
import { SeedSecrets } from '@linli/gateway/contracts';

/**
 * A small community in the secrets-file format, following the seed's naming (door-bNN-uU, alarm-in-<label>, lamp-NNN),
 * parsed through the seed's own schema so the fixture cannot drift from the real file. Two buildings of two units,
 * four flats each; flat x-1-101 has a single resident with an indoor alarm (the elderly_alone pattern).
 */
export function fixtureSecrets(): SeedSecrets {
  const devices: SeedSecrets['devices'] = {};
  const device = (id: string, kind: DeviceKind, placeKind: PlaceKind): void => {
    devices[id] = { secret: `secret-of-${id}-0123456789`, kind, placeKind, name: id };
  };
  device('gate-main', 'face_terminal', 'main_gate');
  device('gate-vehicle', 'vehicle_gate', 'vehicle_gate');
  for (let i = 1; i <= 4; i++) device(`lamp-00${i}`, 'streetlight', 'outdoor');
  device('alarm-out-01', 'outdoor_alarm', 'outdoor');

  const credentials: SeedSecrets['credentials'] = [];
  let n = 0;
  for (let b = 1; b <= 2; b++) {
    for (let u = 1; u <= 2; u++) {
      device(`door-b0${b}-u${u}`, 'face_terminal', 'unit_door');
      for (const room of ['101', '102', '201', '202']) {
        const label = `${b}-${u}-${room}`;
        const people = room === '101' ? 1 : 1 + ((b + u + Number(room)) % 3);
        if (room === '101' || room === '202') device(`alarm-in-${label}`, 'indoor_alarm', 'household');
        for (let p = 1; p <= people; p++) {
          const residentId = `res-${label}-${p}`;
          const cred = (type: SeedSecrets['credentials'][number]['type'], value: string): void => {
            credentials.push({ id: `cred-${residentId}-${type}`, residentId, householdLabel: label, type, value });
          };
          n++;
          if (p !== 2) cred('face', `ft-${String(n).padStart(12, '0')}`);
          cred('card', String(1_000_000_000 + n));
          if (p === 1 && room === '201') cred('plate', `陕A${String(10_000 + n)}`);
          if (p === 3) cred('pin', String(200_000 + n));
        }
      }
    }
  }
  return SeedSecrets.parse({
    version: 1,
    communityId: 'changqingfang',
    createdAt: '2025-03-01T00:00:00+08:00',
    devices,
    users: {},
    credentials,
  });
}
