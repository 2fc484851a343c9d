// Hub → cell downlink (docs/scale-out.md "The downlink"): centrally managed data (residents, visitor passes,
// credentials) that a hub user sends to one compound. The hub validates each body with the SAME schemas the cell's
// own API uses (imported below, never copied), stores the command in PostgreSQL and publishes it on
// `linli.down.<compound>.<kind>`; the cell applies it through its own services and answers on
// `linli.down-result.<compound>.<kind>`. Both sides parse with these schemas; nothing else defines the shapes.
import { z } from 'zod';
import { AdminResidentBody, AdminResidentPatch } from './api/admin-people';
import { CredentialEnrolBody, CredentialPatchBody } from './api/credentials';
import { PassCreateBody } from './api/passes';
import { CompoundId } from './replication';

const Id = z.string().min(1).max(64);
const Time = z.iso.datetime({ offset: true });

/** One command kind per cell service call; a kind is a NATS subject token (no dots). */
export const DownlinkKind = z.enum(['resident_create', 'resident_update', 'pass_issue', 'pass_revoke', 'credential_enrol', 'credential_status', 'credential_remove']);
export type DownlinkKind = z.infer<typeof DownlinkKind>;

/** The body of each kind: the cell API's own body schema, with the path parameter (which record) beside it. */
export const DownlinkBodies = {
  resident_create: AdminResidentBody,
  resident_update: z.object({ residentId: Id, patch: AdminResidentPatch }).strict(),
  pass_issue: z.object({ householdId: Id, pass: PassCreateBody }).strict(),
  pass_revoke: z.object({ passId: Id }).strict(),
  credential_enrol: z.object({ residentId: Id, credential: CredentialEnrolBody }).strict(),
  credential_status: z.object({ credentialId: Id, patch: CredentialPatchBody }).strict(),
  credential_remove: z.object({ credentialId: Id }).strict(),
} as const satisfies Record<DownlinkKind, z.ZodType>;

const envelope = {
  v: z.literal(1),
  /** The hub's command id (a UUID); also the JetStream message id, and the cell's key for applying it once. */
  id: z.uuid(),
  compound: CompoundId,
  /** Per compound, from 1, in the order the hub accepted the commands (and publishes them). */
  seq: z.number().int().positive(),
  /** The hub user who sent it (their user name at the hub). */
  createdBy: z.string().min(1).max(64),
  createdAt: Time,
};

export const DownlinkCommand = z.discriminatedUnion('kind', [
  z.object({ ...envelope, kind: z.literal('resident_create'), body: DownlinkBodies.resident_create }),
  z.object({ ...envelope, kind: z.literal('resident_update'), body: DownlinkBodies.resident_update }),
  z.object({ ...envelope, kind: z.literal('pass_issue'), body: DownlinkBodies.pass_issue }),
  z.object({ ...envelope, kind: z.literal('pass_revoke'), body: DownlinkBodies.pass_revoke }),
  z.object({ ...envelope, kind: z.literal('credential_enrol'), body: DownlinkBodies.credential_enrol }),
  z.object({ ...envelope, kind: z.literal('credential_status'), body: DownlinkBodies.credential_status }),
  z.object({ ...envelope, kind: z.literal('credential_remove'), body: DownlinkBodies.credential_remove }),
]);
export type DownlinkCommand = z.infer<typeof DownlinkCommand>;
export type DownlinkCommandOf<K extends DownlinkKind> = Extract<DownlinkCommand, { kind: K }>;

/** What a cell service handed back once, for the office to pass on (a pass's keypad code and QR, a drawn PIN). */
export const DownlinkSecret = z
  .object({ code: z.string().optional(), qrPayload: z.string().optional(), pin: z.string().optional() })
  .strict();
export type DownlinkSecret = z.infer<typeof DownlinkSecret>;

/** The cell service's refusal: the error code its HTTP API would answer with, and its message. */
export const DownlinkError = z.object({ code: z.string().min(1).max(64), message: z.string().max(2_000) });
export type DownlinkError = z.infer<typeof DownlinkError>;

/** The cell's answer to one command: applied (with the record's id) or refused (with the service's error). */
export const DownlinkResult = z.discriminatedUnion('outcome', [
  z.object({
    v: z.literal(1),
    commandId: z.uuid(),
    compound: CompoundId,
    kind: DownlinkKind,
    outcome: z.literal('applied'),
    at: Time,
    /** The record the command made or changed (a new resident's, pass's or credential's id). */
    entityId: z.string().nullable(),
    /** Only in the first answer after applying; a repeat answer (a redelivered command) never has it. */
    secret: DownlinkSecret.nullable(),
  }),
  z.object({ v: z.literal(1), commandId: z.uuid(), compound: CompoundId, kind: DownlinkKind, outcome: z.literal('refused'), at: Time, error: DownlinkError }),
]);
export type DownlinkResult = z.infer<typeof DownlinkResult>;

/** Commands and results travel in the hub's LINLI stream (linli.>) as 4-token subjects; replicated rows have 3. */
export const downlinkSubject = (compound: CompoundId, kind: DownlinkKind) => `linli.down.${compound}.${kind}`;
export const downlinkFilter = (compound: CompoundId) => `linli.down.${compound}.*`;
export const downlinkResultSubject = (compound: CompoundId, kind: DownlinkKind) => `linli.down-result.${compound}.${kind}`;
export const DOWNLINK_RESULT_FILTER = 'linli.down-result.*.*';
/** The cell's durable consumer at the hub (one per compound). */
export const downlinkConsumer = (compound: CompoundId) => `cell-down-${compound}`;
/** The hub's durable consumer of the cells' results. */
export const DOWNLINK_RESULT_CONSUMER = 'hub-downlink-results';
export const downlinkResultMsgId = (commandId: string) => `down-result:${commandId}`;
