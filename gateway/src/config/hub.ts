// The hub writer's environment (gateway/src/hub-main.ts, docs/scale-out.md). A separate schema from the cell's: the
// hub has no SQLite, no MQTT and no guard station, and none of the cell's variables mean anything to it.
import { z } from 'zod';

export const HubConfigSchema = z.object({
  /** The hub's NATS servers (comma-separated nats:// URLs of the cluster's nodes). */
  HUB_NATS_URL: z
    .string()
    .min(1, 'is required')
    .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .pipe(z.array(z.string().regex(/^(nats|tls):\/\/[^\s/]+$/, 'must be nats://host:port or tls://host:port')).min(1)),
  /**
   * The hub's own NATS user and password (docs/security.md, "Compounds apart at the hub"; scripts/hub-up makes them).
   * Empty: connect without a user, for a NATS that asks for none. The password is never logged.
   */
  HUB_NATS_USER: z.string().default(''),
  HUB_NATS_PASSWORD: z.string().default(''),
  /** hub-cli's nats commands: the accounts file the NATS nodes include (written whole, mode 0600). */
  HUB_NATS_AUTH_FILE: z.string().default(''),
  /** The hub's JetStream domain (scripts/hub-up: linli-hub): cells' leaf nodes name it in their API subjects. */
  HUB_JS_DOMAIN: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be one NATS subject token').default('linli-hub'),
  /** PostgreSQL: postgres://user[:password]@host:port/database (a password is never logged). */
  HUB_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL'),
  /** Messages taken from JetStream per PostgreSQL transaction. */
  HUB_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Replicas of the stream and the watermark bucket (3 on the 3-node cluster; 1 for a single node). */
  HUB_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(3),
  /** JetStream's duplicate window for Nats-Msg-Id (a cell's resend within it is dropped before it reaches PostgreSQL). */
  HUB_DUPLICATE_WINDOW_SEC: z.coerce.number().int().min(1).max(86_400).default(120),
  /** The durable pull consumer's name: every hub writer with the same name shares the work. */
  HUB_CONSUMER: z.string().regex(/^[A-Za-z0-9_-]+$/).default('hub-writer'),
  /** A cell whose liveness key was last renewed longer ago than this is offline (critical 小区网关离线 alert). */
  HUB_CELL_OFFLINE_AFTER_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** How often the hub looks at the cells' liveness keys. */
  HUB_CELL_CHECK_MS: z.coerce.number().int().min(100).default(1_000),
  /** The hub's HTTP port (GET /metrics); 0: any free port (logged). */
  HUB_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(9480),
  HUB_HTTP_HOST: z.string().default('127.0.0.1'),
  /** How long a hub user's sign-in lasts (a duty desk's shift and then some). */
  HUB_SESSION_TTL_HOURS: z.coerce.number().min(0.1).max(168).default(12),
  /** Sign-in attempts per address per minute on the hub's login. */
  HUB_LOGIN_PER_MINUTE: z.coerce.number().int().min(1).max(1_000).default(20),
  /** Requests per signed-in hub user per minute on the hub's API (the page polls every few seconds). */
  HUB_API_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(300),
  /** The admin-ui build holding hub/index.html; empty: admin-ui/dist found beside the hub. */
  HUB_UI_DIST_DIR: z.string().default(''),
  /** Escalation at the hub: seconds 小区网关离线 waits at a level for an acknowledgement before moving up. */
  HUB_OFFLINE_ACK_SEC: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Seconds past a replicated alert's deadline, with no word from its cell, before the hub escalates it. */
  HUB_ESCALATION_GRACE_SEC: z.coerce.number().int().min(0).max(86_400).default(60),
  /** How often the hub looks for deadlines that passed. */
  HUB_ESCALATION_CHECK_MS: z.coerce.number().int().min(100).default(1_000),
  /** Signs the hub's webhooks (HMAC-SHA256, as the cell's WEBHOOK_SECRET); never logged. Without it nothing is sent. */
  HUB_WEBHOOK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  HUB_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  HUB_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** Retry n waits about HUB_WEBHOOK_BACKOFF_MS × 2^(n-1) (with jitter), at most HUB_WEBHOOK_BACKOFF_MAX_MS. */
  HUB_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).default(2_000),
  HUB_WEBHOOK_BACKOFF_MAX_MS: z.coerce.number().int().min(10).default(300_000),
  /** A command to a cell (a remote open): how long the hub waits for its answer; also the command's expiry at the cell. */
  HUB_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type HubConfig = Readonly<z.infer<typeof HubConfigSchema>>;

export function loadHubConfig(env: Record<string, string | undefined> = process.env): { ok: true; config: HubConfig } | { ok: false; message: string } {
  const parsed = HubConfigSchema.safeParse(env);
  if (parsed.success) return { ok: true, config: Object.freeze(parsed.data) };
  return { ok: false, message: `invalid hub configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`).join('\n')}` };
}

/** The hub's CLI (hub-cli.ts) needs only PostgreSQL, and for its nats commands the accounts file and the domain. */
export function loadHubCliConfig(
  env: Record<string, string | undefined> = process.env,
): { ok: true; databaseUrl: string; natsAuthFile: string; jsDomain: string } | { ok: false; message: string } {
  const parsed = HubConfigSchema.pick({ HUB_DATABASE_URL: true, HUB_NATS_AUTH_FILE: true, HUB_JS_DOMAIN: true }).safeParse(env);
  if (parsed.success) return { ok: true, databaseUrl: parsed.data.HUB_DATABASE_URL, natsAuthFile: parsed.data.HUB_NATS_AUTH_FILE, jsDomain: parsed.data.HUB_JS_DOMAIN };
  return { ok: false, message: `invalid hub configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`).join('\n')}` };
}
