import type { Alert } from '@linli/gateway/contracts/api/alerts';
import type { DeviceStateView, SitePlan } from '@linli/gateway/contracts/api/site';
import type { DrawingMeta } from '@linli/gateway/contracts/api/site-plan';
import { useEffect, useState } from 'preact/hooks';
import { useLoad } from '../hooks';
import { type Translate, placeText } from '../i18n';
import { drawingDataUrl } from '../site-plan-api';
import { DeviceMark } from './DeviceMark';
import '../site-plan.css';

/**
 * Marker units across the drawing's longer side: markers keep the size they have on the generated grid; on a phone
 * fewer (bigger markers and labels), or they would shrink to specks.
 */
function useUnitsAcross(): number {
  const [narrow, setNarrow] = useState(window.innerWidth < 700);
  useEffect(() => {
    const onResize = () => setNarrow(window.innerWidth < 700);
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return narrow ? 120 : 220;
}

/**
 * The guard's map on the compound's own drawing: the image, then what is placed on it — alarm rings, doors, lamps,
 * alarm posts — at their stored positions, and the labels last, with a halo, so a marker never hides a building's or
 * a gate's name. Unplaced devices are not drawn (the header counts them); decommissioned ones never reach here.
 */
export function DrawnSiteMap(props: { plan: SitePlan; drawing: DrawingMeta; states: Map<string, DeviceStateView>; alerts: Alert[]; selected: string | null; select: (id: string) => void; t: Translate }) {
  const { plan, drawing, states, alerts, selected, select, t } = props;
  const [src] = useLoad(() => drawingDataUrl(drawing.url), drawing.url);
  const across = useUnitsAcross();
  const W = drawing.width;
  const H = drawing.height;
  // Everything but the image is drawn in marker units (k drawing units each), so styles written for the grid fit.
  const k = Math.max(W, H) / across;
  const at = (p: { x: number; y: number }) => ({ x: (p.x * W) / k, y: (p.y * H) / k });
  const buildings = plan.buildings.flatMap((b) => (b.plan ? [{ b, p: at(b.plan) }] : []));
  const devices = plan.devices.flatMap((d) => (d.plan && d.kind !== 'indoor_alarm' ? [{ d, p: at(d.plan) }] : []));
  const deviceAt = new Map(devices.map(({ d, p }) => [d.id, p]));
  const buildingAt = new Map(buildings.map(({ b, p }) => [b.id, p]));
  const alertAt = alerts.flatMap((a) => {
    const p = (a.deviceId ? deviceAt.get(a.deviceId) : undefined) ?? (a.place.buildingId ? buildingAt.get(a.place.buildingId) : undefined);
    return p ? [{ a, p }] : [];
  });
  const alertBuildings = new Set(alerts.flatMap((a) => (a.place.buildingId ? [a.place.buildingId] : [])));
  const gates = devices.filter(({ d }) => d.placeKind === 'main_gate' || d.placeKind === 'vehicle_gate');
  return (
    <svg class="site-svg drawn-map" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('map.title')} preserveAspectRatio="xMidYMid meet" data-testid="drawn-map" style={{ aspectRatio: `${W} / ${H}` }}>
      <rect class="ground" x={0} y={0} width={W} height={H} />
      {src.state === 'ok' && <image class="drawing" href={src.value} x={0} y={0} width={W} height={H} preserveAspectRatio="none" data-testid="plan-drawing" />}
      <g transform={`scale(${k})`}>
        {buildings.map(({ b, p }) => (
          <circle key={b.id} class={`building-pin ${alertBuildings.has(b.id) ? 'has-alert' : ''}`} data-building={b.id} cx={p.x} cy={p.y} r={alertBuildings.has(b.id) ? 3.2 : 1.6} />
        ))}
        {alertAt.map(({ a, p }) => (
          <g key={a.id} class={`alert-marker sev-${a.severity}`} data-alert-id={a.id} transform={`translate(${p.x} ${p.y})`} onClick={() => a.deviceId && select(a.deviceId)}>
            <title>{`${t.e.alertType[a.type]} · ${placeText(t, a.place)}`}</title>
            <circle class="ring" r={5} />
            <circle class="core" r={2.4} />
          </g>
        ))}
        {devices.map(({ d, p }) => (
          <DeviceMark key={d.id} d={{ ...d, x: p.x, y: p.y }} s={states.get(d.id)} Y={(y) => y} selected={d.id === selected} select={select} />
        ))}
        <g class="labels">
          {buildings.map(({ b, p }) => (
            <text key={`${b.id}-label`} class="building-label" x={p.x} y={p.y - 3.2}>
              {b.name}
            </text>
          ))}
          {gates.map(({ d, p }) => (
            <text key={`${d.id}-label`} class="gate-label" x={p.x} y={p.y + 6.5}>
              {d.placeKind === 'main_gate' ? t('map.gateMain') : t('map.gateVehicle')}
            </text>
          ))}
        </g>
      </g>
    </svg>
  );
}
