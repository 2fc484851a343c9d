// Builds the guard station (admin-ui/) into admin-ui/dist when its sources are newer than the last build.
// `npm run build:ui` (also run by `npm run build` and `npm run demo`), and the e2e tests' setup.
// Several processes may ask at once (a build and the e2e tests run side by side): a lock directory lets one build
// while the others wait, and the new build replaces the old one in one rename, so a running gateway never serves a
// half-written folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const UI = join(ROOT, 'admin-ui');
const DIST = join(UI, 'dist');
const LOCK = join(UI, '.build-lock');
const STALE_LOCK_MS = 180_000;
/** What the bundle is made of: its sources, its config, and the gateway's contracts it imports. */
const INPUTS = [join(UI, 'src'), join(UI, 'index.html'), join(UI, 'm'), join(UI, 'hub'), join(UI, 'public'), join(UI, 'vite.config.ts'), join(UI, 'package.json'), join(ROOT, 'gateway', 'src', 'contracts')];

function newest(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of readdirSync(path)) max = Math.max(max, newest(join(path, e)));
  return max;
}

export function uiIsStale(): boolean {
  const built = statSync(join(DIST, 'index.html'), { throwIfNoEntry: false });
  if (!built) return true;
  return INPUTS.some((p) => newest(p) > built.mtimeMs);
}

function viteBin(): string {
  // admin-ui's own Vite (7), not whichever version another workspace hoisted.
  const pkg = createRequire(join(UI, 'package.json')).resolve('vite/package.json');
  return join(dirname(pkg), 'bin', 'vite.js');
}

async function withLock<T>(fn: () => T): Promise<T> {
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      const st = statSync(LOCK, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`admin-ui build lock ${LOCK} held too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds when stale; returns whether it built. Throws with Vite's output when the build fails. */
export async function ensureUiBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (!opts.force && !uiIsStale()) return false;
  return withLock(() => {
    if (!opts.force && !uiIsStale()) return false;
    const tmp = join(UI, `.dist-tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    const r = spawnSync(process.execPath, [viteBin(), 'build', '--outDir', tmp, '--emptyOutDir', '--logLevel', opts.quiet ? 'warn' : 'info'], {
      cwd: UI,
      encoding: 'utf8',
      stdio: opts.quiet ? 'pipe' : 'inherit',
    });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`admin-ui build failed (exit ${r.status}):\n${r.stdout ?? ''}\n${r.stderr ?? ''}`);
    }
    const old = join(UI, `.dist-old-${process.pid}`);
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(tmp, DIST);
    rmSync(old, { recursive: true, force: true });
    return true;
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  const built = await ensureUiBuilt({ force });
  if (!built) process.stdout.write('admin-ui: up to date (admin-ui/dist)\n');
}
