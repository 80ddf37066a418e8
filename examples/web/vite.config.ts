import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The static viewer page: `pnpm build:web` writes it to dist/web/ (open it from any static file
 * server; nothing is uploaded, everything runs in the page). The HDF5 reader runs in a module Web
 * Worker, which Vite emits from the importer's `new Worker(new URL(…, import.meta.url))`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
  },
  worker: { format: 'es' },
});
