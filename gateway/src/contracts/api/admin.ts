import { z } from 'zod';
import { HouseholdTag } from '../common';

/**
 * Master data administration (/api/v1/admin/…): compounds, buildings, units, households, grids and escalation
 * contacts. The admin pages validate their forms with these same schemas, so only zod is imported here (the UI
 * bundles this file). Residents and the audit log are in admin-people.ts.
 *
 * Every body is strict: an unknown field is a 400 naming it, never silently dropped.
 */

/** Whether the runtime knows this IANA zone (Node and every browser ship the IANA database with Intl). */
function isIanaZone(tz: string): boolean {
  // Fixed offsets ("+08:00") and abbreviations ("CST") are not zones: "CST" is China, Cuba or US Central.
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz) || !tz.includes('/')) return tz === 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const IanaTimezone = z.string().max(64).refine(isIanaZone, 'an IANA time zone such as Asia/Shanghai');

const Name = z.string().trim().min(1, 'required').max(64);
const Id = z.string().min(1).max(64);
const Active = z.boolean();
const Created = z.iso.datetime({ offset: true });

/** A patch must change something. */
const nonEmpty = <T extends z.ZodRawShape>(shape: T) =>
  z
    .object(shape)
    .strict()
    .refine((o) => Object.keys(o).length > 0, 'send at least one field to change');

export const AdminIdParam = z.object({ id: Id }).strict();

// ── compounds (小区) ─────────────────────────────────────────────────────────────────────────────────────────
const compoundFields = {
  name: Name,
  /** The standard address (一标三实). */
  address: z.string().trim().max(200),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  timezone: IanaTimezone,
};
export const CompoundBody = z.object({ ...compoundFields, address: compoundFields.address.default(''), timezone: IanaTimezone.default('Asia/Shanghai') }).strict();
export type CompoundBody = z.infer<typeof CompoundBody>;
export const CompoundPatch = nonEmpty({
  name: compoundFields.name.optional(),
  address: compoundFields.address.optional(),
  latitude: compoundFields.latitude.optional(),
  longitude: compoundFields.longitude.optional(),
  timezone: IanaTimezone.optional(),
  active: Active.optional(),
});
export type CompoundPatch = z.infer<typeof CompoundPatch>;
export const CompoundView = z.object({ id: z.string(), ...compoundFields, active: z.boolean(), createdAt: Created });
export type CompoundView = z.infer<typeof CompoundView>;
export const CompoundList = z.object({ compounds: z.array(CompoundView) });

// ── buildings (楼栋) ─────────────────────────────────────────────────────────────────────────────────────────
/** Site-plan position and footprint in metres from the compound's south-west corner. */
const Metres = z.number().min(0).max(10_000);
export const BuildingBody = z
  .object({
    compoundId: Id,
    number: z.number().int().min(1).max(999),
    /** Defaults to "<number>号楼". */
    name: Name.optional(),
    x: Metres.default(0),
    y: Metres.default(0),
    width: z.number().positive().max(1_000).default(20),
    depth: z.number().positive().max(1_000).default(12),
    floors: z.number().int().min(1).max(200).default(6),
  })
  .strict();
export type BuildingBody = z.infer<typeof BuildingBody>;
export const BuildingPatch = nonEmpty({
  number: z.number().int().min(1).max(999).optional(),
  name: Name.optional(),
  x: Metres.optional(),
  y: Metres.optional(),
  width: z.number().positive().max(1_000).optional(),
  depth: z.number().positive().max(1_000).optional(),
  floors: z.number().int().min(1).max(200).optional(),
  active: Active.optional(),
});
export type BuildingPatch = z.infer<typeof BuildingPatch>;
export const BuildingView = z.object({
  id: z.string(),
  compoundId: z.string(),
  number: z.number().int(),
  name: z.string(),
  x: z.number(),
  y: z.number(),
  width: z.number(),
  depth: z.number(),
  floors: z.number().int(),
  active: z.boolean(),
});
export type BuildingView = z.infer<typeof BuildingView>;
export const BuildingList = z.object({ buildings: z.array(BuildingView) });
export const BuildingListQuery = z.object({ compoundId: Id.optional() }).strict();

// ── units (单元) ─────────────────────────────────────────────────────────────────────────────────────────────
export const UnitBody = z.object({ buildingId: Id, number: z.number().int().min(1).max(99) }).strict();
export type UnitBody = z.infer<typeof UnitBody>;
export const UnitPatch = nonEmpty({ number: z.number().int().min(1).max(99).optional(), active: Active.optional() });
export type UnitPatch = z.infer<typeof UnitPatch>;
export const UnitView = z.object({ id: z.string(), buildingId: z.string(), compoundId: z.string(), number: z.number().int(), active: z.boolean() });
export type UnitView = z.infer<typeof UnitView>;
export const UnitList = z.object({ units: z.array(UnitView) });
export const UnitListQuery = z.object({ buildingId: Id.optional() }).strict();

// ── households (户) ──────────────────────────────────────────────────────────────────────────────────────────
/** The room as written on the door: 501, 1502, B12, 3-1 (a ground-floor shop). */
export const Room = z.string().trim().regex(/^[0-9A-Za-z][0-9A-Za-z-]{0,9}$/, 'a room number such as 501 (letters, digits, "-", up to 10)');
/** 七彩图 tags, each at most once. */
export const HouseholdTags = z.array(HouseholdTag).max(HouseholdTag.options.length).refine((t) => new Set(t).size === t.length, 'each tag at most once');
export const HouseholdBody = z
  .object({
    unitId: Id,
    room: Room,
    tags: HouseholdTags.default([]),
    /** The grid (网格) the household belongs to: its escalations go to that grid's worker. */
    gridId: Id.nullable().default(null),
  })
  .strict();
export type HouseholdBody = z.infer<typeof HouseholdBody>;
export const HouseholdPatch = nonEmpty({ room: Room.optional(), tags: HouseholdTags.optional(), gridId: Id.nullable().optional(), active: Active.optional() });
export type HouseholdPatch = z.infer<typeof HouseholdPatch>;
export const HouseholdView = z.object({
  id: z.string(),
  unitId: z.string(),
  buildingId: z.string(),
  compoundId: z.string(),
  room: z.string(),
  /** building-unit-room, e.g. 3-2-501. */
  label: z.string(),
  tags: z.array(HouseholdTag),
  gridId: z.string().nullable(),
  active: z.boolean(),
  createdAt: Created,
});
export type HouseholdView = z.infer<typeof HouseholdView>;
export const HouseholdList = z.object({ households: z.array(HouseholdView) });
export const HouseholdListQuery = z.object({ unitId: Id.optional(), gridId: Id.optional(), tag: HouseholdTag.optional() }).strict();

// ── grids (网格) and escalation contacts ─────────────────────────────────────────────────────────────────────
export const GridBody = z.object({ compoundId: Id, name: Name }).strict();
export type GridBody = z.infer<typeof GridBody>;
export const GridPatch = nonEmpty({ name: Name.optional(), active: Active.optional() });
export type GridPatch = z.infer<typeof GridPatch>;

/** A mainland mobile (13812345678) or a landline with its area code (029-12345678). */
export const Phone = z.string().trim().regex(/^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/, 'a phone number such as 13812345678 or 029-12345678');
const WebhookUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(500);

/**
 * Who an escalation level tells. Level 1 is the grid worker's level in the default chain; a contact with a grid is
 * that grid's worker and is told instead of the chain's level for the grid's households. Without a grid it replaces
 * the ESCALATION_CHAIN level for every household.
 */
export const ContactBody = z
  .object({
    name: Name,
    level: z.number().int().min(1).max(7),
    gridId: Id.nullable().default(null),
    phone: Phone.nullable().default(null),
    webhookUrl: WebhookUrl.nullable().default(null),
  })
  .strict();
export type ContactBody = z.infer<typeof ContactBody>;
export const ContactPatch = nonEmpty({
  name: Name.optional(),
  level: z.number().int().min(1).max(7).optional(),
  gridId: Id.nullable().optional(),
  phone: Phone.nullable().optional(),
  webhookUrl: WebhookUrl.nullable().optional(),
  active: Active.optional(),
});
export type ContactPatch = z.infer<typeof ContactPatch>;
export const ContactView = z.object({
  id: z.string(),
  name: z.string(),
  level: z.number().int(),
  gridId: z.string().nullable(),
  phone: z.string().nullable(),
  webhookUrl: z.string().nullable(),
  active: z.boolean(),
  createdAt: Created,
});
export type ContactView = z.infer<typeof ContactView>;
export const ContactList = z.object({ contacts: z.array(ContactView) });
export const ContactListQuery = z.object({ gridId: Id.optional() }).strict();

export const GridView = z.object({
  id: z.string(),
  compoundId: z.string(),
  name: z.string(),
  active: z.boolean(),
  households: z.number().int(),
  /** The grid's workers (its escalation contacts). */
  workers: z.array(ContactView),
  createdAt: Created,
});
export type GridView = z.infer<typeof GridView>;
export const GridList = z.object({ grids: z.array(GridView) });
export const GridListQuery = z.object({ compoundId: Id.optional() }).strict();

/** 409 on DELETE: what still refers to the row (table → count). Deactivate it instead, or remove those first. */
export const InUse = z.object({ error: z.literal('CONFLICT'), message: z.string(), details: z.object({ referencedBy: z.record(z.string(), z.number().int()) }) });
