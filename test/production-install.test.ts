import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, spawnGateway } from './helpers/process';

/**
 * What an operator does on a server: a built tree (the sources, dist/ and admin-ui/dist — what a release tarball
 * holds) is installed with `npm ci --omit=dev`, which must apply every patch in patches/ without any dev tool, and
 * `npm start` serves from the bundle. The copy is made from the checkout's own files, never its node_modules;
 * better-sqlite3 compiles from source here (no prebuilt download), which takes minutes on a busy machine.
 */
describe('production install: npm ci --omit=dev && npm start on a built tree', () => {
  const root = process.cwd();
  const copy = mkdtempSync(join(tmpdir(), 'linli-prod-'));
  let gw: GatewayProcess | undefined;

  beforeAll(() => {
    const built = spawnSync('npm', ['run', '-s', 'build'], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
    const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { encoding: 'utf8' });
    if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
    for (const file of listed.stdout.split('\0').filter((f) => f !== '' && existsSync(join(root, f)))) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(root, file), join(copy, file));
    }
    cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(root, 'admin-ui', 'dist'), join(copy, 'admin-ui', 'dist'), { recursive: true });
  }, 300_000);
  afterAll(async () => {
    if (gw?.child.pid) process.kill(-gw.child.pid, 'SIGTERM');
    await gw?.exited;
    rmSync(copy, { recursive: true, force: true });
  });

  it('installs without dev tools, applies every patch, migrates and serves MQTT, HTTP and the guard station', async () => {
    const install = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: copy, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.once('close', (code) => resolve({ code, out }));
    });
    expect(install.code, install.out).toBe(0);
    // (The Prisma CLI is there: npm installs it as an optional peer of @prisma/client. Nothing runs it.)
    for (const devTool of ['tsx', 'esbuild', 'vitest', 'eslint', 'playwright-core']) expect(existsSync(join(copy, 'node_modules', devTool)), devTool).toBe(false);
    expect(install.out).toContain('the client is inside dist/gateway.mjs');

    // Every patch applied: each line a patch adds is in the installed file.
    const patches = readdirSync(join(root, 'patches')).filter((f) => f.endsWith('.patch'));
    expect(patches.length).toBeGreaterThanOrEqual(3);
    for (const patch of patches) {
      const added = addedLinesByFile(readFileSync(join(root, 'patches', patch), 'utf8'));
      expect(added.size, patch).toBeGreaterThan(0);
      for (const [file, lines] of added) {
        const installed = readFileSync(join(copy, file), 'utf8');
        for (const line of lines) expect(installed, `${patch}: ${file}`).toContain(line);
      }
    }

    const env = { DATABASE_URL: `file:${join(copy, 'data', 'linli.db')}`, HTTP_PORT: '0', MQTT_PORT: '0' };
    const held = spawnSync('npm', ['start'], { cwd: copy, env: { ...process.env, ...env, AUTO_MIGRATE: 'false' }, encoding: 'utf8' });
    expect(held.status).toBe(78);
    expect(held.stderr).toMatch(/lacks \d+ migration\(s\)/);

    gw = await spawnGateway(env, ['npm', 'start'], { cwd: copy });
    expect(gw.output()).toContain('database migrated');
    expect((await fetch(`http://127.0.0.1:${gw.http}/readyz`)).status).toBe(200);
    const ui = await fetch(`http://127.0.0.1:${gw.http}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<div id="app"');
  }, 1_500_000);
});

/** `node_modules/x/file` → the non-empty lines the patch adds to it. */
function addedLinesByFile(patch: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let file: string | null = null;
  for (const line of patch.split('\n')) {
    const target = /^\+\+\+ b\/(.+)$/.exec(line);
    if (target) {
      file = target[1]!;
      out.set(file, []);
    } else if (file && line.startsWith('+') && line.slice(1).trim().length > 3) {
      out.get(file)!.push(line.slice(1));
    }
  }
  return out;
}
