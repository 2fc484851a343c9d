import { LoginReply } from '../../gateway/src/contracts/api/auth';

export interface Reply {
  status: number;
  body: unknown;
}

/** A small JSON client for the gateway's HTTP API: real HTTP, bearer tokens, parsed bodies. */
export function apiClient(baseUrl: string) {
  async function call(method: string, path: string, token?: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  }
  return {
    call,
    get: (path: string, token?: string) => call('GET', path, token),
    post: (path: string, token: string | undefined, body: unknown = {}) => call('POST', path, token, body),
    async login(user: { username: string; password: string }): Promise<string> {
      const r = await call('POST', '/api/v1/auth/login', undefined, user);
      if (r.status !== 200) throw new Error(`login ${user.username}: ${r.status} ${JSON.stringify(r.body)}`);
      return LoginReply.parse(r.body).token;
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;
