// Remote opening from the hub (docs/scale-out.md "Commands") for test/cluster/hub-cells.test.ts: a door terminal
// played by a real MQTT client (it takes the gateway's commands and acknowledges them on commands/ack), hub users
// signed in to the hub's API, the cell's audit records read from its SQLite, and raw commands sent over NATS the way
// a replaying or misbehaving sender would.
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { type ConnectionOptions, connect } from 'nats';
import { z } from 'zod';
import { CommandAck, topicFor } from '../../gateway/src/contracts';
import { HubLoginReply } from '../../gateway/src/contracts/api/hub';
import { Command } from '../../gateway/src/contracts/payloads';
import { DoorOpenAnswer, type DoorOpenCommand, commandReplySubject, commandSubject } from '../../gateway/src/contracts/commands';

/** A door terminal: every command it receives, each acknowledged as done (as a real terminal reports it). */
export async function doorTerminal(m: MqttClient, id: string): Promise<{ commands: Command[] }> {
  const commands: Command[] = [];
  let n = 0;
  m.on('message', (topic, payload) => {
    if (topic !== topicFor('command', id)) return;
    const cmd = Command.parse(JSON.parse(payload.toString()));
    commands.push(cmd);
    const ack = CommandAck.parse({ eventId: `ack-${id}-${Date.now()}-${n++}`, ts: new Date().toISOString(), commandId: cmd.commandId, result: 'done' });
    m.publish(topicFor('commandAck', id), JSON.stringify(ack), { qos: 1 });
  });
  await m.subscribeAsync(topicFor('command', id), { qos: 1 });
  return { commands };
}

/** A hub user signed in to the hub's API at `base`; `call` answers the status and the parsed JSON body. */
export async function hubSession(base: string, username: string, password: string) {
  const res = await fetch(`${base}/api/hub/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const { token } = HubLoginReply.parse(await res.json());
  return {
    async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: r.status, body: await r.json() };
    },
  };
}

/** The cell's audit records of remote opens (its own SQLite, read-only). */
export function remoteOpenAudits(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = z.array(z.object({ actor: z.string(), entityId: z.string(), detail: z.string() })).parse(
      db.prepare("SELECT actor, entityId, detail FROM AuditLog WHERE action = 'door.remote_open' ORDER BY id").all(),
    );
    return rows.map((r) => ({ actor: r.actor, door: r.entityId, detail: z.record(z.string(), z.string()).parse(JSON.parse(r.detail)) }));
  } finally {
    db.close();
  }
}

/**
 * Sends a raw command over NATS (as a replay would) to a compound's subject (the command's own unless given) and reads
 * the cell's answer. The reply subject is under the answering compound, as the hub's own are (a cell may answer there
 * only).
 */
export async function sendRaw(nats: ConnectionOptions, cmd: DoorOpenCommand, subjectCompound = cmd.compound): Promise<DoorOpenAnswer> {
  const nc = await connect(nats);
  try {
    const m = await nc.request(commandSubject(subjectCompound, 'door.open'), new TextEncoder().encode(JSON.stringify(cmd)), {
      timeout: 15_000, noMux: true, reply: commandReplySubject(subjectCompound, 'test', cmd.id),
    });
    return DoorOpenAnswer.parse(JSON.parse(new TextDecoder().decode(m.data)));
  } finally {
    await nc.close();
  }
}
