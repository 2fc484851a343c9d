import type { PrismaClient } from '../db/client';
import { compoundZone } from '../db/zone';
import { type AccessContext, doorsOfResident } from './context';
import type { Directory } from './directory';

/**
 * Reads `read` between the directory's reload mark and its load: changes made meanwhile are replayed over what was
 * read (Directory.beginReload); a failed read ends the mark.
 */
async function marked<T>(dir: Directory, read: () => Promise<T>): Promise<{ since: number; value: T }> {
  const since = dir.beginReload();
  try {
    return { since, value: await read() };
  } catch (err) {
    dir.abortReload();
    throw err;
  }
}

/**
 * Fills the access directory from the database: the whole of it (at start, after the seed, after the administration
 * changed master data), or one resident. Every door whose credential set may have changed is resent (ctx.changed).
 */
export function directoryLoader(ctx: AccessContext, prisma: PrismaClient) {
  const { dir } = ctx;
  return {
    /** Everything; with keepPasses, visitor passes stay as counted in memory. */
    async reload(opts: { keepPasses?: boolean } = {}): Promise<void> {
      const { since, value: snapshot } = await marked(dir, () => ctx.repos.access.snapshot(ctx.now()));
      dir.load(snapshot, { ...opts, since });
      ctx.settings.timezone = await compoundZone(prisma);
      ctx.log.info({ doors: dir.doors.size, residents: dir.residents.size, credentials: dir.credentials.size, passes: dir.passes.size }, 'access directory loaded');
      ctx.changed(dir.doors.keys());
    },

    /** One resident and their credentials; the doors that concerned them before and after are resent. */
    async refreshResident(id: string): Promise<void> {
      const before = doorsOfResident(dir, id);
      const { since, value: current } = await marked(dir, () => ctx.repos.access.resident(id));
      dir.applyResident(id, current, since);
      ctx.changed([...before, ...doorsOfResident(dir, id)]);
    },
  };
}
