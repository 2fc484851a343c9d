import { Duplex } from 'node:stream';

/**
 * Aedes parses whatever a socket sends, so an unauthenticated peer can announce a 256 MB "CONNECT" and make the
 * broker buffer it. This scanner reads only MQTT fixed headers (type byte + remaining-length varint) as bytes arrive
 * and reports a violation before any body is buffered. The first packet must be a CONNECT (MQTT-3.1.0-1).
 */
export type FrameVerdict = 'ok' | 'too_large' | 'malformed' | 'not_connect_first';

// Packet types (MQTT 3.1.1 §2.2.1).
const PINGREQ = 12;
const DISCONNECT = 14;

export class FrameScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;
  private first = true;
  private type = 0;

  constructor(private readonly maxPacketBytes: number) {}

  feed(chunk: Buffer): FrameVerdict {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'type': {
          const b = chunk[i++] ?? 0;
          if (this.first && b >> 4 !== 1) return 'not_connect_first';
          this.first = false;
          this.type = b;
          this.state = 'length';
          this.length = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          break;
        }
        case 'length': {
          const b = chunk[i++] ?? 0;
          this.length += (b & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes++;
          if (this.length > this.maxPacketBytes) return 'too_large';
          if (b & 0x80) {
            if (this.lengthBytes === 4) return 'malformed';
          } else {
            // PINGREQ and DISCONNECT are a type byte with flags 0 and nothing after it (MQTT 3.1.1 §3.12, §3.14).
            // Aedes would take a DISCONNECT with a body as a clean one and drop the device's Will; a malformed
            // packet must close the connection instead, and an unclean close publishes the Will.
            const kind = this.type >> 4;
            if ((kind === PINGREQ || kind === DISCONNECT) && ((this.type & 0x0f) !== 0 || this.length !== 0)) return 'malformed';
            this.remaining = this.length;
            this.state = this.remaining > 0 ? 'body' : 'type';
          }
          break;
        }
        case 'body': {
          const skip = Math.min(this.remaining, chunk.length - i);
          i += skip;
          this.remaining -= skip;
          if (this.remaining === 0) this.state = 'type';
          break;
        }
      }
    }
    return 'ok';
  }
}

/**
 * Screens every chunk a transport hands to its readable side. Node's socket read path (and ws's stream) deliver data
 * through `stream.push(chunk)`, so wrapping that one method screens the bytes before Aedes sees them, without an
 * extra stream per connection (10,000 device connections: every kilobyte each one costs counts).
 * On a violation the transport is destroyed at once and `onViolation` reports why.
 */
export function guardStream(
  stream: Duplex,
  maxPacketBytes: number,
  onViolation: (verdict: Exclude<FrameVerdict, 'ok'>) => void,
): Duplex {
  const scanner = new FrameScanner(maxPacketBytes);
  const push = stream.push.bind(stream);
  stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (Buffer.isBuffer(chunk)) {
      const verdict = scanner.feed(chunk);
      if (verdict !== 'ok') {
        onViolation(verdict);
        stream.destroy();
        return false;
      }
    }
    return push(chunk, encoding);
  };
  return stream;
}
