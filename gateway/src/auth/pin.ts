import { randomInt } from 'node:crypto';

/** Six digits all the same, or counting up or down by one (111111, 123456, 654321): the PINs guessed first. */
export function isGuessablePin(pin: string): boolean {
  const steps = new Set([...pin].slice(1).map((ch, i) => Number(ch) - Number(pin[i])));
  return steps.size === 1 && [0, 1, -1].some((s) => steps.has(s));
}

/**
 * A resident PIN: six digits drawn by the gateway (never chosen by a person, so enrolment cannot be used to probe
 * which PINs exist), and not one anybody would guess first (111111, 123456, 654321).
 */
export function drawPin(): string {
  for (;;) {
    const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    if (!isGuessablePin(pin)) return pin;
  }
}
