import type { Alert } from '@linli/gateway/contracts/api/alerts';
import type { AccessEventView } from '@linli/gateway/contracts/api/doors';
import type { DeviceEventList, DeviceStateView, SiteDevice } from '@linli/gateway/contracts/api/site';
import { api } from '../api';
import { ago, clock, dateTime } from '../format';
import { type Loaded, useLoad, useNow } from '../hooks';
import { type Translate, label, useT } from '../i18n';
import { navigate } from '../router';
import { dialog, selected } from '../ui-state';
import { TagChips } from './AlertCard';
import { DoorContacts } from './DoorContacts';
import { Dot } from './icons';

export const isDoor = (d: SiteDevice) => d.kind === 'face_terminal' || d.kind === 'vehicle_gate';

export function stateText(t: Translate, d: SiteDevice, s: DeviceStateView | null): string {
  if (isDoor(d)) {
    if (!s?.door) return t('device.door.unknown');
    return s.door.state === 'open' ? t('device.door.open', { since: clock(s.door.since) }) : t('device.door.closed');
  }
  if (d.kind === 'streetlight') {
    const l = s?.lamp;
    if (!l) return t('device.door.unknown');
    if (l.fault) return t('device.lamp.fault', { fault: t.e.value[l.fault] ?? l.fault });
    return l.on ? t('device.lamp.on', { b: l.brightness, w: l.powerW, v: l.voltage }) : t('device.lamp.off', { v: l.voltage });
  }
  return s?.batteryPercent !== null && s?.batteryPercent !== undefined ? t('device.battery', { n: s.batteryPercent }) : '';
}

function detailText(t: Translate, detail: Record<string, string | number | boolean | null>): string {
  return Object.entries(detail)
    .map(([k, v]) => {
      const shown = v === null ? '–' : (t.e.value[String(v)] ?? String(v));
      return k === 'state' || k === 'cause' || k === 'type' || k === 'kind' || k === 'status' ? shown : `${k} ${shown}`;
    })
    .join(' · ');
}

/** What the device is, where, whether it is online and its state. */
function DeviceFacts({ device, state, now }: { device: SiteDevice; state: DeviceStateView | null; now: number }) {
  const t = useT();
  const online = state?.online ?? false;
  return (
    <dl class="facts">
      <dt>{t('device.kind')}</dt>
      <dd>{t.e.deviceKind[device.kind]}</dd>
      <dt>{t('device.place')}</dt>
      <dd>
        {t.e.placeKind[device.placeKind]} {device.householdLabel ?? ''}
        {device.tags.length > 0 && (
          <>
            {' '}
            <TagChips tags={device.tags} />
          </>
        )}
      </dd>
      <dt>{online ? t('device.online') : t('device.offline')}</dt>
      <dd>
        <Dot tone={online ? 'ok' : 'bad'} />
        {state?.lastSeenAt ? `${t('device.lastSeen')} ${clock(state.lastSeenAt)}（${ago(t, state.lastSeenAt, now)}）` : '–'}
      </dd>
      <dt>{t('device.state')}</dt>
      <dd data-testid="device-state">{stateText(t, device, state) || '–'}</dd>
    </dl>
  );
}

/** The device's open alarms, each a link to it on the board. */
function DeviceAlerts({ alerts }: { alerts: Alert[] }) {
  const t = useT();
  if (alerts.length === 0) return <p class="muted">{t('device.noAlerts')}</p>;
  return (
    <ul class="event-list">
      {alerts.map((a) => (
        <li key={a.id}>
          <a
            href="/"
            onClick={(e) => {
              e.preventDefault();
              selected.set(a.id);
              navigate('/');
            }}
          >
            <b>{t.e.severity[a.severity]}</b> {t.e.alertType[a.type]} · {t.e.status[a.status]} · {clock(a.lastAt)}
          </a>
        </li>
      ))}
    </ul>
  );
}

/** A door's latest entries (who was let in or refused, and how). */
function RecentAccess({ access }: { access: Loaded<{ events: AccessEventView[] } | null> }) {
  const t = useT();
  if (access.state !== 'ok' || !access.value) return null;
  return (
    <>
      <h3 class="sub-title">{t('device.access')}</h3>
      <ul class="event-list">
        {access.value.events.length === 0 && <li class="muted">{t('device.noEvents')}</li>}
        {access.value.events.map((e) => (
          <li key={e.id}>
            <span class="num">{dateTime(e.at)}</span> <span class={e.decision}>{e.decision === 'grant' ? t('log.grant') : t('log.deny')}</span> ·{' '}
            {label(t.e.credential, e.credentialType)} · {t.e.reason[e.reason]}
          </li>
        ))}
      </ul>
    </>
  );
}

/** What the device reported lately. */
function RecentEvents({ events }: { events: Loaded<DeviceEventList> }) {
  const t = useT();
  if (events.state !== 'ok') return <p class="muted">{events.state === 'loading' ? t('common.loading') : t('common.error', { msg: events.message })}</p>;
  return (
    <ul class="event-list">
      {events.value.events.length === 0 && <li class="muted">{t('device.noEvents')}</li>}
      {events.value.events.map((e) => (
        <li key={e.seq}>
          <span class="num">{dateTime(e.receivedAt)}</span> <b>{t.e.channel[e.channel] ?? e.channel}</b>
          <div class="ev-detail">{detailText(t, e.detail)}</div>
        </li>
      ))}
    </ul>
  );
}

/** A device clicked on the map: what it is, where, its state, its open alarms, and what it reported lately. */
export function DevicePanel({ device, state, alerts }: { device: SiteDevice; state: DeviceStateView | null; alerts: Alert[] }) {
  const t = useT();
  const now = useNow(5_000);
  const version = `${device.id}|${state?.lastSeenAt ?? ''}|${state?.door?.since ?? ''}|${state?.lamp?.at ?? ''}`;
  const [events] = useLoad(() => api.deviceEvents(device.id), version);
  const [access] = useLoad(() => (isDoor(device) ? api.accessEvents(device.id, 8) : Promise.resolve(null)), version);
  const online = state?.online ?? false;
  return (
    <div class="device-panel" data-device-panel={device.id}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'flex-start', gap: '0.5rem' }}>
        <h2>{device.name}</h2>
        <button class="btn btn-sm" onClick={() => navigate('/map', { replace: true })}>
          {t('device.close')}
        </button>
      </div>
      <DeviceFacts device={device} state={state} now={now} />
      {isDoor(device) && (
        <button class="btn btn-lg btn-primary" data-action="open-door" disabled={!online} onClick={() => dialog.set({ kind: 'open-door', deviceId: device.id, name: device.name })}>
          {t('devices.open')}
        </button>
      )}
      {/* Keyed by the device: another device's panel never shows the last door's flats while its own load. */}
      <DoorContacts key={device.id} deviceId={device.id} alert={alerts[0] ?? null} />
      <h3 class="sub-title">{t('device.alerts')}</h3>
      <DeviceAlerts alerts={alerts} />
      <RecentAccess access={access} />
      <h3 class="sub-title">{t('device.recent')}</h3>
      <RecentEvents events={events} />
    </div>
  );
}
