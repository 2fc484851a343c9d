import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { DeviceId, type DownChannel, type PayloadOf, catalogue, topicFor } from '../contracts';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { type DeviceIdentity, clientIdentity, decidePublish, decideSubscribe } from './acl';
import { createAdmission } from './admission';
import { createEmitter } from './emitter';
import { guardStream } from './frame-guard';
import { LoginThrottle } from './login-throttle';
import { proxiedTlsServer, takeProxyHeader } from './proxy-protocol';
import { boundedPersistence } from './offline-queue';
import type { BrokerPorts } from './ports';

export type { DeviceIdentity } from './acl';
export type { BrokerPorts, DeviceAuthResult, IngestOutcome } from './ports';

export interface BrokerOptions {
  maxPacketBytes: number;
  connectTimeoutMs: number;
  maxTopicLevels: number;
  offlineQueueLimit: number;
  authFailLimit: number;
  authFailAddressLimit: number;
  authFailWindowMs: number;
  /** Logins in progress at once; more wait in a queue of `connectQueueLimit` for up to `connectQueueWaitMs`. */
  connectConcurrency: number;
  connectQueueLimit: number;
  connectQueueWaitMs: number;
  /** How often presence is checked against the sockets the broker really holds. */
  presenceReconcileMs: number;
  /** CONNECTs asking for no keepalive or a longer one are refused (a half-open socket is found within 1.5× this). */
  maxKeepaliveSec: number;
  /** Load balancers whose connections start with a PROXY header (TCP and TLS listeners); nobody else's are read so. */
  isTrustedProxy: (address: string) => boolean;
}

const LISTEN_BACKLOG = 8_192;
// U+0000, or U+FFFD — what Node decodes ill-formed UTF-8 into.
const isMalformedFilter = (filter: string) => filter.includes('\u0000') || filter.includes('\uFFFD');
/** Messages the broker's emitter routes at once; more queue (broker/emitter.ts). */
const EMITTER_CONCURRENCY = 200;

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(returnCode: 2 | 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

/** The transport under a client is closed or closing. */
function isGone(client: Client): boolean {
  const conn = client.conn as Partial<Duplex>;
  return conn.destroyed === true;
}

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

export async function createBroker(opts: BrokerOptions, ports: BrokerPorts, log: Logger, metrics: Metrics): Promise<Broker> {
  const identities = new WeakMap<Client, DeviceIdentity>();
  const addresses = new WeakMap<object, string>();
  const live = new Map<string, Client>();
  const throttle = new LoginThrottle({ perClientLimit: opts.authFailLimit, perAddressLimit: opts.authFailAddressLimit, windowMs: opts.authFailWindowMs });
  const queue = boundedPersistence(opts.offlineQueueLimit, (clientId) => {
    metrics.mqttOfflineDropped.inc();
    log.warn({ deviceId: clientId }, 'offline queue full, message dropped');
  });

  const addressOf = (client: Client) => addresses.get(client.conn) ?? 'unknown';
  const emitter = createEmitter(EMITTER_CONCURRENCY, (route) => metrics.mqttEmitterMessages.inc({ route }));
  metrics.probes.emitterQueued = emitter.queued;
  const admission = createAdmission({ concurrency: opts.connectConcurrency, queueLimit: opts.connectQueueLimit, maxWaitMs: opts.connectQueueWaitMs });
  metrics.probes.connectQueued = admission.waiting;
  metrics.probes.connectActive = admission.active;
  /** A login's admission slot, held from its secret check until the client is ready or gone. */
  const slots = new WeakMap<Client, () => void>();
  const releaseSlot = (client: Client) => {
    slots.get(client)?.();
    slots.delete(client);
  };

  const aedes = await Aedes.createBroker({
    persistence: queue.persistence,
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

    preConnect(client, packet, callback) {
      const address = addressOf(client);
      const verdict = throttle.check(address, packet.clientId);
      if (verdict.refused) {
        metrics.mqttThrottled.inc();
        log.warn({ address, clientId: packet.clientId, scope: verdict.scope }, 'connection refused: too many failed logins');
        // An Error, or Aedes leaves the socket open.
        callback(new Error('too many failed logins'), false);
        return;
      }
      callback(null, true);
    },

    authenticate(client, username, password, done) {
      const address = addressOf(client);
      const fail = (code: 2 | 4 | 5, reason: string) => {
        throttle.failed(address, id);
        metrics.mqttAuthFailures.inc({ reason });
        log.warn({ clientId: client.id, address, reason }, 'mqtt login refused');
        done(authError(code, reason), false);
      };
      // `{deviceId}:diag` is the device's read-only diagnostic session (acl.ts), with the device's own credentials.
      const { deviceId: id, diagnostic } = clientIdentity(client.id);
      // Aedes invents an id for an empty one; a device must always name itself (and empty+clean=0 is invalid).
      if (!id || client.id.startsWith('aedes_') || !DeviceId.safeParse(id).success) return fail(IDENTIFIER_REJECTED, 'bad_client_id');
      if (username === undefined || password === undefined) return fail(NOT_AUTHORIZED, 'anonymous');
      if (username !== id) return fail(BAD_USERNAME_OR_PASSWORD, 'username_mismatch');
      const secret = password.toString('utf8');
      const verify = () => ports.authenticate(id, secret).then(
        (result) => {
          if (!result.ok) {
            releaseSlot(client);
            return fail(result.reason === 'bad_secret' ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED, result.reason);
          }
          const device: DeviceIdentity = diagnostic ? { ...result.device, diagnostic: true } : result.device;
          const will = (client as Client & { _will?: { topic?: string } })._will;
          if (will?.topic !== undefined) {
            const verdict = decidePublish(device, will.topic, opts.maxTopicLevels);
            if (verdict.ok !== true) {
              releaseSlot(client);
              return fail(NOT_AUTHORIZED, 'will_topic_refused');
            }
          }
          if (!diagnostic && live.has(id)) {
            // MQTT says the newer connection wins; a real device reconnecting over a half-open socket does this
            // too, but two devices sharing one identity look exactly the same, so it is counted and logged.
            metrics.mqttDuplicateIds.inc();
            log.warn({ deviceId: id, address }, 'device id already connected: possible cloned device, taking over');
          }
          throttle.succeeded(address, id);
          identities.set(client, device);
          done(null, true);
        },
        (err: unknown) => {
          releaseSlot(client);
          log.error({ err, deviceId: id }, 'device authentication failed on an internal error');
          done(authError(NOT_AUTHORIZED, 'server error'), false);
        },
      );
      admission.enter().then((admitted) => {
        if (!admitted.ok) {
          // Not the device's fault: no failed-login count, and the device retries after its back-off.
          metrics.mqttConnectRefused.inc({ reason: admitted.reason });
          log.debug({ deviceId: id, reason: admitted.reason }, 'login deferred: gateway busy');
          return done(authError(SERVER_UNAVAILABLE, 'server busy'), false);
        }
        if (client.closed) return admitted.release();
        slots.set(client, admitted.release);
        // Released when the client is ready (below), when its socket closes first, or when the login fails.
        client.conn.once('close', () => releaseSlot(client));
        void verify();
      }, (err: unknown) => {
        log.error({ err, deviceId: id }, 'admission failed on an internal error');
        done(authError(NOT_AUTHORIZED, 'server error'), false);
      });
    },

    authorizePublish(client, packet, callback) {
      // Internal publishes (client === null) come from the gateway itself and are validated in publishTo.
      if (!client) return callback(null);
      const device = identities.get(client);
      if (!device) return callback(new Error('not authenticated'));
      const verdict = decidePublish(device, packet.topic, opts.maxTopicLevels);
      if (verdict.ok === false) {
        metrics.mqttAclDenied.inc({ op: 'publish', reason: verdict.reason });
        log.warn({ deviceId: device.id, topic: packet.topic, reason: verdict.reason }, 'publish refused');
        return callback(new Error(`publish refused: ${verdict.reason}`));
      }
      // Nobody may subscribe to another device's topics, and presence lives in the database, so a retained copy
      // serves no one — and Aedes' memory persistence scans every retained message on every SUBSCRIBE, which makes
      // a reconnect storm quadratic in the number of devices (10,000 devices: minutes). Wills included.
      packet.retain = false;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      if (verdict.ok === 'unknown_channel') {
        ports.unknownChannel(device, packet.topic, payload);
        return callback(null);
      }
      ports.ingest(device, verdict.name, packet.topic, payload, packet.qos).then(
        () => callback(null),
        (err: unknown) => {
          log.error({ err, deviceId: device.id, topic: packet.topic }, 'ingest failed: dropping connection without acknowledging');
          callback(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },

    authorizeSubscribe(client, sub, callback) {
      const device = identities.get(client);
      if (isMalformedFilter(sub.topic)) {
        // MQTT 3.1.1 §1.5.3: a UTF-8 string with U+0000 or ill-formed UTF-8 (decoded as U+FFFD) is a protocol
        // violation, and the server closes the connection — unlike a well-formed filter it merely refuses (below).
        metrics.mqttAclDenied.inc({ op: 'subscribe', reason: 'malformed_filter' });
        log.warn({ deviceId: device?.id }, 'subscription with a malformed filter: closing the connection');
        return callback(new Error('malformed topic filter'), null);
      }
      const verdict = device ? decideSubscribe(device, sub.topic, opts.maxTopicLevels) : ({ ok: false, reason: 'outside_namespace' } as const);
      if (!verdict.ok) {
        metrics.mqttAclDenied.inc({ op: 'subscribe', reason: verdict.reason });
        log.warn({ deviceId: device?.id, topic: sub.topic, reason: verdict.reason }, 'subscription refused');
        // A negative SUBACK (0x80) refuses the filter and keeps the connection, so the device can report it.
        return callback(null, null);
      }
      callback(null, sub);
    },

    // Devices only ever receive what the gateway publishes to them; never another device's message.
    authorizeForward(client, packet) {
      const device = identities.get(client);
      if (!device || !packet.topic.startsWith(`v1/devices/${device.id}/`)) return null;
      return packet;
    },
  });

  aedes.on('clientReady', (client) => {
    releaseSlot(client);
    const device = identities.get(client);
    // A diagnostic session is not the device: it never makes the device online, nor offline when it ends.
    if (!device || device.diagnostic) return;
    // Aedes emits clientReady once the offline queue is flushed, which can be after the socket closed and after
    // clientDisconnect was emitted for it. Presence follows the connection itself: a closed client is never online.
    if (client.closed || isGone(client)) {
      log.debug({ deviceId: device.id }, 'ready after its connection closed: not online');
      return;
    }
    const previous = live.get(device.id);
    live.set(device.id, client);
    queue.opened(device.id, client.clean);
    metrics.mqttConnections.set(live.size);
    if (!previous) ports.connected(device);
  });
  // Belt and braces: whatever order the events came in, a device is online only while its client is open. Anything
  // else found here is put right and counted.
  const reconcile = setInterval(() => {
    for (const [id, client] of live) {
      // Not Aedes' client table: a taken-over client that closes late unregisters its successor's entry there.
      if (!client.closed && !isGone(client)) continue;
      live.delete(id);
      metrics.mqttConnections.set(live.size);
      metrics.mqttPresenceCorrected.inc();
      log.warn({ deviceId: id }, 'presence corrected: device had no open connection');
      const device = identities.get(client);
      if (device) ports.disconnected(device, 'closed');
    }
  }, opts.presenceReconcileMs);
  reconcile.unref();

  aedes.on('keepaliveTimeout', (client) => {
    const device = identities.get(client);
    if (device) log.info({ deviceId: device.id }, 'keepalive expired');
  });
  aedes.on('clientDisconnect', (client) => {
    const device = identities.get(client);
    if (device?.diagnostic) return;
    if (!device || live.get(device.id) !== client) {
      if (device) ports.disconnected(device, 'taken_over');
      return;
    }
    live.delete(device.id);
    metrics.mqttConnections.set(live.size);
    ports.disconnected(device, 'closed');
  });
  aedes.on('clientError', (client, err) => {
    log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => {
    log.debug({ address: addressOf(client), err: err.message }, 'connection error before CONNECT');
  });

  const servers: Array<TcpServer | TlsServer> = [];

  function handleStream(stream: Duplex, address: string, req?: IncomingMessage) {
    const guarded = guardStream(stream, opts.maxPacketBytes, (verdict) => {
      if (verdict === 'too_large') metrics.mqttOversized.inc();
      log.warn({ address, verdict }, 'mqtt connection closed by frame guard');
    });
    addresses.set(guarded, address);
    aedes.handle(guarded, req);
  }

  function onSocket(socket: Socket) {
    // Alarm replies are tiny packets: don't let Nagle hold them back.
    socket.setNoDelay(true);
    handleStream(socket, socket.remoteAddress ?? 'unknown');
  }

  /** The plain TCP listener: behind a trusted load balancer the device's address comes in a PROXY header. */
  function onTcpSocket(socket: Socket) {
    const peer = socket.remoteAddress ?? 'unknown';
    if (!opts.isTrustedProxy(peer)) return onSocket(socket);
    socket.setNoDelay(true);
    takeProxyHeader(socket, opts.connectTimeoutMs, (outcome) => {
      if (!outcome.ok) {
        log.warn({ address: peer, reason: outcome.reason }, 'connection from a trusted proxy without a valid PROXY header');
        socket.destroy();
        return;
      }
      handleStream(socket, outcome.address ?? peer);
      if (outcome.rest.length > 0) socket.push(outcome.rest);
    });
  }

  function listen(server: TcpServer | TlsServer, port: number, host: string): Promise<number> {
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // After a gateway restart the whole compound reconnects within seconds. With Node's default backlog (511) the
      // kernel drops SYNs the gateway has no time to accept yet, and each dropped device waits 1, 3, 7 s to retry;
      // the kernel caps this at net.core.somaxconn (4096 on current Linux).
      server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  return {
    aedes,
    handleStream,
    listenTcp: (port, host) => listen(createTcpServer(onTcpSocket), port, host),
    listenTls: (port, host, tls) => listen(
      proxiedTlsServer({
        ...tls,
        isTrustedProxy: opts.isTrustedProxy,
        headerTimeoutMs: opts.connectTimeoutMs,
        accept: (socket, address) => {
          socket.setNoDelay(true);
          handleStream(socket, address);
        },
        refuse: (peer, reason) => log.warn({ address: peer, reason }, 'connection from a trusted proxy without a valid PROXY header'),
      }),
      port,
      host,
    ),
    async publishTo(deviceId, name, payload) {
      const spec = catalogue[name];
      const body = spec.payload.parse(payload);
      await new Promise<void>((resolve, reject) => {
        aedes.publish(
          { cmd: 'publish', topic: topicFor(name, deviceId), payload: Buffer.from(JSON.stringify(body)), qos: spec.qos, retain: spec.retain, dup: false },
          (err) => (err ? reject(err) : resolve()),
        );
      });
    },
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
      const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      clearInterval(reconcile);
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const c of live.values()) c.conn.destroy();
      await Promise.all(closed);
    },
  };
}
