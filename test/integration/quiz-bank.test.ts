/** Question banks against the real store: who may edit them, questions checked, the Excel template and an import with bad rows. */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../../server/seed/demo';
import { build, login, type TestApp } from '../helpers/build';
import { quizXlsx, sampleRows } from '../helpers/quiz';

let t: TestApp;
let admin: string;
let lecturer: string;
let lecturer2: string;
let cadre: string;
let lectureId: string;

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, cookie: string, payload?: object) => t.app.inject({ method, url, headers: { cookie }, payload });
const importFile = async (file: Buffer, cookie = lecturer) => call('POST', `/api/quiz/lectures/${lectureId}/import`, cookie, { fileName: '题库.xlsx', contentBase64: file.toString('base64') });

beforeAll(async () => {
  t = await build({ LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
  await seedDemo(t.app.store.models);
  admin = await login(t.app, 'orgadmin', DEMO_PASSWORD);
  lecturer = await login(t.app, 'lecturer', DEMO_PASSWORD);
  cadre = await login(t.app, 'cadre', DEMO_PASSWORD);
  const created = await call('POST', '/api/users', admin, { username: 'lecturer2', displayName: '第二位教师', password: 'jiangke2026', role: 'lecturer' });
  expect(created.statusCode, created.body).toBe(201);
  lecturer2 = await login(t.app, 'lecturer2', 'jiangke2026');
  const l = await call('POST', '/api/lectures', lecturer, { title: '关键在于落实', category: 'implementation', creditHours: 1 });
  expect(l.statusCode, l.body).toBe(201);
  lectureId = l.json().id;
});
afterAll(() => t?.close());

describe('question banks', () => {
  it('lets the lecture’s lecturer add a question and keeps the bank from other lecturers and cadres (403)', async () => {
    const q = { kind: 'single', stem: '落实的关键是什么?', options: ['抓具体', '喊口号', '等指示'], answer: [0], spanFrom: 0, spanTo: 30 };
    const added = await call('POST', `/api/quiz/lectures/${lectureId}/questions`, lecturer, q);
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json()).toMatchObject({ stem: '落实的关键是什么?', answer: [0], spanFrom: 0, spanTo: 30 });
    for (const [cookie, who] of [[lecturer2, 'other lecturer'], [cadre, 'cadre']] as const) {
      expect((await call('GET', `/api/quiz/lectures/${lectureId}/bank`, cookie)).statusCode, who).toBe(403);
      expect((await call('POST', `/api/quiz/lectures/${lectureId}/questions`, cookie, q)).statusCode, who).toBe(403);
      expect((await importFile(await quizXlsx(sampleRows()), cookie)).statusCode, who).toBe(403);
    }
    const asAdmin = await call('GET', `/api/quiz/lectures/${lectureId}/bank`, admin);
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json().questions).toHaveLength(1);
  });

  it('refuses a malformed question with a code and the field (400)', async () => {
    const bad = await call('POST', `/api/quiz/lectures/${lectureId}/questions`, lecturer, { kind: 'multi', stem: '多选', options: ['甲', '乙', '丙'], answer: [1] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'QUIZ_ANSWER_MULTI', details: { field: 'answer' } });
    const schema = await call('POST', `/api/quiz/lectures/${lectureId}/questions`, lecturer, { kind: 'essay', stem: 'x', options: [], answer: [0] });
    expect(schema.statusCode).toBe(400);
    expect(schema.json().error.code).toBe('VALIDATION_ERROR');
  });

  it('edits the policy and a question, and deletes a question', async () => {
    const s = await call('PUT', `/api/quiz/lectures/${lectureId}/settings`, lecturer, { needsPass: true, drawCount: 3, passPercent: 80, mainAttempts: 1, makeupAttempts: 2 });
    expect(s.statusCode, s.body).toBe(200);
    const bank = (await call('GET', `/api/quiz/lectures/${lectureId}/bank`, lecturer)).json();
    expect(bank.settings).toEqual({ needsPass: true, drawCount: 3, passPercent: 80, mainAttempts: 1, makeupAttempts: 2 });
    const id = bank.questions[0].id;
    const edited = await call('PUT', `/api/quiz/lectures/${lectureId}/questions/${id}`, lecturer, { kind: 'judge', stem: '落实要抓具体', options: [], answer: [0] });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ kind: 'judge', options: ['正确', '错误'], spanFrom: null });
    expect((await call('DELETE', `/api/quiz/lectures/${lectureId}/questions/${id}`, lecturer2)).statusCode).toBe(403);
    expect((await call('DELETE', `/api/quiz/lectures/${lectureId}/questions/${id}`, lecturer)).statusCode).toBe(204);
    expect((await call('GET', `/api/quiz/lectures/${lectureId}/bank`, lecturer)).json().questions).toHaveLength(0);
  });
});

describe('Excel import', () => {
  it('offers a template with the Chinese headers', async () => {
    const res = await call('GET', '/api/quiz/template', lecturer);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect((wb.worksheets[0]!.getRow(1).values as string[]).slice(1, 3)).toEqual(['题型', '题干']);
    // The template as downloaded imports nothing (its examples are skipped) and says so.
    const asIs = await importFile(Buffer.from(res.rawPayload));
    expect(asIs.json()).toMatchObject({ imported: 0, rowErrors: [expect.objectContaining({ code: 'QUIZ_ROW_NONE' })] });
  });

  it('lists the errors by row and imports nothing while any row is bad', async () => {
    const rows = sampleRows();
    rows[2] = { ...rows[2], answer: 'E' }; // row 4: no option E
    rows[4] = { ...rows[4], kind: '问答' }; // row 6: unknown type
    rows[6] = { ...rows[6], spanFrom: '2:00', spanTo: '1:00' }; // row 8: span backwards
    rows.push({ ...rows[0]! }); // row 12: same question as row 2
    const res = await importFile(await quizXlsx(rows));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.imported).toBe(0);
    expect(body.rowErrors.map((e: { row: number; field: string; code: string }) => [e.row, e.field, e.code])).toEqual([
      [4, 'answer', 'QUIZ_ANSWER_INVALID'],
      [6, 'kind', 'QUIZ_ROW_KIND'],
      [8, 'span', 'QUIZ_SPAN_ORDER'],
      [12, 'stem', 'QUIZ_ROW_DUPLICATE'],
    ]);
    expect(body.rowErrors[0].message).toMatch(/答案/);
    expect((await call('GET', `/api/quiz/lectures/${lectureId}/bank`, lecturer)).json().questions).toHaveLength(0);
  });

  it('imports a corrected file whole', async () => {
    const res = await importFile(await quizXlsx(sampleRows()));
    expect(res.json()).toEqual({ imported: 10, rows: 10, rowErrors: [] });
    const bank = (await call('GET', `/api/quiz/lectures/${lectureId}/bank`, lecturer)).json();
    expect(bank.questions).toHaveLength(10);
    expect(bank.questions[1]).toMatchObject({ spanFrom: 8, spanTo: 12, answer: [1] });
  });

  it('refuses a file that is not a workbook', async () => {
    const res = await importFile(Buffer.from('not a workbook'));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('QUIZ_BAD_FILE');
  });
});
