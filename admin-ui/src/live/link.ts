import { LiveAlertChange, LiveHeartbeat, LiveHello, LiveSnapshot, LiveStatus, LiveTicketReply, LiveUnsaved } from '@linli/gateway/contracts/live';

export type LinkStatus = 'connecting' | 'live' | 'down';

export interface LinkState {
  status: LinkStatus;
  /** When the current status began (ms since epoch). */
  since: number;
  /** Reconnect attempts since the link was last live. */
  attempts: number;
  /** Whether the last connection resumed from our last change id (false: a snapshot replaced the board). */
  resumed: boolean | null;
}

export interface LinkHandlers {
  snapshot(s: LiveSnapshot): void;
  change(c: LiveAlertChange): void;
  status(s: LinkState): void;
  /** A new connection: what the gateway sends after hello replaces unsaved alarms and status held so far. */
  connected(): void;
  /** An alarm the gateway could not store yet (or, state saved, has stored since). */
  unsaved(u: LiveUnsaved): void;
  /** Whether the gateway can store anything (the degraded banner). */
  database(s: LiveStatus): void;
  /** The token no longer works (expired, revoked): sign in again. */
  unauthorized(): void;
}

export interface LinkOptions {
  token: () => string | null;
  /**
   * `board`: a registered guard station nobody is signed in on (docs/security.md, "Guard stations"): the ticket comes
   * from POST /live/board-ticket on the station's httpOnly cookie and heartbeats are acknowledged with POST
   * /live/board-ack on the same cookie (no token exists, so no /auth/me); the frames carry alarms without notes. A 403
   * (the station was revoked) counts as unauthorized.
   */
  mode?: 'staff' | 'board';
  /** Reconnect delays grow to this (ms). */
  maxDelayMs?: number;
}

/**
 * The guard station's live link (docs/alerts.md, "Live stream"): EventSource with `?ack=1` and a single-use
 * `?ticket=` fetched just before (the bearer token never goes into a URL), a POST /live/ack on
 * every heartbeat so the gateway can tell a dead screen, a watchdog that calls the link down after two heartbeat
 * intervals of silence, and reconnects that resume from the last change id — so no alert is ever lost, and the
 * guard sees at once when alerts could not reach the screen.
 */
export class AlertLink {
  private es: EventSource | null = null;
  private lastId: number | null = null;
  private connectionId: string | null = null;
  private heartbeatMs = 5_000;
  private lastFrameAt = 0;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private state: LinkState = { status: 'connecting', since: Date.now(), attempts: 0, resumed: null };
  private stopped = true;

  constructor(
    private readonly opts: LinkOptions,
    private readonly on: LinkHandlers,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.watchdog = setInterval(() => this.check(), 500);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.es?.close();
    this.es = null;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.retry) clearTimeout(this.retry);
    this.watchdog = null;
    this.retry = null;
  }

  private setStatus(status: LinkStatus, patch: Partial<LinkState> = {}) {
    const changed = status !== this.state.status;
    this.state = { ...this.state, ...patch, status, since: changed ? Date.now() : this.state.since };
    this.on.status(this.state);
  }

  /** Each (re)connection needs a fresh ticket: EventSource's own retry would reuse a spent one and get a 401. */
  private async connect(): Promise<void> {
    const board = this.opts.mode === 'board';
    const token = this.opts.token();
    if (token === null && !board) {
      this.on.unauthorized();
      return;
    }
    let ticket: string;
    try {
      const res = board
        ? await fetch('/api/v1/live/board-ticket', { method: 'POST', credentials: 'same-origin', signal: AbortSignal.timeout(10_000) })
        : await fetch('/api/v1/live/ticket', { method: 'POST', headers: { authorization: `Bearer ${token ?? ''}` }, signal: AbortSignal.timeout(10_000) });
      if (res.status === 401 || (board && res.status === 403)) {
        this.on.unauthorized();
        return;
      }
      if (!res.ok) throw new Error(`ticket: HTTP ${res.status}`);
      ticket = LiveTicketReply.parse(await res.json()).ticket;
    } catch {
      this.fail();
      return;
    }
    if (this.stopped || this.es !== null) return;
    const url = new URL('/api/v1/live/alerts', location.origin);
    url.searchParams.set('ticket', ticket);
    url.searchParams.set('ack', '1');
    if (this.lastId !== null) url.searchParams.set('lastEventId', String(this.lastId));
    const es = new EventSource(url);
    this.es = es;
    this.lastFrameAt = Date.now();
    const guard = (fn: (data: unknown) => void) => (ev: MessageEvent<string>) => {
      if (this.es !== es) return;
      this.lastFrameAt = Date.now();
      try {
        fn(JSON.parse(ev.data));
      } catch (err) {
        // A frame that does not match the contract means this screen cannot be trusted: start over.
        console.error('live frame rejected', err);
        this.fail();
      }
    };
    es.addEventListener('hello', guard((d) => {
      const hello = LiveHello.parse(d);
      this.heartbeatMs = hello.heartbeatSec * 1000;
      this.connectionId = hello.connectionId;
      this.on.connected();
      this.setStatus('live', { attempts: 0, resumed: hello.resumed });
    }));
    es.addEventListener('snapshot', guard((d) => {
      const snap = LiveSnapshot.parse(d);
      this.lastId = snap.lastId;
      this.on.snapshot(snap);
    }));
    es.addEventListener('alert', guard((d) => {
      const change = LiveAlertChange.parse(d);
      this.lastId = change.id;
      this.on.change(change);
    }));
    es.addEventListener('unsaved', guard((d) => this.on.unsaved(LiveUnsaved.parse(d))));
    es.addEventListener('status', guard((d) => this.on.database(LiveStatus.parse(d))));
    es.addEventListener('heartbeat', guard((d) => {
      LiveHeartbeat.parse(d);
      void this.ack();
    }));
    es.onerror = () => {
      // Never let EventSource retry by itself: its retry would present the spent ticket again.
      if (this.es === es) this.fail();
    };
  }

  /** Tells the gateway this screen is still reading; a 404 means it already gave up on us. */
  private async ack(): Promise<void> {
    const board = this.opts.mode === 'board';
    const token = this.opts.token();
    if (!this.connectionId || (!token && !board)) return;
    try {
      // A station's read-only board answers on its station cookie, a signed-in screen with its token.
      const res = await fetch(board ? '/api/v1/live/board-ack' : '/api/v1/live/ack', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { ...(board ? {} : { authorization: `Bearer ${token ?? ''}` }), 'content-type': 'application/json' },
        body: JSON.stringify({ connectionId: this.connectionId }),
      });
      if (res.status === 404) this.fail();
      if (res.status === 401 || (board && res.status === 403)) this.on.unauthorized();
    } catch {
      // The watchdog notices a dead link by itself.
    }
  }

  private check(): void {
    if (this.stopped || this.es === null) return;
    // Two heartbeat intervals without any frame: the link is dead even if the socket looks open (docs/alerts.md).
    if (Date.now() - this.lastFrameAt > 2 * this.heartbeatMs + 500) this.fail();
  }

  private fail(): void {
    this.es?.close();
    this.es = null;
    this.connectionId = null;
    if (this.stopped) return;
    const attempts = this.state.attempts + 1;
    this.setStatus('down', { attempts });
    // EventSource cannot show an HTTP status: ask once in a while whether the token still works.
    if (attempts % 3 === 2 && this.opts.mode !== 'board') void this.checkAuth();
    const delay = Math.min(this.opts.maxDelayMs ?? 5_000, 500 * 2 ** Math.min(attempts, 4));
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.stopped) return;
      this.setStatus('down', { attempts });
      void this.connect();
    }, delay);
  }

  private async checkAuth(): Promise<void> {
    const token = this.opts.token();
    if (!token) return;
    try {
      const res = await fetch('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 401) this.on.unauthorized();
    } catch {
      // Gateway unreachable: keep retrying.
    }
  }
}
