// The hub's downlink commands applied through this cell's own services (replication/downlink.ts consumes them): the
// very calls its HTTP API makes — the admin routes' resident repository and live refresh, the access feature's pass
// and credential services — so validation, audit, the door directory and door sync behave as for a local change.
import type { AccessFeature } from './access';
import { actorFor, liveEffects, unwrap } from './admin/service';
import type { Principal } from './contracts/api/auth';
import type { DownlinkCommand } from './contracts/downlink';
import type { PrismaClient } from './db/client';
import { residentAdminRepo } from './db/residents';
import type { Logger } from './log';
import type { DownlinkApply, DownlinkEffect } from './replication/downlink';

export function downlinkApplier(deps: { prisma: PrismaClient; access: AccessFeature; log: Logger; now?: () => Date }): DownlinkApply {
  const now = deps.now ?? (() => new Date());
  const residents = residentAdminRepo(deps.prisma);
  const live = liveEffects({ reloadAccess: deps.access.refreshMasterData, refreshResident: deps.access.refreshResident, reloadAlerts: async () => {} }, deps.log);
  const { passes, credentials } = deps.access.services;
  const applied = (entityId: string | null, secret: DownlinkEffect['secret'] = null): DownlinkEffect => ({ entityId, secret });

  return async (cmd: DownlinkCommand, p: Principal): Promise<DownlinkEffect> => {
    switch (cmd.kind) {
      case 'resident_create': {
        const v = unwrap(await residents.create(cmd.body, actorFor(p, now())));
        await live.resident(v.id);
        return applied(v.id);
      }
      case 'resident_update': {
        const v = unwrap(await residents.update(cmd.body.residentId, cmd.body.patch, actorFor(p, now())));
        await live.resident(v.id);
        return applied(v.id);
      }
      case 'pass_issue': {
        const created = await passes.issueFor(p, cmd.body.householdId, cmd.body.pass);
        return applied(created.id, { code: created.code, qrPayload: created.qr.payload });
      }
      case 'pass_revoke':
        return applied((await passes.revoke(p, cmd.body.passId)).id);
      case 'credential_enrol': {
        const c = await credentials.enrol(p, cmd.body.residentId, cmd.body.credential);
        return applied(c.id, c.pin !== undefined ? { pin: c.pin } : null);
      }
      case 'credential_status':
        return applied((await credentials.setStatus(p, cmd.body.credentialId, cmd.body.patch.status)).id);
      case 'credential_remove':
        await credentials.remove(p, cmd.body.credentialId);
        return applied(cmd.body.credentialId);
    }
  };
}
