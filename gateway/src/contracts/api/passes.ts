import { z } from 'zod';
import { DeviceId, Plate, Timestamp } from '../common';

// No control characters or angle brackets: the name is shown on door screens and the guard station.
export const VisitorName = z
  .string()
  .trim()
  .min(1, 'visitorName: required')
  .max(32, 'visitorName: at most 32 characters')
  .regex(/^[^\p{Cc}<>]+$/u, 'visitorName: no control characters or angle brackets');

/**
 * What a resident sends to invite a visitor. Everything else about a pass (household, status, entries used, the code)
 * is the gateway's: `.strict()` refuses those fields with 400 instead of ignoring them.
 */
export const PassCreateBody = z
  .object({
    visitorName: VisitorName,
    /** A mainland mobile number; stored masked (138****1234), never in full. */
    phone: z.string().regex(/^1[3-9]\d{9}$/, 'phone: an 11-digit mobile number such as 13812341234').optional(),
    /** With a plate the vehicle gate is added to the default doors. */
    plate: Plate.optional(),
    /** Defaults to now. */
    validFrom: Timestamp.optional(),
    validUntil: Timestamp,
    /** Defaults to the route in: main gate → the household's unit door (+ the vehicle gate with a plate). */
    allowedDoors: z.array(DeviceId).min(1, 'allowedDoors: at least one door').max(10, 'allowedDoors: at most 10 doors').optional(),
    /** Each granted entry through any door counts one; defaults to one trip along the allowed doors. */
    maxEntries: z.number().int().min(1, 'maxEntries: at least 1').max(20, 'maxEntries: at most 20').optional(),
  })
  .strict()
  .refine((b) => b.validFrom === undefined || Date.parse(b.validUntil) > Date.parse(b.validFrom), {
    message: 'validUntil: must be after validFrom',
    path: ['validUntil'],
  });
export type PassCreateBody = z.infer<typeof PassCreateBody>;

export const PassState = z.enum(['upcoming', 'active', 'expired', 'used_up', 'revoked']);
export type PassState = z.infer<typeof PassState>;

export const PassView = z.object({
  id: z.string(),
  householdId: z.string(),
  visitorName: z.string(),
  phoneMasked: z.string().nullable(),
  plate: z.string().nullable(),
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }),
  allowedDoors: z.array(z.string()),
  maxEntries: z.number().int(),
  entriesUsed: z.number().int(),
  /** Stored: active or revoked. */
  status: z.enum(['active', 'revoked']),
  /** Derived now: whether the pass would open a door right now, and if not, why. */
  state: PassState,
  createdAt: z.iso.datetime({ offset: true }),
  revokedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type PassView = z.infer<typeof PassView>;

/** Returned once, at creation: the code and QR are stored only as hashes and cannot be shown again. */
export const PassCreated = PassView.extend({
  /** For the door keypad. */
  code: z.string(),
  qr: z.object({
    /** What the QR code encodes (signed). */
    payload: z.string(),
    /** The QR code as a PNG data URL, ready to send to the visitor. */
    image: z.string(),
  }),
});
export type PassCreated = z.infer<typeof PassCreated>;

export const PassList = z.object({ passes: z.array(PassView) });
export type PassList = z.infer<typeof PassList>;

export const PassListQuery = z
  .object({
    /** current (default): not revoked and not yet expired; all: everything of the household, newest first. */
    scope: z.enum(['current', 'all']).default('current'),
  })
  .strict();

export const ExpectedVisitorsQuery = z
  .object({
    /** A day in the community's time zone (YYYY-MM-DD); today by default. */
    date: z.iso.date().optional(),
  })
  .strict();

export const ExpectedVisitor = PassView.extend({ householdLabel: z.string() });
export const ExpectedVisitors = z.object({ date: z.iso.date(), visitors: z.array(ExpectedVisitor) });
export type ExpectedVisitors = z.infer<typeof ExpectedVisitors>;

export const IdParam = z.object({ id: z.string().min(1).max(64) }).strict();

/** How long a walk-in visitor's pass lasts: one entry within this. */
export const WALK_IN_MINUTES = 30;

/**
 * A visitor standing at the gate without a pass: the guard registers them after confirming with the host (by phone
 * for now; an approval the host answers in the resident app when that exists). One entry within 30 minutes along the
 * way home of the household (main gate → unit door).
 */
export const WalkInBody = z
  .object({
    visitorName: VisitorName,
    /** The last four characters of the visitor's ID number, if shown (the rest is never asked for). */
    idLast4: z.string().regex(/^\d{3}[\dXx]$/, 'idLast4: the last four characters of an ID number, e.g. 123X').optional(),
    /** The host household: its id, or its label as the guard types it (3-2-501). */
    household: z.string().trim().min(1).max(64),
    reason: z.string().trim().min(2, 'reason: at least 2 characters').max(100),
    /** How the host confirmed; only a phone call for now. */
    hostConfirmed: z.literal('phone'),
  })
  .strict();
export type WalkInBody = z.infer<typeof WalkInBody>;
