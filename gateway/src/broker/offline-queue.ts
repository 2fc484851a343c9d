import memoryPersistence from 'aedes-persistence';

interface Sub {
  clientId: string;
}
interface QueuePersistence {
  outgoingEnqueueCombi(subs: Sub[], packet: unknown): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>;
}

/**
 * Aedes' memory persistence queues QoS 1 messages for a persistent-session client without limit, so a device that
 * never comes back grows the gateway's memory forever. This wraps it: each client keeps at most `limit`
 * outstanding messages; further ones are dropped and reported (a command for a long-gone door is stale anyway).
 */
export function boundedPersistence(limit: number, onDrop: (clientId: string) => void) {
  const persistence = memoryPersistence();
  const p = persistence as unknown as QueuePersistence;
  const outstanding = new Map<string, number>();
  const enqueue = p.outgoingEnqueueCombi.bind(p);
  const clear = p.outgoingClearMessageId.bind(p);

  p.outgoingEnqueueCombi = (subs, packet) => {
    const admitted = subs.filter((s) => {
      const n = outstanding.get(s.clientId) ?? 0;
      if (n >= limit) {
        onDrop(s.clientId);
        return false;
      }
      outstanding.set(s.clientId, n + 1);
      return true;
    });
    return enqueue(admitted, packet);
  };
  p.outgoingClearMessageId = async (client, packet) => {
    const removed = await clear(client, packet);
    if (removed) {
      const n = (outstanding.get(client.id) ?? 1) - 1;
      if (n <= 0) outstanding.delete(client.id);
      else outstanding.set(client.id, n);
    }
    return removed;
  };
  return {
    persistence,
    /** A clean session starts with an empty queue. */
    reset(clientId: string) {
      outstanding.delete(clientId);
    },
    outstanding(clientId: string) {
      return outstanding.get(clientId) ?? 0;
    },
  };
}
