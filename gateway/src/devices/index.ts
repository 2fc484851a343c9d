import type { FeatureRoutes } from '../api/routes';
import type { Broker } from '../broker';
import type { Bus } from '../bus';
import { type Config, supervisionByKind } from '../config';
import type { PrismaClient } from '../db/client';
import { deviceAdminRepo } from '../db/device-admin';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import { registerSetupRoutes } from './setup-routes';
import { registerDeviceRoutes } from './routes';
import { type DeviceService, createDeviceService, deviceEndpoints } from './service';

export interface DevicesFeature extends Lifecycle {
  service: DeviceService;
  /** /api/v1/devices… (provisioning) and /api/v1/setup (the setup checklist). */
  routes: FeatureRoutes;
}

/** Device provisioning and the setup checklist, wired from the gateway's parts. */
export function createDevicesFeature(deps: {
  config: Config;
  prisma: PrismaClient;
  bus: Bus;
  broker: Pick<Broker, 'disconnect'>;
  reloadAccess: () => Promise<void>;
  /** The ports really bound; mqtts when MQTT over TLS listens. */
  ports: () => { http: number; mqtt: number; mqtts?: number };
  credentialKey: string;
  log: Logger;
}): DevicesFeature {
  const { config } = deps;
  const repo = deviceAdminRepo(deps.prisma);
  const service = createDeviceService({
    repo,
    broker: deps.broker,
    bus: deps.bus,
    reloadAccess: deps.reloadAccess,
    credentialKey: deps.credentialKey,
    kindSupervisionSec: supervisionByKind(config),
    endpoints: (host) => deviceEndpoints(host, { ...deps.ports(), httpTls: config.HTTP_TLS_CERT_FILE !== undefined }),
    log: deps.log.child({ module: 'devices' }),
  });
  return {
    service,
    routes: async (app) => {
      registerDeviceRoutes(app, service);
      registerSetupRoutes(app, repo);
    },
    // start: heartbeats are followed (firmware, clock drift); stop: that ends and the commissioning grace timers go.
    start: async () => service.start(),
    stop: async () => service.close(),
  };
}
