import type { ComponentChildren, JSX } from 'preact';
import { h } from 'preact';
import { createStore, useStore } from './store';

/**
 * The whole router: the path is a store, links push history entries, and the app matches the first segment.
 * Six flat pages need nothing more; the gateway answers every non-API path with index.html, so deep links work.
 */
export const path = createStore<string>(location.pathname);

window.addEventListener('popstate', () => path.set(location.pathname));

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  path.set(location.pathname);
}

export function usePath(): string[] {
  return useStore(path).split('/').filter((s) => s !== '').map(decodeURIComponent);
}

export function Link(props: { href: string; class?: string; children: ComponentChildren } & JSX.HTMLAttributes<HTMLAnchorElement>) {
  const { href, children, ...rest } = props;
  return h(
    'a',
    {
      ...rest,
      href,
      onClick: (e: MouseEvent) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      },
    },
    children,
  );
}
