// Svelte compiler options for the client (found by vite-plugin-svelte from vite's root).
// Svelte 5 strips TypeScript in <script lang="ts"> itself, so no preprocessor is needed.
/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  compilerOptions: { runes: true },
};
