/**
 * Air-classroom statistics (空中课堂统计) for the organisation department: by station, station
 * type, unit or month over a period, from the per-day roll-ups (StationDay) that runs keep
 * current on write — one small read per period, no scan of heartbeats or check-ins.
 * - sessions (场次): runs held (the station was credited playing inside the session);
 * - stations: distinct stations with a held run;
 * - personTimes (人次): distinct learners checked in per run;
 * - learnerHours (学时): wall time credited to the learners present.
 * Unit admins see only the stations of their subtree.
 */
import ExcelJS from 'exceljs';
import type { Models } from '../../store/models';
import type { UserDoc } from '../users/user.model';
import { stationTypeLabels, stationTypes, type StationType } from './station-rules';
import type { StationService } from './stations.service';

export const statsGroups = ['station', 'type', 'unit', 'month'] as const;
export type StatsGroup = (typeof statsGroups)[number];

interface RunFigures {
  s: string;
  held: number;
  persons: number;
  sec: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const groupHeader: Record<StatsGroup, string> = { station: '站点', type: '站点类型', unit: '单位', month: '月份' };

export class StatsService {
  constructor(
    private readonly models: Models,
    private readonly registry: StationService,
  ) {}

  async stats(actor: UserDoc, q: { from: string; to: string; groupBy: StatsGroup }) {
    const scope = await this.registry.scopeOf(actor);
    const units = await this.registry.units();
    const days = await this.models.StationDay.find({ _id: { $gte: q.from, $lte: q.to } }).lean();
    const rows = new Map<string, { key: string; label: string; sessions: number; stations: Set<string>; personTimes: number; sec: number }>();
    const totals = { sessions: 0, stations: new Set<string>(), personTimes: 0, sec: 0 };
    for (const day of days) {
      for (const f of Object.values((day.runs ?? {}) as Record<string, RunFigures>)) {
        const st = this.registry.get(f.s);
        if (!scope.all && (!st || !scope.units.has(st.unitId))) continue;
        let key: string;
        let label: string;
        if (q.groupBy === 'station') [key, label] = [f.s, st?.name ?? f.s];
        else if (q.groupBy === 'type') [key, label] = [st?.type ?? 'unknown', st ? stationTypeLabels[st.type].zh : '未知'];
        else if (q.groupBy === 'unit') [key, label] = [st?.unitId ?? 'unknown', (st && units.get(st.unitId)?.name) || '未知'];
        else [key, label] = [String(day._id).slice(0, 7), String(day._id).slice(0, 7)];
        let row = rows.get(key);
        if (!row) rows.set(key, (row = { key, label, sessions: 0, stations: new Set(), personTimes: 0, sec: 0 }));
        row.sessions += f.held ? 1 : 0;
        if (f.held) row.stations.add(f.s);
        row.personTimes += f.persons;
        row.sec += f.sec;
        totals.sessions += f.held ? 1 : 0;
        if (f.held) totals.stations.add(f.s);
        totals.personTimes += f.persons;
        totals.sec += f.sec;
      }
    }
    const order = (a: { key: string; label: string }, b: { key: string; label: string }) =>
      q.groupBy === 'type' ? stationTypes.indexOf(a.key as StationType) - stationTypes.indexOf(b.key as StationType) : q.groupBy === 'month' ? a.key.localeCompare(b.key) : a.label.localeCompare(b.label, 'zh-CN');
    return {
      from: q.from,
      to: q.to,
      groupBy: q.groupBy,
      rows: [...rows.values()].sort(order).map((r) => ({ key: r.key, label: r.label, sessions: r.sessions, stations: r.stations.size, personTimes: r.personTimes, learnerHours: round1(r.sec / 3600) })),
      totals: { sessions: totals.sessions, stations: totals.stations.size, personTimes: totals.personTimes, learnerHours: round1(totals.sec / 3600) },
    };
  }

  async xlsx(actor: UserDoc, q: { from: string; to: string; groupBy: StatsGroup }): Promise<Buffer> {
    const s = await this.stats(actor, q);
    const wb = new ExcelJS.Workbook();
    wb.creator = 'cadre-portal';
    const ws = wb.addWorksheet('空中课堂统计');
    ws.columns = [
      { header: groupHeader[q.groupBy], key: 'label', width: 28 },
      { header: '场次', key: 'sessions', width: 10 },
      { header: '站点数', key: 'stations', width: 10 },
      { header: '人次', key: 'personTimes', width: 12 },
      { header: '学习时长(小时)', key: 'learnerHours', width: 16 },
    ];
    for (const r of s.rows) ws.addRow(r);
    ws.addRow({ label: '合计', ...s.totals });
    ws.addRow({});
    ws.addRow({ label: `统计期间:${q.from} 至 ${q.to}` });
    ws.getRow(1).font = { bold: true };
    ws.getRow(s.rows.length + 2).font = { bold: true };
    return Buffer.from(await wb.xlsx.writeBuffer());
  }
}
