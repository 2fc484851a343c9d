import { describe, expect, it } from 'vitest';
import { BackpressureError } from './group-commit';
import { createPgGroupCommit } from './pg-group-commit';

/**
 * The asynchronous group commit's queue, with a commit whose transactions the test finishes by hand: what is handed
 * to a transaction, when, and what each write resolves with. test/cluster/pg-ingest.test.ts runs it on PostgreSQL.
 */
function harness(opts: { maxBatch: number; maxPending?: number; maxDelayMs?: number }, streamOf?: (item: string) => string) {
  const calls: Array<{ batch: string[]; finish: (err?: Error) => void }> = [];
  let open = 0;
  let mostOpen = 0;
  const errors: number[] = [];
  const gc = createPgGroupCommit(
    (batch: string[]) =>
      new Promise<string[]>((resolve, reject) => {
        open++;
        mostOpen = Math.max(mostOpen, open);
        calls.push({
          batch,
          finish: (err) => {
            open--;
            if (err) reject(err);
            else resolve(batch.map((b) => `${b}:committed`));
          },
        });
      }),
    { maxBatch: opts.maxBatch, maxDelayMs: opts.maxDelayMs ?? 60_000, maxPending: opts.maxPending ?? 1_000, onError: (_err, attempt) => errors.push(attempt) },
    streamOf,
  );
  /** Resolves once the commit has been called `n` times. */
  const called = async (n: number) => {
    while (calls.length < n) await new Promise((r) => setTimeout(r, 1));
  };
  return { gc, calls, errors, called, mostOpen: () => mostOpen };
}

describe('group commit on PostgreSQL: the queue', () => {
  it('keeps one transaction in flight; what arrives meanwhile forms the next batches', async () => {
    const { gc, calls, called, mostOpen } = harness({ maxBatch: 2 });
    const first = [gc.write('a'), gc.write('b')];
    await called(1);
    const later = [gc.write('c'), gc.write('d'), gc.write('e')];
    // Let the event loop turn: no second transaction starts while the first is open.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(calls.map((c) => c.batch)).toEqual([['a', 'b']]);
    calls[0]!.finish();
    expect(await Promise.all(first)).toEqual(['a:committed', 'b:committed']);
    await called(2);
    expect(calls[1]!.batch).toEqual(['c', 'd']);
    calls[1]!.finish();
    await called(3);
    expect(calls[2]!.batch).toEqual(['e']);
    calls[2]!.finish();
    expect(await Promise.all(later)).toEqual(['c:committed', 'd:committed', 'e:committed']);
    expect(mostOpen()).toBe(1);
  });

  it('commits an urgent item next, alone, ahead of the bulk items queued during the transaction in flight', async () => {
    const { gc, calls, called } = harness({ maxBatch: 2 }, (item) => item.split('/')[0]!);
    const first = [gc.write('door/1'), gc.write('lamp/1')];
    await called(1);
    const bulk = [gc.write('lamp/2'), gc.write('btn/1')];
    const press = gc.write('btn/press', true);
    calls[0]!.finish();
    await called(2);
    // The press takes its own device's waiting report along, and nothing else.
    expect(calls[1]!.batch).toEqual(['btn/1', 'btn/press']);
    calls[1]!.finish();
    expect(await press).toBe('btn/press:committed');
    await called(3);
    expect(calls[2]!.batch).toEqual(['lamp/2']);
    calls[2]!.finish();
    await Promise.all([...first, ...bulk]);
  });

  it('puts a failed batch back in front and retries it: the same items, in the same order, none lost', async () => {
    const { gc, calls, called, errors } = harness({ maxBatch: 10, maxDelayMs: 1 });
    const writes = [gc.write('press', true)];
    await called(1);
    writes.push(gc.write('door'), gc.write('cancel', true));
    calls[0]!.finish(new Error('connection terminated'));
    await called(2);
    expect(errors).toEqual([1]);
    // The press stays ahead of the cancel that arrived during the outage.
    expect(calls[1]!.batch).toEqual(['press', 'cancel']);
    calls[1]!.finish(new Error('connection refused'));
    await called(3);
    expect(errors).toEqual([1, 2]);
    expect(calls[2]!.batch).toEqual(['press', 'cancel']);
    calls[2]!.finish();
    await called(4);
    expect(calls[3]!.batch).toEqual(['door']);
    calls[3]!.finish();
    expect(await Promise.all(writes)).toEqual(['press:committed', 'door:committed', 'cancel:committed']);
  });

  it('refuses bulk items beyond maxPending but never an urgent one', async () => {
    const { gc, calls, called } = harness({ maxBatch: 1, maxPending: 2 });
    const accepted = [gc.write('a')];
    await called(1);
    accepted.push(gc.write('b'), gc.write('c'));
    expect(gc.refusing()).toBe(true);
    await expect(gc.write('d')).rejects.toBeInstanceOf(BackpressureError);
    accepted.push(gc.write('press', true));
    for (let i = 1; i <= 4; i++) {
      await called(i);
      calls[i - 1]!.finish();
    }
    expect(calls.map((c) => c.batch)).toEqual([['a'], ['press'], ['b'], ['c']]);
    expect(await Promise.all(accepted)).toEqual(['a:committed', 'b:committed', 'c:committed', 'press:committed']);
  });

  it('drains what is queued and waits for the transaction in flight, then refuses new writes', async () => {
    const { gc, calls, called } = harness({ maxBatch: 1 });
    const writes = [gc.write('a')];
    await called(1);
    writes.push(gc.write('b'));
    const drained = gc.drain(60_000);
    calls[0]!.finish();
    await called(2);
    calls[1]!.finish();
    expect(await drained).toBe(true);
    expect(await Promise.all(writes)).toEqual(['a:committed', 'b:committed']);
    await expect(gc.write('c')).rejects.toThrow('writer closed');
  });

  it('gives up draining at its deadline when a transaction never returns', async () => {
    const { gc, called } = harness({ maxBatch: 1 });
    void gc.write('stuck');
    await called(1);
    expect(await gc.drain(50)).toBe(false);
    expect(gc.pending()).toBe(0);
  });
});
