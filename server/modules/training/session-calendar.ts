/**
 * A cadre's class sessions in their 学习台历 feed (stations/calendar.ts items): the timed sessions
 * of the classes whose roster they are on, and each recorded part as a reminder at 08:00 on its
 * due day. Event ids (`training-session-<id>`) are stable, so a calendar app updates them.
 */
import { Types } from 'mongoose';
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import { ClassRepository } from './class-repository';
import { EnrolmentRepository } from './enrolment-repository';
import { SessionRepository } from './session-repository';
import { onRoster } from './session.service';

export async function classSessionItems(models: Models, calendar: CountyCalendar, userId: string, from: number, to: number) {
  if (!Types.ObjectId.isValid(userId)) return [];
  const enrolments = (await new EnrolmentRepository(models).ofUser(userId)).filter((e) => onRoster(e.state));
  const classes = new ClassRepository(models);
  const sessions = new SessionRepository(models);
  const items = [];
  for (const e of enrolments) {
    const cls = await classes.find(String(e.classId));
    if (!cls) continue;
    for (const s of await sessions.ofClass(String(cls._id))) {
      const startAt = s.startAt ? new Date(s.startAt).getTime() : s.dueDay ? calendar.dayAt(s.dueDay, 8) : NaN;
      const endAt = s.endAt ? new Date(s.endAt).getTime() : startAt + 30 * 60_000;
      if (!Number.isFinite(startAt) || startAt > to || endAt < from) continue;
      const title = s.kind === 'recorded' ? `观看截止:${s.title}` : s.title;
      items.push({ id: `training-session-${String(s._id)}`, title: `${cls.name} · ${title}`, lecturer: s.lecturer ?? '', kind: 'class' as const, startAt, endAt, stationNames: [], location: s.place || s.venue || undefined });
    }
  }
  return items;
}
