import type { CredentialType, DeviceKind, HouseholdTag, PlaceKind, Role } from '../../contracts/common';
import { occupancy, wantsIndoorAlarm } from './households';
import { flat, layoutSite, type Point, pointsAlong, type Road, unitDoor } from './layout';
import { plate } from './names';
import { Random } from '../../random';

/**
 * The demo community as plain data: a pure function of (scale, seed), so the same arguments give the same compound
 * everywhere. Secrets (device secrets, passwords, card numbers, PINs) are not part of the plan: seed.ts draws them
 * from node:crypto, because anything derived from a public seed is public.
 */

export interface CommunityOptions {
  /** Multiplies the buildings: 1 ≈ 290 households, 14 ≈ 4,000 (长庆坊's size). */
  scale?: number;
  seed?: number;
}

export interface BuildingPlan {
  id: string;
  number: number;
  name: string;
  x: number;
  y: number;
  width: number;
  depth: number;
  floors: number;
}

export interface UnitPlan {
  id: string;
  buildingId: string;
  number: number;
}

export interface HouseholdPlan {
  id: string;
  unitId: string;
  room: string;
  label: string;
  tags: HouseholdTag[];
}

export interface ResidentPlan {
  id: string;
  householdId: string;
  name: string;
  phone: string | null;
  faceConsent: boolean;
  /** ISO timestamp of the recorded consent (PIPL), null without consent. */
  faceConsentAt: string | null;
}

/** Card and PIN values are drawn at seed time; the plan only says who holds one. */
export interface CredentialPlan {
  id: string;
  residentId: string;
  type: CredentialType;
  faceTemplateRef: string | null;
  plate: string | null;
}

export interface DevicePlan {
  id: string;
  kind: DeviceKind;
  name: string;
  placeKind: PlaceKind;
  buildingId: string | null;
  unitId: string | null;
  householdId: string | null;
  x: number;
  y: number;
  supervisionSec: number;
}

export interface UserPlan {
  id: string;
  username: string;
  role: Role;
  displayName: string;
  residentId: string | null;
}

export interface CommunityPlan {
  scale: number;
  seed: number;
  community: { id: string; name: string; latitude: number; longitude: number; timezone: string };
  /** The compound rectangle and its roads, for drawing the site plan (metres from the south-west corner). */
  site: { width: number; depth: number; roads: Road[]; mainGate: Point; vehicleGate: Point };
  buildings: BuildingPlan[];
  units: UnitPlan[];
  households: HouseholdPlan[];
  residents: ResidentPlan[];
  credentials: CredentialPlan[];
  devices: DevicePlan[];
  users: UserPlan[];
}

/** Seconds of silence before a device counts as offline: alarms must be known-alive quickly, lamps need not be. */
export const SUPERVISION_SEC: Record<DeviceKind, number> = {
  face_terminal: 90,
  vehicle_gate: 90,
  indoor_alarm: 60,
  outdoor_alarm: 60,
  streetlight: 900,
};

const BUILDINGS_PER_SCALE = 12;
const UNITS_PER_BUILDING = 2;
const FLOORS = 6;
const ROOMS_PER_FLOOR = 2;
/** Lamps every 20 m of estate road (~40 at scale 1); alarm posts every 100 m (~8). */
const LAMP_SPACING = 20;
const ALARM_POST_SPACING = 100;
const RESIDENT_USERS = 20;
/** Consent dates fall in the year after the terminals were installed (spring 2024). */
const CONSENT_FROM = Date.UTC(2024, 2, 1);
const DAY_MS = 86_400_000;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const hex6 = (rng: Random): string => rng.int(0, 0xffffff).toString(16).padStart(6, '0');

export function generateCommunity(opts: CommunityOptions = {}): CommunityPlan {
  const scale = opts.scale ?? 1;
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(scale) || scale < 1 || scale > 100) {
    throw new RangeError(`scale must be an integer 1-100, got ${scale}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer 0-4294967295, got ${seed}`);
  }
  const rng = new Random(seed);

  const buildingCount = BUILDINGS_PER_SCALE * scale;
  const site = layoutSite(buildingCount, UNITS_PER_BUILDING);
  const community = {
    id: 'changqingfang',
    name: '长庆坊小区',
    latitude: 34.2583,
    longitude: 108.9286,
    timezone: 'Asia/Shanghai',
  };
  const plan: CommunityPlan = {
    scale,
    seed,
    community,
    site: { width: site.width, depth: site.depth, roads: site.roads, mainGate: site.mainGate, vehicleGate: site.vehicleGate },
    buildings: [],
    units: [],
    households: [],
    residents: [],
    credentials: [],
    devices: [],
    users: [],
  };
  const device = (d: DeviceDraft): void => {
    plan.devices.push({ buildingId: null, unitId: null, householdId: null, supervisionSec: SUPERVISION_SEC[d.kind], ...d });
  };

  device({ id: 'gate-main', kind: 'face_terminal', name: '小区大门人脸门禁', placeKind: 'main_gate', ...site.mainGate });
  device({ id: 'gate-vehicle', kind: 'vehicle_gate', name: '车行道闸', placeKind: 'vehicle_gate', ...site.vehicleGate });

  const phones = new Set<string>();
  const plates = new Set<string>();
  const drafting: Drafting = { plan, rng, device, phones, plates };
  site.buildings.forEach((rect, i) => addBuilding(drafting, rect, i));

  pointsAlong(site.roads, LAMP_SPACING, 4).forEach((p, i) => {
    const n = pad(i + 1, 3);
    device({ id: `lamp-${n}`, kind: 'streetlight', name: `路灯 ${n}`, placeKind: 'outdoor', ...p });
  });
  // Alarm posts stand on the other kerb, offset from the lamps so the two do not share a point on the map.
  pointsAlong(site.roads, ALARM_POST_SPACING, -4).forEach((p, i) => {
    const n = pad(i + 1, 2);
    device({ id: `alarm-out-${n}`, kind: 'outdoor_alarm', name: `户外一键报警柱 ${n}`, placeKind: 'outdoor', ...p });
  });

  addUsers(plan);
  return plan;
}

/** What the generator's steps share: the plan being filled, the seeded PRNG, the phone numbers and plates taken. */
interface Drafting {
  plan: CommunityPlan;
  rng: Random;
  device: (d: DeviceDraft) => void;
  phones: Set<string>;
  plates: Set<string>;
}

type DeviceDraft = Omit<DevicePlan, 'supervisionSec' | 'buildingId' | 'unitId' | 'householdId'> & Partial<DevicePlan>;

/** Building `i` (0-based) on its plot: its units with their doors, and every household with its residents and alarm. */
function addBuilding(g: Drafting, rect: ReturnType<typeof layoutSite>['buildings'][number], i: number): void {
  const { plan, rng, device, phones, plates } = g;
  const number = i + 1;
  const buildingId = `bld-${number}`;
  plan.buildings.push({ id: buildingId, number, name: `${number}号楼`, ...rect, floors: FLOORS });
  for (let u = 1; u <= UNITS_PER_BUILDING; u++) {
    const unitId = `unit-${number}-${u}`;
    plan.units.push({ id: unitId, buildingId, number: u });
    device({
      id: `door-b${pad(number, 2)}-u${u}`,
      kind: 'face_terminal',
      name: `${number}号楼${u}单元门禁`,
      placeKind: 'unit_door',
      buildingId,
      unitId,
      ...unitDoor(rect, u),
    });
    for (let floor = 1; floor <= FLOORS; floor++) {
      for (let n = 1; n <= ROOMS_PER_FLOOR; n++) {
        const room = String(floor * 100 + n);
        const label = `${number}-${u}-${room}`;
        const householdId = `hh-${label}`;
        const occ = occupancy(rng, phones);
        plan.households.push({ id: householdId, unitId, room, label, tags: occ.tags });
        addResidents(plan, rng, householdId, label, occ.members, plates);
        if (wantsIndoorAlarm(rng, occ.tags)) {
          device({
            id: `alarm-in-${label}`,
            kind: 'indoor_alarm',
            name: `${label} 室内一键报警`,
            placeKind: 'household',
            buildingId,
            unitId,
            householdId,
            ...flat(rect, u, n, ROOMS_PER_FLOOR),
          });
        }
      }
    }
  }
}

function addResidents(
  plan: CommunityPlan,
  rng: Random,
  householdId: string,
  label: string,
  members: readonly { name: string; phone: string | null }[],
  plates: Set<string>,
): void {
  const hasCar = members.length > 0 && rng.chance(0.3);
  members.forEach((m, i) => {
    const residentId = `res-${label}-${i + 1}`;
    const faceConsent = rng.chance(0.85);
    plan.residents.push({
      id: residentId,
      householdId,
      name: m.name,
      phone: m.phone,
      faceConsent,
      faceConsentAt: faceConsent ? new Date(CONSENT_FROM + rng.int(0, 365) * DAY_MS).toISOString() : null,
    });
    const cred = (type: CredentialType, extra: Partial<CredentialPlan> = {}): void => {
      plan.credentials.push({ id: `cred-${residentId}-${type}`, residentId, type, faceTemplateRef: null, plate: null, ...extra });
    };
    // The terminal vendor keeps the template; we keep only its opaque reference.
    if (faceConsent) cred('face', { faceTemplateRef: `ft-${hex6(rng)}${hex6(rng)}` });
    // PIPL: face may not be the only way in, so everyone who refused it gets a card.
    if (!faceConsent || rng.chance(0.7)) cred('card');
    if (rng.chance(0.15)) cred('pin');
    if (i === 0 && hasCar) cred('plate', { plate: plate(rng, plates) });
  });
}

function addUsers(plan: CommunityPlan): void {
  plan.users.push(
    { id: 'usr-admin', username: 'admin', role: 'admin', displayName: '物业管理员', residentId: null },
    { id: 'usr-guard1', username: 'guard1', role: 'guard', displayName: '值班门卫一', residentId: null },
    { id: 'usr-guard2', username: 'guard2', role: 'guard', displayName: '值班门卫二', residentId: null },
  );
  const firstResident = new Map<string, ResidentPlan>();
  for (const r of plan.residents) if (!firstResident.has(r.householdId)) firstResident.set(r.householdId, r);
  let n = 0;
  for (const h of plan.households) {
    const r = firstResident.get(h.id);
    if (r === undefined) continue;
    plan.users.push({ id: `usr-r-${h.label}`, username: `r-${h.label}`, role: 'resident', displayName: r.name, residentId: r.id });
    if (++n >= RESIDENT_USERS) break;
  }
}
