/**
 * The unit report as a workbook to hand in (exceljs): 成员明细 (members with their unit and their
 * yearly result 实效测评结果, a totals row last with the counts per grade), 下属单位汇总 (by sub-unit, with the cadres per grade) and 课程统计 (by lecture), each with a title row naming the
 * unit and the county-day range; and any one of those sheets as CSV (UTF-8 with a BOM, so Excel
 * reads the Chinese). Headers are Chinese then English.
 */
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import type { UnitReport } from './reports.service';
import { GRADE_ZH, type Grade, type GradeCounts } from '../assessment/assessment-rules';

export type SheetName = 'members' | 'subunits' | 'lectures';

const rankName = (rank: string) => (rank === 'county' ? '县处级及以上' : '乡科级及以下');
const gradeName = (g: Grade) => `${GRADE_ZH[g]} ${g === 'excellent' ? 'Excellent' : g === 'pass' ? 'Pass' : 'Fail'}`;
const countsText = (c: GradeCounts) => `优秀 ${c.excellent} / 合格 ${c.pass} / 不合格 ${c.fail}`;
const yesNo = (b: boolean) => (b ? '是' : '否');

interface Sheet {
  name: string;
  header: string[];
  rows: (string | number)[][];
  /** The last row is a totals row (bold). */
  totals: boolean;
}

export function sheetsOf(r: UnitReport): Record<SheetName, Sheet> {
  const t = r.totals;
  return {
    members: {
      name: '成员明细 Members',
      header: ['所属单位 Unit', '姓名 Name', '用户名 Username', '职级 Rank', '要求学时 Required hours', '已获学时 Earned', '必修 Required part', '选修 Elective', '完成课程 Lectures completed', '完成率 % Percent', '未达标 Behind', `${r.assessment.year} 年度学时 Year hours`, '通过测验 Quizzes passed', '完成培训班 Classes completed', '测评得分 Score', `${r.assessment.year} 实效测评结果 Yearly result`],
      rows: [
        ...r.members.map((m) => [m.unitName, m.displayName, m.username, rankName(m.rank), m.requiredHours, m.earned, m.requiredEarned, m.electiveEarned, m.completed, m.percent, yesNo(m.behind), m.result.hours.earned, m.result.quizzes.passed, m.result.classes.completed, m.result.score, gradeName(m.result.grade)]),
        [`合计 Total (${t.members} 人)`, '', '', '', t.requiredHours, t.earned, t.requiredEarned, t.electiveEarned, t.completed, t.metPercent, `${t.behind} 人`, '', '', '', '', countsText(r.assessment.grades)],
      ],
      totals: true,
    },
    subunits: {
      name: '下属单位汇总 Sub-units',
      header: ['单位 Unit', '人数 Members', '达标 Met', '未达标 Behind', '达标率 % Meeting', '已获学时 Hours', '要求学时 Required', '人均学时 Average', '优秀 Excellent', '合格 Pass', '不合格 Fail'],
      rows: [
        ...r.subUnits.map((s) => [s.name, s.members, s.met, s.behind, s.metPercent, s.earned, s.requiredHours, s.averageHours, s.grades.excellent, s.grades.pass, s.grades.fail]),
        ['合计 Total', t.members, t.met, t.behind, t.metPercent, t.earned, t.requiredHours, t.members ? Math.round((t.earned / t.members) * 10) / 10 : 0, r.assessment.grades.excellent, r.assessment.grades.pass, r.assessment.grades.fail],
      ],
      totals: true,
    },
    lectures: {
      name: '课程统计 Lectures',
      header: ['课程 Lecture', '学习人数 Learners', '完成人次 Completions', '学时 Hours'],
      rows: [
        ...r.lectures.map((l) => [l.title, l.learners, l.completions, l.hours]),
        ['合计 Total', '', r.lectures.reduce((s, l) => s + l.completions, 0), Math.round(r.lectures.reduce((s, l) => s + l.hours, 0) * 10) / 10],
      ],
      totals: true,
    },
  };
}

const titleOf = (r: UnitReport) => `${r.unit.name} 干部学时统计 ${r.range.from} 至 ${r.range.to}`;

export async function workbookOf(r: UnitReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '干部远程教育与自主选学平台';
  wb.created = new Date(r.generatedAt);
  for (const sheet of Object.values(sheetsOf(r))) {
    const ws = wb.addWorksheet(sheet.name, { views: [{ state: 'frozen', ySplit: 2 }] });
    ws.addRow([titleOf(r)]).font = { bold: true, size: 13 };
    ws.addRow(sheet.header).font = { bold: true };
    sheet.rows.forEach((row) => ws.addRow(row));
    if (sheet.totals) ws.lastRow!.font = { bold: true };
    ws.columns.forEach((c, i) => (c.width = i === 0 ? 28 : 14));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function csvOf(r: UnitReport, sheet: SheetName): string {
  const s = sheetsOf(r)[sheet];
  return '\ufeff' + stringify([s.header, ...s.rows]);
}

/** `attachment` with an ASCII name and the Chinese one (RFC 5987). */
export function attachment(r: UnitReport, ext: 'xlsx' | 'csv', sheet?: SheetName): string {
  const part = sheet && sheet !== 'members' ? `-${sheet}` : '';
  const ascii = `unit-report-${r.range.from}-${r.range.to}${part}.${ext}`;
  const zh = `${r.unit.name}-学时统计-${r.range.from}至${r.range.to}${part}.${ext}`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(zh)}`;
}
