import { randomUUID } from 'node:crypto';
import type { Principal } from '../contracts/api/auth';
import type { AccessEventView } from '../contracts/api/doors';
import { AccessReason } from '../contracts';
import { AppError } from '../errors';
import { isoStored } from '../db/time';
import { type AccessContext, actorOf, notFound } from './context';
import type { Engine } from './engine';

/** What is recorded for a guard's remote open (not an AccessReply reason: no credential was presented). */
const REMOTE_OPEN = 'remote_open';

/** Doors for the guard room: their state, remote opening, and the access history. */
export function doorService(ctx: AccessContext, engine: Engine) {
  const { dir, repos } = ctx;

  async function openRemotely(by: { actor: string; username: string }, deviceId: string, reason: string, opts?: { commandId: string; detail: Record<string, string> }) {
    const door = dir.doors.get(deviceId);
    if (!door) throw notFound('door');
    if (!ctx.broker.isConnected(deviceId)) throw new AppError('CONFLICT', 'the door is offline; it cannot be opened remotely');
    const now = ctx.now();
    const commandId = opts?.commandId ?? `cmd-${randomUUID()}`;
    await repos.access.audit({ actor: by.actor, action: 'door.remote_open', entity: 'Device', entityId: deviceId, detail: { ...opts?.detail, reason, commandId } });
    // Before the command leaves: the terminal's "open" report may come back faster than publishTo resolves.
    engine.remoteOpened(deviceId, now);
    await ctx.broker.publishTo(deviceId, 'command', { type: 'open', commandId, reason, ts: now.toISOString() });
    const at = isoStored(now);
    engine.record(
      {
        row: { id: randomUUID(), deviceId, requestId: commandId, at, receivedAt: at, direction: 'in', credentialType: 'remote', decision: 'grant', reason: REMOTE_OPEN, residentId: null, passId: null, householdId: null, offline: false },
        countEntry: false,
      },
      now,
      'remote',
    );
    ctx.log.info({ deviceId, by: by.username, actor: by.actor }, 'door opened remotely');
    return { deviceId, commandId, sentAt: now.toISOString() };
  }

  return {
    async list() {
      const online = await repos.access.doorsOnline();
      return dir.accessDoors().map((d) => ({
        id: d.id,
        name: d.name,
        kind: d.kind,
        placeKind: d.placeKind,
        buildingId: d.buildingId,
        unitId: d.unitId,
        online: ctx.broker.isConnected(d.id) || (online.get(d.id) ?? false),
        openSince: engine.openSince(d.id)?.toISOString() ?? null,
      }));
    },

    /**
     * A guard opens a door from the guard room: audited with the mandatory reason, recorded as an access event, and
     * the opening that follows is covered (not a forced entry).
     */
    remoteOpen(p: Principal, deviceId: string, reason: string) {
      return openRemotely({ actor: actorOf(p), username: p.username }, deviceId, reason);
    },

    /**
     * The same remote open for someone who is not a cell user (a hub user: actor `hub:<username>`), with the command
     * id the sender chose (the terminal's commands/ack carries it back) and what else the audit record should say.
     */
    remoteOpenFor(by: { actor: string; username: string }, deviceId: string, reason: string, opts: { commandId: string; detail: Record<string, string> }) {
      return openRemotely(by, deviceId, reason, opts);
    },
    /** Residents see their own household's events only; staff see everything (optionally one door or pass). */
    async events(p: Principal, q: { deviceId?: string; passId?: string; limit: number }): Promise<AccessEventView[]> {
      const householdId = p.role === 'resident' ? (p.householdId ?? '\0') : undefined;
      const rows = await repos.access.events({ ...q, ...(householdId !== undefined ? { householdId } : {}) });
      return rows.map((e) => ({
        id: e.id,
        deviceId: e.deviceId,
        at: e.at.toISOString(),
        direction: e.direction,
        credentialType: e.credentialType,
        decision: e.decision === 'grant' ? 'grant' : 'deny',
        reason: e.reason === REMOTE_OPEN ? REMOTE_OPEN : AccessReason.parse(e.reason),
        residentId: e.residentId,
        passId: e.passId,
        householdId: e.householdId,
        offline: e.offline,
      }));
    },
  };
}

export type DoorService = ReturnType<typeof doorService>;
