// Compounds apart at the hub (docs/security.md, "Compounds apart at the hub"), every process started here and stopped by
// its PID: PostgreSQL and 3 NATS nodes (scripts/hub-up) and the leaf nodes of two compounds, A and B, each signed in
// with its own NATS user (scripts/hub-cell). A client on A's leaf node does what a cell does for its own compound and
// tries the same against B: publishing B's rows, forging B's downlink, renewing B's liveness key, listening for B's
// commands, creating or reading B's downlink consumer, reading B's downlink from the stream. Each attempt against B is
// shown to fail beside the same call for A succeeding. A leaf node with no user or a wrong password reaches nothing,
// and a revoked compound's leaf node is cut off at the next reload. The stream is encrypted on every node's disk.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { AckPolicy, type JetStreamClient, type JetStreamManager, type NatsConnection, StringCodec, connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CELLS_BUCKET, REPLICATION_STREAM, cellInboxPrefix } from '../../gateway/src/contracts/replication';
import { COMMAND_REPLY_PREFIX, commandReplySubject, commandSubject } from '../../gateway/src/contracts/commands';
import { downlinkConsumer, downlinkFilter, downlinkSubject } from '../../gateway/src/contracts/downlink';
import { ensureJetStream } from '../../gateway/src/hub/writer';
import { freePort } from '../helpers/process';
import { type Hub, type Proc, hubNats, hubUp, leafConf, run, spawnUntil, startLeaf, stopByPid } from './harness';
import { hubCli } from './hub-fixtures';

const A = 'iso-a';
const B = 'iso-b';
const DOMAIN = 'linli-hub';
const sc = StringCodec();

/** What one JetStream or NATS call came to: ok, or the error's code (503: nothing answered — the hub never saw it). */
async function outcome(call: () => Promise<unknown>): Promise<'ok' | string> {
  try {
    await call();
    return 'ok';
  } catch (err) {
    return String((err as { code?: unknown }).code ?? (err as Error).message);
  }
}

/**
 * A leaf node with the given remote URLs (no user, a wrong password), over TLS checked against the hub's CA unless
 * `plain`: a client of it and the process.
 */
async function strangerLeaf(hubDir: string, name: string, hub: Hub, urls: string[], plain = false): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const conf = join(hubDir, `stranger-${name}.conf`);
  writeFileSync(conf, plain ? `listen: 127.0.0.1:${port}\nleafnodes { remotes: [ { urls: [ ${urls.map((u) => `"${u}"`).join(', ')} ] } ] }\n` : leafConf(port, urls, hub.env.HUB_LEAF_CA_FILE!));
  const proc = await spawnUntil('/usr/sbin/nats-server', ['-c', conf], {}, 'Server is ready');
  return { proc, url: `nats://127.0.0.1:${port}` };
}

describe('compounds apart at the hub: per-cell NATS users (multi-process)', () => {
  const hubDir = mkdtempSync(join(tmpdir(), 'linli-hubiso-'));
  let hub: Hub | undefined;
  const procs: Proc[] = [];
  let asHub: NatsConnection | undefined;
  let cellA: NatsConnection | undefined;
  let js: JetStreamClient;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    // A JetStream key as hub-up makes them, of the kind nats-server would read as a number if it were not quoted
    // (3e5…: it once kept a node from starting), left readable by others: hub-up uses it and makes it owner-only.
    mkdirSync(join(hubDir, 'nats'), { recursive: true });
    writeFileSync(join(hubDir, 'nats', 'js.key'), `3e5${'0'.repeat(60)}7\n`, { mode: 0o644 });
    hub = await hubUp(hubDir);
    asHub = await hubNats(hub);
    // The stream and buckets as the hub writer makes them (a cluster that just started elects its leader first).
    for (let attempt = 0; ; attempt++) {
      const ok = await ensureJetStream(asHub, { batchMax: 100, replicas: 3, duplicateWindowSec: 120, consumer: 'hub-writer' }).then(() => true, (err: unknown) => (attempt > 120 ? Promise.reject(err) : false));
      if (ok) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const leafA = await startLeaf(hubDir, A, hub);
    const leafB = await startLeaf(hubDir, B, hub);
    procs.push(leafA.proc, leafB.proc);
    cellA = await connect({ servers: leafA.url, inboxPrefix: cellInboxPrefix(A) });
    js = cellA.jetstream({ domain: DOMAIN, timeout: 3_000 });
    jsm = await cellA.jetstreamManager({ domain: DOMAIN, timeout: 3_000 });
    // B's downlink holds one command (a resident's phone: what A must never read).
    await asHub.jetstream().publish(downlinkSubject(B, 'resident_create'), sc.encode('{"for":"B"}'));
  }, 600_000);

  afterAll(async () => {
    await cellA?.close();
    await asHub?.close();
    for (const p of procs) await stopByPid(p);
    await hub?.pool.end();
    await run('scripts/hub-down', [hubDir], { timeout: 120_000 });
    rmSync(hubDir, { recursive: true, force: true });
  });

  const storedUnder = async (filter: string) => {
    const info = await (await asHub!.jetstreamManager()).streams.info(REPLICATION_STREAM, { subjects_filter: filter });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  };

  it("lets a cell publish its own compound's rows and downlink results, and no other compound's rows or downlink", async () => {
    expect(await outcome(() => js.publish(`linli.${A}.audit_log`, sc.encode('{}'), { msgID: 'iso-own-1' }))).toBe('ok');
    expect(await outcome(() => js.publish(`linli.down-result.${A}.resident_create`, sc.encode('{}'), { msgID: 'iso-own-2' }))).toBe('ok');
    expect(await outcome(() => js.publish(`linli.${B}.audit_log`, sc.encode('{}'), { msgID: 'iso-forge-1' }))).toBe('503');
    expect(await outcome(() => js.publish(`linli.down-result.${B}.resident_create`, sc.encode('{}'), { msgID: 'iso-forge-2' }))).toBe('503');
    // A downlink command for B, forged by A, would be applied by B's cell as the hub's.
    expect(await outcome(() => js.publish(downlinkSubject(B, 'pass_issue'), sc.encode('{}'), { msgID: 'iso-forge-3' }))).toBe('503');
    expect(await storedUnder(`linli.${A}.>`)).toBe(1);
    expect(await storedUnder(`linli.${B}.>`)).toBe(0);
    expect(await storedUnder(`linli.down-result.${B}.>`)).toBe(0);
    expect(await storedUnder(downlinkFilter(B))).toBe(1); // the hub's own command only
  });

  it("renews only its own liveness key", async () => {
    const kv = await js.views.kv(CELLS_BUCKET, { bindOnly: true });
    expect(await outcome(() => kv.put(A, sc.encode('alive')))).toBe('ok');
    // Renewing B's key would hide B's cell going offline from the hub.
    expect(await outcome(() => kv.put(B, sc.encode('alive')))).toBe('503');
    const hubKv = await asHub!.jetstream().views.kv(CELLS_BUCKET, { bindOnly: true });
    expect(await hubKv.get(A)).not.toBeNull();
    expect(await hubKv.get(B)).toBeNull();
  });

  it('creates, reads and fetches only its own downlink consumer, and cannot read the stream', async () => {
    const own = { durable_name: downlinkConsumer(A), ack_policy: AckPolicy.Explicit, max_ack_pending: 1, filter_subject: downlinkFilter(A) };
    expect(await outcome(() => jsm.consumers.add(REPLICATION_STREAM, own))).toBe('ok');
    expect(await outcome(() => jsm.consumers.info(REPLICATION_STREAM, downlinkConsumer(A)))).toBe('ok');
    // B's consumer name, or A's name with B's filter (the server checks the filter in the subject against the request).
    expect(await outcome(() => jsm.consumers.add(REPLICATION_STREAM, { ...own, durable_name: downlinkConsumer(B), filter_subject: downlinkFilter(B) }))).toBe('503');
    expect(await outcome(() => jsm.consumers.add(REPLICATION_STREAM, { ...own, filter_subject: downlinkFilter(B) }))).toBe('503');
    expect(await outcome(() => jsm.consumers.info(REPLICATION_STREAM, downlinkConsumer(B)))).toBe('503');
    // Reading a stored message by subject or sequence would read any compound's downlink.
    expect(await outcome(() => jsm.streams.getMessage(REPLICATION_STREAM, { last_by_subj: downlinkSubject(B, 'resident_create') }))).toBe('503');
    expect(await outcome(() => jsm.streams.info(REPLICATION_STREAM))).toBe('503');
    const hubJsm = await asHub!.jetstreamManager();
    expect((await hubJsm.consumers.list(REPLICATION_STREAM).next()).map((c) => c.name)).not.toContain(downlinkConsumer(B));
  });

  it("receives its own compound's commands and answers them; another compound's commands never reach it", async () => {
    const seen: string[] = [];
    const own = cellA!.subscribe(commandSubject(A, 'doors.list'), { callback: (_e, m) => { seen.push(m.subject); m.respond(sc.encode('A answers')); } });
    const other = cellA!.subscribe(`linli-cmd.${B}.>`, { callback: (_e, m) => { seen.push(m.subject); m.respond(sc.encode('A pretends to be B')); } });
    const everything = cellA!.subscribe('linli-cmd.>', { callback: (_e, m) => seen.push(`wide ${m.subject}`) });
    await cellA!.flush();
    const ask = (compound: string) =>
      asHub!.request(commandSubject(compound, 'doors.list'), sc.encode('{}'), { timeout: 5_000, noMux: true, reply: commandReplySubject(compound, 'iso', `q-${compound}`) });
    // A leaf node learns of the hub's reply subscription only once it is there: wait until A's answer comes back.
    await expect.poll(() => ask(A).then((m) => sc.decode(m.data), (err: unknown) => String(err)), { timeout: 60_000, interval: 500 }).toBe('A answers');
    // B's leaf has no client listening; A's subscriptions to B's subject are never given B's commands (had one been,
    // A's callback would have run before the request gave up).
    expect(await outcome(() => ask(B))).not.toBe('ok');
    expect(seen.filter((s) => s.includes(B))).toEqual([]);
    expect(seen).toContain(commandSubject(A, 'doors.list'));
    // Nor can A answer into another compound's reply subjects.
    const replies: string[] = [];
    const hubSide = asHub!.subscribe(`${COMMAND_REPLY_PREFIX}.${B}.iso.*`, { callback: (_e, m) => replies.push(m.subject) });
    await asHub!.flush();
    let ownArrived = 0;
    const hubOwn = asHub!.subscribe(`${COMMAND_REPLY_PREFIX}.${A}.iso.*`, { callback: () => ownArrived++ });
    await asHub!.flush();
    // Each round sends the forged answer first: once A's own answers arrive, a forged one let through would have too.
    await expect.poll(async () => {
      cellA!.publish(commandReplySubject(B, 'iso', 'forged'), sc.encode('forged'));
      cellA!.publish(commandReplySubject(A, 'iso', 'own'), sc.encode('own'));
      await cellA!.flush();
      return ownArrived;
    }, { timeout: 30_000, interval: 300 }).toBeGreaterThan(0);
    expect(replies).toEqual([]);
    for (const s of [own, other, everything, hubSide, hubOwn]) s.unsubscribe();
  });

  it('lets a leaf node with no user, a wrong password, or the right user without TLS reach nothing', async () => {
    const hubLeafUrls = hub!.env.HUB_LEAF_URLS!.split(',');
    const nobody = await strangerLeaf(hubDir, 'nobody', hub!, hubLeafUrls);
    const wrong = await strangerLeaf(hubDir, 'wrong', hub!, hubLeafUrls.map((u) => u.replace('nats-leaf://', `nats-leaf://cell-${A}:not-the-password@`)));
    // A's own user and password, without TLS: the hub's leafnode listener takes TLS only (the password never crosses
    // the WAN in clear).
    const own = z.array(z.string()).parse(JSON.parse(readFileSync(join(hubDir, `leaf-${A}.conf.remotes`), 'utf8')));
    const plain = await strangerLeaf(hubDir, 'plain', hub!, own, true);
    procs.push(nobody.proc, wrong.proc, plain.proc);
    await expect.poll(() => plain.proc.output(), { timeout: 60_000, interval: 250 }).toMatch(/TLS leafnode handshake error/);
    for (const leaf of [nobody, wrong, plain]) {
      const nc = await connect({ servers: leaf.url, inboxPrefix: cellInboxPrefix(A) });
      try {
        // The same two calls succeed through A's own leaf node (the tests above).
        expect(await outcome(() => nc.jetstreamManager({ domain: DOMAIN, timeout: 2_000 }))).not.toBe('ok');
        expect(await outcome(() => nc.jetstream({ domain: DOMAIN, timeout: 2_000 }).publish(`linli.${A}.audit_log`, sc.encode('{}')))).not.toBe('ok');
      } finally {
        await nc.close();
      }
    }
    // The hub's own request to A still reaches only A's real leaf node (a stranger listening on the subject gets nothing).
    expect(await storedUnder(`linli.${A}.>`)).toBe(1);
  });

  it('makes NATS users with hub-cli: a password printed once, only its bcrypt hash kept; bad ids and no accounts file refused', async () => {
    const url = hub!.env.HUB_DATABASE_URL!;
    const file = { HUB_NATS_AUTH_FILE: hub!.env.HUB_NATS_AUTH_FILE! };
    await expect(hubCli(url, ['nats-cell', 'iso-c'])).rejects.toThrow(/exited 78: .*HUB_NATS_AUTH_FILE/);
    await expect(hubCli(url, ['nats-cell', 'down'], undefined, file)).rejects.toThrow(/exited 64: .*reserved/);
    await expect(hubCli(url, ['nats-cell', 'a.b'], undefined, file)).rejects.toThrow(/exited 64: .*NATS subject token/);
    await expect(hubCli(url, ['nats-hub', '--password-stdin'], 'short', file)).rejects.toThrow(/exited 64: .*at least 16/);
    const out = await hubCli(url, ['nats-cell', 'iso-c'], undefined, file);
    const password = /password \(shown once\): (\S+)/.exec(out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const accounts = readFileSync(file.HUB_NATS_AUTH_FILE, 'utf8');
    expect(accounts).toContain('"cell-iso-c"');
    expect(accounts).not.toContain(password);
    const [row] = z.array(z.object({ password_hash: z.string() })).parse(await hub!.q("SELECT password_hash FROM hub_nats_user WHERE compound = 'iso-c'"));
    expect(bcrypt.compareSync(password!, row!.password_hash)).toBe(true);
    expect(await hubCli(url, ['nats-revoke', 'iso-c'], undefined, file)).toContain('cell-iso-c removed');
    expect(readFileSync(file.HUB_NATS_AUTH_FILE, 'utf8')).not.toContain('"cell-iso-c"');
  });

  it("cuts a revoked compound's leaf node off at the reload", async () => {
    const { stdout } = await run('scripts/hub-cell', [hubDir, B, '--revoke'], { timeout: 120_000 });
    expect(stdout).toContain(`cell-${B} removed`);
    expect(await hub!.q('SELECT username FROM hub_nats_user WHERE compound = $1', [B])).toEqual([]);
    const leafB = join(hubDir, `leaf-${B}.conf`);
    const port = Number(/listen: 127\.0\.0\.1:(\d+)/.exec(readFileSync(leafB, 'utf8'))![1]);
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, inboxPrefix: cellInboxPrefix(B) });
    try {
      expect(await outcome(() => nc.jetstreamManager({ domain: DOMAIN, timeout: 5_000 }))).not.toBe('ok');
    } finally {
      await nc.close();
    }
    // A is let in again after the restarts (its leaf node reconnects by itself).
    await expect.poll(() => outcome(() => jsm.consumers.info(REPLICATION_STREAM, downlinkConsumer(A))), { timeout: 120_000, interval: 1_000 }).toBe('ok');
  });

  it("keeps the stream encrypted on every node's disk, and readable by the hub after the nodes' restarts", async () => {
    const nodes = ['n1', 'n2', 'n3'].map((n) => join(hubDir, 'nats', n));
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const blockBytes = () => nodes.flatMap(files).filter((f) => f.endsWith('.blk')).reduce((n, f) => n + statSync(f).size, 0);
    // The command published before the revocation's rolling restarts is still read back in clear.
    const hubJsm = await asHub!.jetstreamManager();
    const earlier = await hubJsm.streams.getMessage(REPLICATION_STREAM, { last_by_subj: downlinkSubject(B, 'resident_create') });
    expect(sc.decode(earlier.data)).toBe('{"for":"B"}');

    // What a downlink credential carries: a card number, here one no file could hold by chance.
    const secret = `card-${randomUUID()}`;
    const body = JSON.stringify({ type: 'card', value: secret, note: secret.repeat(40) });
    const before = blockBytes();
    const ack = await asHub!.jetstream().publish(downlinkSubject(A, 'credential_enrol'), sc.encode(body));
    // Written on all three replicas (their message blocks grew by at least the message each)...
    await expect.poll(blockBytes, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(before + 3 * body.length);
    // ...and nowhere in clear: not in a message block, the stream's metadata, a consumer's state or a raft log.
    expect(nodes.flatMap(files).filter((f) => readFileSync(f).includes(secret))).toEqual([]);
    expect(sc.decode((await hubJsm.streams.getMessage(REPLICATION_STREAM, { seq: ack.seq })).data)).toBe(body);
    // The key: owner-only, and in no node's config (each node gets it in its environment).
    const key = readFileSync(join(hubDir, 'nats', 'js.key'), 'utf8').trim();
    expect(key).toBe(`3e5${'0'.repeat(60)}7`);
    expect(statSync(join(hubDir, 'nats', 'js.key')).mode & 0o777).toBe(0o600);
    for (const n of ['n1', 'n2', 'n3']) expect(readFileSync(join(hubDir, 'nats', `${n}.conf`), 'utf8')).not.toContain(key);
  });
});
