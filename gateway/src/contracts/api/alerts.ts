import { z } from 'zod';
import { HouseholdTag, PlaceKind } from '../common';

/** What an alert is about. One-key alarms latch (GB 50394); the rest follow their condition or a person. */
export const AlertType = z.enum([
  'alarm_press',
  'forced_entry',
  'door_held_open',
  'tamper',
  'repeated_denials',
  'blacklisted_credential',
  'device_offline',
  'light_not_lit',
  'light_lit_in_daylight',
  'light_fault',
  'light_power_abnormal',
  'low_battery',
  'invalid_payloads',
  'clock_drift',
  'event_id_reused',
  'press_storm',
  'welfare_check',
  /** Maintenance: no level of the escalation chain above the guard station has a notification channel. */
  'escalation_unreachable',
  /** A problem a field worker found on patrol (alerts/patrol.ts): registered, owned and escalated like a device fault. */
  'patrol_report',
]);
export type AlertType = z.infer<typeof AlertType>;

/**
 * The place of an alert tied to no device and no household, as a code the UI translates (never words from the
 * gateway): `gateway` for the gateway's own condition (its escalation chain), `unknown_place` otherwise.
 */
export const PlaceCode = z.enum(['gateway', 'unknown_place']);
export type PlaceCode = z.infer<typeof PlaceCode>;

export const Severity = z.enum(['critical', 'major', 'minor', 'warning']);
export type Severity = z.infer<typeof Severity>;

export const AlertStatus = z.enum(['open', 'acknowledged', 'cleared']);
export type AlertStatus = z.infer<typeof AlertStatus>;

/** security: people and doors; maintenance: a device or lamp needs a worker (the five-minute rule); welfare: 六必访. */
export const AlertCategory = z.enum(['security', 'maintenance', 'welfare']);
export type AlertCategory = z.infer<typeof AlertCategory>;

/** ack: nobody has acknowledged yet; on_site: a maintenance fault waits for a worker on site (five-minute rule). */
export const DeadlineKind = z.enum(['ack', 'on_site']);
export type DeadlineKind = z.infer<typeof DeadlineKind>;

export const AlertAction = z.enum([
  'raised',
  'repeated',
  'cancel_requested',
  'acknowledged',
  'assigned',
  'on_site',
  'escalated',
  'notified',
  'notification_failed',
  'condition_ended',
  'cleared',
  /** A guard called the household; detail: contactId, outcome (CallOutcome). */
  'call_recorded',
  /** A field worker's outcome of a visit that did not end the case (the note says what happens next). */
  'outcome_recorded',
]);
export type AlertAction = z.infer<typeof AlertAction>;

/** Where it happened, in words for the guard (Chinese labels; the UI translates the chrome) and as a map point. */
export const AlertPlace = z.object({
  /** The place in words, from the compound's data (building, unit, room, device name); or a PlaceCode. */
  label: z.string(),
  kind: PlaceKind.nullable(),
  buildingId: z.string().nullable(),
  unitId: z.string().nullable(),
  householdId: z.string().nullable(),
  x: z.number().nullable(),
  y: z.number().nullable(),
});
export type AlertPlace = z.infer<typeof AlertPlace>;

export const Detail = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type Detail = z.infer<typeof Detail>;

const Iso = z.iso.datetime({ offset: true });

export const Alert = z.object({
  id: z.string(),
  type: AlertType,
  severity: Severity,
  category: AlertCategory,
  status: AlertStatus,
  /** Latched alerts (one-key alarms) end only by a guard's reset, never by the device or the system. */
  latched: z.boolean(),
  /** Sort key: severity first, raised for vulnerable households (elderly_alone first). Higher is more urgent. */
  priority: z.number().int(),
  deviceId: z.string().nullable(),
  householdId: z.string().nullable(),
  place: AlertPlace,
  tags: z.array(HouseholdTag),
  /** Occurrences of the same condition folded into this alert. */
  count: z.number().int().positive(),
  firstAt: Iso,
  lastAt: Iso,
  detail: Detail,
  /** The resident pressed cancel on the device: recorded, the alarm stays latched until a guard resets it. */
  cancelRequestedAt: Iso.nullable(),
  ackedBy: z.string().nullable(),
  ackedAt: Iso.nullable(),
  ackNote: z.string().nullable(),
  onSiteBy: z.string().nullable(),
  onSiteAt: Iso.nullable(),
  clearedBy: z.string().nullable(),
  clearedAt: Iso.nullable(),
  clearNote: z.string().nullable(),
  assignedTo: z.string().nullable(),
  /** 0 = the guard station; then up the configured chain (grid worker, community office, street office). */
  escalationLevel: z.number().int().nonnegative(),
  escalationTarget: z.string(),
  nextDeadlineAt: Iso.nullable(),
  deadlineKind: DeadlineKind.nullable(),
});
export type Alert = z.infer<typeof Alert>;

export const AlertHistoryEntry = z.object({
  id: z.number().int().positive(),
  alertId: z.string(),
  at: Iso,
  action: AlertAction,
  /** A user name, `system`, or `device:<id>`. */
  actor: z.string(),
  note: z.string().nullable(),
  detail: Detail.nullable(),
});
export type AlertHistoryEntry = z.infer<typeof AlertHistoryEntry>;

const commaList = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
    .pipe(z.array(item).min(1));

export const AlertListQuery = z.object({
  /** Comma separated; default: open and acknowledged (what the guard station must see). */
  status: commaList(AlertStatus).optional(),
  severity: commaList(Severity).optional(),
  type: commaList(AlertType).optional(),
  deviceId: z.string().max(64).optional(),
  householdId: z.string().max(64).optional(),
  /** Raised at or after / before (firstAt). */
  from: Iso.optional(),
  to: Iso.optional(),
  /** priority: most urgent first (the guard screen); recent: newest first (the log). */
  sort: z.enum(['priority', 'recent']).default('priority'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});
export type AlertListQuery = z.infer<typeof AlertListQuery>;

export const AlertList = z.object({ alerts: z.array(Alert), total: z.number().int().nonnegative() });
export type AlertList = z.infer<typeof AlertList>;

export const AlertDetail = z.object({ alert: Alert, history: z.array(AlertHistoryEntry) });
export type AlertDetail = z.infer<typeof AlertDetail>;

export const AlertIdParams = z.object({ id: z.string().min(1).max(64) });

const Note = z.string().trim().min(1).max(1000);

export const AckBody = z.object({ note: Note.optional() }).strict();
export type AckBody = z.infer<typeof AckBody>;

/** Clearing (for a latched alarm: the guard's reset) always says what happened: 件件有回音. */
export const ClearBody = z.object({ note: Note }).strict();
export type ClearBody = z.infer<typeof ClearBody>;

export const AssignBody = z.object({ assignee: z.string().trim().min(1).max(64), note: Note.optional() }).strict();
export type AssignBody = z.infer<typeof AssignBody>;

export const OnSiteBody = z
  .object({
    note: Note.optional(),
    /** Required when the confirmation comes after the five-minute rule (ON_SITE_MINUTES after the alert was raised). */
    lateReason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();
export type OnSiteBody = z.infer<typeof OnSiteBody>;

export const ReportQuery = z.object({
  from: Iso,
  to: Iso,
});
export type ReportQuery = z.infer<typeof ReportQuery>;

const Seconds = z.number().nonnegative().nullable();

/** Response times of one day (the compound's time zone) and one type, or every type (`all`). Percentiles by nearest rank. */
export const ResponseTimeRow = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  type: z.union([AlertType, z.literal('all')]),
  raised: z.number().int().nonnegative(),
  acknowledged: z.number().int().nonnegative(),
  ackP50Sec: Seconds,
  ackP90Sec: Seconds,
  /** Cleared by a person (automatic clears when a condition ended are not a response). */
  cleared: z.number().int().nonnegative(),
  clearP50Sec: Seconds,
  clearP90Sec: Seconds,
});
export type ResponseTimeRow = z.infer<typeof ResponseTimeRow>;

export const ResponseTimeReport = z.object({ from: Iso, to: Iso, timezone: z.string(), rows: z.array(ResponseTimeRow) });
export type ResponseTimeReport = z.infer<typeof ResponseTimeReport>;

/**
 * The body of a webhook call when an alert reaches a level of the escalation chain. Headers: `X-Linli-Delivery`
 * (the same on every retry: deduplicate on it), `X-Linli-Timestamp` (unix seconds) and `X-Linli-Signature`:
 * `sha256=` + hex HMAC-SHA256 under the shared secret of `<timestamp>.<raw body>` (see docs/alerts.md).
 */
export const AlertNotification = z.object({
  deliveryId: z.string(),
  event: z.enum(['alert.raised', 'alert.escalated']),
  level: z.number().int().nonnegative(),
  levelName: z.string(),
  reason: z.string().nullable(),
  sentAt: Iso,
  alert: Alert,
});
export type AlertNotification = z.infer<typeof AlertNotification>;

/**
 * 警民一键通: what the community police's endpoint receives (POST, signed like the chain's webhooks). The alert
 * without people's notes or the rule's parameters (live/board-view.ts).
 */
export const PoliceNotification = z.object({
  deliveryId: z.string(),
  event: z.literal('police.alarm'),
  /** `linked_point`: an alarm point configured as police-linked was raised; `guard_request`: a guard's 转报警 110. */
  reason: z.enum(['linked_point', 'guard_request']),
  requestedBy: z.string(),
  sentAt: Iso,
  alert: Alert,
});
export type PoliceNotification = z.infer<typeof PoliceNotification>;

/** POST /api/v1/alerts/{id}/police: what became of the notification (the same is in the alert's history). */
export const PoliceReply = z.object({
  outcome: z.enum(['delivered', 'failed', 'no_channel']),
  error: z.string().nullable(),
});
export type PoliceReply = z.infer<typeof PoliceReply>;
