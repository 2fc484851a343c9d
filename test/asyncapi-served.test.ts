import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startGateway, type TestGateway } from './helpers/gateway';

const Served = z.object({
  servers: z.record(z.string(), z.object({ host: z.string(), protocol: z.string(), security: z.array(z.object({ $ref: z.string() })) })),
  components: z.object({ securitySchemes: z.object({ deviceSecret: z.object({ type: z.literal('userPassword') }) }) }),
});

describe('/asyncapi.json as a device maker fetches it', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway();
  });
  afterAll(async () => t?.close());

  it('names the servers this gateway really listens on, each secured by the device user name and secret', async () => {
    const doc = Served.parse(await (await fetch(`${t.httpUrl}/asyncapi.json`)).json());
    const mqttPort = new URL(t.mqttUrl).port;
    const httpPort = new URL(t.httpUrl).port;
    expect(doc.servers.mqtt).toMatchObject({ host: `127.0.0.1:${mqttPort}`, protocol: 'mqtt' });
    expect(doc.servers.ws).toMatchObject({ host: `127.0.0.1:${httpPort}`, protocol: 'ws' });
    expect(doc.servers.mqtts).toBeUndefined(); // no TLS configured
    for (const server of Object.values(doc.servers)) expect(server.security).toEqual([{ $ref: '#/components/securitySchemes/deviceSecret' }]);
  });
});
