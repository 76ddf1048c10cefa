/** The question bank's Excel files (exceljs, as the roster's): the template, and reading an upload into text rows. */
import ExcelJS from 'exceljs';
import { AppError } from '../../errors';
import { cellText, listValidation, readSheetRows, templateSheet, WORKBOOK_CREATOR, type SheetRow } from '../../excel/sheet-import';
import { mapQuizHeader, QUIZ_COLUMNS, type QuizField } from './quiz-rows';

/** A bank is a lecture's questions: more rows than this is not a bank. */
export const MAX_QUIZ_ROWS = 1000;

export async function quizTemplate(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = WORKBOOK_CREATOR;
  const ws = templateSheet(wb, '题库', QUIZ_COLUMNS);
  for (const key of ['spanFrom', 'spanTo', 'answer'] satisfies QuizField[]) ws.getColumn(key).numFmt = '@';
  listValidation(ws, 1, MAX_QUIZ_ROWS + 1, ['单选', '多选', '判断'], '无效的题型', '请选择:单选、多选、判断');
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

/** The first sheet's rows as text by field, with their Excel row numbers; blank rows and the template's example rows skipped. */
export function readQuizRows(file: Buffer): Promise<SheetRow<QuizField>[]> {
  return readSheetRows(file, { mapHeader: mapQuizHeader, maxRows: MAX_QUIZ_ROWS, badFile, text: quizCellText, tooMany: [`超过 ${MAX_QUIZ_ROWS} 行`, `more than ${MAX_QUIZ_ROWS} rows`], skip: (values) => Boolean(values.stem?.startsWith('（示例')) });
}
