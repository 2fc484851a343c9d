import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import { guardStream } from './frame-guard';
import type { BrokerContext } from './hooks/context';
import { proxiedTlsServer, takeProxyHeader } from './proxy-protocol';

const LISTEN_BACKLOG = 8_192;

export interface Listeners {
  /** For MQTT over WebSocket and every listener: the frame guard, the address remembered, then Aedes. */
  handleStream(stream: Duplex, address: string, req?: IncomingMessage): void;
  listenTcp(port: number, host: string): Promise<number>;
  listenTls(port: number, host: string, tls: { cert: Buffer; key: Buffer }): Promise<number>;
  /** Stops accepting; resolves once every listener has closed (which Node does only after its sockets closed). */
  close(): Promise<void>;
}

/** How bytes reach Aedes: TCP and TLS listeners (a PROXY header first from a trusted load balancer) and streams. */
export function createListeners(aedes: Aedes, ctx: BrokerContext): Listeners {
  const { opts, log, metrics } = ctx;
  const servers: Array<TcpServer | TlsServer> = [];

  function handleStream(stream: Duplex, address: string, req?: IncomingMessage) {
    const guarded = guardStream(stream, opts.maxPacketBytes, (verdict) => {
      if (verdict === 'too_large') metrics.mqttOversized.inc();
      log.warn({ address, verdict }, 'mqtt connection closed by frame guard');
    });
    ctx.addresses.set(guarded, address);
    aedes.handle(guarded, req);
  }

  function onSocket(socket: Socket, address: string) {
    // Alarm replies are tiny packets: don't let Nagle hold them back.
    socket.setNoDelay(true);
    handleStream(socket, address);
  }

  /** The plain TCP listener: behind a trusted load balancer the device's address comes in a PROXY header. */
  function onTcpSocket(socket: Socket) {
    const peer = socket.remoteAddress ?? 'unknown';
    if (!opts.isTrustedProxy(peer)) return onSocket(socket, peer);
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
    handleStream,
    listenTcp: (port, host) => listen(createTcpServer(onTcpSocket), port, host),
    listenTls: (port, host, tls) => listen(
      proxiedTlsServer({
        ...tls,
        isTrustedProxy: opts.isTrustedProxy,
        headerTimeoutMs: opts.connectTimeoutMs,
        accept: onSocket,
        refuse: (peer, reason) => log.warn({ address: peer, reason }, 'connection from a trusted proxy without a valid PROXY header'),
      }),
      port,
      host,
    ),
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
