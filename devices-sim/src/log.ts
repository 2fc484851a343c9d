/**
 * A small structured logger with pino's call shape (object first, short stable message), so a pino logger can be
 * passed wherever a Log is expected. The simulator writes JSON lines to stderr, keeping stdout for reports.
 * Secrets, credential values and pass codes are never passed to it.
 */
export interface Log {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLog(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Log {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (obj: object, msg: string) => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(`${JSON.stringify({ level: lvl, time: new Date().toISOString(), ...obj, msg })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLog: Log = createLog('silent');
