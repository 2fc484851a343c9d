/**
 * Two small hand-drawn SVG charts: a chart library would weigh more than the whole app for two bar charts, and
 * these follow the theme's colours and the guard's language for free.
 */

export interface Series {
  key: string;
  label: string;
  color: string;
  values: number[];
}

const W = 900;
const H = 300;
const PAD = { left: 64, right: 12, top: 14, bottom: 38 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function Axes({ labels, max, format, barBand }: { labels: string[]; max: number; format: (v: number) => string; barBand: number }) {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  const every = Math.ceil(labels.length / 15);
  return (
    <g>
      {ticks.map((v) => (
        <g key={v}>
          <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
          <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end">
            {format(v)}
          </text>
        </g>
      ))}
      <line class="axis" x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} />
      {labels.map((l, i) =>
        i % every === 0 ? (
          <text key={l} x={PAD.left + barBand * (i + 0.5)} y={H - PAD.bottom + 18} text-anchor="middle">
            {l}
          </text>
        ) : null,
      )}
    </g>
  );
}

/** One bar per label, stacked by series. */
export function StackedBars({ labels, series, title }: { labels: string[]; series: Series[]; title: string }) {
  const totals = labels.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const band = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const scale = (v: number) => ((H - PAD.top - PAD.bottom) * v) / max;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
      <Axes labels={labels} max={max} format={(v) => String(Math.round(v))} barBand={band} />
      {labels.map((l, i) => {
        let base = H - PAD.bottom;
        return (
          <g key={l}>
            {series.map((s) => {
              const v = s.values[i] ?? 0;
              if (v <= 0) return null;
              const h = scale(v);
              base -= h;
              return (
                <rect key={s.key} class="bar" x={PAD.left + band * i + band * 0.15} y={base} width={band * 0.7} height={h} fill={s.color}>
                  <title>{`${l} ${s.label}: ${v}`}</title>
                </rect>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}

/** Bars side by side per label (p50 next to p90), with an optional target line. */
/** Round axis tops for durations in seconds: whole minutes a guard reads at a glance. */
export function niceDuration(v: number): number {
  for (const m of [60, 120, 300, 600, 900, 1200, 1800, 2400, 3600, 7200, 14_400, 28_800, 86_400]) if (v <= m) return m;
  return niceMax(v);
}

export function GroupedBars(props: { labels: string[]; series: Series[]; title: string; format: (v: number) => string; target?: { value: number; label: string }; nice?: (v: number) => number }) {
  const { labels, series, title, format, target } = props;
  const all = series.flatMap((s) => s.values);
  const max = (props.nice ?? niceMax)(Math.max(target?.value ?? 0, ...all));
  const band = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const inner = (band * 0.8) / Math.max(1, series.length);
  const scale = (v: number) => ((H - PAD.top - PAD.bottom) * v) / max;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
      <Axes labels={labels} max={max} format={format} barBand={band} />
      {labels.map((l, i) => (
        <g key={l}>
          {series.map((s, j) => {
            const v = s.values[i] ?? 0;
            if (v <= 0) return null;
            return (
              <rect key={s.key} class="bar" x={PAD.left + band * i + band * 0.1 + inner * j} y={H - PAD.bottom - scale(v)} width={inner * 0.9} height={scale(v)} fill={s.color}>
                <title>{`${l} ${s.label}: ${format(v)}`}</title>
              </rect>
            );
          })}
        </g>
      ))}
      {target && <line class="target" x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom - scale(target.value)} y2={H - PAD.bottom - scale(target.value)} />}
    </svg>
  );
}

export function Legend({ series, target }: { series: Series[]; target?: string }) {
  return (
    <div class="chart-legend">
      {series.map((s) => (
        <span key={s.key}>
          <span class="swatch" style={{ background: s.color }} />
          {s.label}
        </span>
      ))}
      {target && (
        <span>
          <span class="swatch target-swatch" />
          {target}
        </span>
      )}
    </div>
  );
}
