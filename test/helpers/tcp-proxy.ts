import { once } from 'node:events';
import { type Socket, connect, createServer } from 'node:net';

/**
 * A TCP relay between a device and the gateway that a test can cut and restore: the network between a door and the
 * guard room failing, while both keep running.
 */
export async function tcpProxy(targetPort: number) {
  let open = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    /** Drops every connection and refuses new ones until restored. */
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    async close() {
      this.cut();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
