import { z } from 'zod';
import { Phone } from './admin';

/**
 * Residents as the property office enrols them (/api/v1/admin/residents…) and the audit log. Credentials (card,
 * PIN, face template reference, plate) are enrolled through /api/v1/residents/{id}/credentials (credentials.ts).
 */

const Id = z.string().min(1).max(64);
const At = z.iso.datetime({ offset: true });

export const ResidentRelation = z.enum(['owner', 'spouse', 'child', 'parent', 'relative', 'tenant', 'other']);
export type ResidentRelation = z.infer<typeof ResidentRelation>;

/** active; inactive (deactivated by the office: no door opens, data kept); moved_out (anonymised, for good). */
export const ResidentStatus = z.enum(['active', 'inactive', 'moved_out']);
export type ResidentStatus = z.infer<typeof ResidentStatus>;

const PersonName = z.string().trim().min(1, 'required').max(32);

export const AdminResidentBody = z
  .object({
    householdId: Id,
    name: PersonName,
    phone: Phone.nullable().default(null),
    relation: ResidentRelation.default('owner'),
    moveInAt: At.nullable().default(null),
  })
  .strict();
export type AdminResidentBody = z.infer<typeof AdminResidentBody>;

export const AdminResidentPatch = z
  .object({
    householdId: Id.optional(),
    name: PersonName.optional(),
    phone: Phone.nullable().optional(),
    relation: ResidentRelation.optional(),
    moveInAt: At.nullable().optional(),
    /** Deactivate (false) or reactivate (true); moving out is its own action. */
    active: z.boolean().optional(),
  })
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'send at least one field to change');
export type AdminResidentPatch = z.infer<typeof AdminResidentPatch>;

/**
 * Face-recognition consent recorded by the office (PIPL): only with the reference of the form the resident signed.
 * A resident records their own consent in the app (PUT /api/v1/residents/{id}/face-consent).
 */
export const PaperConsentBody = z.discriminatedUnion('consent', [
  z.object({ consent: z.literal(true), paperFormRef: z.string().trim().min(1, 'the signed form’s reference').max(64) }).strict(),
  z.object({ consent: z.literal(false) }).strict(),
]);
export type PaperConsentBody = z.infer<typeof PaperConsentBody>;

export const MoveOutBody = z
  .object({
    /** When the resident left; not in the future (defaults to now). */
    at: At.optional(),
  })
  .strict();
export type MoveOutBody = z.infer<typeof MoveOutBody>;

export const AdminResidentView = z.object({
  id: z.string(),
  householdId: z.string(),
  householdLabel: z.string(),
  /** Empty once anonymised. */
  name: z.string(),
  /** 138****1234; the full number is shown only through the audited contacts route. */
  phoneMasked: z.string().nullable(),
  relation: ResidentRelation.nullable(),
  status: ResidentStatus,
  moveInAt: At.nullable(),
  moveOutAt: At.nullable(),
  faceConsent: z.boolean(),
  faceConsentAt: At.nullable(),
  /** resident (in the app) | paper_form (by the office, with faceConsentRef) | staff (before references were asked). */
  faceConsentBy: z.string().nullable(),
  faceConsentRef: z.string().nullable(),
  anonymisedAt: At.nullable(),
  createdAt: At,
});
export type AdminResidentView = z.infer<typeof AdminResidentView>;
export const AdminResidentList = z.object({ residents: z.array(AdminResidentView) });
export const AdminResidentListQuery = z.object({ householdId: Id.optional(), status: ResidentStatus.optional() }).strict();

// ── audit log ────────────────────────────────────────────────────────────────────────────────────────────────
export const AuditQuery = z
  .object({
    entity: z.string().min(1).max(64).optional(),
    entityId: Id.optional(),
    /** role:username, as written (e.g. admin:admin1). */
    actor: z.string().min(1).max(128).optional(),
    /** Exact action, or a prefix ending in "." (e.g. "household."). */
    action: z.string().min(1).max(64).optional(),
    from: At.optional(),
    to: At.optional(),
    /** Rows with an id below this (the previous page's nextBefore). */
    before: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditEntryView = z.object({
  id: z.number().int(),
  at: At,
  actor: z.string(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string(),
  /** What changed: { before, after } for master data (secrets redacted), or the action's own detail. */
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;
export const AuditPage = z.object({ entries: z.array(AuditEntryView), nextBefore: z.number().int().nullable() });
export type AuditPage = z.infer<typeof AuditPage>;
