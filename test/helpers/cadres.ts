/**
 * Many cadres for a test, straight into the store (a cheap password hash: the tests are about
 * seats, check-ins and answers, not passwords), signed in when `cookies` (default) asks for it.
 * Usernames `${prefix}0…`; the portal learns them before anyone signs in.
 */
import { Types } from 'mongoose';
import type { App } from '../../server/app';
import { hashPassword } from '../../server/modules/auth/password';
import { login } from './build';

export const CADRE_PASSWORD = 'xuexi2026';

export interface TestCadre {
  id: string;
  username: string;
  cookie: string;
}

export async function makeCadres(app: App, o: { prefix: string; n: number; unitId: string; cookies?: boolean; displayName?: (i: number) => string }): Promise<TestCadre[]> {
  const passwordHash = await hashPassword(CADRE_PASSWORD, { N: 1024 });
  const name = o.displayName ?? ((i: number) => `${o.prefix}${i}`);
  const docs = await app.store.models.User.insertMany(Array.from({ length: o.n }, (_, i) => ({ username: `${o.prefix}${i}`, displayName: name(i), passwordHash, role: 'cadre', rank: 'township', orgUnitId: new Types.ObjectId(o.unitId) })));
  await app.auth.warmUsernames();
  const out: TestCadre[] = [];
  for (const d of docs) out.push({ id: String(d._id), username: d.username, cookie: o.cookies === false ? '' : await login(app, d.username, CADRE_PASSWORD) });
  return out;
}
