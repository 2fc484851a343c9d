import { type Server as NetServer, createServer as createNetServer, isIP } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext, createServer as createTlsServer } from 'node:tls';
import { Command, IPv4ProxyAddress, IPv6ProxyAddress, INETProtocol, V1ProxyProtocol, V2ProxyProtocol } from 'proxy-protocol-js';

/**
 * PROXY protocol (HAProxy's, v1 text and v2 binary) in front of MQTT: a TCP load balancer prepends the device's
 * real address to each connection. Only connections from configured proxy addresses are read this way — anyone
 * else could claim any address — and from those the header is required. The header is found here (framing) and
 * decoded by proxy-protocol-js (the decoder aedes-protocol-decoder uses); the bytes after it go on to the broker.
 */
export type ProxyHeader =
  /** `address` null: a LOCAL (v2) or UNKNOWN (v1) header, e.g. the balancer's own health check. */
  | { state: 'ok'; length: number; address: string | null }
  | { state: 'need_more' }
  | { state: 'bad'; reason: string };

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'ascii');
/** The spec's bounds: a v1 line is at most 107 bytes; we accept v2 TLVs up to this much. */
const V1_MAX = 107;
const V2_MAX = 16 + 1_024;

const startsLike = (buf: Buffer, prefix: Buffer) => buf.subarray(0, prefix.length).equals(prefix.subarray(0, Math.min(buf.length, prefix.length)));

function v6(bytes: readonly number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** Reads one PROXY header from the start of `buf`. */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  if (startsLike(buf, V2_SIGNATURE) && buf.length >= 1) {
    if (buf.length < 16) return { state: 'need_more' };
    const length = 16 + buf.readUInt16BE(14);
    if (length > V2_MAX) return { state: 'bad', reason: 'v2 header too long' };
    if (buf.length < length) return { state: 'need_more' };
    try {
      const h = V2ProxyProtocol.parse(new Uint8Array(buf.subarray(0, length)));
      if (h.command === Command.LOCAL) return { state: 'ok', length, address: null };
      const a = h.proxyAddress;
      if (a instanceof IPv4ProxyAddress) return { state: 'ok', length, address: a.sourceAddress.address.join('.') };
      if (a instanceof IPv6ProxyAddress) return { state: 'ok', length, address: v6(a.sourceAddress.address) };
      return { state: 'ok', length, address: null };
    } catch (err) {
      return { state: 'bad', reason: `v2: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  if (startsLike(buf, V1_PREFIX)) {
    const end = buf.indexOf('\r\n');
    if (end < 0) return buf.length >= V1_MAX ? { state: 'bad', reason: 'v1 line too long' } : { state: 'need_more' };
    const length = end + 2;
    if (length > V1_MAX) return { state: 'bad', reason: 'v1 line too long' };
    try {
      const h = V1ProxyProtocol.parse(buf.subarray(0, length).toString('ascii'));
      if (h.inetProtocol === INETProtocol.UNKNOWN) return { state: 'ok', length, address: null };
      // The decoder checks the line's shape, not that the address is one.
      if (isIP(h.source.ipAddress) === 0) return { state: 'bad', reason: 'v1: source is not an IP address' };
      return { state: 'ok', length, address: h.source.ipAddress };
    } catch (err) {
      return { state: 'bad', reason: `v1: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return { state: 'bad', reason: 'no PROXY header' };
}

export type ProxyOutcome = { ok: true; address: string | null; rest: Buffer } | { ok: false; reason: string };

/**
 * Takes the PROXY header off the front of a connection before anything else reads it. Like the frame guard, it
 * wraps the transport's `push`, so no bytes are buffered twice; when it is done, `push` is the transport's own
 * again and `rest` (what followed the header in the same read) must be pushed by the caller once the broker is
 * attached, so it passes through the frame guard too.
 */
export function takeProxyHeader(stream: Duplex, timeoutMs: number, done: (outcome: ProxyOutcome) => void): void {
  const push = stream.push.bind(stream);
  let buf: Buffer = Buffer.alloc(0);
  let finished = false;
  const finish = (outcome: ProxyOutcome) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    stream.push = push;
    done(outcome);
  };
  const timer = setTimeout(() => finish({ ok: false, reason: 'no PROXY header in time' }), timeoutMs);
  stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (finished) return push(chunk, encoding);
    if (!Buffer.isBuffer(chunk)) {
      // End of stream (null) before a header.
      finish({ ok: false, reason: 'closed before a PROXY header' });
      return push(chunk, encoding);
    }
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const h = parseProxyHeader(buf);
    if (h.state === 'need_more') return true;
    finish(h.state === 'ok' ? { ok: true, address: h.address, rest: buf.subarray(h.length) } : { ok: false, reason: h.reason });
    return true;
  };
  stream.once('close', () => finish({ ok: false, reason: 'closed before a PROXY header' }));
}

export interface ProxiedTlsOptions {
  cert: Buffer;
  key: Buffer;
  isTrustedProxy: (address: string) => boolean;
  headerTimeoutMs: number;
  /** A TLS connection ready for MQTT, with the device's address (the balancer's header, or the socket's own). */
  accept: (socket: TLSSocket, address: string) => void;
  refuse: (peer: string, reason: string) => void;
}

/**
 * The MQTT-over-TLS listener when load balancers pass TLS through: the PROXY header comes before the TLS handshake,
 * so it is taken off the TCP socket first and TLS runs over what follows. Connections from anyone else go to an
 * ordinary TLS server, exactly as without trusted proxies.
 */
export function proxiedTlsServer(opts: ProxiedTlsOptions): NetServer {
  const direct = createTlsServer({ cert: opts.cert, key: opts.key }, (s) => opts.accept(s, s.remoteAddress ?? 'unknown'));
  direct.on('tlsClientError', (_err, s) => s.destroy());
  const secureContext = createSecureContext({ cert: opts.cert, key: opts.key });
  return createNetServer((socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    if (!opts.isTrustedProxy(peer)) {
      direct.emit('connection', socket);
      return;
    }
    takeProxyHeader(socket, opts.headerTimeoutMs, (outcome) => {
      if (!outcome.ok) {
        opts.refuse(peer, outcome.reason);
        socket.destroy();
        return;
      }
      if (outcome.rest.length > 0) socket.unshift(outcome.rest);
      // Through a JS stream (not the socket's handle), so the bytes read with the header are not lost to TLS.
      const tls = new TLSSocket(Duplex.from({ readable: socket, writable: socket }), { isServer: true, secureContext });
      const timer = setTimeout(() => tls.destroy(), opts.headerTimeoutMs);
      tls.once('secure', () => {
        clearTimeout(timer);
        opts.accept(tls, outcome.address ?? peer);
      });
      tls.once('error', () => {
        clearTimeout(timer);
        socket.destroy();
      });
      tls.once('close', () => socket.destroy());
    });
  });
}
