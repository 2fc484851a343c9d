// The resident app's service worker (scope /m/): keeps the app shell so a phone without signal (a lift, a car park)
// still opens the app and shows the passes it already issued (their codes are in the phone's own storage). It never
// caches /api/: those replies are personal and marked no-store.
const CACHE = 'linli-m-v1';
const SHELL = ['/m/', '/m/manifest.webmanifest', '/m/icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(SHELL);
      // The built page names its hashed scripts and styles: keep those too.
      const html = await (await cache.match('/m/')).text();
      const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
      await cache.addAll(assets);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (event.request.mode === 'navigate') {
    // Network first (a new version shows at once), the kept shell when there is no network.
    event.respondWith(fetch(event.request).catch(async () => (await caches.match('/m/')) ?? Response.error()));
    return;
  }
  if (url.pathname.startsWith('/assets/') || SHELL.includes(url.pathname)) {
    event.respondWith(
      (async () => {
        const hit = await caches.match(event.request);
        if (hit) return hit;
        const res = await fetch(event.request);
        if (res.ok) (await caches.open(CACHE)).put(event.request, res.clone());
        return res;
      })(),
    );
  }
});
