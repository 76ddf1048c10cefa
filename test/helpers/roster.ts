/** 花名册 fixtures: a roster .xlsx generated with exceljs (nothing binary is committed). */
import ExcelJS from 'exceljs';

export interface RosterLine {
  name?: string;
  username?: string;
  unit?: string;
  rank?: string;
  role?: string;
  phone?: string;
}

/** Cadres spread over the demo county's village and township units, usernames `<prefix>0001`…. */
export function generatedRoster(count: number, prefix: string, units = ['苏公坨村党支部', '苏公坨乡人民政府', '开通镇人民政府', '兴隆社区党委']): RosterLine[] {
  const family = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
  const given = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂';
  return Array.from({ length: count }, (_, i) => ({
    name: `${family[i % family.length]}${given[(i * 7) % given.length]}${given[(i * 3 + 1) % given.length]}`,
    username: `${prefix}${String(i + 1).padStart(4, '0')}`,
    unit: units[i % units.length],
    rank: i % 10 === 0 ? '县处级' : '乡科级',
    role: '干部',
    phone: `139${String(10_000_000 + i).slice(-8)}`,
  }));
}

/** The roster as an .xlsx with the template's Chinese headers; row n of `lines` is Excel row n + 2. */
export async function rosterXlsx(lines: RosterLine[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('花名册');
  ws.addRow(['姓名', '用户名', '单位', '职级', '角色', '手机']);
  for (const l of lines) ws.addRow([l.name ?? '', l.username ?? '', l.unit ?? '', l.rank ?? '', l.role ?? '', l.phone ?? '']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
