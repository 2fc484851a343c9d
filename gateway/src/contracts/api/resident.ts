import { z } from 'zod';

const Iso = z.iso.datetime({ offset: true });

/**
 * The resident app's own view of their home (GET /api/v1/resident/home): what the invitation card prints and what
 * the app needs to show times in the compound's time zone. Names are masked as on the door screens.
 */
export const ResidentHome = z.object({
  community: z.object({ name: z.string(), timezone: z.string() }),
  household: z.object({ id: z.string(), label: z.string(), building: z.string(), unit: z.number().int(), room: z.string() }),
  /** The signed-in resident, for "My data". */
  resident: z.object({ id: z.string(), maskedName: z.string(), faceConsent: z.boolean(), faceConsentAt: Iso.nullable() }),
  /** The doors a pass opens when the resident picks none (the gateway's default route in: main gate → unit door). */
  defaultDoors: z.array(z.object({ id: z.string(), name: z.string() })),
  /** With a plate the vehicle gate is added. */
  vehicleDoors: z.array(z.object({ id: z.string(), name: z.string() })),
});
export type ResidentHome = z.infer<typeof ResidentHome>;

/** Who answered, as the resident may see it: a role and a display name, never an internal user id. */
export const Responder = z.object({ role: z.enum(['guard', 'admin', 'system', 'staff']), name: z.string() });
export type Responder = z.infer<typeof Responder>;

/** One of the household's one-key alarm presses and what became of it (居民吹哨、部门报到). */
export const ResidentAlarm = z.object({
  id: z.string(),
  at: Iso,
  place: z.string(),
  status: z.enum(['open', 'acknowledged', 'cleared']),
  cancelRequestedAt: Iso.nullable(),
  acknowledged: z.object({ at: Iso, by: Responder, note: z.string().nullable() }).nullable(),
  cleared: z.object({ at: Iso, by: Responder, note: z.string().nullable() }).nullable(),
});
export type ResidentAlarm = z.infer<typeof ResidentAlarm>;

export const ResidentAlarmList = z.object({ alarms: z.array(ResidentAlarm) });
export type ResidentAlarmList = z.infer<typeof ResidentAlarmList>;

/** A visitor link is minted from the pass's code, which only the resident who created the pass holds. */
export const VisitLinkBody = z.object({ code: z.string().regex(/^\d{10}$/, 'code: the pass\'s 10-digit code') }).strict();
export const VisitLinkReply = z.object({ token: z.string() });
export type VisitLinkReply = z.infer<typeof VisitLinkReply>;

/** The visitor's page posts the token it found in the link's #fragment (never in a URL the server logs). */
export const VisitBody = z.object({ token: z.string().min(20).max(400).regex(/^[A-Za-z0-9_-]+$/, 'token: base64url') }).strict();

/** What the visitor's page shows: the QR and code only while the pass can still open a door. */
export const VisitView = z.object({
  community: z.string(),
  visitorName: z.string(),
  host: z.string(),
  place: z.string(),
  timezone: z.string(),
  validFrom: Iso,
  validUntil: Iso,
  state: z.enum(['upcoming', 'active', 'expired', 'used_up', 'revoked']),
  entriesLeft: z.number().int(),
  doors: z.array(z.string()),
  /** Present only while upcoming or active. */
  code: z.string().nullable(),
  qrPayload: z.string().nullable(),
});
export type VisitView = z.infer<typeof VisitView>;

export const ResidentTicketReply = z.object({ ticket: z.string(), expiresAt: Iso });

/** Resident live stream frames (GET /api/v1/resident/live): `hello`, `arrival`, `alarm`, `pass`. */
export const ResidentLiveHello = z.object({ householdId: z.string(), heartbeatMs: z.number().int().positive() });
export const ResidentArrival = z.object({
  passId: z.string(),
  /** 张* — as the door screen shows it. */
  visitor: z.string(),
  door: z.string(),
  direction: z.enum(['in', 'out']),
  at: Iso,
});
export type ResidentArrival = z.infer<typeof ResidentArrival>;
/** Something about one of the household's alarms changed: the app re-reads its list. */
export const ResidentAlarmChanged = z.object({ alertId: z.string(), action: z.string(), at: Iso });
export type ResidentAlarmChanged = z.infer<typeof ResidentAlarmChanged>;

export const PasswordChangeBody = z
  .object({
    currentPassword: z.string().min(1).max(256),
    newPassword: z.string().min(10, 'newPassword: at least 10 characters').max(256),
  })
  .strict()
  .refine((b) => b.newPassword !== b.currentPassword, { message: 'newPassword: must differ from the current one', path: ['newPassword'] });
