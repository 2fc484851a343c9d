import { HouseholdTag } from '@linli/gateway/contracts';
import {
  BuildingBody,
  BuildingList,
  BuildingPatch,
  BuildingView,
  CompoundBody,
  CompoundList,
  CompoundPatch,
  CompoundView,
  ContactBody,
  ContactList,
  ContactPatch,
  ContactView,
  GridBody,
  GridList,
  GridPatch,
  GridView,
  HouseholdBody,
  HouseholdList,
  HouseholdPatch,
  HouseholdView,
  UnitBody,
  UnitList,
  UnitPatch,
  UnitView,
} from '@linli/gateway/contracts/api/admin';
import { AdminResidentBody, AdminResidentList, AdminResidentPatch, AdminResidentView, ResidentRelation } from '@linli/gateway/contracts/api/admin-people';
import type { z } from 'zod';
import { dataApi } from '../../admin-data-api';
import type { MessageKey, Translate } from '../../i18n';

/**
 * The master data the generic list + form page (MasterData.tsx) administers, one description per collection: its
 * form fields (typed by kind, validated with the API's own zod body/patch contracts), its table columns, and its
 * parent filter. Adding a collection is adding an entry here.
 */

export type EntityKey = 'compounds' | 'buildings' | 'units' | 'households' | 'residents' | 'grids' | 'escalation-contacts';
export const ENTITY_KEYS: readonly EntityKey[] = ['compounds', 'buildings', 'units', 'grids', 'households', 'residents', 'escalation-contacts'];

export type FieldKind = 'text' | 'number' | 'select' | 'tags' | 'date' | 'ref';

export interface FieldSpec {
  /** The body's key (and the key of the field's error). */
  key: string;
  label: MessageKey;
  kind: FieldKind;
  /** select: the values; tags: the tag set. */
  options?: readonly string[];
  optionLabel?: (t: Translate, v: string) => string;
  /** ref: the collection whose rows are the choices. */
  ref?: EntityKey;
  /** An empty input: left out (the contract's default applies), or sent as null (clears it). Unset: required. */
  empty?: 'omit' | 'null';
  /** Shown in an empty input: what the contract's default will be. */
  placeholder?: string;
  /** Set at creation only (the patch contract has no such field: a unit does not move to another building). */
  createOnly?: boolean;
}

/** Lookup of a referenced row's label (a building's name, a household's 3-2-501). */
export type RefLabel = (entity: EntityKey, id: string | null) => string;

/** One row, whatever the collection: what the generic table and form need. */
export interface Row {
  id: string;
  active: boolean;
  /** How the row is named in confirmations and messages. */
  name: string;
  /** The form's initial strings when editing. */
  values: Record<string, string>;
  cells: (t: Translate, ref: RefLabel) => Array<string | number>;
  /** The status pill, when the collection has more states than active/deactivated (a resident who moved out). */
  status?: { label: MessageKey; tone: 'pill-ok' | 'pill-warn' | 'pill-muted' };
  resident?: AdminResidentView;
}

export interface Entity {
  key: EntityKey;
  fields: readonly FieldSpec[];
  columns: readonly MessageKey[];
  /** The list's parent filter (query parameter and the collection it names). */
  filter?: { param: string; ref: EntityKey };
  load: (query: Record<string, string>) => Promise<Row[]>;
  createSchema: z.ZodType;
  patchSchema: z.ZodType;
  create: (body: unknown) => Promise<Row>;
  patch: (id: string, body: unknown) => Promise<Row>;
}

function define<V, L>(spec: {
  key: EntityKey;
  fields: readonly FieldSpec[];
  columns: readonly MessageKey[];
  filter?: { param: string; ref: EntityKey };
  list: z.ZodType<L>;
  items: (list: L) => V[];
  view: z.ZodType<V>;
  createSchema: z.ZodType;
  patchSchema: z.ZodType;
  row: (v: V) => Row;
}): Entity {
  return {
    key: spec.key,
    fields: spec.fields,
    columns: spec.columns,
    ...(spec.filter ? { filter: spec.filter } : {}),
    createSchema: spec.createSchema,
    patchSchema: spec.patchSchema,
    load: async (query) => spec.items(await dataApi.list(spec.list, spec.key, query)).map(spec.row),
    create: async (body) => spec.row(await dataApi.create(spec.view, spec.key, body)),
    patch: async (id, body) => spec.row(await dataApi.patch(spec.view, spec.key, id, body)),
  };
}

const str = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));
/** A stored instant as the browser's local date (the move-in date field). */
const localDate = (iso: string | null) => {
  if (iso === null) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

const tagLabel = (t: Translate, v: string) => {
  const tag = HouseholdTag.safeParse(v);
  return tag.success ? t.e.tag[tag.data] : v;
};

const compounds = define({
  key: 'compounds',
  fields: [
    { key: 'name', label: 'md.f.name', kind: 'text' },
    { key: 'address', label: 'md.f.address', kind: 'text', empty: 'omit' },
    { key: 'latitude', label: 'md.f.latitude', kind: 'number' },
    { key: 'longitude', label: 'md.f.longitude', kind: 'number' },
    { key: 'timezone', label: 'md.f.timezone', kind: 'text', empty: 'omit', placeholder: 'Asia/Shanghai' },
  ],
  columns: ['md.f.name', 'md.f.address', 'md.f.coords', 'md.f.timezone'],
  list: CompoundList,
  items: (l) => l.compounds,
  view: CompoundView,
  createSchema: CompoundBody,
  patchSchema: CompoundPatch,
  row: (c) => ({
    id: c.id,
    active: c.active,
    name: c.name,
    values: { name: c.name, address: c.address, latitude: str(c.latitude), longitude: str(c.longitude), timezone: c.timezone },
    cells: () => [c.name, c.address, `${c.latitude.toFixed(5)}, ${c.longitude.toFixed(5)}`, c.timezone],
  }),
});

const buildings = define({
  key: 'buildings',
  fields: [
    { key: 'compoundId', label: 'md.f.compoundId', kind: 'ref', ref: 'compounds', createOnly: true },
    { key: 'number', label: 'md.f.number', kind: 'number' },
    { key: 'name', label: 'md.f.name', kind: 'text', empty: 'omit', placeholder: 'N号楼' },
    { key: 'floors', label: 'md.f.floors', kind: 'number', empty: 'omit', placeholder: '6' },
    { key: 'x', label: 'md.f.x', kind: 'number', empty: 'omit', placeholder: '0' },
    { key: 'y', label: 'md.f.y', kind: 'number', empty: 'omit', placeholder: '0' },
    { key: 'width', label: 'md.f.width', kind: 'number', empty: 'omit', placeholder: '20' },
    { key: 'depth', label: 'md.f.depth', kind: 'number', empty: 'omit', placeholder: '12' },
  ],
  columns: ['md.f.compoundId', 'md.f.number', 'md.f.name', 'md.f.floors', 'md.f.coords'],
  filter: { param: 'compoundId', ref: 'compounds' },
  list: BuildingList,
  items: (l) => l.buildings,
  view: BuildingView,
  createSchema: BuildingBody,
  patchSchema: BuildingPatch,
  row: (b) => ({
    id: b.id,
    active: b.active,
    name: b.name,
    values: { compoundId: b.compoundId, number: str(b.number), name: b.name, floors: str(b.floors), x: str(b.x), y: str(b.y), width: str(b.width), depth: str(b.depth) },
    cells: (_t, ref) => [ref('compounds', b.compoundId), b.number, b.name, b.floors, `${b.x}, ${b.y} m`],
  }),
});

const units = define({
  key: 'units',
  fields: [
    { key: 'buildingId', label: 'md.f.buildingId', kind: 'ref', ref: 'buildings', createOnly: true },
    { key: 'number', label: 'md.f.number', kind: 'number' },
  ],
  columns: ['md.f.buildingId', 'md.f.number'],
  filter: { param: 'buildingId', ref: 'buildings' },
  list: UnitList,
  items: (l) => l.units,
  view: UnitView,
  createSchema: UnitBody,
  patchSchema: UnitPatch,
  row: (u) => ({
    id: u.id,
    active: u.active,
    name: `${u.number}`,
    values: { buildingId: u.buildingId, number: str(u.number) },
    cells: (_t, ref) => [ref('buildings', u.buildingId), u.number],
  }),
});

const grids = define({
  key: 'grids',
  fields: [
    { key: 'compoundId', label: 'md.f.compoundId', kind: 'ref', ref: 'compounds', createOnly: true },
    { key: 'name', label: 'md.f.name', kind: 'text' },
  ],
  columns: ['md.f.compoundId', 'md.f.name', 'md.f.householdCount', 'md.f.workers'],
  filter: { param: 'compoundId', ref: 'compounds' },
  list: GridList,
  items: (l) => l.grids,
  view: GridView,
  createSchema: GridBody,
  patchSchema: GridPatch,
  row: (g) => ({
    id: g.id,
    active: g.active,
    name: g.name,
    values: { compoundId: g.compoundId, name: g.name },
    cells: (_t, ref) => [ref('compounds', g.compoundId), g.name, g.households, g.workers.map((w) => `${w.name}${w.phone ? ` ${w.phone}` : ''}`).join('、') || '–'],
  }),
});

const households = define({
  key: 'households',
  fields: [
    { key: 'unitId', label: 'md.f.unitId', kind: 'ref', ref: 'units', createOnly: true },
    { key: 'room', label: 'md.f.room', kind: 'text' },
    { key: 'gridId', label: 'md.f.gridId', kind: 'ref', ref: 'grids', empty: 'null' },
    { key: 'tags', label: 'md.f.tags', kind: 'tags', options: HouseholdTag.options, optionLabel: tagLabel },
  ],
  columns: ['md.f.label', 'md.f.unitId', 'md.f.room', 'md.f.tags', 'md.f.gridId'],
  filter: { param: 'unitId', ref: 'units' },
  list: HouseholdList,
  items: (l) => l.households,
  view: HouseholdView,
  createSchema: HouseholdBody,
  patchSchema: HouseholdPatch,
  row: (h) => ({
    id: h.id,
    active: h.active,
    name: h.label,
    values: { unitId: h.unitId, room: h.room, gridId: h.gridId ?? '', tags: h.tags.join(',') },
    cells: (t, ref) => [h.label, ref('units', h.unitId), h.room, h.tags.map((g) => t.e.tag[g]).join('、') || '–', ref('grids', h.gridId)],
  }),
});

const residents = define({
  key: 'residents',
  fields: [
    { key: 'householdId', label: 'md.f.householdId', kind: 'ref', ref: 'households' },
    { key: 'name', label: 'md.f.personName', kind: 'text' },
    { key: 'phone', label: 'md.f.phone', kind: 'text', empty: 'null' },
    { key: 'relation', label: 'md.f.relation', kind: 'select', options: ResidentRelation.options, optionLabel: (t, v) => t(`md.rel.${v}` as MessageKey) },
    { key: 'moveInAt', label: 'md.f.moveInAt', kind: 'date', empty: 'null' },
  ],
  columns: ['md.f.personName', 'md.f.householdId', 'md.f.relation', 'md.f.phone', 'md.f.moveInAt', 'md.f.faceConsent'],
  filter: { param: 'householdId', ref: 'households' },
  list: AdminResidentList,
  items: (l) => l.residents,
  view: AdminResidentView,
  createSchema: AdminResidentBody,
  patchSchema: AdminResidentPatch,
  row: (r) => ({
    id: r.id,
    active: r.status === 'active',
    name: r.name === '' ? r.id : `${r.name}（${r.householdLabel}）`,
    // The phone is masked in answers: the edit form starts empty there, and an empty phone is left as it is.
    values: { householdId: r.householdId, name: r.name, phone: '', relation: r.relation ?? 'owner', moveInAt: localDate(r.moveInAt) },
    cells: (t) => [
      r.name || '–',
      r.householdLabel,
      r.relation ? t(`md.rel.${r.relation}` as MessageKey) : '–',
      r.phoneMasked ?? '–',
      localDate(r.moveInAt) || '–',
      r.faceConsent
        ? t('md.consent.yes', { by: r.faceConsentBy === 'paper_form' ? t('md.consent.by.paper_form', { ref: r.faceConsentRef ?? '' }) : r.faceConsentBy === 'resident' ? t('md.consent.by.resident') : t('md.consent.by.staff') })
        : t('md.consent.no'),
    ],
    status: { label: `md.res.${r.status}`, tone: r.status === 'active' ? 'pill-ok' : r.status === 'inactive' ? 'pill-warn' : 'pill-muted' },
    resident: r,
  }),
});

const contacts = define({
  key: 'escalation-contacts',
  fields: [
    { key: 'name', label: 'md.f.name', kind: 'text' },
    { key: 'level', label: 'md.f.level', kind: 'number' },
    { key: 'gridId', label: 'md.f.gridId', kind: 'ref', ref: 'grids', empty: 'null' },
    { key: 'phone', label: 'md.f.phone', kind: 'text', empty: 'null' },
    { key: 'webhookUrl', label: 'md.f.webhookUrl', kind: 'text', empty: 'null' },
  ],
  columns: ['md.f.name', 'md.f.level', 'md.f.gridId', 'md.f.phone', 'md.f.webhookUrl'],
  filter: { param: 'gridId', ref: 'grids' },
  list: ContactList,
  items: (l) => l.contacts,
  view: ContactView,
  createSchema: ContactBody,
  patchSchema: ContactPatch,
  row: (c) => ({
    id: c.id,
    active: c.active,
    name: c.name,
    values: { name: c.name, level: str(c.level), gridId: c.gridId ?? '', phone: c.phone ?? '', webhookUrl: c.webhookUrl ?? '' },
    cells: (_t, ref) => [c.name, c.level, c.gridId ? ref('grids', c.gridId) : '–', c.phone ?? '–', c.webhookUrl ?? '–'],
  }),
});

export const ENTITIES: Record<EntityKey, Entity> = {
  compounds,
  buildings,
  units,
  grids,
  households,
  residents,
  'escalation-contacts': contacts,
};

export const isEntityKey = (s: string): s is EntityKey => (ENTITY_KEYS as readonly string[]).includes(s);
