import { randomUUID } from 'node:crypto';
import type { Alert } from '../contracts/api/alerts';
import type { ComplianceRow, FieldAlert, PatrolBody, PatrolReportView } from '../contracts/api/field';
import { monthRange } from '../contracts/zone';
import type { AlertRepo } from '../db/alerts';
import type { FieldRepo } from '../db/field';
import type { Alert as AlertRow } from '../db/generated/client';
import type { Logger } from '../log';
import { lateSeconds, onSiteLateMs } from '../rules/on-site';
import { type RaiseDecision, TYPES, keyOf } from '../rules/types';
import type { ActionResult, Actions } from './actions';
import type { AlertStore } from './store';

/** Types under the five-minute rule: the compliance report counts these. */
export const ON_SITE_TYPES = Object.entries(TYPES).flatMap(([t, s]) => (s.onSite ? [t] : []));
/** How long a field worker still sees a case after it was cleared (the outcome they recorded). */
const CLEARED_VISIBLE_MS = 24 * 3_600_000;

export interface FieldDeps {
  field: FieldRepo;
  alerts: Pick<AlertRepo, 'toAlert'>;
  actions: Actions;
  store: AlertStore;
  /** The lifecycle's entry point: a patrol report is raised like any rule's decision. */
  apply: (d: RaiseDecision) => void;
  onSiteMin: number;
  log: Logger;
  now: () => Date;
}

/** Magic bytes of the photo types a patrol report accepts: the declared type must match the bytes. */
const MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) => b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

export type FieldOutcome<T> = { ok: true; value: T } | { ok: false; code: 'NOT_FOUND' | 'VALIDATION' | 'NOT_READY'; message: string; path?: string };

/**
 * Field staff (#16, DOMAIN "grid workers and maintenance staff"): what reached their grids, on-site confirmation
 * under the five-minute rule, the outcome, patrol reports raised as alerts, and the on-site compliance report.
 * Object-level scope is decided here: a worker only ever sees and touches alerts of the grids they work.
 */
export function createField(deps: FieldDeps) {
  const { field, alerts, actions, store, apply, onSiteMin, log, now } = deps;

  /** The routed alerts of these grids: escalated beyond the guard station, or found on patrol. */
  async function routed(gridIds: readonly string[], extra: { id?: string } = {}): Promise<FieldAlert[]> {
    if (gridIds.length === 0) return [];
    const since = new Date(now().getTime() - CLEARED_VISIBLE_MS);
    const { rows, index } = await field.alerts(gridIds, {
      ...(extra.id !== undefined ? { id: extra.id } : {}),
      OR: [{ escalationLevel: { gte: 1 } }, { type: 'patrol_report' }],
      AND: [{ OR: [{ status: { in: ['open', 'acknowledged'] } }, { clearedAt: { gte: since } }] }],
    });
    return rows.flatMap((r: AlertRow) => {
      const gridId = index.gridOf(r);
      return gridId === null ? [] : [{ ...alerts.toAlert(r), gridId }];
    });
  }

  /** One routed alert of the worker's grids, or null (another grid's alert is "not found", like one that never was). */
  async function mine(gridIds: readonly string[], id: string): Promise<FieldAlert | null> {
    return (await routed(gridIds, { id }))[0] ?? null;
  }

  return {
    routed,
    mine,

    onSite: (id: string, actor: string, note: string | null, lateReason: string | null): Promise<ActionResult> => actions.onSite(id, actor, note, lateReason),

    /** 件件有回音: resolved clears the alert with the note; otherwise the note is recorded and the case stays open. */
    async outcome(a: Alert, actor: string, resolved: boolean, note: string): Promise<ActionResult> {
      if (resolved) return actions.clear(a.id, actor, note);
      return store.run(async () => {
        const found = store.byId(a.id);
        if (!found) return { ok: false, reason: 'cleared', alert: a };
        const r = await store.update(found.alert, found.alert, found.key, { action: 'outcome_recorded', actor, at: now(), note });
        return r ? { ok: true, alert: r.alert } : { ok: false, reason: 'cleared', alert: a };
      });
    },

    /**
     * A problem found on patrol: the report (and its photo) is stored, then raised as a `patrol_report` alert placed
     * where the worker said, so it is registered, escalated and shown on the guard board like a device fault.
     */
    async patrol(body: PatrolBody, actor: string): Promise<FieldOutcome<PatrolReportView>> {
      let photo: Buffer | null = null;
      if (body.photo) {
        photo = Buffer.from(body.photo.data, 'base64');
        const matches = MAGIC[body.photo.type];
        if (!matches || !matches(photo)) return { ok: false, code: 'VALIDATION', message: `the photo is not a ${body.photo.type} image`, path: '/photo/data' };
      }
      const id = `patrol-${randomUUID()}`;
      const at = now();
      await field.createPatrol(id, body, photo, actor, at);
      const key = keyOf('patrol_report', id);
      apply({
        kind: 'raise',
        type: 'patrol_report',
        severity: body.kind === 'broken_door' ? 'major' : 'minor',
        key,
        deviceId: null,
        householdId: null,
        at,
        detail: { reportId: id, kind: body.kind, text: body.text, reportedBy: actor, gridId: body.gridId, photo: photo !== null },
        mode: 'event',
        placeLabel: body.place,
      });
      // The raise was queued on the store's serial queue before this read: it is there once this runs.
      const alert = await store.run(async () => store.byKey(key));
      if (!alert) return { ok: false, code: 'NOT_READY', message: 'the report is stored but its alert could not be written yet; it is retried' };
      await field.linkPatrol(id, alert.id);
      log.info({ reportId: id, alertId: alert.id, gridId: body.gridId, kind: body.kind, actor }, 'patrol report raised');
      return { ok: true, value: { id, alertId: alert.id, gridId: body.gridId, kind: body.kind, place: body.place, text: body.text, reportedBy: actor, hasPhoto: photo !== null, createdAt: at.toISOString() } };
    },

    /** On-site compliance of one grid in one month of its compound's calendar. */
    async compliance(grid: { id: string; name: string; timezone: string }, month: string): Promise<ComplianceRow> {
      const { from, to } = monthRange(month, grid.timezone);
      const { rows } = await field.alerts([grid.id], { type: { in: ON_SITE_TYPES }, firstAt: { gte: from, lt: to } }, 10_000);
      return complianceRow(grid, rows, await field.onSiteRows(rows.map((r) => r.id)), await field.patrolCount(grid.id, from, to), onSiteMin);
    },
  };
}

export type Field = ReturnType<typeof createField>;

interface OnSiteRow {
  alertId: string;
  actor: string;
  at: Date;
  detail: string | null;
}

/** Pure: the compliance row from the month's alerts under the rule and their on-site history rows. */
export function complianceRow(
  grid: { id: string; name: string },
  rows: ReadonlyArray<Pick<AlertRow, 'id' | 'type' | 'place' | 'firstAt' | 'onSiteAt'>>,
  onSite: readonly OnSiteRow[],
  patrolReports: number,
  onSiteMin: number,
): ComplianceRow {
  const history = new Map(onSite.map((h) => [h.alertId, h]));
  let within = 0;
  let late = 0;
  let confirmed = 0;
  const lateReasons: ComplianceRow['lateReasons'] = [];
  for (const r of rows) {
    if (r.onSiteAt === null) continue;
    confirmed++;
    const lateMs = onSiteLateMs(r.firstAt, r.onSiteAt, onSiteMin);
    const lateSec = lateSeconds(lateMs);
    if (lateMs <= 0) {
      within++;
      continue;
    }
    late++;
    const h = history.get(r.id);
    const d: unknown = h?.detail ? JSON.parse(h.detail) : null;
    const reason = d !== null && typeof d === 'object' && 'lateReason' in d && typeof d.lateReason === 'string' ? d.lateReason : '';
    lateReasons.push({ alertId: r.id, type: r.type, place: placeLabel(r.place), by: h?.actor ?? '', lateSec, reason, at: r.onSiteAt.toISOString() });
  }
  return {
    gridId: grid.id,
    grid: grid.name,
    cases: rows.length,
    onSite: confirmed,
    withinRule: within,
    late,
    missing: rows.length - confirmed,
    patrolReports,
    share: rows.length === 0 ? null : Math.round((within / rows.length) * 1000) / 1000,
    lateReasons,
  };
}

function placeLabel(stored: string): string {
  try {
    const p: unknown = JSON.parse(stored);
    return p !== null && typeof p === 'object' && 'label' in p && typeof p.label === 'string' ? p.label : '';
  } catch {
    return '';
  }
}
