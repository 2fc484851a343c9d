export type Cancel = () => void;

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A min-heap on (time, insertion order): ties run first-come first-served, which keeps plans deterministic. */
export class Agenda {
  private heap: Entry[] = [];
  private seq = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(at: number, fn: () => void): Cancel {
    const entry: Entry = { at, seq: this.seq++, fn, cancelled: false };
    this.heap.push(entry);
    this.up(this.heap.length - 1);
    this.live++;
    return () => {
      if (entry.cancelled) return;
      entry.cancelled = true;
      this.live--;
    };
  }

  /** Time of the earliest live entry, or undefined. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest live entry if it is due at `nowMs`. */
  popDue(nowMs: number): (() => void) | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.at > nowMs) return undefined;
    this.removeTop();
    this.live--;
    top.cancelled = true;
    return top.fn;
  }

  clear(): void {
    for (const e of this.heap) e.cancelled = true;
    this.heap = [];
    this.live = 0;
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a === undefined || b === undefined) return false;
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a === undefined || b === undefined) return;
    this.heap[i] = b;
    this.heap[j] = a;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (l + 1 < this.heap.length && this.less(l + 1, m)) m = l + 1;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
