import { Readable } from 'node:stream';
import memoryPersistence from 'aedes-persistence';

interface Sub {
  clientId: string;
}
interface Client {
  id: string;
}
interface Queued {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
}
interface OutgoingPersistence {
  outgoingEnqueue(sub: Sub, packet: object): Promise<void>;
  outgoingEnqueueCombi(subs: Sub[], packet: object): Promise<void>;
  outgoingUpdate(client: Client, packet: Queued): Promise<void>;
  outgoingClearMessageId(client: Client, packet: Queued): Promise<Queued | undefined>;
  outgoingStream(client: Client): Readable;
  /** Read by Aedes as patched (patches/aedes+1.2.0.patch) for CONNACK's session-present flag. */
  hasSession(client: Client): boolean;
  /**
   * Read by Aedes as patched: false lets a CONNECT (and a clean client's goodbye) skip the stream pipeline over an
   * empty queue, a few percent of a reconnect storm's CPU (docs/benchmarks.md).
   */
  hasOutgoing(client: Client): boolean;
}

/**
 * Aedes' memory persistence queues QoS 1 messages for a persistent-session client without limit, so a device that
 * never comes back grows the gateway's memory forever. This replaces its outgoing queue with one that keeps at most
 * `limit` messages per client and, when full, drops the **oldest**: what the gateway sends a door is commands and
 * credential-set syncs, and a newer sync supersedes every older one while an old command is the stalest thing in
 * the queue. Each drop is reported.
 * Same semantics as aedes-persistence's own queue otherwise (its `outgoingUpdate` matching by broker counter, then
 * by message id), which Aedes' abstract persistence tests define.
 */
export function boundedPersistence(limit: number, onDrop: (clientId: string) => void) {
  const persistence = memoryPersistence();
  const p = persistence as unknown as OutgoingPersistence;
  const queues = new Map<string, Queued[]>();
  const sessions = new Set<string>();
  p.hasSession = (client) => sessions.has(client.id);
  p.hasOutgoing = (client) => (queues.get(client.id)?.length ?? 0) > 0;

  function enqueue(clientId: string, packet: object) {
    let queue = queues.get(clientId);
    if (!queue) queues.set(clientId, (queue = []));
    if (queue.length >= limit) {
      queue.shift();
      onDrop(clientId);
    }
    // One packet object is enqueued for every subscriber; each queued copy gets its own message id later.
    queue.push({ ...packet, messageId: undefined });
  }

  p.outgoingEnqueue = async (sub, packet) => enqueue(sub.clientId, packet);
  p.outgoingEnqueueCombi = async (subs, packet) => {
    for (const sub of subs) enqueue(sub.clientId, packet);
  };
  p.outgoingUpdate = async (client, packet) => {
    const queue = queues.get(client.id) ?? [];
    for (let i = 0; i < queue.length; i++) {
      const queued = queue[i];
      if (!queued) continue;
      if (queued.brokerId === packet.brokerId) {
        if (queued.brokerCounter === packet.brokerCounter) {
          queued.messageId = packet.messageId;
          return;
        }
      } else if (queued.messageId === packet.messageId) {
        queue[i] = packet;
        return;
      }
    }
    // Dropped while it was on its way (the queue overflowed): Aedes reports this as a client error and goes on.
    throw new Error('no such packet');
  };
  p.outgoingClearMessageId = async (client, packet) => {
    const queue = queues.get(client.id);
    if (!queue) return undefined;
    const i = queue.findIndex((q) => q.messageId === packet.messageId);
    if (i < 0) return undefined;
    const [removed] = queue.splice(i, 1);
    if (queue.length === 0) queues.delete(client.id);
    return removed;
  };
  // A copy, as Aedes expects: the queue changes while the stream is read.
  p.outgoingStream = (client) => Readable.from([...(queues.get(client.id) ?? [])]);

  return {
    persistence,
    /** A client is ready: a persistent session now exists; a clean one ends any earlier session and its queue. */
    opened(clientId: string, clean: boolean) {
      if (!clean) return void sessions.add(clientId);
      sessions.delete(clientId);
      queues.delete(clientId);
    },
  };
}
