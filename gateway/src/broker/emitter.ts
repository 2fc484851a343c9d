import mqemitter from 'mqemitter';

/**
 * Aedes publishes `$SYS/<broker id>/new/clients` and `/disconnect/clients` for every connection that comes and goes,
 * so that other brokers of a cluster close their copy of a client that moved. Linli runs one broker per compound and
 * devices may not subscribe to `$SYS` (broker/acl.ts), so these notices have no reader here — yet in a reconnect
 * storm they are two of every three messages through the emitter. The heartbeat and birth notices stay: Aedes reads
 * its own heartbeat to know which stored Wills belong to a live broker.
 */
const CLIENT_NOTICE = /^\$SYS\/[^/]+\/(?:new|disconnect)\/clients$/;

export type EmitterRoute = 'delivered' | 'filtered';

export interface Emitter {
  /** Hand to Aedes as its `mq`. */
  readonly mq: mqemitter.MQEmitter;
  /** Messages waiting for a free slot right now. */
  queued(): number;
  /** How many messages took each route since start. */
  readonly counts: Readonly<Record<EmitterRoute, number>>;
}

/**
 * The broker's message emitter: mqemitter (patched: patches/mqemitter+7.1.0.patch, so that a long queue whose
 * handlers finish synchronously cannot overflow the stack) with the client notices filtered out at the door.
 */
export function createEmitter(concurrency: number, onMessage?: (route: EmitterRoute) => void): Emitter {
  const mq = mqemitter({ concurrency, matchEmptyLevels: true });
  const counts: Record<EmitterRoute, number> = { delivered: 0, filtered: 0 };
  const emit = mq.emit.bind(mq);
  mq.emit = (message, callback) => {
    const route: EmitterRoute = CLIENT_NOTICE.test(message.topic) ? 'filtered' : 'delivered';
    counts[route]++;
    onMessage?.(route);
    if (route === 'filtered') {
      callback?.();
      return;
    }
    emit(message, callback);
  };
  const internals = mq as unknown as { length: number };
  return { mq, queued: () => internals.length, counts };
}
