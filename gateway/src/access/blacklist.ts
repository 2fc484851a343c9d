import { randomBytes } from 'node:crypto';
import { lookupHash } from '../auth/hash';
import type { Principal } from '../contracts/api/auth';
import type { BlacklistBody, BlacklistView } from '../contracts/api/credentials';
import type { BlacklistRecord } from '../db/records/access';
import { AppError } from '../errors';
import { type AccessContext, actorOf, notFound } from './context';

const blacklistView = (b: BlacklistRecord): BlacklistView => ({
  id: b.id,
  type: b.type,
  plate: b.plate,
  reason: b.reason,
  createdBy: b.createdBy,
  createdAt: b.createdAt.toISOString(),
});

/**
 * The blacklist (admin): every type but plate by the keyed hash of its value, plates in clear. A change concerns every
 * door, so each one resends every door its set. Served with the credentials (credentialService, credential-routes.ts).
 */
export function blacklistService(ctx: AccessContext) {
  const { dir } = ctx;
  const repo = ctx.repos.credentials;

  return {
    blacklist: async (): Promise<BlacklistView[]> => (await repo.blacklist()).map(blacklistView),

    async addBlacklist(p: Principal, body: BlacklistBody): Promise<BlacklistView> {
      const b: BlacklistRecord = {
        id: `bl-${randomBytes(9).toString('base64url')}`,
        type: body.type,
        lookupHash: body.type === 'plate' ? null : lookupHash(ctx.keys.credentialKey, body.type, body.value),
        plate: body.type === 'plate' ? body.value : null,
        reason: body.reason,
        createdBy: actorOf(p),
        createdAt: ctx.now(),
      };
      if (await repo.blacklisted(b)) throw new AppError('CONFLICT', 'already on the blacklist');
      await repo.addBlacklist(b, { actor: actorOf(p), action: 'blacklist.add', entity: 'Blacklist', entityId: b.id, detail: { type: b.type, reason: b.reason } });
      dir.putBlacklist(b);
      ctx.changed(dir.accessDoors().map((d) => d.id));
      return blacklistView(b);
    },

    async removeBlacklist(p: Principal, id: string): Promise<void> {
      const b = await repo.blacklistEntry(id);
      if (!b) throw notFound('blacklist entry');
      await repo.removeBlacklist(id, { actor: actorOf(p), action: 'blacklist.remove', entity: 'Blacklist', entityId: id, detail: { type: b.type } });
      dir.removeBlacklist(b);
      ctx.changed(dir.accessDoors().map((d) => d.id));
    },
  };
}
