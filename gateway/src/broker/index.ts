import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { type DownChannel, type PayloadOf, catalogue, topicFor } from '../contracts';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { createAdmission } from './admission';
import { createEmitter } from './emitter';
import { authenticateHook, preConnectHook } from './hooks/connect';
import type { BrokerContext } from './hooks/context';
import { authorizeForwardHook, authorizePublishHook, consumedPublishHook } from './hooks/publish';
import { authorizeSubscribeHook } from './hooks/subscribe';
import { createListeners } from './listeners';
import { LoginThrottle } from './login-throttle';
import { boundedPersistence } from './offline-queue';
import type { BrokerOptions } from './options';
import type { BrokerPorts } from './ports';
import { trackPresence } from './presence';

export type { DeviceIdentity } from './acl';
export type { BrokerOptions } from './options';
export type { BrokerPorts, DeviceAuthResult, IngestOutcome } from './ports';

/** Messages the broker's emitter routes at once; more queue (broker/emitter.ts). */
const EMITTER_CONCURRENCY = 200;

export interface Broker {
  readonly aedes: Aedes;
  listenTcp(port: number, host: string): Promise<number>;
  listenTls(port: number, host: string, tls: { cert: Buffer; key: Buffer }): Promise<number>;
  /** For MQTT over WebSocket: hand each upgraded connection's stream here. */
  handleStream(stream: Duplex, address: string, req?: IncomingMessage): void;
  /** Publishes a gateway → device message after validating it against the catalogue. */
  publishTo<N extends DownChannel>(deviceId: string, name: N, payload: PayloadOf<N>): Promise<void>;
  isConnected(deviceId: string): boolean;
  /** Closes the device's live session (disabled, secret rotated): it must log in again. False when not connected. */
  disconnect(deviceId: string): boolean;
  connectedCount(): number;
  /** Stops accepting connections, disconnects clients, closes the broker. */
  close(): Promise<void>;
}

/**
 * The embedded MQTT broker. Its parts, in the order a connection meets them: listeners.ts (sockets, PROXY header,
 * frame guard), hooks/connect.ts (throttle, admission, login), hooks/publish.ts (ACL, ingest before PUBACK),
 * hooks/subscribe.ts, presence.ts (online/offline). They share one BrokerContext (hooks/context.ts).
 */
export async function createBroker(opts: BrokerOptions, ports: BrokerPorts, log: Logger, metrics: Metrics): Promise<Broker> {
  // mqtt-packet writes every 2-byte number (message ids, string lengths) from a cache of all 65,536 of them as Buffers,
  // built at its first write and kept for good: ~7 MB of heap. Without it each number is a 2-byte slice of Node's
  // buffer pool, made when written (docs/benchmarks.md, "Storm memory"). Aedes writes through the same module.
  mqttPacket.writeToStream.cacheNumbers = false;
  const ctx = createContext(opts, ports, log, metrics);
  const emitter = createEmitter(EMITTER_CONCURRENCY, (route) => metrics.mqttEmitterMessages.inc({ route }));
  metrics.probes.emitterQueued = emitter.queued;

  const aedes = await Aedes.createBroker({
    persistence: ctx.queue.persistence,
    connectTimeout: opts.connectTimeoutMs,
    maxTopicLevels: opts.maxTopicLevels,
    // Aedes' default of 23 is MQTT 3.1's; our device ids are up to 63 characters.
    maxClientsIdLength: 63,
    // One stuck subscriber must not stall alarms: bounded fan-out concurrency and a short drain timeout.
    mq: emitter.mq,
    concurrency: EMITTER_CONCURRENCY,
    drainTimeout: 5_000,
    heartbeatInterval: 60_000,
    keepaliveLimit: opts.maxKeepaliveSec,
    preConnect: preConnectHook(ctx),
    authenticate: authenticateHook(ctx),
    authorizePublish: authorizePublishHook(ctx),
    authorizeSubscribe: authorizeSubscribeHook(ctx),
    authorizeForward: authorizeForwardHook(ctx),
    consumedPublish: consumedPublishHook(ctx),
  });
  const stopPresence = trackPresence(aedes, ctx);
  const listeners = createListeners(aedes, ctx);
  const { live } = ctx;

  return {
    aedes,
    handleStream: listeners.handleStream,
    listenTcp: listeners.listenTcp,
    listenTls: listeners.listenTls,
    publishTo: (deviceId, name, payload) => publishTo(aedes, deviceId, name, payload),
    isConnected: (deviceId) => live.has(deviceId),
    disconnect(deviceId) {
      const client = live.get(deviceId);
      if (!client) return false;
      log.info({ deviceId }, 'session closed by an administrator');
      client.close();
      return true;
    },
    connectedCount: () => live.size,
    async close() {
      // Stop accepting first; the listeners' close callbacks fire only once Aedes has closed every client.
      const closed = listeners.close();
      stopPresence();
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const c of live.values()) c.conn.destroy();
      await closed;
    },
  };
}

/** The state the broker's parts share: who is who, who is online, the login throttle and admission, the queue. */
function createContext(opts: BrokerOptions, ports: BrokerPorts, log: Logger, metrics: Metrics): BrokerContext {
  const admission = createAdmission({ concurrency: opts.connectConcurrency, queueLimit: opts.connectQueueLimit, maxWaitMs: opts.connectQueueWaitMs });
  metrics.probes.connectQueued = admission.waiting;
  metrics.probes.connectActive = admission.active;
  return {
    opts,
    ports,
    log,
    metrics,
    identities: new WeakMap(),
    addresses: new WeakMap(),
    live: new Map(),
    throttle: new LoginThrottle({ perClientLimit: opts.authFailLimit, perAddressLimit: opts.authFailAddressLimit, windowMs: opts.authFailWindowMs }),
    admission,
    queue: boundedPersistence(opts.offlineQueueLimit, (clientId) => {
      metrics.mqttOfflineDropped.inc();
      log.warn({ deviceId: clientId }, 'offline queue full, message dropped');
    }),
    slots: new WeakMap(),
  };
}

/** A gateway → device message, validated against the catalogue before it leaves (internal publishes skip the ACL). */
async function publishTo<N extends DownChannel>(aedes: Aedes, deviceId: string, name: N, payload: PayloadOf<N>): Promise<void> {
  const spec = catalogue[name];
  const body = spec.payload.parse(payload);
  await new Promise<void>((resolve, reject) => {
    aedes.publish(
      { cmd: 'publish', topic: topicFor(name, deviceId), payload: Buffer.from(JSON.stringify(body)), qos: spec.qos, retain: spec.retain, dup: false },
      (err) => (err ? reject(err) : resolve()),
    );
  });
}
