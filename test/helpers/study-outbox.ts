/** The heartbeat outbox a page keeps in localStorage (client/src/lib/study/outbox.ts), seen from a test. */
import type { Page } from 'playwright-core';

/** Beats waiting in this browser's outbox (all users). */
export const outboxSize = (page: Page): Promise<number> =>
  page.evaluate(() => {
    let n = 0;
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)!;
      if (key.startsWith('study-outbox:')) n += (JSON.parse(localStorage.getItem(key) ?? '[]') as unknown[]).length;
    }
    return n;
  });

/** Resolves once no beat waits in the outbox (every one answered), within `timeout` ms. */
export async function outboxDrained(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('study-outbox:') && localStorage.getItem(k) !== '[]'), undefined, { timeout });
}
