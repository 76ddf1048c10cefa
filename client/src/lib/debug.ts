/** Debug hooks on `window` (tests, support staff): in development, or when localStorage.e2e = '1'. */
export function debugHookEnabled(): boolean {
  if (import.meta.env.DEV) return true;
  try {
    return globalThis.localStorage?.getItem('e2e') === '1';
  } catch {
    return false;
  }
}
