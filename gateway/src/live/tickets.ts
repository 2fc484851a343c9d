import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../contracts/api/auth';

export interface StreamTicketOptions {
  /** How long an issued ticket may wait for its stream request. */
  ttlMs: number;
  /** Tickets outstanding at most (oldest forgotten first): a caller minting tickets in a loop costs bounded memory. */
  max: number;
}

/** Who a board ticket was issued to: a registered guard station, not a person (live/board-view.ts). */
export interface StationHolder {
  stationId: string;
}

const digest = (ticket: string) => createHash('sha256').update(ticket).digest('base64url');

/**
 * Single-use stream tickets: a browser's EventSource cannot send an Authorization header, and a bearer token in a URL
 * ends up in logs, proxies and browser history where it works for a whole shift. A ticket is minted by an
 * authenticated POST, lives for seconds, opens one stream and is gone — a copy taken from any log is worthless.
 * Kept in memory only (a restart invalidates them, which costs the UI one more POST) and looked up by SHA-256.
 */
export class StreamTickets<T extends object = Principal> {
  private readonly tickets: LRUCache<string, T>;

  constructor(
    private readonly opts: StreamTicketOptions,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.tickets = new LRUCache({ max: opts.max, ttl: opts.ttlMs, ttlAutopurge: false, perf: { now: this.now } });
  }

  issue(principal: T): { ticket: string; expiresAt: Date } {
    const ticket = randomBytes(32).toString('base64url');
    this.tickets.set(digest(ticket), principal);
    return { ticket, expiresAt: new Date(this.now() + this.opts.ttlMs) };
  }

  /** The ticket's principal, once; null for an unknown, expired or already used ticket. */
  redeem(ticket: string): T | null {
    const key = digest(ticket);
    const principal = this.tickets.get(key) ?? null;
    this.tickets.delete(key);
    return principal;
  }
}
