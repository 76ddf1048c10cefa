/**
 * Signing in through the login page, as a user would: the form filled and sent, then the home
 * page awaited (a first-login password change would stop there, as it should in a test).
 */
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/seed/demo';

export async function signIn(page: Page, baseUrl: string, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/');
}

/** Signs in (the demo unit admin unless told) and opens the unit report, its member table shown. */
export async function openUnitReport(page: Page, baseUrl: string, username = 'unitadmin'): Promise<void> {
  await signIn(page, baseUrl, username);
  await page.goto(`${baseUrl}/admin/unit`);
  await page.getByTestId('unit-members').waitFor();
}
