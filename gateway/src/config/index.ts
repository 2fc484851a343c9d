import { dirname } from 'node:path';
import { z } from 'zod';
import { AlertType } from '../contracts/api/alerts';
import { CompoundId } from '../contracts/replication';
import { AddressList } from './addresses';

const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().int().positive();
const seconds = z.coerce.number().min(0);

/** One level of the escalation chain (config ESCALATION_CHAIN). */
export const EscalationLevel = z.object({ name: z.string().min(1).max(64), url: z.url({ protocol: /^https?$/ }).optional() }).strict();
export type EscalationLevel = z.infer<typeof EscalationLevel>;
const DEFAULT_CHAIN = '[{"name":"guard_station"},{"name":"grid_worker"},{"name":"community_office"},{"name":"street_office"}]';

/** Days a class of records is kept: at least its legal floor, at most ten years. */
function retentionDays(floor: number, fallback: number) {
  return z.coerce
    .number()
    .int()
    .min(floor, `must be at least ${floor} days (the legal minimum for this record)`)
    .max(3650)
    .default(fallback);
}

/** An environment variable holding JSON, validated by `schema`. */
function jsonOf<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** The whole environment the gateway reads. Parsed once in main.ts, frozen, and injected everywhere else. */
export const ConfigSchema = z
  .object({
    /**
     * The storage (docs/storage.md): a SQLite file (`file:./data/linli.db`, the default: one box per compound) or a
     * PostgreSQL database (`postgres://user@host:port/db`), migrated at start like the file.
     */
    DATABASE_URL: z
      .string()
      .regex(/^(file:.+|postgres(ql)?:\/\/.+)$/, 'must be a SQLite file URL such as file:./data/linli.db, or postgres://user@host:port/db')
      .default('file:./data/linli.db'),
    /**
     * With PostgreSQL: the gateway's own folder for the credential key (credential.key), owner-only. With SQLite the
     * key sits beside the database file and this is not read.
     */
    DATA_DIR: z.string().min(1).default('./data'),
    /** Apply pending prisma/migrations at start; false: only check, and stop with exit 78 when one is pending. */
    AUTO_MIGRATE: z.stringbool().default(true),
    /**
     * First start (no user yet): the first admin's one-time password is read from this file instead of generated and
     * printed. It must still be changed at the first login.
     */
    ADMIN_INITIAL_PASSWORD_FILE: z.string().min(1).optional(),
    /** Daily online backups (database + credential key) go here when set; the newest BACKUP_KEEP are kept. */
    BACKUP_DIR: z.string().default(''),
    BACKUP_KEEP: z.coerce.number().int().min(1).max(365).default(7),
    // ── retention (db/retention.ts, docs/privacy.md): days each class of record is kept; legal floors enforced ──
    /** Access decisions (who went through which door): public-security rules ask for at least 30 days. */
    RETENTION_ACCESS_DAYS: retentionDays(30, 180),
    /** Every stored device message (door states, alarm presses, heartbeats); door events are access records too. */
    RETENTION_DEVICE_EVENTS_DAYS: retentionDays(30, 180),
    /** Cleared alerts with their history and notifications (open or acknowledged alerts are never purged). */
    RETENTION_ALERTS_DAYS: retentionDays(30, 365),
    /** The audit log: network-security law asks for at least six months of such logs. */
    RETENTION_AUDIT_DAYS: retentionDays(180, 365),
    RETENTION_STREETLIGHT_DAYS: retentionDays(1, 90),
    /** Visitor passes (visitor name, masked phone, plate) after they ended. */
    RETENTION_PASSES_DAYS: retentionDays(30, 90),
    HTTP_HOST: z.string().default('0.0.0.0'),
    HTTP_PORT: port.default(8080),
    /** HTTPS instead of HTTP when both files are given (PEM). */
    HTTP_TLS_CERT_FILE: z.string().optional(),
    HTTP_TLS_KEY_FILE: z.string().optional(),
    /**
     * Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR blocks). Empty: the socket's
     * address is the client's. Throttles, logs and audit then see the real client behind the proxy.
     */
    HTTP_TRUSTED_PROXIES: AddressList,
    /** The whole request (headers and body) must arrive within this long; a slow trickle is cut off. */
    HTTP_REQUEST_TIMEOUT_MS: ms.default(30_000),
    HTTP_HEADERS_TIMEOUT_MS: ms.default(10_000),
    /** A socket silent both ways this long is closed (longer than LIVE_HEARTBEAT_SEC: the live stream stays open). */
    HTTP_IDLE_TIMEOUT_MS: ms.default(60_000),
    HTTP_KEEPALIVE_TIMEOUT_MS: ms.default(5_000),
    HTTP_MAX_HEADER_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
    HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
    /** Open HTTP connections in total and from one address (trusted proxies exempt) before new ones are closed. */
    HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(2_048),
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).default(128),
    MQTT_HOST: z.string().default('0.0.0.0'),
    MQTT_PORT: port.default(1883),
    /**
     * TCP load balancers (comma-separated addresses or CIDR blocks) whose connections to MQTT_PORT start with a PROXY
     * protocol v1/v2 header carrying the device's real address; required from them, never read from anyone else.
     */
    MQTT_TRUSTED_PROXIES: AddressList,
    /** MQTT over TLS is enabled when both files are given. */
    MQTT_TLS_PORT: port.default(8883),
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Largest MQTT packet accepted, enforced from the first bytes of a connection (before CONNECT). */
    MQTT_MAX_PACKET_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
    /** A socket that has not completed CONNECT by then is closed. */
    MQTT_CONNECT_TIMEOUT_MS: ms.default(5_000),
    MQTT_MAX_TOPIC_LEVELS: z.coerce.number().int().min(4).max(32).default(8),
    /** QoS 1 messages kept for an offline persistent-session device; when full the oldest is dropped and counted. */
    MQTT_OFFLINE_QUEUE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(200),
    /**
     * Admission control for the reconnect storm after a restart (broker/admission.ts): logins in progress at once,
     * how many more may wait, and for how long; beyond that a device gets CONNACK 3 (server unavailable) and retries.
     */
    MQTT_CONNECT_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(256),
    MQTT_CONNECT_QUEUE: z.coerce.number().int().min(0).max(100_000).default(4_096),
    MQTT_CONNECT_QUEUE_WAIT_MS: ms.default(15_000),
    /** How often presence is checked against the connections the broker really holds. */
    MQTT_PRESENCE_RECONCILE_MS: ms.default(30_000),
    /**
     * Failed MQTT logins of one client id from one address within the window before that pair is refused (other
     * devices behind the same NAT or load balancer are not affected), and from one address over all client ids.
     */
    AUTH_FAIL_LIMIT: z.coerce.number().int().min(1).default(10),
    AUTH_FAIL_ADDRESS_LIMIT: z.coerce.number().int().min(1).default(100),
    /** CONNECT with keepalive 0 or above this is refused: a dead device's socket is found within 1.5× this. */
    MQTT_MAX_KEEPALIVE_SEC: z.coerce.number().int().min(10).max(65_535).default(900),
    AUTH_FAIL_WINDOW_MS: ms.default(60_000),
    /** HMAC key for credential look-up hashes (cards, PINs, pass codes). Generated into the data dir if unset. */
    CREDENTIAL_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    SHUTDOWN_TIMEOUT_MS: ms.default(10_000),
    /**
     * When the gateway is quiet and V8's committed heap has grown by this much since the last trim, memory-reducing
     * collections give the slack back (runtime/heap-trim.ts). 0 leaves the heap to V8 alone.
     */
    HEAP_TRIM_GROWTH_MB: z.coerce.number().int().min(0).default(32),
    /**
     * V8's old generation may grow this many per cent past what its last full collection found live before it
     * collects again (runtime/heap-growth.ts): keeps a reconnect storm's garbage from piling up. 0 leaves it to V8.
     */
    HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(300).default(20),
    /** API tokens expire after this long (a guard's shift by default). */
    SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(12),
    /**
     * A guard or admin screen in use renews its token (POST /api/v1/auth/renew, sliding by SESSION_TTL_HOURS), but
     * never beyond this long after sign-in: a hard maximum per shift.
     */
    SESSION_MAX_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
    /** Requests per user per minute on every authenticated API route that has no tighter limit of its own, before 429. */
    API_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    /** A registered guard station's token (its httpOnly cookie) lasts this long; an admin registers it again after. */
    STATION_TTL_DAYS: z.coerce.number().int().min(1).max(3_650).default(365),
    /** Wrong PINs in a row before a guard's PIN sign-in is locked (the password still works). */
    PIN_MAX_FAILURES: z.coerce.number().int().min(1).max(20).default(5),
    /** How long a locked PIN stays locked. */
    PIN_LOCK_MINUTES: z.coerce.number().positive().max(24 * 60).default(15),
    /** Login attempts per address and user name per minute before 429. */
    LOGIN_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(5),
    /** Login attempts per address per minute, any user names (unknown ones included), before 429. */
    LOGIN_RATE_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    /** Login attempts per user name per minute from all addresses together before 429. */
    LOGIN_RATE_PER_NAME_PER_MINUTE: z.coerce.number().int().min(1).default(20),
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
    // ── access control (access/) ──
    /** Wrong PINs / pass codes at one door within the window before that door's keypad is locked. */
    ACCESS_PIN_LOCKOUT_LIMIT: z.coerce.number().int().min(1).default(5),
    ACCESS_PIN_LOCKOUT_WINDOW_SEC: z.coerce.number().int().min(1).default(300),
    /** How long the keypad stays locked; cards, faces and plates keep working (nobody is locked out of home). */
    ACCESS_PIN_LOCKOUT_SEC: z.coerce.number().int().min(1).default(300),
    /** Denials at one door within the window that raise a repeated_denials incident. */
    ACCESS_DENIAL_ALERT_COUNT: z.coerce.number().int().min(2).default(5),
    ACCESS_DENIAL_WINDOW_SEC: z.coerce.number().int().min(1).default(60),
    /** A door opening this long after a grant or guard remote-open is still covered by it; later it is forced. */
    ACCESS_GRANT_WINDOW_SEC: z.coerce.number().int().min(1).default(20),
    /** A door open longer than this is held open. */
    ACCESS_HELD_OPEN_SEC: z.coerce.number().int().min(1).default(60),
    /** Perimeter anti-passback: a credential that went in must come out before it goes in again. Off by default. */
    ACCESS_ANTI_PASSBACK: z.stringbool().default(false),
    /** Anti-passback forgets a credential's direction after this long (someone left through an open gate). */
    ACCESS_ANTI_PASSBACK_RESET_MIN: z.coerce.number().int().min(1).default(720),
    /** Plate reads below this camera confidence are denied as low_confidence. */
    ACCESS_PLATE_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.8),
    /** Longest a visitor pass may be valid, and how far ahead it may start. */
    PASS_MAX_VALIDITY_HOURS: z.coerce.number().int().min(1).max(24 * 31).default(72),
    PASS_MAX_ADVANCE_DAYS: z.coerce.number().int().min(0).max(365).default(30),
    /** Passes one user may create per hour (429 beyond). */
    PASS_CREATE_PER_HOUR: z.coerce.number().int().min(1).default(20),
    /** A walk-in request the guard sent to the host's phone app that nobody answered within this is shown as unanswered. */
    WALK_IN_ANSWER_SEC: z.coerce.number().int().min(1).max(1_800).default(180),
    /** Requests per user per minute on the access API (passes, credentials, doors). */
    ACCESS_API_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(120),
    // ── alerts (alerts/, live/) ── documented in docs/operations.md and docs/alerts.md
    /** Seconds an alert may wait for acknowledgement before it escalates one level; 0 = never escalates. */
    ALERT_ACK_SEC_CRITICAL: seconds.default(60),
    ALERT_ACK_SEC_MAJOR: seconds.default(300),
    ALERT_ACK_SEC_MINOR: seconds.default(1_800),
    ALERT_ACK_SEC_WARNING: seconds.default(0),
    /** Five-minute rule (docs/domain.md): a maintenance worker must confirm being on site this soon, or it escalates. */
    ON_SITE_MINUTES: z.coerce.number().positive().default(5),
    /** The escalation chain, level 0 first (JSON); a level with a url is notified by a signed webhook when reached. */
    ESCALATION_CHAIN: jsonOf(z.array(EscalationLevel).min(1).max(8)).prefault(DEFAULT_CHAIN),
    /** HMAC-SHA256 key for webhook signatures; required when any level has a url. */
    WEBHOOK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    WEBHOOK_TIMEOUT_MS: ms.default(5_000),
    /**
     * 警民一键通: the community police's endpoint. Alarms of POLICE_LINK_DEVICES and a guard's "转报警 110" are posted
     * there at once, signed like the chain's webhooks, outside the escalation chain (docs/alerts.md, "Police link").
     */
    POLICE_LINK_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Alarm points linked to the police (comma-separated device ids): their alarms reach POLICE_LINK_URL when raised. */
    POLICE_LINK_DEVICES: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== '')),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    /** Retry n waits about WEBHOOK_BACKOFF_MS × 2^(n-1) (with jitter), at most WEBHOOK_BACKOFF_MAX_MS. */
    WEBHOOK_BACKOFF_MS: ms.default(2_000),
    WEBHOOK_BACKOFF_MAX_MS: ms.default(300_000),
    /** Seconds of silence before a device counts as offline, per kind: alarms and doors must be known-alive quickly. */
    SUPERVISION_SEC_FACE_TERMINAL: seconds.min(1).default(90),
    SUPERVISION_SEC_VEHICLE_GATE: seconds.min(1).default(90),
    SUPERVISION_SEC_INDOOR_ALARM: seconds.min(1).default(60),
    SUPERVISION_SEC_OUTDOOR_ALARM: seconds.min(1).default(60),
    SUPERVISION_SEC_STREETLIGHT: seconds.min(1).default(900),
    /** A device that disconnected (Will, keepalive, close) has this long to come back before device_offline. */
    SUPERVISION_GRACE_SEC: seconds.default(10),
    /** 六必访: an elderly_alone household with no door activity for this long gets a welfare-check alert. */
    WELFARE_SILENCE_HOURS: z.coerce.number().positive().default(24),
    WELFARE_CHECK_SEC: seconds.min(1).default(60),
    /** Streetlights are judged only this long after sunset / before sunrise (photocells and dusk differ). */
    SUNSET_MARGIN_MIN: z.coerce.number().min(0).max(180).default(20),
    /** A lit lamp drawing less (dead LEDs) or more (short, leakage) than this, or a dark one above standby, is abnormal. */
    STREETLIGHT_LIT_MIN_W: z.coerce.number().min(0).default(3),
    STREETLIGHT_MAX_W: z.coerce.number().positive().default(250),
    STREETLIGHT_STANDBY_MAX_W: z.coerce.number().min(0).default(5),
    /** GB/T 12325: 220 V single-phase supply may deviate +7 % / -10 %. */
    STREETLIGHT_VOLTAGE_MIN: z.coerce.number().min(0).default(198),
    STREETLIGHT_VOLTAGE_MAX: z.coerce.number().positive().default(235),
    /** Alert types not raised (comma separated). The one-key alarm cannot be disabled (GB 50394). */
    ALERT_DISABLED_TYPES: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
      .pipe(z.array(AlertType)),
    /** How often deadlines, supervision and streetlights are checked. */
    ALERT_SWEEP_MS: ms.min(50).default(1_000),
    /** An alarm press not committed after this long is shown to the guard station at once, marked unsaved (未保存). */
    INGEST_UNSAVED_AFTER_MS: ms.default(300),
    /** Readiness: a heartbeat write this often; /readyz says the database is ok only while it commits. */
    DB_HEARTBEAT_MS: ms.min(100).default(2_000),
    /** A Prisma statement that finds the database locked retries asynchronously this long, then fails (HTTP: 503). */
    DB_BUSY_WAIT_MS: z.coerce.number().int().min(0).default(2_000),
    /**
     * SQLite only: a commit that leaves more than this many pages in the WAL copies them into the database file
     * (an automatic checkpoint, on the event loop). Fewer checkpoints copy each busy index page fewer times
     * (docs/benchmarks.md, "Session 11"); the WAL file grows to about this many 4 KiB pages.
     */
    DB_WAL_AUTOCHECKPOINT_PAGES: z.coerce.number().int().min(100).max(100_000).default(10_000),
    /**
     * PostgreSQL only: no statement of the gateway's runs longer than this (statement_timeout), and no connection idles
     * inside a transaction for longer than twice it. A server that hangs without refusing then fails the commit, which
     * is retried (nothing accepted is dropped) and shows as degraded, instead of holding acknowledgements forever.
     */
    DB_STATEMENT_TIMEOUT_MS: ms.min(1_000).default(30_000),
    /** How often the alert outbox is swept for stored events not yet judged (at start too, with no time window). */
    ALERT_OUTBOX_SWEEP_MS: ms.min(100).default(5_000),
    /** Live stream: a heartbeat frame this often; supervised clients (?ack=1) are dropped after this long without an ack. */
    LIVE_HEARTBEAT_SEC: z.coerce.number().positive().max(60).default(5),
    LIVE_ACK_TIMEOUT_SEC: z.coerce.number().positive().default(15),
    /** Bytes waiting for one slow client before it is dropped (it reconnects and resumes from Last-Event-ID). */
    LIVE_CLIENT_MAX_BUFFER_KB: z.coerce.number().int().min(16).default(1_024),
    LIVE_MAX_CLIENTS: z.coerce.number().int().min(1).default(50),
    /** Streams one user may hold at once; their newest replaces their oldest (one token cannot take every slot). */
    LIVE_MAX_CLIENTS_PER_USER: z.coerce.number().int().min(1).default(3),
    /** A live-stream ticket (POST /api/v1/live/ticket) must be used within this long, and works once. */
    LIVE_TICKET_TTL_SEC: z.coerce.number().int().min(1).max(300).default(30),
    /** A client that missed more changes than this gets a fresh snapshot instead of the replay. */
    LIVE_REPLAY_MAX: z.coerce.number().int().min(1).default(10_000),
    /** Swagger UI at /docs and the OpenAPI document at /docs/json (the API's shape, no data). */
    DOCS_ENABLED: z.stringbool().default(true),
    /**
     * /metrics: served to callers on this host (loopback, not through a proxy), to admins, and to a scraper sending
     * `Authorization: Bearer <METRICS_TOKEN>`; METRICS_PUBLIC=true serves it to anyone (device ids are in its labels).
     */
    METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    METRICS_PUBLIC: z.stringbool().default(false),
    // ── replication to the district hub (replication/, docs/scale-out.md) ──
    /**
     * The hub's NATS servers (comma-separated nats:// URLs, normally this cell's own leaf node). Set: committed device
     * events (not heartbeats), access decisions and alert changes are replicated to the hub's JetStream, and retention
     * keeps what the hub has not confirmed. Empty: the cell stands alone.
     */
    HUB_NATS_URL: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
      .pipe(z.array(z.string().regex(/^(nats|tls):\/\/[^\s/]+$/, 'must be nats://host:port or tls://host:port'))),
    /**
     * The hub's JetStream domain (scripts/hub-up: linli-hub). Needed when HUB_NATS_URL is a leaf node: JetStream's API
     * reaches the hub cluster through a leaf connection only under the hub's domain. Empty: no domain.
     */
    HUB_JS_DOMAIN: z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be letters, digits, _ or -').default(''),
    /** This compound's id in the hub (a NATS subject token); unset: the id of the one active compound in the database. */
    COMPOUND_ID: CompoundId.optional(),
    /** Rows published per round (pipelined; the round's acks are awaited together). */
    REPLICATION_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
    /** How often the relay looks for new rows when it is caught up, and reads the hub's committed watermark. */
    REPLICATION_POLL_MS: ms.min(10).default(250),
    /** Rows sent but not confirmed this long while the hub's watermark stands still are sent again from it. */
    REPLICATION_RESEND_AFTER_MS: ms.min(1_000).default(60_000),
    /** The relay waits for the hub once it is this many seq ahead of the committed watermark. */
    REPLICATION_MAX_AHEAD: z.coerce.number().int().min(1).default(100_000),
    /** How often the cell renews its liveness key at the hub (the hub's HUB_CELL_OFFLINE_AFTER_MS must be several of these). */
    REPLICATION_BEAT_MS: ms.min(200).default(5_000),
    /** A remote open from the hub: how long the cell waits for the door terminal's commands/ack before answering "sent" (always within the command's expiry). */
    HUB_COMMAND_ACK_WAIT_MS: ms.max(60_000).default(3_000),
    /** The built guard station (npm run build:ui), served at `/` when its index.html exists; empty: API only. */
    UI_DIST_DIR: z.string().default('admin-ui/dist'),
  })
  .refine((c) => (c.TLS_CERT_FILE === undefined) === (c.TLS_KEY_FILE === undefined), {
    message: 'TLS_CERT_FILE and TLS_KEY_FILE must be given together',
    path: ['TLS_CERT_FILE'],
  })
  .refine((c) => (c.HTTP_TLS_CERT_FILE === undefined) === (c.HTTP_TLS_KEY_FILE === undefined), {
    message: 'HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE must be given together',
    path: ['HTTP_TLS_CERT_FILE'],
  })
  .refine((c) => c.HTTP_IDLE_TIMEOUT_MS > c.LIVE_HEARTBEAT_SEC * 1000, {
    message: 'HTTP_IDLE_TIMEOUT_MS must be longer than LIVE_HEARTBEAT_SEC, or quiet live streams are cut',
    path: ['HTTP_IDLE_TIMEOUT_MS'],
  })
  .refine((c) => c.DATABASE_URL.startsWith('file:') || c.BACKUP_DIR === '', {
    message: 'BACKUP_DIR copies a SQLite file; with PostgreSQL use its own backups (pg_dump, continuous archiving: docs/storage.md)',
    path: ['BACKUP_DIR'],
  })
  .refine((c) => c.DATABASE_URL.startsWith('file:') || c.HUB_NATS_URL.length === 0, {
    message: 'replication to a hub (HUB_NATS_URL) runs from a SQLite cell only in this version (docs/storage.md)',
    path: ['HUB_NATS_URL'],
  })
  .refine((c) => !c.ALERT_DISABLED_TYPES.includes('alarm_press'), {
    message: 'the one-key alarm (alarm_press) can never be disabled (GB 50394)',
    path: ['ALERT_DISABLED_TYPES'],
  })
  .refine((c) => c.WEBHOOK_SECRET !== undefined || c.ESCALATION_CHAIN.every((l) => l.url === undefined), {
    message: 'WEBHOOK_SECRET is required when an escalation level has a url',
    path: ['WEBHOOK_SECRET'],
  })
  .refine((c) => c.WEBHOOK_SECRET !== undefined || c.POLICE_LINK_URL === undefined, {
    message: 'WEBHOOK_SECRET is required when POLICE_LINK_URL is set (the police endpoint checks the signature)',
    path: ['WEBHOOK_SECRET'],
  });

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

export function loadConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return { ok: true, config: Object.freeze(parsed.data) };
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  return { ok: false, message: `invalid configuration:\n${lines.join('\n')}` };
}

/** Whether a database URL names PostgreSQL (`postgres://`, `postgresql://`) rather than a SQLite file (`file:`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Whether DATABASE_URL names a PostgreSQL database (else a SQLite file). */
export function isPostgres(config: Pick<Config, 'DATABASE_URL'>): boolean {
  return isPostgresUrl(config.DATABASE_URL);
}

/** Path of the SQLite file named by a `file:` URL. */
export function databasePath(config: Pick<Config, 'DATABASE_URL'>): string {
  return config.DATABASE_URL.slice('file:'.length);
}

/** The folder of the gateway's own files (the credential key): beside the SQLite file, or DATA_DIR with PostgreSQL. */
export function dataDirectory(config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR'>): string {
  return isPostgres(config) ? config.DATA_DIR : dirname(databasePath(config));
}

/** SUPERVISION_SEC_<KIND>: how long a device of each kind may stay silent when it has no window of its own. */
export function supervisionByKind(c: Config) {
  return {
    face_terminal: c.SUPERVISION_SEC_FACE_TERMINAL,
    vehicle_gate: c.SUPERVISION_SEC_VEHICLE_GATE,
    indoor_alarm: c.SUPERVISION_SEC_INDOOR_ALARM,
    outdoor_alarm: c.SUPERVISION_SEC_OUTDOOR_ALARM,
    streetlight: c.SUPERVISION_SEC_STREETLIGHT,
  } as const;
}
