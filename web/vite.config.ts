import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard is served by services/dashboard from web/dist under CSP default-src 'self':
// no inline script, no CDN, no web font. `npm run dev` proxies /api to a running dashboard.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022', modulePreload: { polyfill: false } },
  server: { proxy: { '/api': process.env.ORZO_DASHBOARD_URL ?? 'http://127.0.0.1:8080' } },
});
