import type { Severity } from '@linli/gateway/contracts/api/alerts';

/** Shape as well as colour tells severity apart (colour-blind guards, a dim screen at night). */
export function SeverityIcon({ severity, size = 40 }: { severity: Severity; size?: number }) {
  return (
    <svg class={`sev-icon sev-${severity}`} width={size} height={size} viewBox="0 0 40 40" aria-hidden="true">
      {severity === 'critical' && (
        <g>
          <path d="M10 30 a10 10 0 0 1 20 0 z" fill="currentColor" />
          <rect x="7" y="30" width="26" height="5" rx="1.5" fill="currentColor" />
          <path d="M20 4 v6 M6 12 l4 4 M34 12 l-4 4" stroke="currentColor" stroke-width="3" stroke-linecap="round" />
        </g>
      )}
      {severity === 'major' && (
        <g>
          <path d="M20 4 L37 35 H3 Z" fill="currentColor" />
          <path d="M20 15 v10" stroke="var(--on-sev)" stroke-width="4" stroke-linecap="round" />
          <circle cx="20" cy="30" r="2.4" fill="var(--on-sev)" />
        </g>
      )}
      {severity === 'minor' && (
        <g>
          <rect x="5" y="5" width="30" height="30" rx="6" fill="currentColor" />
          <path d="M20 11 v12" stroke="var(--on-sev)" stroke-width="4" stroke-linecap="round" />
          <circle cx="20" cy="29" r="2.4" fill="var(--on-sev)" />
        </g>
      )}
      {severity === 'warning' && (
        <g>
          <circle cx="20" cy="20" r="15" fill="currentColor" />
          <circle cx="20" cy="13" r="2.4" fill="var(--on-sev)" />
          <path d="M20 19 v10" stroke="var(--on-sev)" stroke-width="4" stroke-linecap="round" />
        </g>
      )}
    </svg>
  );
}

export function Dot({ tone }: { tone: 'ok' | 'warn' | 'bad' }) {
  return <span class={`dot dot-${tone}`} aria-hidden="true" />;
}
