/**
 * The roster's Excel files (exceljs): the template an admin fills in, reading an uploaded roster
 * into text rows, and the sheet of one-time passwords (初始密码单) handed to the importing admin
 * once, sorted by unit so it can be printed and cut into slips for each unit.
 */
import ExcelJS from 'exceljs';
import { AppError } from '../../errors';
import { listValidation, readSheetRows, templateSheet, WORKBOOK_CREATOR, type SheetRow } from '../../excel/sheet-import';
import { ROSTER_COLUMNS, RANK_CHOICES, ROLE_CHOICES, mapHeader, type RosterField } from './roster-rows';

/** Rows past this many are refused (a county has 11,265 cadres). */
export const MAX_ROSTER_ROWS = 20_000;
const VALIDATED_ROWS = 12_000;

export async function templateWorkbook(units: { name: string; path: string }[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = WORKBOOK_CREATOR;
  const ws = templateSheet(wb, '花名册', ROSTER_COLUMNS);
  // Text cells, so 0-led usernames and phone numbers stay as typed.
  for (const key of ['username', 'phone'] satisfies RosterField[]) ws.getColumn(key).numFmt = '@';
  listValidation(ws, ROSTER_COLUMNS.findIndex((c) => c.field === 'rank') + 1, VALIDATED_ROWS, RANK_CHOICES, '无效的值');
  listValidation(ws, ROSTER_COLUMNS.findIndex((c) => c.field === 'role') + 1, VALIDATED_ROWS, ROLE_CHOICES, '无效的值');

  const ref = wb.addWorksheet('单位列表');
  ref.columns = [
    { header: '单位(填入"单位"列)', key: 'name', width: 28 },
    { header: '完整路径(重名时填"上级/单位")', key: 'path', width: 44 },
  ];
  ref.getRow(1).font = { bold: true };
  for (const u of units) ref.addRow(u);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const badFile = (detail: string, detailEn: string) => new AppError(400, 'BAD_ROSTER_FILE', `花名册文件无法读取:${detail}`, `The roster file cannot be read: ${detailEn}`);

/** The first sheet's rows as text, by field, with their Excel row numbers; blank rows skipped. */
export function readRoster(file: Buffer): Promise<SheetRow<RosterField>[]> {
  return readSheetRows(file, { mapHeader, maxRows: MAX_ROSTER_ROWS, badFile, tooMany: [`超过 ${MAX_ROSTER_ROWS} 行,请分批导入`, `more than ${MAX_ROSTER_ROWS} rows; import in parts`] });
}

export interface Credential {
  row: number;
  unit: string;
  displayName: string;
  username: string;
  password: string;
}

export async function credentialsWorkbook(rows: Credential[], expiresAt: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('初始密码');
  ws.columns = [
    { header: '单位', key: 'unit', width: 26 },
    { header: '姓名', key: 'displayName', width: 12 },
    { header: '用户名', key: 'username', width: 18 },
    { header: '初始密码', key: 'password', width: 18 },
    { header: '花名册行号', key: 'row', width: 10 },
  ];
  ws.getRow(1).font = { bold: true };
  const sorted = [...rows].sort((a, b) => a.unit.localeCompare(b.unit, 'zh-CN') || a.row - b.row);
  for (const r of sorted) ws.addRow(r);
  ws.addRow([]);
  ws.addRow([`初始密码仅可使用一次:首次登录须修改密码;${expiresAt.slice(0, 10)} 前未登录的,须请管理员重置。请妥善保管并分发到本人。`]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
