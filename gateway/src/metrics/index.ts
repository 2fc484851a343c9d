import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** prom-client default metrics whose cost grows with the number of sockets. */
export const EXPENSIVE_DEFAULT_METRICS = [
  'process_open_fds',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
];

/** One registry per gateway instance (tests boot several in one process). Served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'linli_' });
  // These walk every handle or open descriptor at each scrape: with 10,000 device sockets that was most of a 10 ms
  // scrape (test/bench/scrape.ts). Connections are counted by linli_mqtt_connections instead.
  for (const costly of EXPENSIVE_DEFAULT_METRICS) registry.removeSingleMetric(`linli_${costly}`);
  const r = [registry];
  /** Read at scrape time; the broker sets them when it starts. */
  const probes = { emitterQueued: () => 0, connectQueued: () => 0, connectActive: () => 0 };
  return {
    registry,
    probes,
    mqttConnections: new Gauge({ name: 'linli_mqtt_connections', help: 'Authenticated MQTT device connections', registers: r }),
    mqttAuthFailures: new Counter({ name: 'linli_mqtt_auth_failures_total', help: 'Refused MQTT logins by reason', labelNames: ['reason'], registers: r }),
    mqttThrottled: new Counter({ name: 'linli_mqtt_throttled_connections_total', help: 'Connections refused because their address failed to log in too often', registers: r }),
    httpConnectionsRefused: new Counter({ name: 'linli_http_connections_refused_total', help: 'HTTP connections closed at once: too many from one address, or in total', labelNames: ['reason'], registers: r }),
    mqttDuplicateIds: new Counter({ name: 'linli_mqtt_duplicate_client_total', help: 'Second connection with an already-connected device id (possible cloned device; which one is logged)', registers: r }),
    mqttAclDenied: new Counter({ name: 'linli_mqtt_acl_denied_total', help: 'Publishes and subscriptions refused by topic ACL', labelNames: ['op', 'reason'], registers: r }),
    mqttOversized: new Counter({ name: 'linli_mqtt_oversized_packets_total', help: 'Connections closed for a packet over the size limit', registers: r }),
    mqttOfflineDropped: new Counter({ name: 'linli_mqtt_offline_queue_dropped_total', help: 'Messages not queued for an offline device whose queue was full', registers: r }),
    mqttEmitterMessages: new Counter({ name: 'linli_mqtt_emitter_messages_total', help: "Messages through the broker's emitter: delivered to subscribers, or filtered (cluster notices nobody reads)", labelNames: ['route'], registers: r }),
    mqttEmitterQueue: new Gauge({ name: 'linli_mqtt_emitter_queued', help: "Messages waiting for a free slot in the broker's emitter", registers: r, collect() { this.set(probes.emitterQueued()); } }),
    mqttConnectQueue: new Gauge({ name: 'linli_mqtt_connect_queued', help: 'Logins waiting for an admission slot', registers: r, collect() { this.set(probes.connectQueued()); } }),
    mqttConnectActive: new Gauge({ name: 'linli_mqtt_connect_active', help: 'Logins in progress (holding an admission slot)', registers: r, collect() { this.set(probes.connectActive()); } }),
    mqttConnectRefused: new Counter({ name: 'linli_mqtt_connect_refused_total', help: 'Logins answered CONNACK 3 (server unavailable) because the admission queue was full or the wait too long', labelNames: ['reason'], registers: r }),
    mqttPresenceCorrected: new Counter({ name: 'linli_mqtt_presence_corrected_total', help: 'Devices found online without an open connection and set offline by the reconciliation', registers: r }),
    ingestAccepted: new Counter({ name: 'linli_ingest_events_total', help: 'Device events committed', labelNames: ['channel'], registers: r }),
    ingestDuplicates: new Counter({ name: 'linli_ingest_duplicates_total', help: 'Retransmitted events recognised and not stored again', registers: r }),
    ingestReusedIds: new Counter({ name: 'linli_ingest_reused_event_ids_total', help: 'Events whose id the device had used before with other content (stored under a derived id)', registers: r }),
    dbWriteOk: new Gauge({ name: 'linli_db_write_ok', help: '1 while the heartbeat write commits, 0 while the database cannot be written (locked, disk full)', registers: r }),
    dbBusyRetries: new Counter({ name: 'linli_db_busy_retries_total', help: 'Prisma statements that found the database locked and were retried asynchronously', registers: r }),
    ingestRejected: new Counter({ name: 'linli_ingest_rejected_total', help: 'Device messages refused, by reason (the device is named in the log line)', labelNames: ['code'], registers: r }),
    ingestBatch: new Histogram({ name: 'linli_ingest_batch_size', help: 'Events per group commit', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: r }),
    ingestCommitSeconds: new Histogram({ name: 'linli_ingest_commit_seconds', help: 'Group commit duration', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registers: r }),
    heapTrimPauseSeconds: new Histogram({ name: 'linli_heap_trim_pause_seconds', help: 'Heap trims run while quiet (runtime/heap-trim.ts), by their longest event-loop pause', buckets: [0.01, 0.05, 0.1, 0.2, 0.5, 1, 2], registers: r }),
    heapTrimFreedBytes: new Counter({ name: 'linli_heap_trim_freed_bytes_total', help: 'Committed V8 heap given back by those collections', registers: r }),
    heapGrowingPercent: new Gauge({ name: 'linli_heap_growing_percent', help: 'Old-generation growth past the live heap the gateway set for V8 (HEAP_GROWING_PERCENT; 0: V8 chooses)', registers: r }),
    retentionPurged: new Counter({ name: 'linli_retention_purged_total', help: 'Records deleted by the daily retention purge, by class (docs/privacy.md)', labelNames: ['class'], registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
