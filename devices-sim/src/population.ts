import { readFileSync } from 'node:fs';
import { type CredentialType, SeedSecrets } from '@linli/gateway/contracts';
import type { DeviceSpec } from './devices';

export { SeedSecrets } from '@linli/gateway/contracts';

/** A credential as a terminal sends it (AccessRequest.credential). */
export interface DoorCredential {
  type: CredentialType;
  value: string;
}

export interface SimResident {
  id: string;
  householdLabel: string;
  /** Face, card or PIN, in the order a resident would use them (PIPL: some refused face and carry a card). */
  doorCredentials: DoorCredential[];
  plate: string | null;
}

/** Who and what the simulator can bring to life, read from the seed's secrets file. */
export interface Population {
  communityId: string;
  devices: DeviceSpec[];
  residents: SimResident[];
  /** Household label (building-unit-room) → resident ids. */
  households: Map<string, string[]>;
}

export type LoadResult = { ok: true; secrets: SeedSecrets } | { ok: false; message: string };

/** Reads and validates the secrets file; a missing or stale file is an expected outcome with a readable message. */
export function loadSecrets(path: string): LoadResult {
  try {
    return { ok: true, secrets: SeedSecrets.parse(JSON.parse(readFileSync(path, 'utf8'))) };
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    if (code === 'ENOENT') return { ok: false, message: `no secrets file at ${path}; run \`npm run seed\` first (it writes data/device-secrets.json)` };
    return { ok: false, message: `${path} is not a valid secrets file: ${err instanceof Error ? err.message : String(err)}` };
  }
}

const DOOR_ORDER: readonly CredentialType[] = ['face', 'card', 'pin'];

export function populationOf(secrets: SeedSecrets): Population {
  const devices: DeviceSpec[] = Object.entries(secrets.devices)
    .map(([id, d]) => ({ id, kind: d.kind, placeKind: d.placeKind, name: d.name, secret: d.secret }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byResident = new Map<string, SimResident>();
  for (const c of secrets.credentials) {
    let r = byResident.get(c.residentId);
    if (!r) {
      r = { id: c.residentId, householdLabel: c.householdLabel, doorCredentials: [], plate: null };
      byResident.set(c.residentId, r);
    }
    if (c.type === 'plate') r.plate = c.value;
    else if (DOOR_ORDER.includes(c.type)) r.doorCredentials.push({ type: c.type, value: c.value });
  }
  const residents = [...byResident.values()]
    .map((r) => ({ ...r, doorCredentials: r.doorCredentials.sort((a, b) => DOOR_ORDER.indexOf(a.type) - DOOR_ORDER.indexOf(b.type)) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const households = new Map<string, string[]>();
  for (const r of residents) households.set(r.householdLabel, [...(households.get(r.householdLabel) ?? []), r.id]);
  return { communityId: secrets.communityId, devices, residents, households };
}

/**
 * The unit door of a household. The secrets file does not say where devices stand, so this follows the seed's
 * naming (household 3-2-501 → door-b03-u2); a household whose door is not found uses a door picked from its label.
 */
export function unitDoorOf(label: string, unitDoorIds: readonly string[]): string | undefined {
  const m = /^(\d+)-(\d+)-/.exec(label);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    const id = `door-b${m[1].padStart(2, '0')}-u${m[2]}`;
    if (unitDoorIds.includes(id)) return id;
  }
  if (unitDoorIds.length === 0) return undefined;
  let h = 0;
  for (const ch of label) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return unitDoorIds[h % unitDoorIds.length];
}
