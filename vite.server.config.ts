/**
 * The production build of the server: `npm run build` bundles server/main.ts (with config/ and
 * media/) into dist/server/main.js, which `npm start` runs with plain node (no tsx). Packages in
 * node_modules stay external (vite's SSR default), so mediasoup, mongoose and the rest load as
 * installed; only our own TypeScript is compiled.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  build: {
    ssr: 'server/main.ts',
    outDir: 'dist/server',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    minify: false,
    rollupOptions: { output: { entryFileNames: 'main.js' } },
  },
});
