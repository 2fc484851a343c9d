import { z } from 'zod';
import { normaliseCard } from '../card';
import { CredentialType, Plate } from '../common';

/**
 * Enrolling a resident's credential (admin). A PIN is never chosen by a person: the gateway draws one and returns it
 * once, so the API cannot be used to probe which PINs exist. A face needs the resident's recorded consent (PIPL).
 */
export const CredentialEnrolBody = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('card'),
      /** Spaces and lower-case hex letters are accepted and stored in the normal form (contracts/card.ts). */
      value: z.preprocess((v) => (typeof v === 'string' ? normaliseCard(v) : v), z.string().regex(/^[0-9A-F]{4,20}$/, 'value: the card number, 4-20 digits or hex characters')),
    })
    .strict(),
  z.object({ type: z.literal('pin') }).strict(),
  z
    .object({
      type: z.literal('face'),
      /** The terminal vendor's template reference; the face image itself is never sent here. */
      faceTemplateRef: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, 'faceTemplateRef: 4-64 characters of A-Z a-z 0-9 _ -'),
    })
    .strict(),
  z.object({ type: z.literal('plate'), plate: Plate }).strict(),
]);
export type CredentialEnrolBody = z.infer<typeof CredentialEnrolBody>;

export const CredentialView = z.object({
  id: z.string(),
  residentId: z.string(),
  type: CredentialType,
  /** Last digits of a card, the plate; never a PIN or a template reference. */
  hint: z.string().nullable(),
  status: z.enum(['active', 'suspended']),
  createdAt: z.iso.datetime({ offset: true }),
});
export type CredentialView = z.infer<typeof CredentialView>;

/** Enrolment answer; a generated PIN is shown exactly once. */
export const CredentialEnrolled = CredentialView.extend({ pin: z.string().optional() });
export type CredentialEnrolled = z.infer<typeof CredentialEnrolled>;

export const CredentialList = z.object({ credentials: z.array(CredentialView) });

export const CredentialPatchBody = z.object({ status: z.enum(['active', 'suspended']) }).strict();

export const ResidentView = z.object({
  id: z.string(),
  householdId: z.string(),
  householdLabel: z.string(),
  name: z.string(),
  status: z.string(),
  faceConsent: z.boolean(),
  faceConsentAt: z.iso.datetime({ offset: true }).nullable(),
});
export type ResidentView = z.infer<typeof ResidentView>;

export const ResidentList = z.object({ residents: z.array(ResidentView) });

export const ResidentListQuery = z.object({ householdId: z.string().min(1).max(64).optional() }).strict();

/** Giving or withdrawing face-recognition consent. Withdrawing deletes the face templates' references at once. */
export const FaceConsentBody = z.object({ consent: z.boolean() }).strict();

export const BlacklistBody = z
  .object({
    type: CredentialType,
    /** The card number, PIN, QR payload, template reference or plate to refuse; stored hashed (plates in clear). */
    value: z.string().trim().min(1).max(512),
    reason: z.string().trim().min(2, 'reason: say why').max(200),
  })
  .strict();
export type BlacklistBody = z.infer<typeof BlacklistBody>;

export const BlacklistView = z.object({
  id: z.string(),
  type: CredentialType,
  plate: z.string().nullable(),
  reason: z.string(),
  createdBy: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type BlacklistView = z.infer<typeof BlacklistView>;

export const BlacklistList = z.object({ entries: z.array(BlacklistView) });
