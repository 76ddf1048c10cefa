/**
 * 学时提醒 read from the county's kept roster (users and tallies in memory) instead of two scans of
 * the store (4.3 s for the county on the embedded store): on the real store, with credits through
 * the real ledger, the portal's reminder service names the same cadres, with the same hours, as a
 * service that scans, for the county and for one committee; a cadre credited after the roster
 * was read counts at once; a cadre disabled leaves the list.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../server/seed/demo';
import type { LedgerEntry } from '../../server/modules/study/credit-ledger';
import { ReminderService, type Recipient } from '../../server/modules/study/reminders';
import { changeSignal } from '../../server/store/change-signal';
import { build, type TestApp } from '../helpers/build';
import { makeCadres } from '../helpers/cadres';

let t: TestApp;
let scanning: ReminderService;
let committee: { unitId: Types.ObjectId; unitName: string; units: Types.ObjectId[] };
const cadres: string[] = [];

function credit(userId: string, hours: number) {
  const at = new Date();
  const year = t.app.calendar.year(at.getTime());
  const id = new Types.ObjectId();
  const entry: LedgerEntry = { _id: `${userId}:${String(id)}:${year}`, userId: new Types.ObjectId(userId), lectureId: id, year, hours, required: false, category: 'service', topic: 'training', title: '培训', at, source: 'training' };
  return t.app.study.ledger.creditOnce(entry);
}

const byUser = (list: Recipient[]) => Object.fromEntries(list.map((r) => [r.userId, { earned: r.earned, required: r.required, name: r.name, unitId: r.unitId }]));

beforeAll(async () => {
  t = await build();
  const seeded = await seedDemo(t.app.store.models);
  const kaitong = seeded.unitIds.get('开通镇党委')!;
  const gov = seeded.unitIds.get('开通镇人民政府')!;
  cadres.push(...(await makeCadres(t.app, { prefix: 'roster', n: 6, unitId: String(gov), cookies: false })).map((c) => c.id));
  // Written straight into the store: say so, as the users service and the roster import do.
  changeSignal(t.app.store.models, 'users').changed(cadres);
  expect(await credit(cadres[0]!, 95)).toBe(true); // met the 90 h of a township cadre
  expect(await credit(cadres[1]!, 12.5)).toBe(true);
  expect(await credit(cadres[2]!, 40)).toBe(true);
  await t.app.county.ready();
  scanning = new ReminderService(t.app.store.models, t.app.study, t.app.notices, t.app.calendar);
  committee = { unitId: kaitong, unitName: '开通镇党委', units: [kaitong, gov] };
}, 60_000);
afterAll(() => t?.close());

describe('学时提醒 from the kept roster', () => {
  it('names the same cadres with the same hours as the scans, for the county and a committee', async () => {
    const kept = await t.app.reminders.preview();
    const scanned = await scanning.preview();
    expect(kept.checked).toBe(scanned.checked);
    expect(kept.checked).toBe(await t.app.store.models.User.countDocuments({ role: 'cadre', disabled: { $ne: true } }));
    expect(byUser(kept.recipients)).toEqual(byUser(scanned.recipients));
    const mine = byUser(kept.recipients);
    expect(mine[cadres[0]!]).toBeUndefined();
    expect(mine[cadres[1]!]).toMatchObject({ earned: 12.5, required: 90 });
    expect(mine[cadres[3]!]).toMatchObject({ earned: 0 });

    const keptUnit = await t.app.reminders.preview(committee);
    const scannedUnit = await scanning.preview(committee);
    expect(byUser(keptUnit.recipients)).toEqual(byUser(scannedUnit.recipients));
    expect(keptUnit.checked).toBe(scannedUnit.checked);
    expect(keptUnit.recipients.length).toBeGreaterThanOrEqual(5);
  });

  it('counts a credit and a disabled cadre at once', async () => {
    expect(await credit(cadres[1]!, 80)).toBe(true); // 92.5 h now
    await t.app.store.models.User.updateOne({ _id: cadres[4] }, { $set: { disabled: true } });
    changeSignal(t.app.store.models, 'users').changed([cadres[4]!]);
    const kept = byUser((await t.app.reminders.preview(committee)).recipients);
    const scanned = byUser((await scanning.preview(committee)).recipients);
    expect(kept[cadres[1]!]).toBeUndefined();
    expect(kept).toEqual(scanned);
    expect(kept[cadres[4]!]).toBeUndefined();
  });
});
