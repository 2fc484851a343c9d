import type { Aedes } from 'aedes';
import { type BrokerContext, addressOf, isGone, releaseSlot } from './hooks/context';

/**
 * Which devices are online, from Aedes' client events: a device is online from its client's `clientReady` until
 * that same client disconnects (a newer client taking over keeps it online). Returns the reconcile timer's stop.
 */
export function trackPresence(aedes: Aedes, ctx: BrokerContext): () => void {
  const { live, identities, ports, log, metrics, queue } = ctx;
  aedes.on('clientReady', (client) => {
    releaseSlot(ctx, client);
    const device = identities.get(client);
    // A diagnostic session is not the device: it never makes the device online, nor offline when it ends.
    if (!device || device.diagnostic) return;
    // Aedes emits clientReady once the offline queue is flushed, which can be after the socket closed and after
    // clientDisconnect was emitted for it. Presence follows the connection itself: a closed client is never online.
    if (client.closed || isGone(client)) {
      log.debug({ deviceId: device.id }, 'ready after its connection closed: not online');
      return;
    }
    const previous = live.get(device.id);
    live.set(device.id, client);
    queue.opened(device.id, client.clean);
    metrics.mqttConnections.set(live.size);
    if (!previous) ports.connected(device);
  });
  aedes.on('keepaliveTimeout', (client) => {
    const device = identities.get(client);
    if (device) log.info({ deviceId: device.id }, 'keepalive expired');
  });
  aedes.on('clientDisconnect', (client) => {
    const device = identities.get(client);
    if (device?.diagnostic) return;
    if (!device || live.get(device.id) !== client) {
      if (device) ports.disconnected(device, 'taken_over');
      return;
    }
    live.delete(device.id);
    metrics.mqttConnections.set(live.size);
    ports.disconnected(device, 'closed');
  });
  aedes.on('clientError', (client, err) => {
    log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => {
    log.debug({ address: addressOf(ctx, client), err: err.message }, 'connection error before CONNECT');
  });
  const reconcile = setInterval(() => reconcilePresence(ctx), ctx.opts.presenceReconcileMs);
  reconcile.unref();
  return () => clearInterval(reconcile);
}

/**
 * Belt and braces: whatever order the events came in, a device is online only while its client is open. Anything
 * else found here is put right and counted.
 */
function reconcilePresence(ctx: BrokerContext): void {
  const { live, identities, ports, log, metrics } = ctx;
  for (const [id, client] of live) {
    // Not Aedes' client table: a taken-over client that closes late unregisters its successor's entry there.
    if (!client.closed && !isGone(client)) continue;
    live.delete(id);
    metrics.mqttConnections.set(live.size);
    metrics.mqttPresenceCorrected.inc();
    log.warn({ deviceId: id }, 'presence corrected: device had no open connection');
    const device = identities.get(client);
    if (device) ports.disconnected(device, 'closed');
  }
}
