import type { PrismaClient } from './client';

/**
 * The compound's IANA time zone (Community.timezone) for answers in "its" calendar: today's visitors, report days.
 * An installation serves one compound; with several, the first enrolled one's zone (they share a city in practice).
 */
export async function compoundZone(prisma: PrismaClient): Promise<string> {
  const c = await prisma.community.findFirst({ where: { active: true }, orderBy: { createdAt: 'asc' }, select: { timezone: true } });
  return c?.timezone ?? 'Asia/Shanghai';
}
