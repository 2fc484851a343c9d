import type { ServerResponse } from 'node:http';
import type { Logger } from '../log';

/**
 * The resident app's live stream: one household's frames only. Separate from the guard station's hub (live/) on
 * purpose — a resident's stream must never be able to carry another household's alarm, so it is fed per household
 * and holds nothing else.
 */
interface Client {
  id: number;
  householdId: string;
  res: ServerResponse;
}

/** A door as a resident says it: the place, not the device ("小区大门人脸门禁" → "小区大门", "…单元门禁" → "…单元门"). */
export function doorPlace(deviceName: string): string {
  return deviceName.replace(/人脸门禁$/, '').replace(/门禁$/, '门').trim() || deviceName;
}

export interface ResidentLiveOptions {
  heartbeatMs: number;
  maxClients: number;
  maxPerHousehold: number;
}

export class ResidentLive {
  private readonly clients = new Map<number, Client>();
  private nextId = 1;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly opts: ResidentLiveOptions,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => {
      for (const c of this.clients.values()) this.write(c, 'heartbeat', { at: new Date().toISOString() });
    }, opts.heartbeatMs);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Attaches a response; the household's oldest stream makes room (a phone reopening the app is never refused). */
  attach(householdId: string, res: ServerResponse): Client | null {
    const mine = [...this.clients.values()].filter((c) => c.householdId === householdId);
    for (const old of mine.slice(0, Math.max(0, mine.length - this.opts.maxPerHousehold + 1))) this.drop(old);
    if (this.clients.size >= this.opts.maxClients) return null;
    const client: Client = { id: this.nextId++, householdId, res };
    this.clients.set(client.id, client);
    res.on('close', () => this.clients.delete(client.id));
    this.write(client, 'hello', { householdId, heartbeatMs: this.opts.heartbeatMs });
    return client;
  }

  /** Sends a frame to every stream of one household, and to no other. */
  publish(householdId: string, event: string, data: object): number {
    let n = 0;
    for (const c of this.clients.values()) {
      if (c.householdId !== householdId) continue;
      this.write(c, event, data);
      n++;
    }
    return n;
  }

  hasHousehold(householdId: string): boolean {
    for (const c of this.clients.values()) if (c.householdId === householdId) return true;
    return false;
  }

  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients.values()) c.res.end();
    this.clients.clear();
  }

  private write(c: Client, event: string, data: object): void {
    if (c.res.destroyed) return;
    // A phone that stopped reading (tunnel, sleep) must not pile up frames here: past 256 KB it reconnects.
    if (c.res.writableLength > 256 * 1024) {
      this.log.info({ connectionId: c.id }, 'resident stream not reading; dropped');
      this.drop(c);
      return;
    }
    c.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private drop(c: Client): void {
    this.clients.delete(c.id);
    c.res.destroy();
  }
}
