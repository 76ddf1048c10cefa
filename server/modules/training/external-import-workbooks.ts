/**
 * The Excel files of external-training imports (exceljs, as the roster import): the template the
 * org admin fills in (a 渠道 list on its column, a sample row on a second sheet) and reading an
 * uploaded file into text rows with their Excel row numbers. Date cells become 'YYYY-MM-DD'.
 */
import ExcelJS from 'exceljs';
import { AppError } from '../../errors';
import { CHANNEL_CHOICES, IMPORT_COLUMNS, cellText, mapHeader, type ImportField } from './external-import-rows';

export const MAX_IMPORT_ROWS = 5000;

export async function importTemplate(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '通榆县干部教育培训平台';
  const ws = wb.addWorksheet('外出培训学时', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = IMPORT_COLUMNS.map((c) => ({ header: c.header, key: c.field, width: c.width }));
  IMPORT_COLUMNS.forEach((c, i) => {
    const cell = ws.getRow(1).getCell(i + 1);
    cell.note = c.note;
    cell.font = c.required ? { bold: true, color: { argb: 'FFC00000' } } : { bold: true };
  });
  ws.getColumn('username').numFmt = '@';
  for (const key of ['startDay', 'endDay'] as ImportField[]) ws.getColumn(key).numFmt = 'yyyy-mm-dd';
  const letter = ws.getColumn(IMPORT_COLUMNS.findIndex((c) => c.field === 'channel') + 1).letter;
  const validations = (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations;
  validations.add(`${letter}2:${letter}${MAX_IMPORT_ROWS + 1}`, { type: 'list', allowBlank: true, formulae: [`"${CHANNEL_CHOICES.join(',')}"`], showErrorMessage: true, errorTitle: '无效的渠道', error: `请从列表中选择:${CHANNEL_CHOICES.join('、')}` });
  const sample = wb.addWorksheet('填写示例');
  sample.columns = IMPORT_COLUMNS.map((c) => ({ header: c.header, key: c.field, width: c.width }));
  sample.getRow(1).font = { bold: true };
  sample.addRow({ username: 'zhangwei', displayName: '张伟', title: '清华大学县域经济发展专题培训班', organiser: '清华大学', startDay: '2026-05-11', endDay: '2026-05-15', hours: 40, channel: '高校培训', note: '' });
  sample.addRow({ username: 'liming', displayName: '李明', title: '省委组织部乡镇党委书记培训班(搭车)', organiser: '省委组织部', startDay: '2026-06-02', endDay: '2026-06-06', hours: 32, channel: '搭车培训', note: '' });
  sample.addRow({ username: 'wangfang', displayName: '王芳', title: '赴华西村考察学习', organiser: '县委组织部', startDay: '2026-07-08', endDay: '2026-07-10', hours: 16, channel: '考察学习', note: '' });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const badFile = (detail: string, detailEn: string) => new AppError(400, 'BAD_IMPORT_FILE', `导入文件无法读取:${detail}`, `The import file cannot be read: ${detailEn}`);

export async function readImport(file: Buffer): Promise<{ row: number; values: Partial<Record<ImportField, string>> }[]> {
  if (file.length < 4 || file.readUInt32LE(0) !== 0x04034b50) throw badFile('请上传 .xlsx 文件(可先下载模板)', 'upload an .xlsx file (download the template first)');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    throw badFile('不是有效的 .xlsx 文件', 'not a valid .xlsx file');
  }
  const ws = wb.worksheets[0];
  if (!ws) throw badFile('没有工作表', 'it has no sheet');
  const cells: string[] = [];
  ws.getRow(1).eachCell({ includeEmpty: true }, (cell, col) => (cells[col - 1] = cellText(cell.value)));
  const at = mapHeader(cells);
  if ('missing' in at) throw badFile(`第 1 行缺少列:${at.missing.join('、')}(请使用模板)`, `row 1 lacks the columns ${at.missing.join(', ')} (use the template)`);
  if (ws.actualRowCount - 1 > MAX_IMPORT_ROWS) throw badFile(`超过 ${MAX_IMPORT_ROWS} 行,请分批导入`, `more than ${MAX_IMPORT_ROWS} rows; import in parts`);
  const rows: { row: number; values: Partial<Record<ImportField, string>> }[] = [];
  ws.eachRow({ includeEmpty: false }, (r, n) => {
    if (n === 1) return;
    const values: Partial<Record<ImportField, string>> = {};
    for (const [field, col] of at) {
      const text = cellText(r.getCell(col + 1).value);
      if (text) values[field] = text;
    }
    if (Object.keys(values).length) rows.push({ row: n, values });
  });
  return rows;
}
