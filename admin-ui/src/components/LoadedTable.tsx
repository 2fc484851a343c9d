import type { ComponentChildren, VNode } from 'preact';
import type { Loaded } from '../hooks';
import { useT } from '../i18n';

/**
 * A list a page loaded (useLoad) as the guard station's tables show one: a muted line while it loads or when it
 * failed, `empty` when it has no rows (if given), otherwise `table.table` with one header cell per column (null: an
 * unnamed one, such as the row actions) and the rows `row` renders. The admin pages (guard stations, users, device
 * provisioning) share it, so a list looks and behaves the same everywhere.
 */
export function LoadedTable<T, R>(props: {
  loaded: Loaded<T>;
  rows: (value: T) => readonly R[];
  head: readonly ComponentChildren[];
  row: (r: R) => VNode;
  empty?: string;
}) {
  const t = useT();
  const { loaded } = props;
  if (loaded.state !== 'ok') return <p class="muted">{loaded.state === 'loading' ? t('common.loading') : t('common.error', { msg: loaded.message })}</p>;
  const rows = props.rows(loaded.value);
  if (rows.length === 0 && props.empty !== undefined) return <p class="muted">{props.empty}</p>;
  return (
    <table class="table">
      <thead>
        <tr>
          {props.head.map((h, i) => (
            <th key={i}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>{rows.map(props.row)}</tbody>
    </table>
  );
}
