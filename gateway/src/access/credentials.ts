import { randomBytes } from 'node:crypto';
import { lookupHash } from '../auth/hash';
import { drawPin } from '../auth/pin';
import type { Principal } from '../contracts/api/auth';
import type { CredentialEnrolBody, CredentialEnrolled, CredentialView, ResidentView } from '../contracts/api/credentials';
import type { ResidentRow } from '../db/credentials';
import { AppError } from '../errors';
import { type AccessContext, actorOf, assertVisible, doorsOfResident, notFound } from './context';
import type { CredentialRecord, CredentialStatus } from '../db/records/access';
import { blacklistService } from './blacklist';

const newId = (prefix: string) => `${prefix}-${randomBytes(9).toString('base64url')}`;

export const credentialView = (c: CredentialRecord): CredentialView => ({
  id: c.id,
  residentId: c.residentId,
  type: c.type,
  hint: c.hint,
  status: c.status,
  createdAt: c.createdAt.toISOString(),
});

const residentView = (r: ResidentRow): ResidentView => ({
  id: r.id,
  householdId: r.householdId,
  householdLabel: r.householdLabel,
  name: r.name,
  status: r.status,
  faceConsent: r.faceConsent,
  faceConsentAt: r.faceConsentAt?.toISOString() ?? null,
});

/**
 * A resident's new credential as the office enrols it (not stored yet). A PIN is drawn here, never chosen, until no
 * other credential holds it, and returned this once; a face needs the resident's recorded consent.
 */
function newCredential(ctx: AccessContext, r: ResidentRow, body: CredentialEnrolBody): { c: CredentialRecord; pin?: string } {
  const key = ctx.keys.credentialKey;
  const base = { id: newId('cred'), residentId: r.id, status: 'active' as const, createdAt: ctx.now(), lookupHash: null, faceTemplateRef: null, plate: null, hint: null };
  switch (body.type) {
    case 'card':
      return { c: { ...base, type: 'card', lookupHash: lookupHash(key, 'card', body.value), hint: body.value.slice(-4) } };
    case 'pin': {
      let pin = drawPin();
      while (ctx.dir.findCredential('pin', lookupHash(key, 'pin', pin))) pin = drawPin();
      return { c: { ...base, type: 'pin', lookupHash: lookupHash(key, 'pin', pin) }, pin };
    }
    case 'face':
      if (!r.faceConsent) throw new AppError('CONFLICT', 'no recorded face-recognition consent for this resident (PIPL); record it first');
      return { c: { ...base, type: 'face', faceTemplateRef: body.faceTemplateRef } };
    case 'plate':
      return { c: { ...base, type: 'plate', plate: body.plate, hint: body.plate } };
  }
}

/**
 * Residents' credentials (admin), face-recognition consent (the resident or staff) and the blacklist. PIPL and the
 * 2021 judicial interpretation: a face is enrolled only with recorded consent, withdrawing consent deletes it, and
 * every resident keeps another way in (card, PIN, plate), so refusing face recognition never locks anyone out. The
 * blacklist (blacklist.ts) is served with them.
 */
export function credentialService(ctx: AccessContext) {
  const { dir, repos } = ctx;
  const repo = repos.credentials;

  async function visibleResident(p: Principal, id: string): Promise<ResidentRow> {
    const r = await repo.resident(id);
    if (!r) throw notFound('resident');
    assertVisible(p, r.householdId, 'resident');
    return r;
  }

  return {
    async residents(p: Principal, householdId: string | undefined): Promise<ResidentView[]> {
      if (p.role === 'resident') {
        if (householdId !== undefined && householdId !== p.householdId) throw notFound('household');
        return (await repo.residents(p.householdId ?? '\0')).map(residentView);
      }
      return (await repo.residents(householdId)).map(residentView);
    },

    resident: async (p: Principal, id: string) => residentView(await visibleResident(p, id)),

    async setFaceConsent(p: Principal, id: string, consent: boolean): Promise<ResidentView> {
      const r = await visibleResident(p, id);
      // Consent is personal: a household member cannot give or withdraw it for another adult.
      if (p.role === 'resident' && p.residentId !== id) throw new AppError('FORBIDDEN', 'only the resident themself, or the property office, can change face-recognition consent');
      // PIPL: consent is the person's own act. The office records it only from a signed form, with its reference.
      if (p.role !== 'resident' && consent) {
        throw new AppError('VALIDATION', 'the office records consent with the signed paper form: PUT /api/v1/admin/residents/{id}/face-consent with paperFormRef', {
          issues: [{ path: '/consent', message: 'staff may only withdraw consent here' }],
        });
      }
      const deleted = await repo.setFaceConsent(id, consent, ctx.now(), { actor: actorOf(p), action: consent ? 'face_consent.give' : 'face_consent.withdraw', entity: 'Resident', entityId: id }, p.role === 'resident' ? 'resident' : 'staff');
      for (const credId of deleted) dir.removeCredential(credId);
      const current = dir.residents.get(id);
      if (current) dir.putResident({ ...current, faceConsent: consent, faceConsentAt: consent ? ctx.now() : null });
      ctx.changed(doorsOfResident(dir, id));
      ctx.log.info({ residentId: id, consent, deletedFaceCredentials: deleted.length }, 'face-recognition consent changed');
      return residentView((await repo.resident(id)) ?? r);
    },

    async credentials(p: Principal, residentId: string): Promise<CredentialView[]> {
      await visibleResident(p, residentId);
      return (await repo.credentials(residentId)).map(credentialView);
    },

    async enrol(p: Principal, residentId: string, body: CredentialEnrolBody): Promise<CredentialEnrolled> {
      const r = await visibleResident(p, residentId);
      const { c, pin } = newCredential(ctx, r, body);
      if (await repo.taken(c)) throw new AppError('CONFLICT', `this ${c.type} is already enrolled`);
      await repo.enrol(c, { actor: actorOf(p), action: 'credential.enrol', entity: 'Credential', entityId: c.id, detail: { residentId, type: c.type, before: null, after: credentialView(c) } });
      dir.putCredential(c);
      ctx.changed(doorsOfResident(dir, residentId));
      return { ...credentialView(c), ...(pin !== undefined ? { pin } : {}) };
    },

    async setStatus(p: Principal, id: string, status: CredentialStatus): Promise<CredentialView> {
      const c = await repo.credential(id);
      if (!c) throw notFound('credential');
      const updated = await repo.setStatus(id, status, { actor: actorOf(p), action: status === 'active' ? 'credential.resume' : 'credential.suspend', entity: 'Credential', entityId: id, detail: { before: credentialView(c), after: credentialView({ ...c, status }) } });
      dir.putCredential(updated);
      ctx.changed(doorsOfResident(dir, c.residentId));
      return credentialView(updated);
    },

    async remove(p: Principal, id: string): Promise<void> {
      const c = await repo.credential(id);
      if (!c) throw notFound('credential');
      await repo.remove(id, { actor: actorOf(p), action: 'credential.remove', entity: 'Credential', entityId: id, detail: { residentId: c.residentId, type: c.type, before: credentialView(c), after: null } });
      dir.removeCredential(id);
      ctx.changed(doorsOfResident(dir, c.residentId));
    },

    ...blacklistService(ctx),
  };
}

export type CredentialService = ReturnType<typeof credentialService>;
