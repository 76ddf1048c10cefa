/**
 * The roster's Excel files (exceljs): the template an admin fills in, reading an uploaded roster
 * into text rows, and the sheet of one-time passwords (初始密码单) handed to the importing admin
 * once, sorted by unit so it can be printed and cut into slips for each unit.
 */
import ExcelJS from 'exceljs';
import { AppError } from '../../errors';
import { ROSTER_COLUMNS, RANK_CHOICES, ROLE_CHOICES, cellText, mapHeader, type RosterField } from './roster-rows';

/** Rows past this many are refused (a county has 11,265 cadres). */
export const MAX_ROSTER_ROWS = 20_000;
const VALIDATED_ROWS = 12_000;

export async function templateWorkbook(units: { name: string; path: string }[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '通榆县干部教育培训平台';
  const ws = wb.addWorksheet('花名册', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = ROSTER_COLUMNS.map((c) => ({ header: c.header, key: c.field, width: c.width }));
  ws.getRow(1).font = { bold: true };
  ROSTER_COLUMNS.forEach((c, i) => {
    const cell = ws.getRow(1).getCell(i + 1);
    cell.note = c.note;
    if (c.required) cell.font = { bold: true, color: { argb: 'FFC00000' } };
  });
  // Text cells, so 0-led usernames and phone numbers stay as typed.
  for (const key of ['username', 'phone'] satisfies RosterField[]) ws.getColumn(key).numFmt = '@';
  // One validation over the column's range (exceljs writes it as one sqref; per cell it would be thousands).
  const validations = (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations;
  const list = (col: number, choices: string[]) => {
    const letter = ws.getColumn(col).letter;
    validations.add(`${letter}2:${letter}${VALIDATED_ROWS}`, { type: 'list', allowBlank: true, formulae: [`"${choices.join(',')}"`], showErrorMessage: true, errorTitle: '无效的值', error: `请从列表中选择:${choices.join('、')}` });
  };
  list(ROSTER_COLUMNS.findIndex((c) => c.field === 'rank') + 1, RANK_CHOICES);
  list(ROSTER_COLUMNS.findIndex((c) => c.field === 'role') + 1, ROLE_CHOICES);

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
export async function readRoster(file: Buffer): Promise<{ row: number; values: Partial<Record<RosterField, string>> }[]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    throw badFile('不是有效的 .xlsx 文件', 'not a valid .xlsx file');
  }
  const ws = wb.worksheets[0];
  if (!ws) throw badFile('没有工作表', 'it has no sheet');
  const header = ws.getRow(1);
  const cells: string[] = [];
  header.eachCell({ includeEmpty: true }, (cell, col) => (cells[col - 1] = cellText(cell.value)));
  const at = mapHeader(cells);
  if ('missing' in at) throw badFile(`第 1 行缺少列:${at.missing.join('、')}(请使用模板)`, `row 1 lacks the columns ${at.missing.join(', ')} (use the template)`);
  if (ws.actualRowCount - 1 > MAX_ROSTER_ROWS) throw badFile(`超过 ${MAX_ROSTER_ROWS} 行,请分批导入`, `more than ${MAX_ROSTER_ROWS} rows; import in parts`);
  const rows: { row: number; values: Partial<Record<RosterField, string>> }[] = [];
  ws.eachRow({ includeEmpty: false }, (r, n) => {
    if (n === 1) return;
    const values: Partial<Record<RosterField, string>> = {};
    for (const [field, col] of at) {
      const text = cellText(r.getCell(col + 1).value);
      if (text) values[field] = text;
    }
    if (Object.keys(values).length) rows.push({ row: n, values });
  });
  return rows;
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
