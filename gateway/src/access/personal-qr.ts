import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { lookupHash } from '../auth/hash';
import { newResidentQrToken, residentQrPayload } from '../auth/resident-qr';
import type { Principal } from '../contracts/api/auth';
import type { PersonalQrIssued } from '../contracts/api/personal-qr';
import type { PersonalQrRepo } from '../db/personal-qr';
import type { CredentialRecord } from '../db/records/access';
import { AppError } from '../errors';
import { type AccessContext, actorOf, assertVisible, notFound } from './context';
import { credentialView } from './credentials';

/**
 * A resident's personal QR credential: a way in that is not the face (PIPL; the 2021 provisions on face
 * recognition), issued by the resident themself from the phone app. At the door it is the resident, under the
 * same rules as their card (decide.ts). Issuing again replaces it, so the old code stops at once; the resident or
 * the office can remove it; suspend/resume is the office's, like any credential (PATCH /api/v1/credentials/{id}).
 * Only lookupHash(key, 'qr', token) is stored; the payload is returned once and kept on the phone.
 */
export function personalQrService(ctx: AccessContext, repo: PersonalQrRepo) {
  const { dir } = ctx;

  async function ownResident(p: Principal, residentId: string) {
    const r = await ctx.repos.credentials.resident(residentId);
    if (!r) throw notFound('resident');
    assertVisible(p, r.householdId, 'resident');
    return r;
  }

  return {
    async issue(p: Principal, residentId: string): Promise<PersonalQrIssued> {
      const r = await ownResident(p, residentId);
      // A credential is personal: a household member cannot hold another adult's way in.
      if (p.role !== 'resident' || p.residentId !== residentId) throw new AppError('FORBIDDEN', 'only the resident themself can issue their personal QR code');
      if (r.status !== 'active') throw new AppError('CONFLICT', 'this resident is not active');
      let token = newResidentQrToken();
      while (dir.findCredential('qr', lookupHash(ctx.keys.credentialKey, 'qr', token))) token = newResidentQrToken();
      const c: CredentialRecord = {
        id: `cred-${randomBytes(9).toString('base64url')}`,
        residentId,
        type: 'qr',
        lookupHash: lookupHash(ctx.keys.credentialKey, 'qr', token),
        faceTemplateRef: null,
        plate: null,
        hint: null,
        status: 'active',
        createdAt: ctx.now(),
      };
      const replaced = await repo.replace(c, { actor: actorOf(p), action: 'credential.qr_issue', entity: 'Credential', entityId: c.id, detail: { residentId, type: 'qr', after: credentialView(c) } });
      for (const id of replaced) dir.removeCredential(id);
      dir.putCredential(c);
      const payload = residentQrPayload(ctx.keys.qrSigningKey, token);
      const image = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 320 });
      ctx.log.info({ residentId, credentialId: c.id, replaced: replaced.length }, 'personal QR issued');
      return { credential: credentialView(c), qr: { payload, image } };
    },

    /** The resident themself or the office: the QR stops opening doors at once. */
    async remove(p: Principal, residentId: string): Promise<void> {
      await ownResident(p, residentId);
      if (p.role === 'resident' && p.residentId !== residentId) throw new AppError('FORBIDDEN', 'only the resident themself, or the property office, can remove a personal QR code');
      const removed = await repo.remove(residentId, { actor: actorOf(p), action: 'credential.qr_remove', entity: 'Resident', entityId: residentId, detail: { residentId, type: 'qr' } });
      for (const id of removed) dir.removeCredential(id);
      ctx.log.info({ residentId, removed: removed.length }, 'personal QR removed');
    },
  };
}

export type PersonalQrService = ReturnType<typeof personalQrService>;
