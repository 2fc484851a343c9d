import { describe, expect, it } from 'vitest';
import { loadConfig } from '.';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const r = loadConfig({});
    expect(r.ok && r.config).toMatchObject({ MQTT_PORT: 1883, HTTP_PORT: 8080, DATABASE_URL: 'file:./data/linli.db', AUTO_MIGRATE: true });
  });
  it('reads "false" as false, not as a truthy string', () => {
    const r = loadConfig({ AUTO_MIGRATE: 'false' });
    expect(r.ok && r.config.AUTO_MIGRATE).toBe(false);
  });
  it('names the variable and the problem for a bad value', () => {
    const r = loadConfig({ MQTT_PORT: '99999', LOG_LEVEL: 'loud' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/MQTT_PORT: .*65535/);
    expect(!r.ok && r.message).toMatch(/LOG_LEVEL/);
  });
  it('requires the TLS certificate and key together', () => {
    const r = loadConfig({ TLS_CERT_FILE: '/tmp/cert.pem' });
    expect(!r.ok && r.message).toMatch(/TLS_CERT_FILE and TLS_KEY_FILE/);
  });
  it('returns a frozen config', () => {
    const r = loadConfig({});
    expect(r.ok && Object.isFrozen(r.config)).toBe(true);
  });
});
