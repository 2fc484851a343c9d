import { z } from 'zod';
import { Alert } from './alerts';

/**
 * Field staff on the phone app (/m, #16): grid workers (网格员) and maintenance staff with a `grid_worker` account.
 * They see the alerts of their grids that reached them, confirm being on site (five-minute rule), record the
 * outcome, report problems found on patrol, and read the on-site compliance report. Only zod here: the app bundles it.
 */

const Id = z.string().min(1).max(64);
const Text = z.string().trim().min(1).max(1000);

/** The grids a field worker works, with their compound's name and zone (for the app's times). */
export const FieldGrid = z.object({ id: z.string(), name: z.string(), compoundId: z.string(), compound: z.string(), timezone: z.string() });
export type FieldGrid = z.infer<typeof FieldGrid>;
export const FieldHome = z.object({ grids: z.array(FieldGrid), onSiteMinutes: z.number().positive() });
export type FieldHome = z.infer<typeof FieldHome>;

/** An alert as the field worker sees it: which of their grids it belongs to. */
export const FieldAlert = Alert.extend({ gridId: z.string() });
export type FieldAlert = z.infer<typeof FieldAlert>;
export const FieldAlertList = z.object({ alerts: z.array(FieldAlert) });
export type FieldAlertList = z.infer<typeof FieldAlertList>;

/** The outcome of a visit (件件有回音): `resolved` clears the alert with the note; otherwise the note is recorded. */
export const OutcomeBody = z.object({ resolved: z.boolean(), note: Text }).strict();
export type OutcomeBody = z.infer<typeof OutcomeBody>;

export const PatrolKind = z.enum(['lamp_not_lit', 'broken_door', 'other']);
export type PatrolKind = z.infer<typeof PatrolKind>;

/** Photo limits: a phone photo, downscaled by the app; anything else is refused with the limit named. */
export const PATROL_PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const PATROL_PHOTO_MAX_BYTES = 1_500_000;

export const PatrolBody = z
  .object({
    gridId: Id,
    kind: PatrolKind,
    /** Where, in words ("3号楼东侧路灯"): it becomes the alert's place. */
    place: z.string().trim().min(1).max(100),
    text: Text,
    photo: z
      .object({
        type: z.enum(PATROL_PHOTO_TYPES, { message: `a photo is ${PATROL_PHOTO_TYPES.join(', ')}` }),
        /** Base64 of the image bytes. */
        data: z.string().min(1).max(Math.ceil(PATROL_PHOTO_MAX_BYTES / 3) * 4, `a photo is at most ${PATROL_PHOTO_MAX_BYTES / 1_000_000} MB`).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
      })
      .strict()
      .optional(),
  })
  .strict();
export type PatrolBody = z.infer<typeof PatrolBody>;

export const PatrolReportView = z.object({
  id: z.string(),
  alertId: z.string(),
  gridId: z.string(),
  kind: PatrolKind,
  place: z.string(),
  text: z.string(),
  reportedBy: z.string(),
  hasPhoto: z.boolean(),
  createdAt: z.iso.datetime(),
});
export type PatrolReportView = z.infer<typeof PatrolReportView>;

export const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');
/** Without `month`: the current month in the compound's calendar. */
export const ComplianceQuery = z.object({ month: Month.optional(), gridId: Id.optional() }).strict();
export type ComplianceQuery = z.infer<typeof ComplianceQuery>;

/** One late arrival and the reason given for it. */
export const LateEntry = z.object({ alertId: z.string(), type: z.string(), place: z.string(), by: z.string(), lateSec: z.number().int(), reason: z.string(), at: z.iso.datetime() });
export const ComplianceRow = z.object({
  gridId: z.string(),
  grid: z.string(),
  /** Alerts under the five-minute rule raised in the month (device faults and patrol reports). */
  cases: z.number().int().nonnegative(),
  onSite: z.number().int().nonnegative(),
  withinRule: z.number().int().nonnegative(),
  late: z.number().int().nonnegative(),
  /** Not confirmed on site (yet, or cleared without anyone going). */
  missing: z.number().int().nonnegative(),
  patrolReports: z.number().int().nonnegative(),
  /** withinRule / cases; null without cases. */
  share: z.number().min(0).max(1).nullable(),
  lateReasons: z.array(LateEntry),
});
export type ComplianceRow = z.infer<typeof ComplianceRow>;
export const ComplianceReport = z.object({ month: Month, timezone: z.string(), onSiteMinutes: z.number().positive(), rows: z.array(ComplianceRow) });
export type ComplianceReport = z.infer<typeof ComplianceReport>;

/** Administration: who works a grid, and which devices (lamps, outdoor posts) are in its care. */
export const GridWorkerBody = z.object({ username: z.string().min(1).max(64) }).strict();
export const GridWorkerList = z.object({ workers: z.array(z.object({ userId: z.string(), username: z.string(), displayName: z.string() })) });
export const GridDeviceList = z.object({ deviceIds: z.array(z.string()) });
export const GridParams = z.object({ gridId: Id });
export const GridMemberParams = z.object({ gridId: Id, key: Id });
