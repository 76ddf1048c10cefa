/**
 * The demo catalog seeds published lectures with real, playable HLS and scheduled live lectures,
 * and seeding again changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { demoLectures, demoLiveLectures, seedDemoLectures } from '../../server/seed/demo-lectures';
import { build, login, type TestApp } from '../helpers/build';
import { fetchAllSegments } from '../helpers/lectures';

let t: TestApp;
beforeAll(async () => {
  t = await build();
  await seedDemo(t.app.store.models);
}, 60_000);
afterAll(() => t?.close());

describe('demo catalog', () => {
  it('publishes playable lectures and scheduled live lectures, once', async () => {
    const first = await seedDemoLectures(t.app.store.models, t.app.storage, t.app.config);
    expect(first.created).toHaveLength(demoLectures.length + demoLiveLectures.length);
    expect((await seedDemoLectures(t.app.store.models, t.app.storage, t.app.config)).created).toEqual([]);
    await t.app.catalog.reloadIndex();
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
    const page = await fetch(`${url}/api/lectures?pageSize=50`, { headers: { cookie: cadre } }).then((r) => r.json() as any);
    expect(page.total).toBe(demoLectures.length + demoLiveLectures.length);
    const found = await fetch(`${url}/api/lectures?q=${encodeURIComponent('信访')}`, { headers: { cookie: cadre } }).then((r) => r.json() as any);
    expect(found.items.map((l: any) => l.title)).toContain('维稳信访知识专题');
    const live = page.items.filter((l: any) => l.kind === 'live');
    expect(live).toHaveLength(2);
    expect(live[0].live.state).toBe('scheduled');
    const recorded = page.items.find((l: any) => l.title === '关键在于落实');
    const pb = await fetch(`${url}/api/lectures/${recorded.id}/playback`, { method: 'POST', headers: { cookie: cadre } }).then((r) => r.json() as any);
    expect(await fetchAllSegments(url, pb.masterUrl)).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
