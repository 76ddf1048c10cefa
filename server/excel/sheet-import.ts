/**
 * What the platform's Excel imports (花名册, 外出培训学时, 题库) share, over exceljs: a template
 * sheet whose first row holds the columns' headers and notes, a drop-down list on a column, and
 * reading the first sheet of an upload into text rows by field with their Excel row numbers
 * (row 1 is the header; blank rows are skipped). Each import keeps its own columns, checks and
 * error code; a file that cannot be read is refused through the `badFile` it passes.
 */
import ExcelJS from 'exceljs';
import type { AppError } from '../errors';

export const WORKBOOK_CREATOR = '通榆县干部教育培训平台';

export interface TemplateColumn<F extends string> {
  header: string;
  field: F;
  width: number;
  note: string;
  required?: boolean;
}

/** Cell text: numbers, rich text and formulas' results flattened; a Date through `dateText` ('' without it). */
export function cellText(value: unknown, dateText?: (d: Date) => string): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date && dateText) return dateText(value);
  if (typeof value === 'object') {
    const v = value as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('').trim();
    if (v.text !== undefined) return cellText(v.text, dateText);
    if (v.result !== undefined) return cellText(v.result, dateText);
    return '';
  }
  return String(value).replace(/\u00a0/g, ' ').trim();
}

/** Header cells -> column index per field, a column known by how its header starts; or the missing required headers. */
export function mapHeader<F extends string>(columns: readonly TemplateColumn<F>[], cells: string[]): Map<F, number> | { missing: string[] } {
  const at = new Map<F, number>();
  cells.forEach((c, i) => {
    const col = columns.find((k) => c.replace(/\s/g, '').startsWith(k.header));
    if (col && !at.has(col.field)) at.set(col.field, i);
  });
  const missing = columns.filter((k) => k.required && !at.has(k.field)).map((k) => k.header);
  return missing.length ? { missing } : at;
}

/** A sheet with the columns, the header row frozen and bold, each header's note; required headers in red when `markRequired`. */
export function templateSheet<F extends string>(wb: ExcelJS.Workbook, name: string, columns: readonly TemplateColumn<F>[], markRequired = true): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.header, key: c.field, width: c.width }));
  ws.getRow(1).font = { bold: true };
  columns.forEach((c, i) => {
    const cell = ws.getRow(1).getCell(i + 1);
    cell.note = c.note;
    if (markRequired && c.required) cell.font = { bold: true, color: { argb: 'FFC00000' } };
  });
  return ws;
}

/** One list validation over rows 2..lastRow of a column (one sqref; per cell it would be thousands). */
export function listValidation(ws: ExcelJS.Worksheet, column: number, lastRow: number, choices: readonly string[], errorTitle: string, error = `请从列表中选择:${choices.join('、')}`): void {
  const validations = (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations;
  const letter = ws.getColumn(column).letter;
  validations.add(`${letter}2:${letter}${lastRow}`, { type: 'list', allowBlank: true, formulae: [`"${choices.join(',')}"`], showErrorMessage: true, errorTitle, error });
}

export interface SheetRow<F extends string> {
  row: number;
  values: Partial<Record<F, string>>;
}

export interface ReadOptions<F extends string> {
  mapHeader: (cells: string[]) => Map<F, number> | { missing: string[] };
  maxRows: number;
  /** The refusal of a file that cannot be read, with the reason in Chinese and English. */
  badFile: (detail: string, detailEn: string) => AppError;
  /** The reason given for more than maxRows rows. */
  tooMany: [string, string];
  /** A data cell's text (cellText by default). */
  text?: (value: unknown) => string;
  /** Rows to pass over (a template's example rows left in). */
  skip?: (values: Partial<Record<F, string>>) => boolean;
}

/** The first sheet's rows as text by field, with their Excel row numbers; blank rows skipped. */
export async function readSheetRows<F extends string>(file: Buffer, o: ReadOptions<F>): Promise<SheetRow<F>[]> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    throw o.badFile('不是有效的 .xlsx 文件', 'not a valid .xlsx file');
  }
  const ws = wb.worksheets[0];
  if (!ws) throw o.badFile('没有工作表', 'it has no sheet');
  const cells: string[] = [];
  ws.getRow(1).eachCell({ includeEmpty: true }, (cell, col) => (cells[col - 1] = cellText(cell.value)));
  const at = o.mapHeader(cells);
  if ('missing' in at) throw o.badFile(`第 1 行缺少列:${at.missing.join('、')}(请使用模板)`, `row 1 lacks the columns ${at.missing.join(', ')} (use the template)`);
  if (ws.actualRowCount - 1 > o.maxRows) throw o.badFile(...o.tooMany);
  const text = o.text ?? cellText;
  const rows: SheetRow<F>[] = [];
  ws.eachRow({ includeEmpty: false }, (r, n) => {
    if (n === 1) return;
    const values: Partial<Record<F, string>> = {};
    for (const [field, col] of at) {
      const t = text(r.getCell(col + 1).value);
      if (t) values[field] = t;
    }
    if (o.skip?.(values)) return;
    if (Object.keys(values).length) rows.push({ row: n, values });
  });
  return rows;
}
