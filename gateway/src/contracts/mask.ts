/**
 * What a door screen or a guard may see of a person: the family name and a star (王*), as Chinese property systems
 * show it. Full names stay in the database.
 */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  const first = chars[0];
  if (first === undefined) return '*';
  return `${first}*`;
}

/** 13812341234 → 138****1234 (the usual mainland masking); the full number is never stored for a visitor. */
export function maskPhone(phone: string): string {
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}
