// The console's build: `vite build web` (scripts/build.mjs runs it into dist/web). Everything it
// needs is bundled: no CDN, no external fonts. `npx vite web` serves it with hot reload and proxies
// the API to a server on :8080.
import preact from '@preact/preset-vite'
import { defineConfig } from 'vite'

const api = 'http://localhost:8080'

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [preact()],
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': api, '/v1': api, '/health': api } },
})
