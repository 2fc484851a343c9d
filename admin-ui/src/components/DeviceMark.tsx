import type { DeviceStateView, SiteDevice } from '@linli/gateway/contracts/api/site';

/**
 * One device on a site map (the generated grid or a drawing): a door, a lamp or an alarm post, drawn at its x/y in
 * the map's units (y through `Y`), with its state in data attributes the styles (and tests) read.
 */
export function DeviceMark({ d, s, Y, selected, select }: { d: SiteDevice; s: DeviceStateView | undefined; Y: (y: number) => number; selected: boolean; select: (id: string) => void }) {
  const online = s?.online ?? false;
  const common = {
    'data-device': d.id,
    'data-online': String(online),
    transform: `translate(${d.x} ${Y(d.y)})`,
    onClick: () => select(d.id),
    role: 'button' as const,
    'aria-label': d.name,
  };
  const cls = (kind: string) => `device ${kind} ${selected ? 'selected' : ''}`;
  switch (d.kind) {
    case 'face_terminal':
    case 'vehicle_gate': {
      const gate = d.placeKind !== 'unit_door';
      const w = gate ? 8 : 5;
      const h = gate ? 4 : 3;
      return (
        <g {...common} class={cls('door')} data-state={s?.door?.state ?? 'unknown'}>
          <title>{d.name}</title>
          <rect class="mark" x={-w / 2} y={-h / 2} width={w} height={h} rx={0.6} />
        </g>
      );
    }
    case 'streetlight': {
      const lamp = s?.lamp;
      const state = lamp?.fault ? 'fault' : lamp?.on ? 'on' : 'off';
      return (
        <g {...common} class={cls('lamp')} data-lamp={state}>
          <title>{d.name}</title>
          {state === 'on' && online && <circle class="glow" r={4.2} />}
          <circle class="mark" r={1.7} />
        </g>
      );
    }
    case 'outdoor_alarm':
      return (
        <g {...common} class={cls('post')}>
          <title>{d.name}</title>
          <rect class="mark" x={-1.7} y={-1.7} width={3.4} height={3.4} transform="rotate(45)" />
        </g>
      );
    case 'indoor_alarm':
      return null;
  }
}
