/** A reply: its status and its body parsed as JSON (null when empty), still to be checked against a contract. */
export interface JsonReply {
  ok: boolean;
  status: number;
  json: unknown;
}

/**
 * One JSON request of the guard station, the phone app or the hub page: the bearer token when there is one, the body
 * sent as JSON. What a refusal means (a sign-in box, a cleared sign-in) stays with each caller.
 */
export async function fetchJson(method: string, path: string, token: string | null, body?: unknown): Promise<JsonReply> {
  const res = await fetch(path, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { ok: res.ok, status: res.status, json: text === '' ? null : JSON.parse(text) };
}
