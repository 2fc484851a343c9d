import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { loginOutcome } from './helpers/mqtt';
import { freePort } from './helpers/process';

const HAPROXY = '/usr/sbin/haproxy';
/** Debian's HAProxy runs as this test's own process; CI installs it (.ci/run), elsewhere the test is skipped without it. */
const skipHaproxy = !existsSync(HAPROXY) && !process.env.CI;

const DOOR = { id: 'door-b01-u1', kind: 'face_terminal', secret: 'door-secret-0001' } as const;
const LAMP = { id: 'lamp-001', kind: 'streetlight', secret: 'lamp-secret-0001' } as const;

/**
 * An MQTT login over a TCP (or TLS) socket bound to `localAddress` (every 127.x.y.z is this host): CONNACK code or
 * 'closed'.
 */
function loginFrom(localAddress: string, port: number, opts: IClientOptions, tls = false): Promise<number | 'closed'> {
  const tcp = () => connect({ host: '127.0.0.1', port, localAddress });
  const stream = () => (tls ? tlsConnect({ socket: tcp(), rejectUnauthorized: false }) : tcp());
  return loginOutcome(new mqtt.MqttClient(stream, { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4, ...opts }));
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s: Socket = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

describe.skipIf(skipHaproxy)('MQTT behind HAProxy with the PROXY protocol', () => {
  let t: TestGateway;
  let haproxy: ChildProcess;
  let dir: string;
  const ports = { v1: 0, v2: 0, tls: 0 };
  const lines: string[] = [];
  const refusedFrom = () => lines.filter((l) => l.includes('mqtt login refused')).map((l) => (JSON.parse(l) as { address: string }).address);

  beforeAll(async () => {
    // HAProxy connects from 127.0.0.1: that is the trusted balancer. Devices use other loopback addresses.
    dir = mkdtempSync(join(tmpdir(), 'linli-haproxy-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    t = await startGateway(
      { MQTT_TRUSTED_PROXIES: '127.0.0.1', AUTH_FAIL_LIMIT: '2', LOG_LEVEL: 'info', TLS_CERT_FILE: cert, TLS_KEY_FILE: key },
      undefined,
      undefined,
      { write: (s: string) => void lines.push(s) },
    );
    await addDevice(t.gw.db.prisma, DOOR);
    await addDevice(t.gw.db.prisma, LAMP);
    ports.v1 = await freePort();
    ports.v2 = await freePort();
    ports.tls = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, [
      'global',
      '  maxconn 256',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      `frontend mqtt_v1`,
      `  bind 127.0.0.1:${ports.v1}`,
      `  default_backend gateway_v1`,
      `backend gateway_v1`,
      `  server gw 127.0.0.1:${t.ports.mqtt} send-proxy`,
      `frontend mqtt_v2`,
      `  bind 127.0.0.1:${ports.v2}`,
      `  default_backend gateway_v2`,
      `backend gateway_v2`,
      `  server gw 127.0.0.1:${t.ports.mqtt} send-proxy-v2`,
      // TLS passed through untouched: the header goes first, the device's TLS handshake follows.
      `frontend mqtts`,
      `  bind 127.0.0.1:${ports.tls}`,
      `  default_backend gateway_tls`,
      `backend gateway_tls`,
      `  server gw 127.0.0.1:${t.ports.mqtts} send-proxy-v2`,
      '',
    ].join('\n'));
    // -db: stay in the foreground, so the process is ours to stop by its PID.
    haproxy = spawn(HAPROXY, ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitForPort(ports.v1, 15_000);
    await waitForPort(ports.v2, 15_000);
    await waitForPort(ports.tls, 15_000);
  });
  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((r) => haproxy.once('exit', r));
      haproxy.kill('SIGTERM');
      await exited;
    }
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs devices in through the balancer with v1 and v2 headers', async () => {
    const login = { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret };
    expect(await loginFrom('127.0.0.2', ports.v1, login)).toBe(0);
    expect(await loginFrom('127.0.0.3', ports.v2, login)).toBe(0);
  });

  it('sees each device\'s own address: a failing device is throttled alone, its neighbours behind the balancer are not', async () => {
    const bad = { clientId: LAMP.id, username: LAMP.id, password: 'wrong' };
    expect(await loginFrom('127.0.0.4', ports.v1, bad)).toBe(4);
    expect(await loginFrom('127.0.0.4', ports.v2, bad)).toBe(4);
    expect(refusedFrom().slice(-2)).toEqual(['127.0.0.4', '127.0.0.4']);
    // Throttled: (127.0.0.4, lamp-001) — refused even with the right secret.
    expect(await loginFrom('127.0.0.4', ports.v1, { ...bad, password: LAMP.secret })).toBe('closed');
    // The same id from another device address, and another device from the same one, still log in.
    expect(await loginFrom('127.0.0.5', ports.v1, { ...bad, password: LAMP.secret })).toBe(0);
    expect(await loginFrom('127.0.0.4', ports.v2, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret })).toBe(0);
  });

  it('reads the header before the TLS handshake when the balancer passes device TLS through', async () => {
    expect(await loginFrom('127.0.0.8', ports.tls, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret }, true)).toBe(0);
    expect(await loginFrom('127.0.0.9', ports.tls, { clientId: DOOR.id, username: DOOR.id, password: 'wrong' }, true)).toBe(4);
    expect(refusedFrom().at(-1)).toBe('127.0.0.9');
    // Straight to the TLS port from the balancer's address, without a header: closed before any TLS.
    expect(await loginFrom('127.0.0.1', t.ports.mqtts ?? 0, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret }, true)).toBe('closed');
  });

  it('requires the header from the balancer\'s address and never reads one from anybody else', async () => {
    const login = { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret };
    // Straight from the trusted address without a header: closed.
    expect(await loginFrom('127.0.0.1', t.ports.mqtt, login)).toBe('closed');
    expect(lines.some((l) => l.includes('without a valid PROXY header'))).toBe(true);
    // A device claiming another address with a forged header of its own: not a CONNECT first, closed; logged as itself.
    const forged: Socket = connect({ host: '127.0.0.1', port: t.ports.mqtt, localAddress: '127.0.0.6' });
    forged.on('error', () => undefined);
    await new Promise<void>((resolve) => forged.once('connect', () => resolve()));
    forged.write('PROXY TCP4 198.51.100.1 127.0.0.1 5000 1883\r\n');
    await new Promise<void>((resolve) => forged.once('close', () => resolve()));
    expect(lines.some((l) => l.includes('"address":"127.0.0.6"') && l.includes('frame guard'))).toBe(true);
    expect(lines.some((l) => l.includes('198.51.100.1'))).toBe(false);
  });
});
