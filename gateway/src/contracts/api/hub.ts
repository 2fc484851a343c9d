// The district hub's HTTP API (gateway/src/hub/http.ts, docs/scale-out.md "The hub's API and UI"): every reply the
// hub's UI (admin-ui/src/hub/) reads, parsed on both sides. A hub user is scoped to a compound, a street or the
// district; every list below holds only what the caller's scope covers.
import { z } from 'zod';

const Iso = z.iso.datetime({ offset: true });
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');

export const HubScopeKind = z.enum(['district', 'street', 'compound']);
export type HubScopeKind = z.infer<typeof HubScopeKind>;

/** What a hub user may see: everything, one street's registered compounds, or one compound. */
export const HubScope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('district') }),
  z.object({ kind: z.literal('street'), id: Id }),
  z.object({ kind: z.literal('compound'), id: Id }),
]);
export type HubScope = z.infer<typeof HubScope>;

export const HubUser = z.object({
  userId: z.string(),
  username: z.string(),
  displayName: z.string(),
  scope: HubScope,
  /** The street's or compound's registered name, for the page header (null for the district or an unregistered id). */
  scopeName: z.string().nullable(),
  /** May manage the hub users inside this scope (docs/scale-out.md "Managing hub users"). */
  managesUsers: z.boolean(),
  /** Signed in with a one-time password: only changing it is allowed until then. */
  mustChangePassword: z.boolean(),
});
export type HubUser = z.infer<typeof HubUser>;

export const HubLoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
export type HubLoginBody = z.infer<typeof HubLoginBody>;
export const HubLoginReply = z.object({ token: z.string(), expiresAt: Iso, user: HubUser });
export type HubLoginReply = z.infer<typeof HubLoginReply>;

/** online: renewed its liveness key recently; offline: 小区网关离线 is open; unknown: not heard since the hub started. */
export const CellStateName = z.enum(['online', 'offline', 'unknown']);
export type CellStateName = z.infer<typeof CellStateName>;

export const HubCompound = z.object({
  id: z.string(),
  /** null: seen in replicated rows but not in the registry (the UI shows 未登记). */
  name: z.string().nullable(),
  street: z.object({ id: z.string(), name: z.string() }).nullable(),
  state: CellStateName,
  /** NATS server time of the cell's last liveness renewal (null: not heard since the hub started). */
  lastSeenAt: Iso.nullable(),
  /** What the cell reported at its last renewal (null: unknown). */
  lagSeconds: z.number().min(0).nullable(),
  backlogRows: z.number().int().min(0).nullable(),
  /** When the hub last moved one of this cell's committed watermarks (its newest replicated row). */
  lastReplicatedAt: Iso.nullable(),
  openAlerts: z.number().int().min(0),
  openCritical: z.number().int().min(0),
});
export type HubCompound = z.infer<typeof HubCompound>;
export const HubCompoundList = z.object({ compounds: z.array(HubCompound) });
export type HubCompoundList = z.infer<typeof HubCompoundList>;

export const HubNote = z.object({ id: z.string(), author: z.string(), body: z.string(), at: Iso });
export type HubNote = z.infer<typeof HubNote>;
export const HubNoteBody = z.object({ body: z.string().trim().min(1).max(2000) });
export type HubNoteBody = z.infer<typeof HubNoteBody>;

// Escalation at the hub (docs/scale-out.md "Escalation at the hub").

/** How a level was told about an alert: delivered, failed for good (call them), still being sent, or no channel. */
export const HubToldOutcome = z.enum(['delivered', 'failed', 'sending', 'no_channel']);
export type HubToldOutcome = z.infer<typeof HubToldOutcome>;

/** An alert's escalation at the hub: the hub chain level it reached and who was told at each level. */
export const HubEscalation = z.object({
  /** The hub chain level reached (0: none; the hub's own alert starts at 1 when raised). */
  level: z.number().int().min(0),
  levelName: z.string().nullable(),
  /** When it moves up unless acknowledged at the hub (the hub's own alert only). */
  nextDeadlineAt: Iso.nullable(),
  told: z.array(z.object({ level: z.number().int().min(1), levelName: z.string(), outcome: HubToldOutcome })),
});
export type HubEscalation = z.infer<typeof HubEscalation>;

/** An alert as the hub holds it: replicated from a cell (source cell) or raised by the hub itself (小区网关离线). */
export const HubAlert = z.object({
  compound: z.string(),
  compoundName: z.string().nullable(),
  id: z.string(),
  source: z.enum(['cell', 'hub']),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  /** The place in the compound's words (or a place code), when the cell sent one. */
  place: z.string().nullable(),
  firstAt: Iso,
  lastAt: Iso,
  ackedBy: z.string().nullable(),
  ackedAt: Iso.nullable(),
  clearedAt: Iso.nullable(),
  escalationLevel: z.number().int().min(0),
  notes: z.array(HubNote),
  /** The escalation at the hub (its chain above the compound); level 0 and no one told when it has not escalated there. */
  hubEscalation: HubEscalation,
});
export type HubAlert = z.infer<typeof HubAlert>;
export const HubAlertList = z.object({ alerts: z.array(HubAlert) });
export type HubAlertList = z.infer<typeof HubAlertList>;

/** GET /api/hub/alerts: open alerts, narrowed by compound, severity, type and a minimum age. */
export const HubAlertQuery = z.object({
  compound: Id.optional(),
  severity: z.enum(['critical', 'major', 'minor', 'warning']).optional(),
  type: z.string().regex(/^[a-z_]{1,64}$/).optional(),
  /** Only alerts raised at least this many minutes ago (the ones nobody has answered for a while). */
  minAgeMinutes: z.coerce.number().int().min(0).max(525_600).optional(),
});
export type HubAlertQuery = z.infer<typeof HubAlertQuery>;

export const HubAlertChange = z.object({ at: Iso, action: z.string(), actor: z.string(), note: z.string().nullable() });
export type HubAlertChange = z.infer<typeof HubAlertChange>;
export const HubAlertWithHistory = HubAlert.extend({ changes: z.array(HubAlertChange) });
export type HubAlertWithHistory = z.infer<typeof HubAlertWithHistory>;
/** GET /api/hub/compounds/:id/alerts: the compound's latest alerts (open and cleared), each with its changes. */
export const HubCompoundHistory = z.object({ compound: HubCompound, alerts: z.array(HubAlertWithHistory) });
export type HubCompoundHistory = z.infer<typeof HubCompoundHistory>;

/** 件件有回音 at district scale: per compound, how fast its alerts were answered (acknowledged) and closed. */
export const HubCompoundStats = z.object({
  compound: z.string(),
  compoundName: z.string().nullable(),
  /** Alerts raised in the window. */
  raised: z.number().int().min(0),
  acknowledged: z.number().int().min(0),
  cleared: z.number().int().min(0),
  /** Raised in the window and never acknowledged nor cleared. */
  unanswered: z.number().int().min(0),
  medianAckSeconds: z.number().nullable(),
  p90AckSeconds: z.number().nullable(),
  medianCloseSeconds: z.number().nullable(),
});
export type HubCompoundStats = z.infer<typeof HubCompoundStats>;
export const HubStatsQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) });
export const HubStatsReply = z.object({ days: z.number().int(), since: Iso, compounds: z.array(HubCompoundStats) });
export type HubStatsReply = z.infer<typeof HubStatsReply>;

/** A compound's chain above it, as the hub API shows it (read-only; managed with the hub CLI). No URL leaves. */
export const HubChain = z.object({
  compound: z.string(),
  /** Where the chain comes from: the compound's own, its street's default, the district's default; null: none. */
  source: z.enum(['compound', 'street', 'district']).nullable(),
  levels: z.array(z.object({ level: z.number().int().min(1), name: z.string(), channel: z.enum(['webhook']).nullable() })),
  /** Some level can be told (has a channel). */
  working: z.boolean(),
});
export type HubChain = z.infer<typeof HubChain>;

/** POST /api/hub/compounds/:id/alerts/:alertId/ack: the hub's own alert acknowledged at the hub. */
export const HubAckReply = z.object({ compound: z.string(), id: z.string(), ackedBy: z.string(), ackedAt: Iso });
export type HubAckReply = z.infer<typeof HubAckReply>;

/** POST /api/hub/compounds/:id/alerts/:alertId/escalate: a cell's alert sent one level up the hub chain by hand. */
export const HubEscalateBody = z.object({ reason: z.string().trim().min(1).max(500) });
export type HubEscalateBody = z.infer<typeof HubEscalateBody>;
export const HubEscalateReply = z.object({ compound: z.string(), id: z.string(), level: z.number().int().min(1), levelName: z.string(), by: z.string() });
export type HubEscalateReply = z.infer<typeof HubEscalateReply>;

/** What a hub chain level's webhook receives (signed like the cell's, docs/alerts.md "Notifications (webhooks)"). */
export const HubAlertNotification = z.object({
  deliveryId: z.string(),
  event: z.enum(['alert.raised', 'alert.escalated']),
  level: z.number().int().min(1),
  levelName: z.string(),
  /**
   * A code: raised, escalated_no_ack (nobody acknowledged at the hub), cell_deadline_passed (the cell could not
   * escalate), hub_manual (a hub user escalated it by hand; `note` says why).
   */
  reason: z.string().nullable(),
  /** The hub user's words with a hand-made escalation; null otherwise. */
  note: z.string().nullable().default(null),
  sentAt: Iso,
  /** hub: the hub's own alert (小区网关离线); cell: an alert replicated from the compound's gateway. */
  source: z.enum(['hub', 'cell']),
  compound: z.string(),
  compoundName: z.string().nullable(),
  alert: z.object({
    id: z.string(),
    type: z.string(),
    severity: z.string(),
    status: z.string(),
    title: z.string().nullable(),
    place: z.string().nullable(),
    firstAt: Iso,
    /** The cell's own escalation level (replicated alerts), null for the hub's own. */
    cellLevel: z.number().int().min(0).nullable(),
  }),
});
export type HubAlertNotification = z.infer<typeof HubAlertNotification>;
