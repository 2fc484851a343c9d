/** A time in the format SQLite rows hold it (Prisma's ISO 8601 with an explicit offset), for the raw writers. */
export const isoStored = (d: Date) => d.toISOString().replace('Z', '+00:00');
