import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real HTTP server standing in for the grid worker's or the street office's system. `respond` decides each
 * answer's status (default 200), so a test can make it fail and recover.
 */
export async function webhookReceiver(respond: (call: ReceivedCall, n: number) => number = () => 200) {
  const calls: ReceivedCall[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const call = { headers: req.headers, body, at: Date.now() };
      calls.push(call);
      res.statusCode = respond(call, calls.length);
      res.end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    calls,
    /** Resolves once at least `n` calls arrived. */
    async received(n: number, timeoutMs = 10_000): Promise<ReceivedCall[]> {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`webhook got ${calls.length} of ${n} calls`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return calls;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
