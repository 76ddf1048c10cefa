/**
 * The Excel files of external-training imports (exceljs, as the roster import): the template the
 * org admin fills in (a 渠道 list on its column, a sample row on a second sheet) and reading an
 * uploaded file into text rows with their Excel row numbers. Date cells become 'YYYY-MM-DD'.
 */
import ExcelJS from 'exceljs';
import { AppError } from '../../errors';
import { listValidation, readSheetRows, templateSheet, WORKBOOK_CREATOR, type SheetRow } from '../../excel/sheet-import';
import { CHANNEL_CHOICES, IMPORT_COLUMNS, cellText, mapHeader, type ImportField } from './external-import-rows';

export const MAX_IMPORT_ROWS = 5000;

export async function importTemplate(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = WORKBOOK_CREATOR;
  const ws = templateSheet(wb, '外出培训学时', IMPORT_COLUMNS);
  ws.getColumn('username').numFmt = '@';
  for (const key of ['startDay', 'endDay'] as ImportField[]) ws.getColumn(key).numFmt = 'yyyy-mm-dd';
  listValidation(ws, IMPORT_COLUMNS.findIndex((c) => c.field === 'channel') + 1, MAX_IMPORT_ROWS + 1, CHANNEL_CHOICES, '无效的渠道');
  const sample = wb.addWorksheet('填写示例');
  sample.columns = IMPORT_COLUMNS.map((c) => ({ header: c.header, key: c.field, width: c.width }));
  sample.getRow(1).font = { bold: true };
  sample.addRow({ username: 'zhangwei', displayName: '张伟', title: '清华大学县域经济发展专题培训班', organiser: '清华大学', startDay: '2026-05-11', endDay: '2026-05-15', hours: 40, channel: '高校培训', note: '' });
  sample.addRow({ username: 'liming', displayName: '李明', title: '省委组织部乡镇党委书记培训班(搭车)', organiser: '省委组织部', startDay: '2026-06-02', endDay: '2026-06-06', hours: 32, channel: '搭车培训', note: '' });
  sample.addRow({ username: 'wangfang', displayName: '王芳', title: '赴华西村考察学习', organiser: '县委组织部', startDay: '2026-07-08', endDay: '2026-07-10', hours: 16, channel: '考察学习', note: '' });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const badFile = (detail: string, detailEn: string) => new AppError(400, 'BAD_IMPORT_FILE', `导入文件无法读取:${detail}`, `The import file cannot be read: ${detailEn}`);

export function readImport(file: Buffer): Promise<SheetRow<ImportField>[]> {
  if (file.length < 4 || file.readUInt32LE(0) !== 0x04034b50) return Promise.reject(badFile('请上传 .xlsx 文件(可先下载模板)', 'upload an .xlsx file (download the template first)'));
  return readSheetRows(file, { mapHeader, maxRows: MAX_IMPORT_ROWS, badFile, text: cellText, tooMany: [`超过 ${MAX_IMPORT_ROWS} 行,请分批导入`, `more than ${MAX_IMPORT_ROWS} rows; import in parts`] });
}
