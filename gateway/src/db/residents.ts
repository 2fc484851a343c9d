import { maskPhone } from '../contracts/mask';
import { type AdminResidentBody, type AdminResidentPatch, type AdminResidentView, ResidentRelation, ResidentStatus } from '../contracts/api/admin-people';
import { type Tx, writeAudit } from './audit';
import type { PrismaClient } from './client';
import { type Actor, type Outcome, newId } from './master-data';

const residentSelect = {
  id: true,
  householdId: true,
  name: true,
  phone: true,
  relation: true,
  status: true,
  moveInAt: true,
  moveOutAt: true,
  faceConsent: true,
  faceConsentAt: true,
  faceConsentBy: true,
  faceConsentRef: true,
  anonymisedAt: true,
  createdAt: true,
  household: { select: { label: true, unit: { select: { building: { select: { communityId: true } } } } } },
} as const;
type ResidentRow = {
  id: string;
  householdId: string;
  name: string;
  phone: string | null;
  relation: string | null;
  status: string;
  moveInAt: Date | null;
  moveOutAt: Date | null;
  faceConsent: boolean;
  faceConsentAt: Date | null;
  faceConsentBy: string | null;
  faceConsentRef: string | null;
  anonymisedAt: Date | null;
  createdAt: Date;
  household: { label: string; unit: { building: { communityId: string } } };
};

const iso = (d: Date | null) => d?.toISOString() ?? null;
const residentView = (r: ResidentRow): AdminResidentView => {
  const relation = ResidentRelation.safeParse(r.relation);
  const status = ResidentStatus.safeParse(r.status);
  return {
    id: r.id,
    householdId: r.householdId,
    householdLabel: r.household.label,
    name: r.name,
    phoneMasked: r.phone ? maskPhone(r.phone) : null,
    relation: relation.success ? relation.data : null,
    // Anything the contract does not know (an older "suspended") counts as inactive: no door opens for it.
    status: status.success ? status.data : 'inactive',
    moveInAt: iso(r.moveInAt),
    moveOutAt: iso(r.moveOutAt),
    faceConsent: r.faceConsent,
    faceConsentAt: iso(r.faceConsentAt),
    faceConsentBy: r.faceConsentBy,
    faceConsentRef: r.faceConsentRef,
    anonymisedAt: iso(r.anonymisedAt),
    createdAt: r.createdAt.toISOString(),
  };
};
/** The audit row keeps the phone (masked by writeAudit) rather than the view's mask of it. */
const auditable = (r: ResidentRow) => ({ ...residentView(r), phone: r.phone });

const inScope = (scope: string | null, r: ResidentRow) => scope === null || scope === r.household.unit.building.communityId;

export interface AnonymiseResult {
  /** Credentials deleted (their doors must be told at once). */
  credentialIds: string[];
  /** false when the resident had been anonymised already (nothing changed, nothing audited). */
  changed: boolean;
}

/**
 * PIPL: a resident who moved out keeps no personal data here. In one transaction: every credential deleted (card
 * and PIN hashes, face template references, plates), name, phone and face consent cleared, status moved_out, the
 * login (if any) disabled and its sessions revoked, and an audit row. The id stays, as a pseudonym the access log's
 * rows still point to. Idempotent; `moveOutAt` is kept when already set (the retention job calls this later).
 *
 * Callable by other code (the retention job): `anonymiseResident(gw.db.prisma, residentId, new Date())`, then
 * `gw.access.reload()` if the resident might still hold credentials in memory.
 */
export async function anonymiseResident(prisma: PrismaClient, residentId: string, now: Date, actor = 'system:retention', moveOutAt?: Date): Promise<AnonymiseResult | null> {
  return prisma.$transaction((t) => anonymiseIn(t, residentId, now, actor, 'resident.anonymise', moveOutAt));
}

async function anonymiseIn(t: Tx, residentId: string, now: Date, actor: string, action: string, moveOutAt?: Date): Promise<AnonymiseResult | null> {
  const before = await t.resident.findUnique({ where: { id: residentId }, select: residentSelect });
  if (!before) return null;
  if (before.anonymisedAt !== null && before.status === 'moved_out') return { credentialIds: [], changed: false };
  const creds = await t.credential.findMany({ where: { residentId }, select: { id: true, type: true } });
  await t.credential.deleteMany({ where: { residentId } });
  const after = await t.resident.update({
    where: { id: residentId },
    data: {
      name: '',
      phone: null,
      faceConsent: false,
      faceConsentAt: null,
      faceConsentBy: null,
      faceConsentRef: null,
      status: 'moved_out',
      moveOutAt: moveOutAt ?? before.moveOutAt ?? now,
      anonymisedAt: now,
    },
    select: residentSelect,
  });
  const user = await t.user.findUnique({ where: { residentId }, select: { id: true } });
  if (user) {
    await t.user.update({ where: { id: user.id }, data: { disabled: true } });
    await t.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
  }
  await writeAudit(
    t,
    { actor, action, entity: 'Resident', entityId: residentId, before: auditable(before), after: auditable(after), extra: { deletedCredentials: creds.map((c) => ({ id: c.id, type: c.type })), loginDisabled: user !== null } },
    now,
  );
  return { credentialIds: creds.map((c) => c.id), changed: true };
}

export function residentAdminRepo(prisma: PrismaClient) {
  return { ...residentRecordRepo(prisma), ...residentLifeRepo(prisma) };
}

/** Residents as the property office keeps them: list, read, create, edit. */
function residentRecordRepo(prisma: PrismaClient) {
  return {
    async list(scope: string | null, q: { householdId?: string | undefined; status?: string | undefined }): Promise<AdminResidentView[]> {
      const rows = await prisma.resident.findMany({
        where: {
          ...(q.householdId !== undefined ? { householdId: q.householdId } : {}),
          ...(q.status !== undefined ? { status: q.status } : {}),
          ...(scope !== null ? { household: { unit: { building: { communityId: scope } } } } : {}),
        },
        select: residentSelect,
        orderBy: [{ householdId: 'asc' }, { createdAt: 'asc' }],
        take: 10_000,
      });
      return rows.map(residentView);
    },
    async get(id: string, scope: string | null): Promise<AdminResidentView | null> {
      const r = await prisma.resident.findUnique({ where: { id }, select: residentSelect });
      return r && inScope(scope, r) ? residentView(r) : null;
    },
    async create(body: AdminResidentBody, a: Actor): Promise<Outcome<AdminResidentView>> {
      return prisma.$transaction(async (t) => {
        const h = await t.household.findUnique({ where: { id: body.householdId }, select: { active: true, unit: { select: { building: { select: { communityId: true } } } } } });
        if (!h || (a.scope !== null && a.scope !== h.unit.building.communityId)) return { ok: false, code: 'VALIDATION', message: 'no such household', path: '/householdId' };
        if (!h.active) return { ok: false, code: 'CONFLICT', message: 'the household is deactivated: reactivate it first' };
        const id = newId('res');
        const r = await t.resident.create({
          data: { id, householdId: body.householdId, name: body.name, phone: body.phone, relation: body.relation, moveInAt: body.moveInAt === null ? null : new Date(body.moveInAt) },
          select: residentSelect,
        });
        await writeAudit(t, { actor: a.actor, action: 'resident.create', entity: 'Resident', entityId: id, before: null, after: auditable(r) }, a.at);
        return { ok: true, value: residentView(r) };
      });
    },
    async update(id: string, patch: AdminResidentPatch, a: Actor): Promise<Outcome<AdminResidentView>> {
      return prisma.$transaction(async (t) => {
        const row = await t.resident.findUnique({ where: { id }, select: residentSelect });
        if (!row || !inScope(a.scope, row)) return { ok: false, code: 'NOT_FOUND', message: 'no such resident' };
        if (row.status === 'moved_out') return { ok: false, code: 'CONFLICT', message: 'the resident has moved out and was anonymised; enrol them again as a new resident' };
        if (patch.householdId !== undefined) {
          const h = await t.household.findUnique({ where: { id: patch.householdId }, select: { active: true, unit: { select: { building: { select: { communityId: true } } } } } });
          if (!h || (a.scope !== null && a.scope !== h.unit.building.communityId)) return { ok: false, code: 'VALIDATION', message: 'no such household', path: '/householdId' };
          if (!h.active) return { ok: false, code: 'CONFLICT', message: 'that household is deactivated' };
        }
        const { active, moveInAt, ...rest } = patch;
        const after = await t.resident.update({
          where: { id },
          data: {
            ...rest,
            ...(moveInAt !== undefined ? { moveInAt: moveInAt === null ? null : new Date(moveInAt) } : {}),
            ...(active !== undefined ? { status: active ? 'active' : 'inactive' } : {}),
          },
          select: residentSelect,
        });
        const action = Object.keys(patch).length === 1 && active !== undefined ? (active ? 'resident.reactivate' : 'resident.deactivate') : 'resident.update';
        await writeAudit(t, { actor: a.actor, action, entity: 'Resident', entityId: id, before: auditable(row), after: auditable(after) }, a.at);
        return { ok: true, value: residentView(after) };
      });
    },
    /** Consent recorded by the office from a signed paper form; withdrawing deletes the face credentials. */
  };
}

/** What happens to a resident over time: face consent on paper, moving out (anonymised), removal. */
function residentLifeRepo(prisma: PrismaClient) {
  return {
    async paperConsent(id: string, consent: { consent: true; paperFormRef: string } | { consent: false }, a: Actor): Promise<Outcome<{ view: AdminResidentView; deleted: string[] }>> {
      return prisma.$transaction(async (t) => {
        const row = await t.resident.findUnique({ where: { id }, select: residentSelect });
        if (!row || !inScope(a.scope, row)) return { ok: false, code: 'NOT_FOUND', message: 'no such resident' };
        if (row.status === 'moved_out') return { ok: false, code: 'CONFLICT', message: 'the resident has moved out' };
        const faces = consent.consent ? [] : await t.credential.findMany({ where: { residentId: id, type: 'face' }, select: { id: true } });
        if (faces.length > 0) await t.credential.deleteMany({ where: { id: { in: faces.map((f) => f.id) } } });
        const after = await t.resident.update({
          where: { id },
          data: consent.consent
            ? { faceConsent: true, faceConsentAt: a.at, faceConsentBy: 'paper_form', faceConsentRef: consent.paperFormRef }
            : { faceConsent: false, faceConsentAt: null, faceConsentBy: null, faceConsentRef: null },
          select: residentSelect,
        });
        await writeAudit(
          t,
          { actor: a.actor, action: consent.consent ? 'face_consent.give' : 'face_consent.withdraw', entity: 'Resident', entityId: id, before: auditable(row), after: auditable(after), extra: { deletedFaceCredentials: faces.length } },
          a.at,
        );
        return { ok: true, value: { view: residentView(after), deleted: faces.map((f) => f.id) } };
      });
    },
    async moveOut(id: string, at: Date, a: Actor): Promise<Outcome<{ view: AdminResidentView; deleted: string[] }>> {
      return prisma.$transaction(async (t) => {
        const row = await t.resident.findUnique({ where: { id }, select: residentSelect });
        if (!row || !inScope(a.scope, row)) return { ok: false, code: 'NOT_FOUND', message: 'no such resident' };
        if (row.status === 'moved_out') return { ok: false, code: 'CONFLICT', message: 'the resident has already moved out' };
        const result = await anonymiseIn(t, id, a.at, a.actor, 'resident.move_out', at);
        const after = await t.resident.findUniqueOrThrow({ where: { id }, select: residentSelect });
        return { ok: true, value: { view: residentView(after), deleted: result?.credentialIds ?? [] } };
      });
    },
    async remove(id: string, a: Actor): Promise<Outcome<null>> {
      return prisma.$transaction(async (t) => {
        const row = await t.resident.findUnique({ where: { id }, select: residentSelect });
        if (!row || !inScope(a.scope, row)) return { ok: false, code: 'NOT_FOUND', message: 'no such resident' };
        const counts = {
          credentials: await t.credential.count({ where: { residentId: id } }),
          users: await t.user.count({ where: { residentId: id } }),
          accessEvents: await t.accessEvent.count({ where: { residentId: id } }),
        };
        const referencedBy = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
        if (Object.keys(referencedBy).length > 0) {
          const list = Object.entries(referencedBy).map(([k, n]) => `${n} ${k}`).join(', ');
          return { ok: false, code: 'CONFLICT', message: `the resident is still referred to by ${list}: deactivate them or record the move-out instead`, referencedBy };
        }
        await t.resident.delete({ where: { id } });
        await writeAudit(t, { actor: a.actor, action: 'resident.delete', entity: 'Resident', entityId: id, before: auditable(row), after: null }, a.at);
        return { ok: true, value: null };
      });
    },
  };
}

export type ResidentAdminRepo = ReturnType<typeof residentAdminRepo>;
