import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { DeviceId, type DownChannel, type PayloadOf, catalogue, topicFor } from '../contracts';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { type DeviceIdentity, decidePublish, decideSubscribe } from './acl';
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
  /** CONNECTs asking for no keepalive or a longer one are refused (a half-open socket is found within 1.5× this). */
  maxKeepaliveSec: number;
  /** Load balancers whose connections start with a PROXY header (TCP and TLS listeners); nobody else's are read so. */
  isTrustedProxy: (address: string) => boolean;
}

const LISTEN_BACKLOG = 8_192;

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function authError(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
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

  const aedes = await Aedes.createBroker({
    persistence: queue.persistence,
    connectTimeout: opts.connectTimeoutMs,
    maxTopicLevels: opts.maxTopicLevels,
    // Aedes' default of 23 is MQTT 3.1's; our device ids are up to 63 characters.
    maxClientsIdLength: 63,
    // One stuck subscriber must not stall alarms: bounded fan-out concurrency and a short drain timeout.
    concurrency: 200,
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
      const id = client.id;
      // Aedes invents an id for an empty one; a device must always name itself (and empty+clean=0 is invalid).
      if (!id || id.startsWith('aedes_') || !DeviceId.safeParse(id).success) return fail(IDENTIFIER_REJECTED, 'bad_client_id');
      if (username === undefined || password === undefined) return fail(NOT_AUTHORIZED, 'anonymous');
      if (username !== id) return fail(BAD_USERNAME_OR_PASSWORD, 'username_mismatch');
      ports.authenticate(id, password.toString('utf8')).then(
        (result) => {
          if (!result.ok) {
            return fail(result.reason === 'bad_secret' ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED, result.reason);
          }
          const will = (client as Client & { _will?: { topic?: string } })._will;
          if (will?.topic !== undefined) {
            const verdict = decidePublish(result.device, will.topic, opts.maxTopicLevels);
            if (verdict.ok !== true) return fail(NOT_AUTHORIZED, 'will_topic_refused');
          }
          if (live.has(id)) {
            // MQTT says the newer connection wins; a real device reconnecting over a half-open socket does this
            // too, but two devices sharing one identity look exactly the same, so it is counted and logged.
            metrics.mqttDuplicateIds.inc({ deviceId: id });
            log.warn({ deviceId: id, address }, 'device id already connected: possible cloned device, taking over');
          }
          throttle.succeeded(address, id);
          identities.set(client, result.device);
          done(null, true);
        },
        (err: unknown) => {
          log.error({ err, deviceId: id }, 'device authentication failed on an internal error');
          done(authError(NOT_AUTHORIZED, 'server error'), false);
        },
      );
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
    const device = identities.get(client);
    if (!device) return;
    const previous = live.get(device.id);
    live.set(device.id, client);
    if (client.clean) queue.reset(device.id);
    metrics.mqttConnections.set(live.size);
    if (!previous) ports.connected(device);
  });
  aedes.on('keepaliveTimeout', (client) => {
    const device = identities.get(client);
    if (device) log.info({ deviceId: device.id }, 'keepalive expired');
  });
  aedes.on('clientDisconnect', (client) => {
    const device = identities.get(client);
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
    connectedCount: () => live.size,
    async close() {
      // Stop accepting first; the listeners' close callbacks fire only once Aedes has closed every client.
      const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const c of live.values()) c.conn.destroy();
      await Promise.all(closed);
    },
  };
}
