/** The lecture player (client/src/lib/player), driven from a test. */
import type { Page } from 'playwright-core';

/** Waits for the player to be ready, then plays it muted (a page may play sound only after a gesture). */
export async function playMuted(page: Page): Promise<void> {
  await page.locator('[data-testid="player"][data-status="ready"]').waitFor({ timeout: 30_000 });
  await page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('[data-testid="player-video"]')!;
    video.muted = true;
    void video.play();
  });
}
