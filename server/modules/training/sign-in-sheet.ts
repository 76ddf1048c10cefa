/**
 * A class's sign-in sheet (签到表) and its attendance and completion report, read only from the
 * roster, the timetable and attendance. The sheet has one row per seated cadre (enrolled or
 * completed; by unit, then name) and one column per presence session (in-person, site-visit,
 * caravan: those signed for in a room or a place), soonest first; a cell shows the recorded
 * check-in and check-out times (county time) or is left blank to sign on paper. The workbook
 * (exceljs, as the unit report's) has the sheet and a second sheet of per-session counts.
 */
import ExcelJS from 'exceljs';
import type { CountyCalendar } from '../../calendar';
import { isPresence } from './completion-rules';
import type { TrainingAttendanceDoc, TrainingSessionDoc } from './session.model';
import type { EnrolmentDoc, TrainingClassDoc } from './training.model';

export interface SheetSession {
  id: string;
  title: string;
  kind: string;
  day: string;
  time: string;
  place: string;
  required: boolean;
}
export interface SheetRow {
  userId: string;
  displayName: string;
  username: string;
  unit: string;
  state: string;
  cells: { in: string | null; out: string | null }[];
}
export interface SignInSheet {
  class: { id: string; name: string; cohort: number; startDay: string; endDay: string; venue: string; organiser: string };
  sessions: SheetSession[];
  rows: SheetRow[];
  /** Per session: cadres who checked in, and who checked in and out. */
  counts: { checkedIn: number; complete: number }[];
  timeZone: string;
  /** 学员名单: every enrolment of the class (any state), for the workbook's roster sheet. */
  roster?: { displayName: string; username: string; unit: string; state: string; via: string; hours: number; serial: string }[];
}

const STATE_ZH: Record<string, string> = { pending: '待审核', enrolled: '已报名', waitlisted: '候补', refused: '未通过', withdrawn: '已退出', completed: '已结业' };
const VIA_ZH: Record<string, string> = { assigned: '调训', applied: '报名' };

const collator = new Intl.Collator('zh-CN');
const pad = (n: number) => String(n).padStart(2, '0');
/** HH:MM in the county's zone. */
const hhmm = (cal: CountyCalendar, ms: number) => {
  const p = cal.parts(ms);
  return `${pad(p.hour)}:${pad(p.minute)}`;
};

export function buildSheet(
  cal: CountyCalendar,
  c: TrainingClassDoc,
  sessions: readonly TrainingSessionDoc[],
  enrolments: readonly EnrolmentDoc[],
  attendance: readonly TrainingAttendanceDoc[],
  people: ReadonlyMap<string, { displayName: string; username: string; unit: string }>,
): SignInSheet {
  const clock = (d: Date | null | undefined) => (d ? hhmm(cal, new Date(d).getTime()) : null);
  const presence = sessions.filter((s) => isPresence(s.kind));
  const byKey = new Map(attendance.map((a) => [`${String(a.sessionId)}:${String(a.userId)}`, a]));
  const rows = enrolments
    .filter((e) => e.state === 'enrolled' || e.state === 'completed')
    .map((e) => {
      const userId = String(e.userId);
      const p = people.get(userId);
      return {
        userId,
        displayName: p?.displayName ?? '',
        username: p?.username ?? '',
        unit: p?.unit ?? '',
        state: e.state,
        cells: presence.map((s) => {
          const a = byKey.get(`${String(s._id)}:${userId}`);
          return { in: clock(a?.checkInAt), out: clock(a?.checkOutAt) };
        }),
      };
    })
    .sort((a, b) => collator.compare(a.unit, b.unit) || collator.compare(a.displayName, b.displayName));
  return {
    class: { id: String(c._id), name: c.name, cohort: c.cohort, startDay: c.startDay, endDay: c.endDay, venue: c.venue ?? '', organiser: c.organiser ?? '' },
    sessions: presence.map((s) => {
      const at = s.startAt ? new Date(s.startAt).getTime() : null;
      return { id: String(s._id), title: s.title, kind: s.kind, day: at !== null ? cal.day(at) : '', time: at !== null ? `${hhmm(cal, at)}${s.endAt ? `–${hhmm(cal, new Date(s.endAt).getTime())}` : ''}` : '', place: s.place || s.venue || '', required: s.required ?? true };
    }),
    rows,
    counts: presence.map((_, i) => ({ checkedIn: rows.filter((r) => r.cells[i]!.in).length, complete: rows.filter((r) => r.cells[i]!.in && r.cells[i]!.out).length })),
    timeZone: cal.timeZone,
  };
}

const cellText = (c: { in: string | null; out: string | null }) => (c.in || c.out ? `签到 ${c.in ?? '—'} / 签退 ${c.out ?? '—'}` : '');

export async function sheetWorkbook(s: SignInSheet): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '干部远程教育与自主选学平台';
  const title = `${s.class.name}(第${s.class.cohort}期) 签到表 ${s.class.startDay} 至 ${s.class.endDay}`;
  const ws = wb.addWorksheet('签到表 Sign-in', { pageSetup: { orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0 }, views: [{ state: 'frozen', xSplit: 3, ySplit: 3 }] });
  ws.addRow([title]).font = { bold: true, size: 14 };
  ws.addRow(['序号 No.', '姓名 Name', '单位 Unit', ...s.sessions.map((x) => `${x.title}`)]).font = { bold: true };
  ws.addRow(['', '', '', ...s.sessions.map((x) => `${x.day} ${x.time}${x.place ? ` ${x.place}` : ''}`)]).font = { italic: true, size: 9 };
  s.rows.forEach((r, i) => {
    const row = ws.addRow([i + 1, r.displayName, r.unit, ...r.cells.map(cellText)]);
    row.height = 28;
  });
  ws.columns.forEach((col, i) => (col.width = i === 0 ? 8 : i === 1 ? 12 : i === 2 ? 24 : 22));
  ws.eachRow((row, n) => {
    if (n < 2) return;
    row.eachCell({ includeEmpty: true }, (cell) => (cell.border = { top: { style: 'thin' }, left: { style: 'thin' }, bottom: { style: 'thin' }, right: { style: 'thin' } }));
  });
  const sum = wb.addWorksheet('出勤统计 Attendance');
  sum.addRow([title]).font = { bold: true, size: 13 };
  sum.addRow(['场次 Session', '日期 Day', '应到 Roster', '签到 Checked in', '签到并签退 In and out', '出勤率 % Rate']).font = { bold: true };
  s.sessions.forEach((x, i) => {
    const c = s.counts[i]!;
    sum.addRow([x.title, x.day, s.rows.length, c.checkedIn, c.complete, s.rows.length ? Math.round((c.complete / s.rows.length) * 1000) / 10 : 0]);
  });
  sum.columns.forEach((col, i) => (col.width = i === 0 ? 30 : 14));
  if (s.roster) {
    const ros = wb.addWorksheet('学员名单 Roster', { views: [{ state: 'frozen', ySplit: 2 }] });
    ros.addRow([`${s.class.name}(第${s.class.cohort}期) 学员名单`]).font = { bold: true, size: 13 };
    ros.addRow(['序号 No.', '姓名 Name', '用户名 Username', '单位 Unit', '状态 State', '方式 Via', '学时 Hours', '证书编号 Certificate']).font = { bold: true };
    s.roster.forEach((r, i) => ros.addRow([i + 1, r.displayName, r.username, r.unit, STATE_ZH[r.state] ?? r.state, VIA_ZH[r.via] ?? r.via, r.hours, r.serial]));
    ros.columns.forEach((col, i) => (col.width = i === 3 ? 24 : i === 7 ? 22 : 12));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** `attachment` with an ASCII name and the Chinese one (RFC 5987). */
export function sheetAttachment(s: SignInSheet): string {
  const name = `${s.class.name}-签到表.xlsx`;
  return `attachment; filename="sign-in-sheet-${s.class.id}.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
