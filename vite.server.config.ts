/**
 * The production build of the server: `npm run build` bundles server/main.ts (with config/ and
 * media/) into dist/server/main.js (and the study records' PDF worker into record-pdf-worker.js), which `npm start` runs with plain node (no tsx). Packages in
 * node_modules stay external (vite's SSR default), so mediasoup, mongoose and the rest load as
 * installed; only our own TypeScript is compiled.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  build: {
    ssr: true,
    outDir: 'dist/server',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    minify: false,
    // The study records' PDF worker thread is its own entry (server/modules/study-record/record-pdf-thread.ts).
    rollupOptions: {
      input: { main: 'server/main.ts', 'record-pdf-worker': 'server/modules/study-record/record-pdf-worker.ts' },
      output: { entryFileNames: '[name].js' },
    },
  },
});
