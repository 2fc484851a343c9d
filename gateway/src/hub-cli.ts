// The hub's operator commands (docs/scale-out.md "Hub users and scopes"): the street and compound registry and hub
// users. Needs only HUB_DATABASE_URL; applies the hub's migrations first, so the first district user can be made
// before the hub writer ever ran.
//
//   node --import tsx gateway/src/hub-cli.ts street <id> <name>
//   node --import tsx gateway/src/hub-cli.ts compound <id> <name> [--street <id>]
//   node --import tsx gateway/src/hub-cli.ts user <username> district|street:<id>|compound:<id> [--name <display name>] [--password-stdin] [--manages]
//   node --import tsx gateway/src/hub-cli.ts disable <username>
//   node --import tsx gateway/src/hub-cli.ts chain district|street:<id>|compound:<id> [<name>[=<webhook url>] …]
//   node --import tsx gateway/src/hub-cli.ts chain-show <compound id>
//   node --import tsx gateway/src/hub-cli.ts doors <username> on|off     (may open doors remotely from the hub)
//   node --import tsx gateway/src/hub-cli.ts nats-hub [--password-stdin]              (the hub processes' NATS user)
//   node --import tsx gateway/src/hub-cli.ts nats-cell <compound> [--password-stdin]  (a cell's leaf node user)
//   node --import tsx gateway/src/hub-cli.ts nats-revoke <compound>
//   node --import tsx gateway/src/hub-cli.ts nats-render
//
// The nats commands rewrite HUB_NATS_AUTH_FILE (docs/security.md, "Compounds apart at the hub"); reload the NATS nodes
// (SIGHUP) to apply it.
//
// `user` prints a generated password once, unless --password-stdin reads one (at least 10 characters) from stdin;
// --manages lets the user manage the hub users inside their scope from the duty desk page.
import { dirname } from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { newSecret } from './auth/hash';
import { loadHubCliConfig } from './config/hub';
import { HubScope } from './contracts/api/hub';
import { CompoundId } from './contracts/replication';
import { hubChains, parseLevel, setChain } from './hub/chain';
import { findPgMigrationsDir, migratePg, readPgMigrations } from './hub/schema';
import { setMayOpenDoors } from './hub/commands';
import { hubNatsUsers, renderNatsAuth, writeNatsAuthFile } from './hub/nats-auth';
import { hubRegistry } from './hub/users';

const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;
const USAGE = `usage: hub-cli street <id> <name>
       hub-cli compound <id> <name> [--street <id>]
       hub-cli user <username> district|street:<id>|compound:<id> [--name <display name>] [--password-stdin] [--manages]
       hub-cli disable <username>
       hub-cli chain district|street:<id>|compound:<id> [<name>[=<webhook url>] …]   (no levels: remove it)
       hub-cli chain-show <compound id>
       hub-cli doors <username> on|off
       hub-cli nats-hub [--password-stdin]
       hub-cli nats-cell <compound> [--password-stdin]
       hub-cli nats-revoke <compound>
       hub-cli nats-render`;

function fail(message: string, code = EXIT_USAGE): never {
  process.stderr.write(`hub-cli: ${message}\n`);
  process.exit(code);
}

/** Positional arguments and `--flag value` / `--switch` options. */
function parseArgs(argv: string[]): { args: string[]; opts: Map<string, string | true> } {
  const args: string[] = [];
  const opts = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--password-stdin' || a === '--manages') opts.set(a, true);
    else if (a.startsWith('--')) opts.set(a, argv[++i] ?? fail(`${a} needs a value`));
    else args.push(a);
  }
  return { args, opts };
}

function parseScope(s: string): HubScope {
  const [kind, id] = s.split(':', 2);
  const parsed = HubScope.safeParse(kind === 'district' ? { kind } : { kind, id });
  if (!parsed.success) fail(`scope must be district, street:<id> or compound:<id> (got ${s})`);
  return parsed.data;
}

/** `chain <scope> <level> …`: replaces the scope's chain (level 1 first); no levels removes it. */
async function chainCommand(pool: pg.Pool, scopeArg: string, levelArgs: string[]): Promise<string> {
  const scope = parseScope(scopeArg);
  const levels = levelArgs.map((l) => {
    const parsed = parseLevel(l);
    return typeof parsed === 'string' ? fail(parsed) : parsed;
  });
  await setChain(pool, scope, levels);
  if (levels.length === 0) return `chain of ${scopeArg} removed`;
  const silent = levels.filter((l) => l.url === null).map((l) => l.name);
  return `chain of ${scopeArg} saved: ${levels.map((l) => l.name).join(' → ')}${silent.length > 0 ? `; no channel (nobody told) at ${silent.join(', ')}` : ''}`;
}

/** A password from stdin (at least `min` characters), or null when --password-stdin was not given. */
async function givenPassword(opts: Map<string, string | true>, min: number): Promise<string | null> {
  const given = opts.get('--password-stdin') === true ? (await text(process.stdin)).replace(/\r?\n$/, '') : null;
  if (given !== null && given.length < min) fail(`a password needs at least ${min} characters`);
  return given;
}

interface NatsFile {
  file: string;
  domain: string;
}

/** `nats-*`: changes the hub's NATS users, then writes the accounts file the nodes include. */
async function natsCommand(pool: pg.Pool, nats: NatsFile, cmd: string, a: string | undefined, opts: Map<string, string | true>): Promise<string> {
  if (nats.file === '') fail('HUB_NATS_AUTH_FILE must name the accounts file the NATS nodes include', EXIT_CONFIG);
  const users = hubNatsUsers(pool);
  const compound = () => {
    const parsed = CompoundId.safeParse(a);
    return parsed.success ? parsed.data : fail(`compound id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  };
  let said: string;
  if (cmd === 'nats-hub' || cmd === 'nats-cell') {
    // A cell's leaf node carries its password in its configuration: a generated one is long and URL-safe.
    const given = await givenPassword(opts, 16);
    const password = given ?? newSecret();
    const who = cmd === 'nats-hub' ? 'hub' : `cell-${compound()}`;
    await (cmd === 'nats-hub' ? users.hub(password) : users.cell(compound(), password));
    said = given === null ? `NATS user ${who} saved; password (shown once): ${password}` : `NATS user ${who} saved`;
  } else if (cmd === 'nats-revoke') {
    if (!(await users.revoke(compound()))) fail(`no NATS user for compound ${a}`, 1);
    said = `NATS user cell-${a} removed`;
  } else said = 'NATS users unchanged';
  writeNatsAuthFile(nats.file, renderNatsAuth(await users.all(), nats.domain));
  return `${said}\n${nats.file} written: reload the hub's NATS nodes to apply it (kill -HUP <pid> on each)`;
}

async function run(pool: pg.Pool, nats: NatsFile, argv: string[]): Promise<string> {
  const { args, opts } = parseArgs(argv);
  const [cmd, a, b] = args;
  const registry = hubRegistry(pool);
  const optText = (k: string) => (typeof opts.get(k) === 'string' ? String(opts.get(k)) : null);
  if (cmd === 'street' && a !== undefined && b !== undefined) {
    await registry.street(a, b);
    return `street ${a} (${b}) saved`;
  }
  if (cmd === 'compound' && a !== undefined && b !== undefined) {
    await registry.compound(a, b, optText('--street'));
    return `compound ${a} (${b}) saved${optText('--street') === null ? ' without a street' : ` under street ${optText('--street')}`}`;
  }
  if (cmd === 'user' && a !== undefined && b !== undefined) {
    const scope = parseScope(b);
    const given = opts.get('--password-stdin') === true ? (await text(process.stdin)).replace(/\r?\n$/, '') : null;
    if (given !== null && given.length < 10) fail('a password needs at least 10 characters');
    const password = given ?? newSecret();
    const managesUsers = opts.get('--manages') === true;
    await registry.user({ username: a, displayName: optText('--name') ?? a, password, scope, managesUsers });
    const what = `user ${a} saved${managesUsers ? ' (manages users)' : ''}`;
    return given === null ? `${what}; password (shown once): ${password}` : what;
  }
  if (cmd === 'chain' && a !== undefined) return chainCommand(pool, a, args.slice(2));
  if (cmd === 'chain-show' && a !== undefined) {
    const chain = await hubChains(pool).resolve(a);
    if (chain.source === null) return `compound ${a}: no chain at the hub (nobody above the compound is told)`;
    // The URLs are shown to the operator who set them, never by the hub's API.
    return [`compound ${a}: chain from the ${chain.source}`, ...chain.levels.map((l) => `  ${l.level} ${l.name} ${l.url ?? '(no channel: nobody is told)'}`)].join('\n');
  }
  if (cmd === 'disable' && a !== undefined) {
    if (!(await registry.disable(a))) fail(`no user ${a}`, 1);
    return `user ${a} disabled, sessions ended`;
  }
  if (cmd === 'doors' && a !== undefined && (b === 'on' || b === 'off')) {
    if (!(await setMayOpenDoors(pool, a, b === 'on'))) fail(`no user ${a}`, 1);
    return `user ${a} ${b === 'on' ? 'may now open doors remotely' : 'may no longer open doors remotely'}`;
  }
  if (cmd === 'nats-hub' || cmd === 'nats-render' || ((cmd === 'nats-cell' || cmd === 'nats-revoke') && a !== undefined)) return natsCommand(pool, nats, cmd, a, opts);
  return fail(USAGE);
}

const cfg = loadHubCliConfig();
if (!cfg.ok) fail(cfg.message, EXIT_CONFIG);
const migrationsDir = findPgMigrationsDir(dirname(fileURLToPath(import.meta.url)));
if (migrationsDir === null) fail('postgres/migrations not found beside the hub', EXIT_CONFIG);
const pool = new pg.Pool({ connectionString: cfg.databaseUrl, max: 1 });
try {
  await migratePg(pool, readPgMigrations(migrationsDir));
  process.stdout.write(`${await run(pool, { file: cfg.natsAuthFile, domain: cfg.jsDomain }, process.argv.slice(2))}\n`);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err), 1);
} finally {
  await pool.end();
}
