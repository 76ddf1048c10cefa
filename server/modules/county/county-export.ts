/**
 * The annual report (年度干部教育培训统计) as an Excel workbook: the same figures as the JSON
 * report (county.service.ts `annual`), sheets 总表 / 按渠道 / 按党委 / 按类别.
 */
import ExcelJS from 'exceljs';
import type { AnnualReport } from './county.service';
import { categoryNames } from '../catalog/search';
import { channels, type Channel } from './tally';

export const CHANNEL_LABELS: Record<Channel, string> = {
  selfStudy: '自主选学',
  live: '直播论坛',
  airClassroom: '空中课堂',
  trainingClass: '培训班',
  caravan: '干教大篷车',
  external: '外出培训',
};

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export async function annualWorkbook(r: AnnualReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '干部教育培训平台';
  const title = `${r.year} 年度干部教育培训统计`;
  const sheet = (name: string, subtitle: string, header: string[]) => {
    const ws = wb.addWorksheet(name);
    ws.addRow([`${title}:${subtitle}`]).font = { bold: true, size: 14 };
    ws.addRow([`生成时间 ${r.generatedAt}`]);
    ws.addRow(header).font = { bold: true };
    ws.columns.forEach((c, i) => (c.width = i === 0 ? 28 : 14));
    return ws;
  };

  const sum = sheet('总表', '总表', ['项目', '数值']);
  sum.addRow(['培训人次', r.totals.personTimes]);
  sum.addRow(['培训学时', r.totals.hours]);
  sum.addRow(['上年人次', r.totals.prevPersonTimes]);
  sum.addRow(['上年学时', r.totals.prevHours]);
  sum.addRow(['自主选学专题数', r.topics.chosen]);
  sum.addRow(['自主选学专题人次', r.topics.personTimes]);
  sum.addRow(['空中课堂终端站点', r.airClassroom.stations]);
  sum.addRow(['空中课堂场次', r.airClassroom.sessions ?? 0]);
  for (const c of r.channels) sum.addRow([`${CHANNEL_LABELS[c.channel]}人次`, c.personTimes]);

  const ch = sheet('按渠道', '按渠道', ['渠道', '人次', '学时', '上年人次', '上年学时']);
  for (const c of r.channels) ch.addRow([CHANNEL_LABELS[c.channel], c.personTimes, c.hours, c.prevPersonTimes, c.prevHours]);
  ch.addRow(['合计', r.totals.personTimes, r.totals.hours, r.totals.prevPersonTimes, r.totals.prevHours]).font = { bold: true };

  const cm = sheet('按党委', '按党委', ['党委', '干部数', '人次', '学时', '达标进度人数', '达标进度比例', ...channels.flatMap((c) => [`${CHANNEL_LABELS[c]}人次`, `${CHANNEL_LABELS[c]}学时`])]);
  for (const c of r.committees) {
    cm.addRow([c.name, c.cadres, c.personTimes, c.hours, c.onTrack, pct(c.share), ...channels.flatMap((k) => [c.byChannel[k].personTimes, c.byChannel[k].hours])]);
  }

  const cat = sheet('按类别', '按类别', ['类别', '人次', '学时']);
  for (const c of r.categories) cat.addRow([categoryNames[c.category]?.[0] ?? (c.category === 'other' ? '其他' : c.category), c.personTimes, c.hours]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
