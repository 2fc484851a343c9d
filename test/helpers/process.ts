import { type ChildProcess, spawn } from 'node:child_process';
import { freePorts } from '../../scripts/free-ports';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { join } from 'node:path';

const Listening = z.object({ msg: z.literal('gateway listening'), http: z.number(), mqtt: z.number() });

export interface GatewayProcess {
  child: ChildProcess;
  http: number;
  mqtt: number;
  exited: Promise<number | null>;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
}

/**
 * Runs the real entry point (gateway/src/main.ts) as a child process and waits for its "listening" log line.
 * `command` defaults to node itself (so SIGKILL hits the gateway, not a wrapper); pass ['npm', 'start'] to run
 * the README's start command, which then runs in its own process group.
 */
export function spawnGateway(
  env: Record<string, string>,
  command: string[] = [process.execPath, '--import', 'tsx', 'gateway/src/main.ts'],
  opts: { cwd?: string } = {},
): Promise<GatewayProcess> {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    cwd: opts.cwd,
    env: { ...process.env, LOG_LEVEL: 'info', HTTP_HOST: '127.0.0.1', MQTT_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: file !== process.execPath,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  let all = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    all += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => (all += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        return;
      }
      const ok = Listening.safeParse(json);
      if (ok.success) resolve({ child, http: ok.data.http, mqtt: ok.data.mqtt, exited, output: () => all });
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before listening:\n${stderr}`)));
  });
}

/** A TCP port that was free a moment ago (for processes that must be told their port up front), never an ephemeral one. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/** `linli <args>` from the sources (the module dist/linli.mjs is bundled from): its exit code and all its output. */
export function runLinli(args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'gateway/src/cli.ts'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd ? { cwd } : {}),
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('close', (code) => resolve({ code, out }));
  });
}
