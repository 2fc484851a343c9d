import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { DeviceId } from '../../contracts';
import { type DeviceIdentity, clientIdentity, decidePublish } from '../acl';
import { type BrokerContext, addressOf, releaseSlot } from './context';

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
type RefusalCode = 2 | 4 | 5;

export function authError(returnCode: 2 | 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

type Done = (error: AuthenticateError | null, success: boolean | null) => void;

/** Before the CONNECT is read any further: an address or client id with too many failed logins is turned away. */
export function preConnectHook(ctx: BrokerContext): NonNullable<AedesOptions['preConnect']> {
  return (client, packet, callback) => {
    const address = addressOf(ctx, client);
    const verdict = ctx.throttle.check(address, packet.clientId);
    if (verdict.refused) {
      ctx.metrics.mqttThrottled.inc();
      ctx.log.warn({ address, clientId: packet.clientId, scope: verdict.scope }, 'connection refused: too many failed logins');
      // An Error, or Aedes leaves the socket open.
      callback(new Error('too many failed logins'), false);
      return;
    }
    // The Will is kept for the whole connection, and its payload is a view into the socket's read buffer (mqtt-packet
    // slices what it parsed). One such buffer per device, each at the start of the 64 KiB block Node read into, keeps
    // malloc from reusing those blocks during a reconnect storm; a copy of the few bytes lets the buffer go.
    if (packet.will && Buffer.isBuffer(packet.will.payload)) packet.will.payload = Buffer.from(packet.will.payload);
    callback(null, true);
  };
}

/**
 * CONNECT's credentials: the cheap checks first (client id, username), then a slot from admission, then the secret
 * check through the port — so a reconnect storm queues instead of hashing every password at once.
 */
export function authenticateHook(ctx: BrokerContext): NonNullable<AedesOptions['authenticate']> {
  return (client, username, password, done) => {
    const address = addressOf(ctx, client);
    // `{deviceId}:diag` is the device's read-only diagnostic session (acl.ts), with the device's own credentials.
    const { deviceId: id, diagnostic } = clientIdentity(client.id);
    const fail = refuser(ctx, client, address, id, done);
    // Aedes invents an id for an empty one; a device must always name itself (and empty+clean=0 is invalid).
    if (!id || client.id.startsWith('aedes_') || !DeviceId.safeParse(id).success) return fail(IDENTIFIER_REJECTED, 'bad_client_id');
    if (username === undefined || password === undefined) return fail(NOT_AUTHORIZED, 'anonymous');
    if (username !== id) return fail(BAD_USERNAME_OR_PASSWORD, 'username_mismatch');
    const login: Login = { client, id, diagnostic, address, secret: password.toString('utf8'), done, fail };
    admitThenVerify(ctx, login);
  };
}

interface Login {
  client: Client;
  id: string;
  diagnostic: boolean;
  address: string;
  secret: string;
  done: Done;
  fail: (code: RefusalCode, reason: string) => void;
}

/** A refused login counts against the throttle, is counted and logged, and answers CONNACK with `code`. */
function refuser(ctx: BrokerContext, client: Client, address: string, id: string, done: Done) {
  return (code: RefusalCode, reason: string) => {
    ctx.throttle.failed(address, id);
    ctx.metrics.mqttAuthFailures.inc({ reason });
    ctx.log.warn({ clientId: client.id, address, reason }, 'mqtt login refused');
    done(authError(code, reason), false);
  };
}

function admitThenVerify(ctx: BrokerContext, login: Login): void {
  const { client, id, done } = login;
  ctx.admission.enter().then((admitted) => {
    if (!admitted.ok) {
      // Not the device's fault: no failed-login count, and the device retries after its back-off.
      ctx.metrics.mqttConnectRefused.inc({ reason: admitted.reason });
      ctx.log.debug({ deviceId: id, reason: admitted.reason }, 'login deferred: gateway busy');
      return done(authError(SERVER_UNAVAILABLE, 'server busy'), false);
    }
    if (client.closed) return admitted.release();
    holdSlot(ctx, client, admitted.release);
    void verifySecret(ctx, login);
  }, (err: unknown) => {
    ctx.log.error({ err, deviceId: id }, 'admission failed on an internal error');
    done(authError(NOT_AUTHORIZED, 'server error'), false);
  });
}

/**
 * The login's admission slot, released when the client is ready (presence.ts), when its socket closes first, or when
 * the login fails. Built out here, away from the login's closures: the close listener lives as long as the socket, and
 * one made inside them kept the login (the secret as a string) and Aedes' connect state (the CONNECT packet with its
 * password, and the socket's first read buffer under it) for the whole connection, ~1 KB per device (issue 18, item
 * 6). Once the slot is released the listener goes too.
 */
function holdSlot(ctx: BrokerContext, client: Client, release: () => void): void {
  const onClose = () => releaseSlot(ctx, client);
  ctx.slots.set(client, () => {
    client.conn.off('close', onClose);
    release();
  });
  client.conn.once('close', onClose);
}

function verifySecret(ctx: BrokerContext, login: Login): Promise<void> {
  const { client, id, diagnostic, address, done, fail } = login;
  return ctx.ports.authenticate(id, login.secret).then(
    (result) => {
      if (!result.ok) {
        releaseSlot(ctx, client);
        return fail(result.reason === 'bad_secret' ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED, result.reason);
      }
      const device: DeviceIdentity = diagnostic ? { ...result.device, diagnostic: true } : result.device;
      if (!willAllowed(ctx, client, device)) {
        releaseSlot(ctx, client);
        return fail(NOT_AUTHORIZED, 'will_topic_refused');
      }
      if (!diagnostic && ctx.live.has(id)) {
        // MQTT says the newer connection wins; a real device reconnecting over a half-open socket does this
        // too, but two devices sharing one identity look exactly the same, so it is counted and logged.
        ctx.metrics.mqttDuplicateIds.inc();
        ctx.log.warn({ deviceId: id, address }, 'device id already connected: possible cloned device, taking over');
      }
      ctx.throttle.succeeded(address, id);
      ctx.identities.set(client, device);
      done(null, true);
    },
    (err: unknown) => {
      releaseSlot(ctx, client);
      ctx.log.error({ err, deviceId: id }, 'device authentication failed on an internal error');
      done(authError(NOT_AUTHORIZED, 'server error'), false);
    },
  );
}

/** A Will is a publish the device makes later: its topic must pass the same ACL now, while we can still refuse. */
function willAllowed(ctx: BrokerContext, client: Client, device: DeviceIdentity): boolean {
  const will = (client as Client & { _will?: { topic?: string } })._will;
  if (will?.topic === undefined) return true;
  return decidePublish(device, will.topic, ctx.opts.maxTopicLevels).ok === true;
}
