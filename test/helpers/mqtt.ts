import { type Socket, connect as netConnect } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** Connects a real MQTT.js client; resolves when connected, rejects with the CONNACK error (its `code`). */
export function connectClient(url: string, opts: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, protocolVersion: 4, ...opts });
}

/** How a login ended: 0 when accepted, the CONNACK refusal code, or 'closed' when the socket was dropped without one. */
export function loginOutcome(client: MqttClient): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    client.once('connect', () => {
      client.end(true);
      resolve(0);
    });
    client.once('error', (err: Error & { code?: number | string }) => {
      client.end(true);
      resolve(typeof err.code === 'number' ? err.code : 'closed');
    });
    client.once('close', () => {
      client.end(true);
      resolve('closed');
    });
  });
}

/** Resolves with the CONNACK refusal code (or 'closed' when the socket was dropped without one). */
export async function refusal(url: string, opts: IClientOptions): Promise<number | 'closed'> {
  const outcome = await loginOutcome(mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, protocolVersion: 4, ...opts }));
  if (outcome === 0) throw new Error('connection was accepted');
  return outcome;
}

/** Resolves when the client is disconnected by the server. */
export function closedBy(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve();
    client.once('close', () => resolve());
  });
}

/** A raw TCP socket, for speaking bytes the MQTT client library would never send. */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with the time (ms) until the server closed the socket. */
export function timeUntilClosed(s: Socket): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    s.on('data', () => undefined);
    s.once('close', () => resolve(Date.now() - t0));
  });
}

export function nextMessage(client: MqttClient, topic: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const on = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      client.off('message', on);
      resolve(payload);
    };
    client.on('message', on);
  });
}
