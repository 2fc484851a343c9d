import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  const make = () => {
    let t = 1_000; // lru-cache reads a start time of 0 as "no TTL"
    const throttle = new LoginThrottle({ perClientLimit: 3, perAddressLimit: 8, windowMs: 60_000 }, () => t);
    return { throttle, advance: (ms: number) => (t += ms) };
  };

  it('refuses a client id that keeps failing from one address, and nobody else there', () => {
    const { throttle } = make();
    for (let i = 0; i < 3; i++) throttle.failed('10.0.0.1', 'lamp-bad');
    expect(throttle.check('10.0.0.1', 'lamp-bad')).toEqual({ refused: true, scope: 'client' });
    expect(throttle.check('10.0.0.1', 'lamp-good')).toEqual({ refused: false });
    expect(throttle.check('10.0.0.2', 'lamp-bad')).toEqual({ refused: false });
  });

  it('refuses the whole address once failures across ids pass the ceiling', () => {
    const { throttle } = make();
    for (let i = 0; i < 8; i++) throttle.failed('10.0.0.1', `guess-${i}`);
    expect(throttle.check('10.0.0.1', 'anyone')).toEqual({ refused: true, scope: 'address' });
  });

  it('does not let a good login reset the address count', () => {
    const { throttle } = make();
    for (let round = 0; round < 4; round++) {
      throttle.failed('10.0.0.1', `x-${round}`);
      throttle.failed('10.0.0.1', `y-${round}`);
      throttle.succeeded('10.0.0.1', 'door-ok');
    }
    expect(throttle.check('10.0.0.1', 'z')).toEqual({ refused: true, scope: 'address' });
  });

  it('clears a pair on its success and forgets failures after the window', () => {
    const { throttle, advance } = make();
    for (let i = 0; i < 3; i++) throttle.failed('10.0.0.1', 'door');
    throttle.succeeded('10.0.0.1', 'door');
    expect(throttle.check('10.0.0.1', 'door')).toEqual({ refused: false });
    for (let i = 0; i < 3; i++) throttle.failed('10.0.0.1', 'door');
    advance(60_001);
    expect(throttle.check('10.0.0.1', 'door')).toEqual({ refused: false });
  });
});
