import { type IncomingMessage, type RequestListener, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';

export interface HttpServerLimits {
  /** The whole request (headers and body) must have arrived within this long, or the socket is closed. */
  requestTimeoutMs: number;
  /** The headers must have arrived within this long. */
  headersTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed (the live stream's heartbeats keep it busy). */
  idleTimeoutMs: number;
  /** An idle keep-alive socket waits this long for the next request. */
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
  /** Open connections in total, and from one address (trusted proxies exempt: every client comes through them). */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  isTrustedProxy: (address: string) => boolean;
  tls?: { cert: Buffer; key: Buffer };
  /** Called for each connection refused by a bound (for a metric or a log line). */
  onRefused?: (reason: 'per_address' | 'total', address: string) => void;
}

/**
 * The HTTP server under Fastify, built here so every socket is bounded (Fastify's serverFactory): a slow body or
 * header trickle is cut at the request deadline, checked every second (Node's default check interval is 30 s), and
 * one address cannot hold more than its share of descriptors — the broker's devices need them.
 */
export function httpServerFactory(limits: HttpServerLimits) {
  return (handler: RequestListener): Server => {
    const options = {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      connectionsCheckingInterval: 1_000,
    };
    const server: Server<typeof IncomingMessage, typeof ServerResponse> = limits.tls
      ? createTlsServer({ ...options, cert: limits.tls.cert, key: limits.tls.key }, handler)
      : createServer(options, handler);
    server.setTimeout(limits.idleTimeoutMs);
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    // Beyond this the kernel's accepted sockets are closed at once by Node.
    server.maxConnections = limits.maxConnections;
    server.on('drop', (data?: { remoteAddress?: string }) => limits.onRefused?.('total', data?.remoteAddress ?? 'unknown'));
    const perAddress = new Map<string, number>();
    // TLS servers report the raw TCP socket on 'connection' too, before the handshake: bounded the same way.
    server.on('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      if (limits.isTrustedProxy(address)) return;
      const n = (perAddress.get(address) ?? 0) + 1;
      if (n > limits.maxConnectionsPerAddress) {
        limits.onRefused?.('per_address', address);
        socket.destroy();
        return;
      }
      perAddress.set(address, n);
      socket.once('close', () => {
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left <= 0) perAddress.delete(address);
        else perAddress.set(address, left);
      });
    });
    return server;
  };
}
