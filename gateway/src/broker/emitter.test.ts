import { Aedes } from 'aedes';
import mqemitter from 'mqemitter';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmitter } from './emitter';

// The crash of a 10,000-device reconnect storm: "RangeError: Maximum call stack size exceeded" in
// qlobber ← mqemitter._do ← released ← fastparallel ← _do ← released … Once every `concurrency` slot is taken,
// mqemitter queues; each release starts the next queued message from inside the previous one's callback, so a queue
// whose handlers finish synchronously (no subscriber, or Aedes' own `$SYS` handlers) recursed once per message.
// patches/mqemitter+7.1.0.patch bounds that recursion; these tests fail without it.

/** Takes every slot with handlers that finish only when `release` is called, then queues `count` more messages. */
function fillAndQueue(mq: mqemitter.MQEmitter, slots: number, count: number, topic: (i: number) => string) {
  const held: Array<() => void> = [];
  mq.on('hold/#', (_m, done) => held.push(done));
  for (let i = 0; i < slots; i++) mq.emit({ topic: 'hold/slot' });
  const completed: number[] = [];
  for (let i = 0; i < count; i++) mq.emit({ topic: topic(i), seq: i }, () => completed.push(i));
  return { held, completed };
}

describe('mqemitter as patched', () => {
  it('drains 200,000 queued messages whose handlers finish synchronously, without overflowing the stack', async () => {
    const mq = mqemitter({ concurrency: 10 });
    const seen: number[] = [];
    mq.on('v1/devices/+/presence', (m, done) => {
      seen.push(Number(m.seq));
      done();
    });
    const { held, completed } = fillAndQueue(mq, 10, 200_000, (i) => (i % 2 ? 'v1/devices/d/presence' : 'nobody/listens'));
    expect(held).toHaveLength(10);
    expect(() => held.forEach((done) => done())).not.toThrow();
    await expect.poll(() => completed.length, { timeout: 60_000 }).toBe(200_000);
    // Same order as emitted: a deferred release keeps its place in the queue.
    expect(completed.every((v, i) => v === i)).toBe(true);
    expect(seen.every((v, i) => v === i * 2 + 1)).toBe(true);
  });
});

describe('the broker emitter in a reconnect storm', () => {
  let broker: Aedes | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (broker ? broker.close(() => r()) : r()));
    broker = undefined;
  });

  it('survives 60,000 storm messages queued behind full slots, and filters the client notices nobody reads', async () => {
    const emitter = createEmitter(200);
    broker = await Aedes.createBroker({ mq: emitter.mq, concurrency: 200 });
    const aedes = broker;
    const held: Array<() => void> = [];
    aedes.subscribe('hold/#', (_p, done) => held.push(done), () => undefined);
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 200; i++) aedes.publish({ cmd: 'publish', topic: 'hold/slot', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }, () => undefined);
    await expect.poll(() => held.length).toBe(200);

    // What a storm pushes: per device a new-client notice, its presence, a Will, and a disconnect notice.
    let done = 0;
    const topics = (i: number) => [`$SYS/${aedes.id}/new/clients`, `v1/devices/d${i}/status`, `v1/devices/d${i}/will`, `$SYS/${aedes.id}/disconnect/clients`];
    for (let i = 0; i < 15_000; i++) {
      for (const topic of topics(i)) {
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(`d${i}`), qos: 0, retain: false, dup: false }, () => done++);
      }
    }
    // Aedes' publish runs a few async steps before the emitter: wait until the device messages queue behind the slots.
    await expect.poll(() => emitter.queued(), { timeout: 30_000 }).toBe(30_000);
    expect(() => held.forEach((release) => release())).not.toThrow();
    await expect.poll(() => done, { timeout: 60_000 }).toBe(60_000);
    expect(emitter.counts.filtered).toBe(30_000);
    expect(emitter.counts.delivered).toBeGreaterThanOrEqual(30_200);
  });
});
