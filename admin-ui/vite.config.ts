import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Preact through esbuild's automatic JSX runtime (tsconfig: jsxImportSource preact): no Babel preset needed.
// Everything is bundled: the guard room has no internet, so no CDN, no web fonts, no remote anything.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small app: a single chunk loads fastest from the gateway on a LAN.
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      // Pages from one build: the guard station at / and the resident phone app at /m/ (m/index.html); the district
      // hub's duty desk (hub/index.html) is served by the hub process at /hub/ (gateway/src/hub/http.ts).
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        m: resolve(import.meta.dirname, 'm/index.html'),
        hub: resolve(import.meta.dirname, 'hub/index.html'),
      },
      onwarn(warning, warn) {
        // zod's sources carry #__PURE__ comments in places Rollup cannot use; harmless, and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
    },
  },
  server: {
    // `npm run dev -w @linli/admin-ui` against a gateway on 8080.
    proxy: { '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
