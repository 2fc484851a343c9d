import type { Alert } from '@linli/gateway/contracts/api/alerts';
import type { JSX } from 'preact';
import type { DeviceStateView, SitePlan } from '@linli/gateway/contracts/api/site';
import { api } from '../api';
import { useEffect } from 'preact/hooks';
import { CompoundPicker, inCompound } from '../components/CompoundPicker';
import { DeviceMark } from '../components/DeviceMark';
import { DevicePanel } from '../components/DevicePanel';
import { DrawnSiteMap } from '../components/DrawnSiteMap';
import { mapCompound } from '../site-plan-api';
import { useLoad } from '../hooks';
import { type Translate, placeText, useT } from '../i18n';
import { board } from '../live/board';
import { navigate } from '../router';
import { forgetSitePlans, sitePlan } from '../site-data';
import { useStore } from '../store';

/**
 * Device states are polled every two seconds while the map is open, not streamed: a hundred-odd small rows on a LAN,
 * a request that survives gateway restarts with no resume protocol, and nothing urgent rides on it (alarms come over
 * the live alert stream, sub-second).
 */
export const STATE_POLL_MS = 2_000;

/** The plan version this page last loaded plans at: when the gateway's moves on, every cached plan is read again. */
let seenPlanVersion = -1;

export function SitePlanView({ focus }: { focus: string | null }) {
  const t = useT();
  const chosen = useStore(mapCompound);
  const [states] = useLoad(api.deviceStates, 'states', STATE_POLL_MS);
  const planVersion = states.state === 'ok' ? states.value.planVersion : seenPlanVersion;
  const [plan] = useLoad(() => {
    if (planVersion !== seenPlanVersion) {
      forgetSitePlans();
      seenPlanVersion = planVersion;
    }
    return sitePlan(chosen);
  }, `site:${chosen ?? ''}:${planVersion}`);
  const { alerts } = useStore(board);
  // A compound chosen on this station that is gone (or out of this user's scope): back to the default.
  useEffect(() => {
    if (plan.state === 'error' && chosen !== null) mapCompound.set(null);
  }, [plan.state, chosen]);
  if (plan.state !== 'ok') return <p class="muted">{plan.state === 'error' ? t('common.error', { msg: plan.message }) : t('map.loading')}</p>;
  const byId = new Map<string, DeviceStateView>(states.state === 'ok' ? states.value.devices.map((d) => [d.id, d]) : []);
  const device = focus ? plan.value.devices.find((d) => d.id === focus) : undefined;
  const here = alerts.filter((a) => inCompound(plan.value, a));
  const drawing = plan.value.drawing;
  const unplaced = drawing ? plan.value.devices.filter((d) => d.kind !== 'indoor_alarm' && d.plan === null).length : 0;
  return (
    <div class={`map-view ${device ? '' : 'no-panel'}`}>
      <section class="map-wrap">
        <h1 class="view-title map-title">
          {t('map.title')} <span class="muted" data-testid="map-compound-name">{plan.value.community.name}</span>
          <CompoundPicker compounds={plan.value.compounds} store={mapCompound} current={plan.value.community.id} testId="map-compound" />
          {unplaced > 0 && <span class="muted map-unplaced">{t('plan.notPlaced', { n: unplaced })}</span>}
        </h1>
        {drawing ? (
          <DrawnSiteMap plan={plan.value} drawing={drawing} states={byId} alerts={here} selected={focus} select={select} t={t} />
        ) : (
          <SiteMap plan={plan.value} states={byId} alerts={here} selected={focus} t={t} />
        )}
      </section>
      <aside class="side-panel">
        {device ? <DevicePanel device={device} state={byId.get(device.id) ?? null} alerts={alerts.filter((a) => a.deviceId === device.id)} /> : <Legend t={t} />}
      </aside>
    </div>
  );
}

const select = (id: string) => navigate(`/map/${encodeURIComponent(id)}`, { replace: true });

function SiteMap({ plan, states, alerts, selected, t }: { plan: SitePlan; states: Map<string, DeviceStateView>; alerts: Alert[]; selected: string | null; t: Translate }) {
  const W = plan.width;
  const D = plan.depth;
  // Site coordinates have y to the north; SVG's y goes down.
  const Y = (y: number) => D - y;
  const inset = 10;
  const columns = [...new Set(plan.buildings.map((b) => b.x))].sort((a, b) => a - b);
  const widthAt = (x: number) => plan.buildings.find((b) => b.x === x)?.width ?? 0;
  const lanes = columns.slice(1).map((x, i) => {
    const prev = columns[i] ?? 0;
    return (prev + widthAt(prev) + x) / 2;
  });
  const alertBuildings = new Set(alerts.flatMap((a) => (a.place.buildingId ? [a.place.buildingId] : [])));
  const gates = plan.devices.filter((d) => d.placeKind === 'main_gate' || d.placeKind === 'vehicle_gate');
  const drawn = plan.devices.filter((d) => d.kind !== 'indoor_alarm');
  return (
    <svg class="site-svg" viewBox={`-6 -6 ${W + 12} ${D + 18}`} role="img" aria-label={t('map.title')} preserveAspectRatio="xMidYMid meet">
      <rect class="ground" x={0} y={0} width={W} height={D} rx={2} />
      <rect class="road" x={inset} y={inset} width={W - 2 * inset} height={D - 2 * inset} stroke-width={6} />
      {lanes.map((x) => (
        <line key={x} class="road" x1={x} y1={inset} x2={x} y2={D - inset} stroke-width={6} />
      ))}
      {gates.map((g) => (
        <line key={g.id} class="road" x1={g.x} y1={Y(0)} x2={g.x} y2={D - inset} stroke-width={6} />
      ))}
      {plan.buildings.map((b) => (
        <g key={b.id} class={`building ${alertBuildings.has(b.id) ? 'has-alert' : ''}`} data-building={b.id}>
          <rect x={b.x} y={Y(b.y + b.depth)} width={b.width} height={b.depth} rx={0.8} />
        </g>
      ))}
      {alerts
        .filter((a) => a.place.x !== null && a.place.y !== null)
        .map((a) => (
          <g
            key={a.id}
            class={`alert-marker sev-${a.severity}`}
            data-alert-id={a.id}
            transform={`translate(${a.place.x ?? 0} ${Y(a.place.y ?? 0)})`}
            onClick={() => a.deviceId && select(a.deviceId)}
          >
            <title>{`${t.e.alertType[a.type]} · ${placeText(t, a.place)}`}</title>
            <circle class="ring" r={5} />
            <circle class="core" r={2.4} />
          </g>
        ))}
      {drawn.map((d) => (
        <DeviceMark key={d.id} d={d} s={states.get(d.id)} Y={Y} selected={d.id === selected} select={select} />
      ))}
      {/* Labels last, with a halo: an alert marker never hides a building's name or a gate's. */}
      <g class="labels">
        {plan.buildings.map((b) => (
          <text key={`${b.id}-label`} class="building-label" x={b.x + b.width / 2} y={Y(b.y + b.depth / 2)}>
            {b.name}
          </text>
        ))}
        {gates.map((g) => (
          <text key={`${g.id}-label`} class="gate-label" x={g.x} y={Y(0) + 8}>
            {g.placeKind === 'main_gate' ? t('map.gateMain') : t('map.gateVehicle')}
          </text>
        ))}
      </g>
    </svg>
  );
}

function Legend({ t }: { t: Translate }) {
  const item = (svg: JSX.Element, label: string) => (
    <li>
      <svg width="28" height="20" viewBox="-7 -5 14 10" class="site-svg" style={{ width: '1.6rem', height: '1.2rem' }}>
        {svg}
      </svg>
      {label}
    </li>
  );
  return (
    <>
      <h2>{t('map.legend')}</h2>
      <ul class="legend">
        {item(<g class="device door" data-state="closed"><rect class="mark" x={-3} y={-2} width={6} height={4} /></g>, t('map.doorClosed'))}
        {item(<g class="device door" data-state="open"><rect class="mark" x={-3} y={-2} width={6} height={4} /></g>, t('map.doorOpen'))}
        {item(<g class="device door" data-online="true" data-state="unknown"><rect class="mark" x={-3} y={-2} width={6} height={4} /></g>, t('map.unknown'))}
        {item(<g class="device door" data-online="false" data-state="unknown"><rect class="mark" x={-3} y={-2} width={6} height={4} /></g>, t('map.offline'))}
        {item(<g class="device lamp" data-lamp="on"><circle class="glow" r={4} /><circle class="mark" r={2} /></g>, t('map.lampOn'))}
        {item(<g class="device lamp" data-lamp="off"><circle class="mark" r={2} /></g>, t('map.lampOff'))}
        {item(<g class="device lamp" data-lamp="fault"><circle class="mark" r={2} /></g>, t('map.lampFault'))}
        {item(<g class="device post"><rect class="mark" x={-1.8} y={-1.8} width={3.6} height={3.6} transform="rotate(45)" /></g>, t('map.alarmPost'))}
        {item(<g class="alert-marker sev-critical"><circle class="core" r={2.6} /></g>, t('map.alert'))}
      </ul>
    </>
  );
}
