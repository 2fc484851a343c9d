import { loadConfig } from './config';
import { buildGateway } from './app';
import { SchemaMissingError } from './db/client';
import { createLogger } from './log';

// EX_CONFIG from sysexits.h: a supervisor can tell a bad configuration from a crash.
const EXIT_CONFIG = 78;

const loaded = loadConfig();
if (!loaded.ok) {
  process.stderr.write(`linli: ${loaded.message}\n`);
  process.exit(EXIT_CONFIG);
}
const config = loaded.config;
const log = createLogger({ level: config.LOG_LEVEL });

const gateway = await buildGateway(config, log).catch((err: unknown) => {
  if (err instanceof SchemaMissingError) {
    process.stderr.write(`linli: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  throw err;
});
await gateway.listen();

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS + 1_000);
  force.unref();
  try {
    await gateway.close();
    log.info('stopped');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
