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

/** An axis: its top and its ticks, every one a round number (0 2 4 6 8 10, never 0 3 5 8 10). */
export interface Scale {
  max: number;
  ticks: number[];
}

/** At most this many intervals on an axis. */
const INTERVALS = 5;

function scaleFrom(v: number, steps: (v: number) => number[]): Scale {
  const value = Math.max(0, v);
  const step = steps(value).find((s) => Math.ceil(value / s) <= INTERVALS) ?? 1;
  const n = Math.max(1, Math.ceil(value / step));
  return { max: n * step, ticks: Array.from({ length: n + 1 }, (_, i) => i * step) };
}

/** Counts: steps of 1, 2 or 5 × 10ⁿ, whole numbers only (a count of 2.5 alerts means nothing). */
export function niceCounts(v: number): Scale {
  return scaleFrom(v, (x) => {
    const out: number[] = [];
    for (let p = 1; p <= Math.max(1, x) * 10; p *= 10) out.push(p, 2 * p, 5 * p);
    return out;
  });
}

/** Durations in seconds: steps a guard reads at a glance (10 s, 30 s, 1, 2, 5, 10, 15, 30 min, 1 h …). */
export function niceDuration(v: number): Scale {
  return scaleFrom(v, (x) => [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, Math.max(86_400, Math.ceil(x / 86_400 / INTERVALS) * 86_400)]);
}

function Axes({ labels, scale, format, barBand }: { labels: string[]; scale: Scale; format: (v: number) => string; barBand: number }) {
  const { ticks, max } = scale;
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  // Day labels in words (11月19日) are wide: at most eight of them on an axis.
  const every = Math.ceil(labels.length / 8);
  return (
    <g>
      {ticks.map((v) => (
        <g key={v}>
          <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
          <text class="tick" x={PAD.left - 6} y={y(v) + 4} text-anchor="end">
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
  const axis = niceCounts(Math.max(0, ...totals));
  const max = axis.max;
  const band = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const scale = (v: number) => ((H - PAD.top - PAD.bottom) * v) / max;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
      <Axes labels={labels} scale={axis} format={(v) => String(v)} barBand={band} />
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
export function GroupedBars(props: { labels: string[]; series: Series[]; title: string; format: (v: number) => string; target?: { value: number; label: string }; nice?: (v: number) => Scale }) {
  const { labels, series, title, format, target } = props;
  const all = series.flatMap((s) => s.values);
  const axis = (props.nice ?? niceCounts)(Math.max(target?.value ?? 0, ...all));
  const max = axis.max;
  const band = (W - PAD.left - PAD.right) / Math.max(1, labels.length);
  const inner = (band * 0.8) / Math.max(1, series.length);
  const scale = (v: number) => ((H - PAD.top - PAD.bottom) * v) / max;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
      <Axes labels={labels} scale={axis} format={format} barBand={band} />
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
