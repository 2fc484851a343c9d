import { ResidentAlarmChanged, ResidentArrival, ResidentLiveHello } from '@linli/gateway/contracts/api/resident';
import { ResidentWalkIn } from '@linli/gateway/contracts/api/walk-ins';
import { api } from './api';

export interface LiveHandlers {
  arrival: (a: ResidentArrival) => void;
  alarm: (a: ResidentAlarmChanged) => void;
  /** A walk-in visitor the guard asked the household about: made, answered or run out. */
  walkIn?: (w: ResidentWalkIn) => void;
  status: (s: 'connecting' | 'live' | 'down') => void;
}

/**
 * The household's live stream: a fresh single-use ticket for every (re)connection (EventSource's own retry would
 * present a spent one), every frame parsed with the gateway's contract, reconnect after 1, 2, 4 … 15 s.
 */
export function openLive(h: LiveHandlers): () => void {
  let es: EventSource | null = null;
  let stopped = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    es?.close();
    es = null;
    if (stopped) return;
    h.status('down');
    failures++;
    timer = setTimeout(connect, Math.min(15_000, 1000 * 2 ** Math.min(failures - 1, 4)));
  };

  async function connect() {
    if (stopped) return;
    h.status('connecting');
    let ticket: string;
    try {
      ticket = (await api.ticket()).ticket;
    } catch {
      retry();
      return;
    }
    if (stopped) return;
    const src = new EventSource(`/api/v1/resident/live?ticket=${encodeURIComponent(ticket)}`);
    es = src;
    const parse = <T>(schema: { safeParse: (x: unknown) => { success: true; data: T } | { success: false } }, e: MessageEvent<string>, use: (x: T) => void) => {
      let json: unknown;
      try {
        json = JSON.parse(e.data);
      } catch {
        retry();
        return;
      }
      const r = schema.safeParse(json);
      if (r.success) use(r.data);
      else retry();
    };
    src.addEventListener('hello', (e) =>
      parse(ResidentLiveHello, e, () => {
        failures = 0;
        h.status('live');
      }),
    );
    src.addEventListener('arrival', (e) => parse(ResidentArrival, e, h.arrival));
    src.addEventListener('alarm', (e) => parse(ResidentAlarmChanged, e, h.alarm));
    src.addEventListener('walk_in', (e) => parse(ResidentWalkIn, e, (w) => h.walkIn?.(w)));
    src.onerror = retry;
  }

  void connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    es?.close();
  };
}
