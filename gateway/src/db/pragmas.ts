/**
 * Every connection, Prisma's and the writer thread's, runs WAL with synchronous=FULL: a commit survives power loss.
 * (A module of its own so the writer thread can use it without loading the Prisma client.)
 */
export const PRAGMAS = ['journal_mode = WAL', 'synchronous = FULL', 'busy_timeout = 5000', 'foreign_keys = ON'];
