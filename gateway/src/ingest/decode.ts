import type { z } from 'zod';
import { type DeviceError, type PayloadOf, type UpChannel, catalogue, schemaOf } from '../contracts';

export type Decoded<N extends UpChannel> =
  /** ownId: the device sent the event id (presence has none; its id is made from the channel and timestamp). */
  | { ok: true; payload: PayloadOf<N>; eventId: string; ownId: boolean; ts: string }
  | { ok: false; code: DeviceError['code']; message: string; issues?: DeviceError['issues'] };

function issuesOf(err: z.ZodError): NonNullable<DeviceError['issues']> {
  return err.issues.slice(0, 20).map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
}

/** Bytes → validated payload of an up channel, or the reason it was refused (for the device's error topic). */
export function decode<N extends UpChannel>(name: N, payload: Buffer, maxBytes: number): Decoded<N> {
  if (payload.length > maxBytes) {
    return { ok: false, code: 'payload_too_large', message: `payload is ${payload.length} bytes; the limit is ${maxBytes}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'invalid_json', message: `payload is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = schemaOf(name).safeParse(json);
  if (!parsed.success) {
    return { ok: false, code: 'invalid_payload', message: `payload does not match ${catalogue[name].channel}`, issues: issuesOf(parsed.error) };
  }
  const data = parsed.data;
  // Presence carries no event id: its timestamp identifies it (a retained copy sent again is the same event).
  const eventId = data.eventId ?? `${name}:${data.ts}`;
  return { ok: true, payload: data, eventId, ownId: data.eventId !== undefined, ts: data.ts };
}
