// The cell's sign of life at the hub (docs/scale-out.md): every REPLICATION_BEAT_MS it renews its key in the hub's
// KV bucket linli_cells with its generation and replication lag. The hub raises "compound gateway offline" when the
// renewals stop; it uses the NATS server's time of the last renewal, so the two clocks never need to agree.
import { type KV, type NatsConnection, StringCodec } from 'nats';
import { CELLS_BUCKET, type CellBeat, type CompoundId, type Generation } from '../contracts/replication';
import type { Logger } from '../log';
import { every } from '../runtime/every';

const sc = StringCodec();

export function startLiveness(
  nc: NatsConnection,
  settings: { compound: CompoundId; generation: Generation; domain: string; everyMs: number; timeoutMs: number },
  status: () => { lagSeconds: number; backlogRows: number },
  log: Logger,
): { stop(): Promise<void> } {
  const js = nc.jetstream({ timeout: settings.timeoutMs, ...(settings.domain !== '' ? { domain: settings.domain } : {}) });
  let kv: KV | null = null;
  let failing = false;

  async function beat() {
    kv ??= await js.views.kv(CELLS_BUCKET, { bindOnly: true });
    const value: CellBeat = { generation: settings.generation, at: new Date().toISOString(), ...status() };
    await kv.put(settings.compound, sc.encode(JSON.stringify(value)));
  }

  return every(settings.everyMs, async () => {
    try {
      await beat();
      if (failing) log.info('replication: liveness key renewed again');
      failing = false;
    } catch (err) {
      kv = null;
      if (!failing) log.warn({ err }, 'replication: cannot renew the liveness key at the hub; retrying');
      failing = true;
    }
  });
}
