/**
 * Shared set-up of the class timetable and attendance tests: the demo county, its admins, cadres
 * made straight into the store (a cheap hash: the tests are about attendance, not passwords), a
 * class and its roster.
 */
import { expect } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { makeCadres as makeCadresIn } from '../helpers/cadres';

export interface World {
  t: TestApp;
  orgAdmin: string;
  unitAdmin: string;
  unit: (name: string) => string;
  call: (method: string, url: string, cookie: string, payload?: object) => Promise<{ status: number; body: any }>;
  day: (n: number) => string;
  makeCadres: (prefix: string, n: number, unitName: string) => Promise<{ id: string; cookie: string; username: string }[]>;
  createClass: (over?: Record<string, unknown>) => Promise<string>;
  assign: (classId: string, userIds: string[]) => Promise<void>;
}

export async function world(): Promise<World> {
  const t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '100000' });
  const seeded = await seedDemo(t.app.store.models);
  const unit = (name: string) => String(seeded.unitIds.get(name)!);
  const orgAdmin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  const unitAdmin = await login(t.app, 'unitadmin', DEMO_PASSWORD);
  const call = async (method: string, url: string, cookie: string, payload?: object) => {
    const res = await t.app.inject({ method: method as 'GET', url, headers: { cookie }, payload });
    return { status: res.statusCode, body: res.body && res.headers['content-type']?.toString().includes('json') ? (res.json() as any) : res.body };
  };
  const day = (n: number) => t.app.calendar.addDays(t.app.calendar.day(Date.now()), n);
  const makeCadres = (prefix: string, n: number, unitName: string) => makeCadresIn(t.app, { prefix, n, unitId: unit(unitName) });

  const createClass = async (over: Record<string, unknown> = {}) => {
    const body = { name: '乡村振兴专题培训班', cohort: 1, category: '专题培训', channel: 'county', organiser: '县委组织部', startDay: day(0), endDay: day(2), venue: '县委党校', capacity: 400, unitIds: [unit('苏公坨乡党委')], creditHours: 16, ...over };
    const r = await call('POST', '/api/training/classes', orgAdmin, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  const assign = async (classId: string, userIds: string[]) => {
    const r = await call('POST', `/api/training/classes/${classId}/assignments`, orgAdmin, { userIds });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  return { t, orgAdmin, unitAdmin, unit, call, day, makeCadres, createClass, assign };
}

/** An in-person session running now (from `fromMin` minutes ago for `lengthMin` minutes). */
export function nowSession(kind: 'in-person' | 'site-visit' | 'caravan', fromMin = 10, lengthMin = 90) {
  const start = Date.now() - fromMin * 60_000;
  return { kind, title: kind === 'caravan' ? '大篷车进村:产业振兴' : '专题讲座', startAt: new Date(start).toISOString(), endAt: new Date(start + lengthMin * 60_000).toISOString(), venue: '县委党校 201', place: kind === 'in-person' ? '' : '苏公坨村' };
}
