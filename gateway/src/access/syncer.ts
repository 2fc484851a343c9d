import { lookupHash } from '../auth/hash';
import type { AccessContext } from './context';
import { keyId, pages, syncSet } from './sync';

/** Changes arriving within this long are sent as one set (a resident enrolling three credentials). */
const DEBOUNCE_MS = 100;

/**
 * Keeps every connected door's offline credential set current: the whole set on connect and after each change
 * (debounced per door). Whole sets rather than deltas: a door that missed a message cannot drift, and the largest
 * set (the main gate of a 4,000-household compound) is a few hundred kilobytes in 200-entry pages.
 */
export function createSyncer(ctx: Omit<AccessContext, 'changed'>) {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let seq = 0;
  const kid = keyId(ctx.keys.credentialKey);
  const hash = (type: 'face', value: string) => lookupHash(ctx.keys.credentialKey, type, value);

  async function send(deviceId: string): Promise<void> {
    const door = ctx.dir.doors.get(deviceId);
    if (!door || !ctx.broker.isConnected(deviceId)) return;
    const now = ctx.now();
    const parts = pages(syncSet(ctx.dir, door, now.getTime(), hash));
    const syncId = `sync-${now.getTime()}-${++seq}`;
    for (const [i, entries] of parts.entries()) {
      await ctx.broker.publishTo(deviceId, 'credentialSync', { syncId, page: i + 1, pages: parts.length, keyId: kid, entries, ts: now.toISOString() });
    }
    ctx.log.debug({ deviceId, entries: parts.reduce((n, p) => n + p.length, 0), pages: parts.length }, 'credential set sent');
  }

  function flush(): void {
    timer = null;
    const ids = [...pending];
    pending.clear();
    for (const id of ids) send(id).catch((err: unknown) => ctx.log.warn({ err, deviceId: id }, 'could not send the credential set'));
  }

  return {
    changed(doorIds: Iterable<string>): void {
      for (const id of doorIds) if (ctx.broker.isConnected(id)) pending.add(id);
      if (pending.size > 0 && timer === null) timer = setTimeout(flush, DEBOUNCE_MS);
    },
    /** On connect (the device announced itself online after subscribing): the whole set, at once. */
    send,
    close(): void {
      if (timer) clearTimeout(timer);
      timer = null;
      pending.clear();
    },
  };
}
