import { z } from 'zod';

/**
 * Guard stations (docs/security.md, "Guard stations"): a browser an admin registered holds a station token in an
 * httpOnly cookie. It allows a guard's PIN sign-in there, and a read-only alarm board while nobody is signed in.
 */
export const StationView = z.object({
  id: z.string(),
  name: z.string(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
  lastSeenAt: z.iso.datetime().nullable(),
});
export type StationView = z.infer<typeof StationView>;

export const StationList = z.object({ stations: z.array(StationView) });
export type StationList = z.infer<typeof StationList>;

export const RegisterStationBody = z.object({ name: z.string().trim().min(1).max(60) }).strict();
export type RegisterStationBody = z.infer<typeof RegisterStationBody>;

export const StationParams = z.object({ id: z.string().min(1).max(64) });

/** GET /api/v1/station: whether this browser is a registered guard station (the cookie is not readable by scripts). */
export const ThisStation = z.object({
  registered: z.boolean(),
  /** The station's id (to mark it in the admins' list); null when not registered. */
  id: z.string().nullable(),
  name: z.string().nullable(),
  expiresAt: z.iso.datetime().nullable(),
});
export type ThisStation = z.infer<typeof ThisStation>;

/** Six digits. Which ones are too easy to guess is checked by the gateway (auth/pin.ts). */
export const Pin = z.string().regex(/^\d{6}$/, 'six digits');

export const PinLoginBody = z
  .object({
    username: z.string().min(1).max(64),
    pin: z.string().min(1).max(16),
  })
  .strict();
export type PinLoginBody = z.infer<typeof PinLoginBody>;

/** An admin sets a guard's PIN. */
export const SetPinBody = z.object({ pin: Pin }).strict();
export type SetPinBody = z.infer<typeof SetPinBody>;

/** A guard sets their own PIN, proving the password again (a PIN sign-in alone cannot change it). */
export const SetOwnPinBody = z.object({ password: z.string().min(1).max(256), pin: Pin }).strict();
export type SetOwnPinBody = z.infer<typeof SetOwnPinBody>;

export const UsernameParams = z.object({ username: z.string().min(1).max(64) });
