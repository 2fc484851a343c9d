import type { MqttClient } from 'mqtt';
import { DeviceError, type DeviceKind, topicFor } from '../../gateway/src/contracts';
import { connectClient } from './mqtt';

/**
 * A bare MQTT device for tests that must send what a well-behaved device never would (the simulator builds only
 * valid messages). It subscribes to its error topic and collects the validated answers.
 */
export async function rawDevice(url: string, d: { id: string; kind: DeviceKind; secret: string }) {
  const client: MqttClient = await connectClient(url, { clientId: d.id, username: d.id, password: d.secret });
  const errors: DeviceError[] = [];
  await client.subscribeAsync(topicFor('error', d.id), { qos: 0 });
  client.on('message', (topic, payload) => {
    if (topic === topicFor('error', d.id)) errors.push(DeviceError.parse(JSON.parse(payload.toString())));
  });
  return { client, errors };
}
