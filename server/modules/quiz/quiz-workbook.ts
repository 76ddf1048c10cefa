/** The question bank's Excel files (exceljs, as the roster's): the template, and reading an upload into text rows. */
import ExcelJS from 'exceljs';
import { AppError } from '../../errors';
import { cellText } from '../roster-import/roster-rows';
import { mapQuizHeader, QUIZ_COLUMNS, type QuizField } from './quiz-rows';

/** A bank is a lecture's questions: more rows than this is not a bank. */
export const MAX_QUIZ_ROWS = 1000;

export async function quizTemplate(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '通榆县干部教育培训平台';
  const ws = wb.addWorksheet('题库', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = QUIZ_COLUMNS.map((c) => ({ header: c.header, key: c.field, width: c.width }));
  ws.getRow(1).font = { bold: true };
  QUIZ_COLUMNS.forEach((c, i) => (ws.getRow(1).getCell(i + 1).note = c.note));
  for (const key of ['spanFrom', 'spanTo', 'answer'] satisfies QuizField[]) ws.getColumn(key).numFmt = '@';
  const validations = (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations;
  validations.add(`A2:A${MAX_QUIZ_ROWS + 1}`, { type: 'list', allowBlank: true, formulae: ['"单选,多选,判断"'], showErrorMessage: true, errorTitle: '无效的题型', error: '请选择:单选、多选、判断' });
  ws.addRow({ kind: '单选', stem: '（示例，可删除）干部教育培训的根本任务是什么?', optionA: '提高干部素质', optionB: '增加学时', optionC: '完成考核', answer: 'A', spanFrom: '0:00', spanTo: '1:30', explanation: '' });
  ws.addRow({ kind: '多选', stem: '（示例，可删除）以下哪些属于干部应具备的能力?', optionA: '服务能力', optionB: '落实能力', optionC: '发展能力', optionD: '娱乐能力', answer: 'ABC' });
  ws.addRow({ kind: '判断', stem: '（示例，可删除）学时按本县日历计算。', answer: '正确' });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Cell text; a time Excel turned into a date (1:30 typed into a general cell) becomes its seconds. */
function quizCellText(value: unknown): string {
  if (value instanceof Date) return String(value.getUTCHours() * 3600 + value.getUTCMinutes() * 60 + value.getUTCSeconds());
  return cellText(value);
}

const badFile = (zh: string, en: string) => new AppError(400, 'QUIZ_BAD_FILE', `题库文件无法读取:${zh}`, `The question file cannot be read: ${en}`);

/** The first sheet's rows as text by field, with their Excel row numbers; blank rows skipped. */
export async function readQuizRows(file: Buffer): Promise<{ row: number; values: Partial<Record<QuizField, string>> }[]> {
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
  const at = mapQuizHeader(cells);
  if ('missing' in at) throw badFile(`第 1 行缺少列:${at.missing.join('、')}(请使用模板)`, `row 1 lacks the columns ${at.missing.join(', ')} (use the template)`);
  if (ws.actualRowCount - 1 > MAX_QUIZ_ROWS) throw badFile(`超过 ${MAX_QUIZ_ROWS} 行`, `more than ${MAX_QUIZ_ROWS} rows`);
  const rows: { row: number; values: Partial<Record<QuizField, string>> }[] = [];
  ws.eachRow({ includeEmpty: false }, (r, n) => {
    if (n === 1) return;
    const values: Partial<Record<QuizField, string>> = {};
    for (const [field, col] of at) {
      const text = quizCellText(r.getCell(col + 1).value);
      if (text) values[field] = text;
    }
    // The template's example rows are skipped if left in.
    if (values.stem?.startsWith('（示例')) return;
    if (Object.keys(values).length) rows.push({ row: n, values });
  });
  return rows;
}
