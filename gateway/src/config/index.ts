import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().int().positive();

/** The whole environment the gateway reads. Parsed once in main.ts, frozen, and injected everywhere else. */
export const ConfigSchema = z
  .object({
    DATABASE_URL: z
      .string()
      .regex(/^file:.+/, 'must be a SQLite file URL such as file:./data/linli.db')
      .default('file:./data/linli.db'),
    HTTP_HOST: z.string().default('0.0.0.0'),
    HTTP_PORT: port.default(8080),
    MQTT_HOST: z.string().default('0.0.0.0'),
    MQTT_PORT: port.default(1883),
    /** MQTT over TLS is enabled when both files are given. */
    MQTT_TLS_PORT: port.default(8883),
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: z.stringbool().default(false),
    /** Largest MQTT packet accepted, enforced from the first bytes of a connection (before CONNECT). */
    MQTT_MAX_PACKET_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
    /** A socket that has not completed CONNECT by then is closed. */
    MQTT_CONNECT_TIMEOUT_MS: ms.default(5_000),
    MQTT_MAX_TOPIC_LEVELS: z.coerce.number().int().min(4).max(32).default(8),
    /** QoS 1 messages kept for an offline persistent-session device; older ones are dropped and counted. */
    MQTT_OFFLINE_QUEUE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(200),
    /** Failed logins from one address within the window before that address is refused outright. */
    AUTH_FAIL_LIMIT: z.coerce.number().int().min(1).default(10),
    AUTH_FAIL_WINDOW_MS: ms.default(60_000),
    /** HMAC key for credential look-up hashes (cards, PINs, pass codes). Generated into the data dir if unset. */
    CREDENTIAL_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    SHUTDOWN_TIMEOUT_MS: ms.default(10_000),
    /** API tokens expire after this long (a guard's shift by default). */
    SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(12),
    /** Login attempts per address and user name per minute before 429. */
    LOGIN_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(5),
    /** A device message body larger than this is refused with payload_too_large (the MQTT packet limit is above). */
    INGEST_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).max(1024 * 1024).default(8 * 1024),
    /** Group commit: at most this many events per transaction, started at most this long after the first arrives. */
    INGEST_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(1_000),
    INGEST_BATCH_DELAY_MS: z.coerce.number().int().min(0).max(1_000).default(2),
    /** Events waiting for the database at most; beyond it publishes are not acknowledged (backpressure). */
    INGEST_MAX_PENDING: z.coerce.number().int().min(100).default(50_000),
    /** GB 50396 tolerates about 10 s of clock error; a device further off is flagged. */
    CLOCK_DRIFT_TOLERANCE_SEC: z.coerce.number().positive().default(10),
    /** This many invalid messages from one device within the window raise a device-health event. */
    BAD_PAYLOAD_ALERT_COUNT: z.coerce.number().int().min(1).default(10),
    BAD_PAYLOAD_WINDOW_SEC: z.coerce.number().int().min(1).default(60),
    /** QoS 0 messages per device per second (token bucket) before they are dropped as a flood. */
    QOS0_RATE_PER_SEC: z.coerce.number().positive().default(10),
    QOS0_BURST: z.coerce.number().int().min(1).default(30),
  })
  .refine((c) => (c.TLS_CERT_FILE === undefined) === (c.TLS_KEY_FILE === undefined), {
    message: 'TLS_CERT_FILE and TLS_KEY_FILE must be given together',
    path: ['TLS_CERT_FILE'],
  });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

export function loadConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return { ok: true, config: Object.freeze(parsed.data) };
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  return { ok: false, message: `invalid configuration:\n${lines.join('\n')}` };
}

/** Path of the SQLite file named by a `file:` URL. */
export function databasePath(config: Pick<Config, 'DATABASE_URL'>): string {
  return config.DATABASE_URL.slice('file:'.length);
}
