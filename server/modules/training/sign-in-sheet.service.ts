/**
 * The sign-in sheet (签到表) and the attendance and completion report of a class, for its
 * managers: built from the roster, the timetable and attendance (sign-in-sheet.ts), and the
 * completion check (completion.service.ts). Reads only.
 */
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import type { UserDoc } from '../users/user.model';
import type { CertificateService } from './certificate-service';
import type { CompletionService } from './completion.service';
import { buildSheet, type SignInSheet } from './sign-in-sheet';

export class SignInSheetService {
  constructor(
    private readonly models: Models,
    private readonly calendar: CountyCalendar,
    private readonly completion: CompletionService,
    private readonly certificates: CertificateService,
  ) {}

  async sheet(actor: UserDoc, classId: string): Promise<SignInSheet> {
    const { c, s } = await this.completion.managed(actor, classId);
    const rows = await this.completion.classes.serial(classId, () => this.completion.enrolments.ofClass(classId));
    const seated = rows.filter((e) => e.state === 'enrolled' || e.state === 'completed');
    const users = rows.length ? await this.models.User.find({ _id: { $in: rows.map((e) => e.userId) } }, { displayName: 1, username: 1 }).lean() : [];
    const unitOf = new Map(rows.map((e) => [String(e.userId), e.unitId ? s.unitName(String(e.unitId)) : '']));
    const people = new Map(users.map((u) => [String(u._id), { displayName: u.displayName, username: u.username, unit: unitOf.get(String(u._id)) ?? '' }]));
    const sheet = buildSheet(this.calendar, c, await this.completion.sessions(classId), seated, await this.completion.attendance(classId), people);
    const certs = await this.certificates.ofClass(classId);
    sheet.roster = rows.map((e) => ({ ...(people.get(String(e.userId)) ?? { displayName: '', username: '', unit: '' }), state: e.state, via: e.via, hours: e.hours ?? 0, serial: certs.get(e._id)?._id ?? '' }));
    return sheet;
  }

  /** Per session who came, and per class and unit who meets the rules and who completed. */
  async report(actor: UserDoc, classId: string) {
    const sheet = await this.sheet(actor, classId);
    const check = await this.completion.check(actor, classId);
    const certs = [...(await this.certificates.ofClass(classId)).values()];
    const units = new Map<string, { unit: string; roster: number; met: number; completed: number }>();
    for (const i of check.items) {
      const u = units.get(i.unit) ?? { unit: i.unit, roster: 0, met: 0, completed: 0 };
      u.roster++;
      if (i.check.met) u.met++;
      if (i.state === 'completed') u.completed++;
      units.set(i.unit, u);
    }
    const missing = (part: string) => check.items.filter((i) => i.check.missing.includes(part as never)).length;
    return {
      roster: check.items.length,
      sessions: sheet.sessions.map((x, n) => ({ id: x.id, title: x.title, kind: x.kind, day: x.day, ...sheet.counts[n]! })),
      completion: {
        met: check.items.filter((i) => i.check.met).length,
        completed: check.items.filter((i) => i.state === 'completed').length,
        overridden: check.items.filter((i) => i.override).length,
        certificates: certs.length,
        revoked: certs.filter((x) => x.revokedAt).length,
      },
      missing: { presence: missing('presence'), recorded: missing('recorded'), quiz: missing('quiz'), evaluation: missing('evaluation') },
      units: [...units.values()].sort((a, b) => a.unit.localeCompare(b.unit, 'zh-CN')),
    };
  }
}
