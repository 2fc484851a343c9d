import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface SseFrame {
  event: string;
  id: number | undefined;
  data: unknown;
  /** performance.now() when the frame was parsed. */
  receivedAt: number;
}

/**
 * A minimal EventSource for tests: real HTTP, frames parsed as the SSE spec says (event, id, data), and a way to
 * wait for the frame you expect. Reconnecting is explicit (open again with `lastEventId`), so a test controls gaps.
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  lastId: number | undefined;
  /** Called for every frame as it is parsed (benchmarks timestamp frames here). */
  onFrame: ((f: SseFrame) => void) | null = null;
  readonly closed: Promise<void>;
  private buffer = '';
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    this.closed = new Promise((resolve) => {
      res.on('close', () => resolve());
      res.on('error', () => resolve());
    });
    void this.closed.then(() => this.wake());
  }

  /** Resolves once the response headers arrived; rejects with `status` for a refusal. */
  static open(url: string, opts: { token?: string; lastEventId?: number; headers?: Record<string, string> } = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, {
        headers: {
          accept: 'text/event-stream',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.lastEventId !== undefined ? { 'last-event-id': String(opts.lastEventId) } : {}),
          ...opts.headers,
        },
      });
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
          return;
        }
        resolve(new SseClient(req, res));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Waits for the first frame at or after index `from` that matches; resolves with it and its index. */
  async next(match: (f: SseFrame) => boolean, opts: { from?: number; timeoutMs?: number } = {}): Promise<SseFrame & { index: number }> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    let i = opts.from ?? 0;
    for (;;) {
      for (; i < this.frames.length; i++) {
        const f = this.frames[i]!;
        if (match(f)) return { ...f, index: i };
      }
      if (this.res.closed && this.buffer === '') throw new Error(`stream closed before the expected frame (${this.frames.length} frames)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within the timeout (${this.frames.length} frames: ${this.frames.map((f) => f.event).join(',')})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Frames of one event type, data only. */
  of<T = unknown>(event: string): T[] {
    return this.frames.filter((f) => f.event === event).map((f) => f.data as T);
  }

  close(): Promise<void> {
    this.req.destroy();
    return this.closed;
  }

  private feed(chunk: string) {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let id: number | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'id') id = Number(value);
        else if (field === 'data') data.push(value);
      }
      if (data.length === 0) continue;
      if (id !== undefined) this.lastId = id;
      const f = { event, id, data: JSON.parse(data.join('\n')) as unknown, receivedAt: performance.now() };
      this.frames.push(f);
      this.onFrame?.(f);
    }
    this.wake();
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
}
