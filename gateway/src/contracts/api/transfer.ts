import { z } from 'zod';
import { DeviceId, DeviceKind, PlaceKind } from '../common';
import { BuildingNumber, CardsCell, PersonName, Phone, PlateCell, RelationCell, Room, TagsCell, UnitNumber } from './fields';

/**
 * Bulk import and export (docs/administration.md "Import and export"). A sheet is one of two kinds, told apart by
 * its headers: residents (一标三实: one row per resident, or a household alone when the name is empty) and devices.
 * Headers are matched in Chinese or English, case and spaces ignored; the first header named here is the template's.
 */
export const SheetKind = z.enum(['residents', 'devices']);
export type SheetKind = z.infer<typeof SheetKind>;

export interface ColumnSpec {
  key: string;
  /** Template header (Chinese) and English header, then other names offices use. */
  headers: readonly [string, string, ...string[]];
  required: boolean;
  /** One line for the template's notes sheet and the docs. */
  note: string;
}

export const RESIDENT_COLUMNS: readonly ColumnSpec[] = [
  { key: 'building', headers: ['楼栋', 'building', '楼号', '楼栋号', '栋'], required: true, note: '3 or 3号楼; created under the compound when new' },
  { key: 'unit', headers: ['单元', 'unit', '单元号'], required: true, note: '2 or 2单元; created when new' },
  { key: 'room', headers: ['房号', 'room', '房间号', '门牌号', '室'], required: true, note: '501, 1203 or B101; the household is building-unit-room' },
  { key: 'name', headers: ['姓名', 'name', '居民姓名', '住户姓名'], required: false, note: 'empty: the row only creates the household (e.g. vacant)' },
  { key: 'phone', headers: ['手机号', 'phone', '手机', '联系电话', '电话', '手机号码'], required: false, note: '11-digit mobile number' },
  { key: 'relation', headers: ['与户主关系', 'relation', '关系'], required: false, note: '户主/配偶/子女/父母/亲属/租户/其他 (validated; see the docs)' },
  { key: 'plates', headers: ['车牌', 'plates', '车牌号', 'plate', '车牌号码'], required: false, note: '陕A12345; several separated by 、 or ;' },
  { key: 'cards', headers: ['卡号', 'cards', '门禁卡号', '门禁卡', 'card', 'IC卡号'], required: false, note: '4-20 digits or hex; several separated by 、 or ;' },
  { key: 'tags', headers: ['标签', 'tags', '户标签', '七彩图', '人员标签'], required: false, note: '党员/空巢/老人/独居老人/困难/残疾/出租/空置; a household gets the tags of all its rows' },
];

export const DEVICE_COLUMNS: readonly ColumnSpec[] = [
  { key: 'deviceId', headers: ['设备编号', 'deviceId', '设备ID', 'device id', '编号'], required: true, note: 'the MQTT client id: a-z 0-9 -, e.g. door-b03-u2' },
  { key: 'kind', headers: ['设备类型', 'kind', '类型'], required: true, note: '人脸门禁/车辆道闸/路灯/室内报警/室外报警' },
  { key: 'name', headers: ['设备名称', 'name', '名称'], required: true, note: 'shown to the guard, e.g. 3号楼2单元门' },
  { key: 'place', headers: ['安装位置', 'place', '位置'], required: true, note: '大门/车行道闸/单元门/住户/室外' },
  { key: 'building', headers: ['楼栋', 'building', '楼号'], required: false, note: 'for 单元门 and 住户' },
  { key: 'unit', headers: ['单元', 'unit'], required: false, note: 'for 单元门 and 住户' },
  { key: 'room', headers: ['房号', 'room'], required: false, note: 'for 住户 (indoor alarm)' },
  { key: 'x', headers: ['坐标X', 'x'], required: false, note: 'metres east of the site plan corner (default: the building or 0)' },
  { key: 'y', headers: ['坐标Y', 'y'], required: false, note: 'metres north of the site plan corner' },
];

export const COLUMNS: Record<SheetKind, readonly ColumnSpec[]> = { residents: RESIDENT_COLUMNS, devices: DEVICE_COLUMNS };

const optional = <T extends z.ZodType>(t: T) => t.optional();

export const ResidentImportRow = z
  .object({
    building: BuildingNumber,
    unit: UnitNumber,
    room: Room,
    name: optional(PersonName),
    phone: optional(Phone),
    relation: optional(RelationCell),
    plates: optional(PlateCell),
    cards: optional(CardsCell),
    tags: optional(TagsCell),
  })
  .superRefine((r, ctx) => {
    if (r.name !== undefined) return;
    for (const k of ['phone', 'relation', 'plates', 'cards'] as const) {
      if (r[k] !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: `name: required when the row has a ${k}` });
    }
  });
export type ResidentImportRow = z.infer<typeof ResidentImportRow>;

export const KIND_WORDS: Record<string, DeviceKind> = {
  人脸门禁: 'face_terminal', 门禁: 'face_terminal', 人脸识别门禁: 'face_terminal', 车辆道闸: 'vehicle_gate', 道闸: 'vehicle_gate', 车牌识别: 'vehicle_gate',
  路灯: 'streetlight', 智慧路灯: 'streetlight', 室内报警: 'indoor_alarm', 一键报警: 'indoor_alarm', 室外报警: 'outdoor_alarm', 报警柱: 'outdoor_alarm',
};
export const PLACE_WORDS: Record<string, PlaceKind> = {
  大门: 'main_gate', 小区大门: 'main_gate', 车行道闸: 'vehicle_gate', 车行口: 'vehicle_gate', 单元门: 'unit_door', 住户: 'household', 户内: 'household', 室外: 'outdoor',
};
const word = <T extends string>(words: Record<string, T>) => (v: unknown) => (typeof v === 'string' ? (words[v.trim()] ?? v.trim().toLowerCase()) : v);
const coord = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number({ error: 'a number of metres' }).min(0).max(10_000));

/** Which kinds may stand where: a door terminal at a door, an indoor alarm in a flat, lamps and posts outdoors. */
export const PLACES_OF_KIND: Record<DeviceKind, readonly PlaceKind[]> = {
  face_terminal: ['main_gate', 'unit_door'],
  vehicle_gate: ['vehicle_gate'],
  streetlight: ['outdoor'],
  indoor_alarm: ['household'],
  outdoor_alarm: ['outdoor', 'main_gate', 'vehicle_gate'],
};

export const DeviceImportRow = z
  .object({
    deviceId: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), DeviceId),
    kind: z.preprocess(word(KIND_WORDS), z.enum(DeviceKind.options, { error: 'kind: 人脸门禁/车辆道闸/路灯/室内报警/室外报警 or face_terminal, vehicle_gate, …' })),
    name: z.preprocess((v) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : v), z.string({ error: 'name: text' }).min(1).max(64)),
    place: z.preprocess(word(PLACE_WORDS), z.enum(PlaceKind.options, { error: 'place: 大门/车行道闸/单元门/住户/室外 or main_gate, vehicle_gate, …' })),
    building: optional(BuildingNumber),
    unit: optional(UnitNumber),
    room: optional(Room),
    x: optional(coord),
    y: optional(coord),
  })
  .superRefine((d, ctx) => {
    if (!PLACES_OF_KIND[d.kind].includes(d.place)) ctx.addIssue({ code: 'custom', path: ['place'], message: `place: a ${d.kind} goes at ${PLACES_OF_KIND[d.kind].join(' or ')}` });
    const needs = d.place === 'unit_door' ? (['building', 'unit'] as const) : d.place === 'household' ? (['building', 'unit', 'room'] as const) : [];
    for (const k of needs) if (d[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k}: required for a device at ${d.place}` });
  });
export type DeviceImportRow = z.infer<typeof DeviceImportRow>;

/** One bad row: where (sheet, 1-based row as the spreadsheet numbers it, the header as written) and why. */
export const ImportIssue = z.object({
  sheet: z.string(),
  row: z.number().int(),
  column: z.string().nullable(),
  reason: z.string(),
});
export type ImportIssue = z.infer<typeof ImportIssue>;

const Tally = z.object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() });
export type Tally = z.infer<typeof Tally>;

export const ImportCounts = z.object({
  buildings: Tally,
  units: Tally,
  households: Tally,
  residents: Tally,
  cards: Tally,
  plates: Tally,
  devices: Tally,
});
export type ImportCounts = z.infer<typeof ImportCounts>;

/** The device secrets of an import, once: a CSV the installer downloads (never stored, never shown again). */
export const SecretsFile = z.object({ name: z.string(), contentType: z.literal('text/csv'), content: z.string() });

export const ImportReport = z.object({
  /** true: the file is clean (and, unless a dry run, imported). */
  ok: z.boolean(),
  dryRun: z.boolean(),
  fileName: z.string(),
  communityId: z.string(),
  sheets: z.array(z.object({ name: z.string(), kind: SheetKind, rows: z.number().int() })),
  /** What the import did, or (dry run) would do. */
  counts: ImportCounts,
  /** Every bad row (the first 1,000), in file order. Nothing is imported while there is one. */
  issues: z.array(ImportIssue),
  issuesTotal: z.number().int(),
  /** Things to know that are not errors (columns read but not stored, sheets skipped). */
  notes: z.array(z.string()),
  secretsFile: SecretsFile.optional(),
});
export type ImportReport = z.infer<typeof ImportReport>;

export const ImportQuery = z.object({ communityId: z.string().min(1).max(64) }).strict();
export type ImportQuery = z.infer<typeof ImportQuery>;

export const ExportKind = z.enum(['access', 'alerts', 'audit']);
export type ExportKind = z.infer<typeof ExportKind>;
export const ExportFormat = z.enum(['csv', 'xlsx']);
export type ExportFormat = z.infer<typeof ExportFormat>;

const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

/** Dates are whole days in the compound's time zone, both included. */
export const ExportQuery = z
  .object({
    from: LocalDate,
    to: LocalDate,
    format: ExportFormat.default('csv'),
    /** Needed when the gateway runs several compounds (the audit log is gateway-wide and ignores it). */
    communityId: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['to'] });
export type ExportQuery = z.infer<typeof ExportQuery>;

export const ExportParams = z.object({ kind: ExportKind });
export const TemplateParams = z.object({ file: z.enum(['residents.xlsx', 'residents.csv', 'devices.xlsx', 'devices.csv']) });
