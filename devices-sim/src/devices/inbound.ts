import { AccessReply, Command, CredentialSync, DeviceError, type DownChannel, type PayloadOf, type SyncEntry, isUpChannel, parseTopic } from '@linli/gateway/contracts';

/** A validated message from the gateway, typed by its channel. */
export type Received = { [N in DownChannel]: { name: N; payload: PayloadOf<N> } }[DownChannel];

/**
 * Parses what the broker delivered to device `deviceId`: its own namespace, a down channel, and a payload that
 * matches the contract. Anything else is a reason, which the device counts and emits as 'invalid'.
 */
export function validateInbound(deviceId: string, topic: string, bytes: Buffer): { ok: true; msg: Received } | { ok: false; reason: string } {
  const parsed = parseTopic(topic);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  if (parsed.deviceId !== deviceId) return { ok: false, reason: 'another device' };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const fail = (issues: { message: string }[]): { ok: false; reason: string } => ({ ok: false, reason: issues.map((i) => i.message).join('; ') });
  const name = parsed.name;
  if (isUpChannel(name)) return { ok: false, reason: `${name} is not a down channel` };
  switch (name) {
    case 'accessReply': {
      const r = AccessReply.safeParse(json);
      return r.success ? { ok: true, msg: { name: 'accessReply', payload: r.data } } : fail(r.error.issues);
    }
    case 'command': {
      const r = Command.safeParse(json);
      return r.success ? { ok: true, msg: { name: 'command', payload: r.data } } : fail(r.error.issues);
    }
    case 'credentialSync': {
      const r = CredentialSync.safeParse(json);
      return r.success ? { ok: true, msg: { name: 'credentialSync', payload: r.data } } : fail(r.error.issues);
    }
    case 'error': {
      const r = DeviceError.safeParse(json);
      return r.success ? { ok: true, msg: { name: 'error', payload: r.data } } : fail(r.error.issues);
    }
  }
}

/**
 * Pages of credential syncs, kept per syncId; a set replaces the current one only once all its pages have arrived,
 * so a door never works from half a list.
 */
export class CredentialStore {
  private current: { syncId: string; keyId: string; entries: SyncEntry[] } | null = null;
  private readonly partial = new Map<string, Map<number, CredentialSync>>();

  get syncId(): string | null {
    return this.current?.syncId ?? null;
  }

  get entries(): readonly SyncEntry[] {
    return this.current?.entries ?? [];
  }

  add(page: CredentialSync): void {
    const pages = this.partial.get(page.syncId) ?? new Map<number, CredentialSync>();
    pages.set(page.page, page);
    this.partial.set(page.syncId, pages);
    if (pages.size < page.pages) return;
    const ordered = [...pages.values()].sort((a, b) => a.page - b.page);
    this.current = { syncId: page.syncId, keyId: page.keyId, entries: ordered.flatMap((p) => p.entries) };
    // Older incomplete syncs are superseded by a complete newer one.
    this.partial.clear();
  }
}
