/**
 * A class's timetable (课程表) on the real store: the class's managers add every kind of session
 * (recorded part with a due day, live part, in-person, site visit, travelling classroom), others
 * only read it or see nothing; bad fields are a 400 naming the field; the class's cadres see it
 * with each recorded part's watched share and are told of each new session once (notice bell),
 * and find the sessions in their 学习台历 feed (iCalendar).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { world, type World } from './training-sessions.fixture';

let w: World;
let classId: string;
let lectureId: string;
let cadres: { id: string; cookie: string; username: string }[];
let other: { id: string; cookie: string };

const at = (dayOffset: number, hour: number) => new Date(w.t.app.calendar.dayAt(w.day(dayOffset), hour)).toISOString();
const add = (body: object, cookie = w.orgAdmin) => w.call('POST', `/api/training-sessions/classes/${classId}`, cookie, body);

beforeAll(async () => {
  w = await world();
  cadres = await w.makeCadres('ts', 2, '苏公坨村党支部');
  other = (await w.makeCadres('tso', 1, '苏公坨村党支部'))[0]!;
  classId = await w.createClass({ startDay: w.day(1), endDay: w.day(5) });
  await w.assign(classId, cadres.map((c) => c.id));
  const admin = await w.t.app.store.models.User.findOne({ username: 'orgadmin' }).lean();
  const lecture = await w.t.app.store.models.Lecture.create({ title: '习近平新时代中国特色社会主义思想概论', lecturer: '王教授', kind: 'recorded', state: 'published', category: 'service', durationSec: 1200, createdBy: admin!._id });
  lectureId = String(lecture._id);
}, 120_000);
afterAll(() => w?.t.close());

describe('the timetable', () => {
  it('holds every kind of session, soonest first, for the class’s managers to edit', async () => {
    const made = await Promise.all([
      add({ kind: 'recorded', title: '', lectureId, dueDay: w.day(3) }),
      add({ kind: 'in-person', title: '开班式与专题辅导', startAt: at(1, 9), endAt: at(1, 11), venue: '县委党校 201' }),
      add({ kind: 'site-visit', title: '现场教学:产业园', startAt: at(2, 14), endAt: at(2, 17), place: '墨宝园产业园' }),
      add({ kind: 'caravan', title: '干教大篷车进村', startAt: at(4, 9), endAt: at(4, 12), place: '苏公坨村村委会' }),
    ]);
    for (const m of made) expect(m.status, JSON.stringify(m.body)).toBe(201);
    expect(made[0]!.body).toMatchObject({ title: '习近平新时代中国特色社会主义思想概论', lecturer: '王教授', lectureTitle: '习近平新时代中国特色社会主义思想概论' });
    const list = await w.call('GET', `/api/training-sessions/classes/${classId}`, w.orgAdmin);
    expect(list.body.manageable).toBe(true);
    expect(list.body.items.map((s: any) => s.kind)).toEqual(['in-person', 'site-visit', 'recorded', 'caravan']);
    const caravan = list.body.items[3];
    const moved = await w.call('PUT', `/api/training-sessions/${caravan.id}`, w.orgAdmin, { kind: 'caravan', title: '干教大篷车进社区', startAt: at(5, 9), endAt: at(5, 12), place: '开通镇新华社区' });
    expect(moved.body).toMatchObject({ title: '干教大篷车进社区', place: '开通镇新华社区' });
  });

  it('answers bad fields with a 400 naming the field', async () => {
    const cases: [object, string, string][] = [
      [{ kind: 'recorded', title: 'x', dueDay: w.day(2) }, 'TRAINING_SESSION_LECTURE_REQUIRED', 'lectureId'],
      [{ kind: 'in-person', title: 'x', startAt: at(1, 9), endAt: at(1, 8), venue: 'a' }, 'TRAINING_SESSION_BAD_TIMES', 'endAt'],
      [{ kind: 'in-person', title: 'x', startAt: at(9, 9), endAt: at(9, 10), venue: 'a' }, 'TRAINING_SESSION_OUTSIDE_CLASS', 'startAt'],
      [{ kind: 'in-person', title: 'x', startAt: at(1, 9), endAt: at(1, 10) }, 'TRAINING_SESSION_VENUE_REQUIRED', 'venue'],
      [{ kind: 'caravan', title: 'x', startAt: at(1, 9), endAt: at(1, 10) }, 'TRAINING_SESSION_PLACE_REQUIRED', 'place'],
      [{ kind: 'recorded', title: 'x', lectureId: String(new Types.ObjectId()), dueDay: w.day(2) }, 'TRAINING_SESSION_BAD_LECTURE', 'lectureId'],
    ];
    for (const [body, code, field] of cases) {
      const r = await add(body);
      expect(r.status, code).toBe(400);
      expect(r.body.error).toMatchObject({ code, details: { field } });
      expect(r.body.error.messageEn).toBeTruthy();
    }
    expect((await add({ kind: 'lab', title: 'x' })).status).toBe(400);
  });

  it('lets only the class’s managers change it', async () => {
    const r = await add({ kind: 'in-person', title: 'x', startAt: at(1, 14), endAt: at(1, 15), venue: 'a' }, w.unitAdmin);
    expect([403, 404]).toContain(r.status);
    expect((await add({ kind: 'in-person', title: 'x', startAt: at(1, 14), endAt: at(1, 15), venue: 'a' }, cadres[0]!.cookie)).status).toBe(403);
    expect((await w.call('GET', `/api/training-sessions/classes/${classId}`, cadres[0]!.cookie)).status).toBe(403);
    // A unit admin made a manager of the class may edit it.
    const unitAdminId = String((await w.t.app.store.models.User.findOne({ username: 'unitadmin' }).lean())!._id);
    await w.t.app.store.models.TrainingClass.updateOne({ _id: classId }, { $set: { managerIds: [new Types.ObjectId(unitAdminId)] } });
    const ok = await add({ kind: 'in-person', title: '分组研讨', startAt: at(3, 14), endAt: at(3, 16), venue: '党校 305' }, w.unitAdmin);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect((await w.call('DELETE', `/api/training-sessions/${ok.body.id}`, w.unitAdmin)).status).toBe(204);
  });
});

describe('the cadre’s side', () => {
  it('shows the class’s timetable with the recorded part’s watched share, to the roster only', async () => {
    const mine = await w.call('GET', '/api/training-sessions/mine', cadres[0]!.cookie);
    expect(mine.status).toBe(200);
    const cls = mine.body.items.find((c: any) => c.classId === classId);
    expect(cls.items.length).toBe(4);
    expect(cls.items.find((s: any) => s.kind === 'recorded').watched).toMatchObject({ percent: 0, completed: false, durationSec: 1200 });
    expect(cls.items.find((s: any) => s.kind === 'in-person').attendance).toEqual({ state: 'absent' });
    expect((await w.call('GET', '/api/training-sessions/mine', other.cookie)).body.items).toEqual([]);
  });

  it('tells each cadre on the roster of every new session once', async () => {
    const deadline = Date.now() + 20_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      const box = await w.call('GET', '/api/notices', cadres[1]!.cookie);
      ids = box.body.items.map((n: any) => n.id).filter((id: string) => id.startsWith('training-session-'));
      if (ids.length >= 5) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Four sessions plus the one the unit admin added and removed (told when added).
    expect(new Set(ids).size).toBe(5);
    expect(ids.length).toBe(5);
    const others = await w.call('GET', '/api/notices', other.cookie);
    expect(others.body.items.filter((n: any) => n.id.startsWith('training-session-'))).toEqual([]);
  });

  it('puts the class’s sessions in the cadre’s 学习台历 feed', async () => {
    const links = await w.call('GET', '/api/calendar/links', cadres[0]!.cookie);
    const url = new URL(links.body.user);
    const res = await w.t.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(res.statusCode).toBe(200);
    const ics = res.body.replace(/\r\n[ \t]/g, '');
    expect(ics).toContain('SUMMARY:乡村振兴专题培训班 · 现场教学:产业园');
    expect(ics).toContain('LOCATION:墨宝园产业园');
    expect(ics).toContain('观看截止:习近平新时代中国特色社会主义思想概论');
    expect(ics.match(/UID:training-session-/g)?.length).toBe(4);
  });

  it('puts them in the 学习台历 page too, and not in another cadre’s', async () => {
    const q = `?from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 8 * 86_400_000).toISOString()}`;
    const mine = await w.call('GET', `/api/timetable/mine${q}`, cadres[0]!.cookie);
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    const classes = mine.body.items.filter((i: any) => i.kind === 'class');
    expect(classes.map((i: any) => i.title)).toEqual(expect.arrayContaining(['乡村振兴专题培训班 · 现场教学:产业园', '乡村振兴专题培训班 · 干教大篷车进社区']));
    expect(classes.find((i: any) => i.title.endsWith('现场教学:产业园')).stationNames).toEqual(['墨宝园产业园']);
    expect((await w.call('GET', `/api/timetable/mine${q}`, other.cookie)).body.items.filter((i: any) => i.kind === 'class')).toEqual([]);
  });
});
