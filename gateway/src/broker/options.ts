export interface BrokerOptions {
  maxPacketBytes: number;
  connectTimeoutMs: number;
  maxTopicLevels: number;
  offlineQueueLimit: number;
  authFailLimit: number;
  authFailAddressLimit: number;
  authFailWindowMs: number;
  /** Logins in progress at once; more wait in a queue of `connectQueueLimit` for up to `connectQueueWaitMs`. */
  connectConcurrency: number;
  connectQueueLimit: number;
  connectQueueWaitMs: number;
  /** How often presence is checked against the sockets the broker really holds. */
  presenceReconcileMs: number;
  /** CONNECTs asking for no keepalive or a longer one are refused (a half-open socket is found within 1.5× this). */
  maxKeepaliveSec: number;
  /** Load balancers whose connections start with a PROXY header (TCP and TLS listeners); nobody else's are read so. */
  isTrustedProxy: (address: string) => boolean;
}
