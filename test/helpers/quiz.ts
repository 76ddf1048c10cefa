/** Helpers of the quiz tests: a bank in a template workbook, real watching by heartbeats, answering by the key. */
import { setTimeout as sleep } from 'node:timers/promises';
import ExcelJS from 'exceljs';

const BEAT_MS = 2000;
import { fetchAllSegments } from './lectures';

export type Row = Partial<Record<'kind' | 'stem' | 'optionA' | 'optionB' | 'optionC' | 'optionD' | 'answer' | 'spanFrom' | 'spanTo' | 'explanation', string>>;
const HEADERS = ['题型', '题干', '选项A', '选项B', '选项C', '选项D', '选项E', '选项F', '答案', '片段开始', '片段结束', '解析'];
const FIELDS = ['kind', 'stem', 'optionA', 'optionB', 'optionC', 'optionD', 'optionE', 'optionF', 'answer', 'spanFrom', 'spanTo', 'explanation'] as const;

export async function quizXlsx(rows: Row[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('题库');
  ws.addRow(HEADERS);
  for (const r of rows) ws.addRow(FIELDS.map((f) => (r as Record<string, string | undefined>)[f] ?? null));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Ten single-choice questions, the first two tied to spans [0,4] and [8,12]. */
export function sampleRows(): Row[] {
  return Array.from({ length: 10 }, (_, i) => ({
    kind: '单选',
    stem: `第 ${i + 1} 题:落实能力的要点是什么?`,
    optionA: `要点甲${i}`,
    optionB: `要点乙${i}`,
    optionC: `要点丙${i}`,
    optionD: `要点丁${i}`,
    answer: 'ABCD'[i % 4]!,
    ...(i === 0 ? { spanFrom: '0:00', spanTo: '0:04' } : i === 1 ? { spanFrom: '0:08', spanTo: '0:12' } : {}),
  }));
}

const post = async (url: string, path: string, cookie: string, body?: unknown) => {
  const res = await fetch(url + path, { method: 'POST', headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
};

/**
 * Watches [from, to] of a lecture as a player does: opens a playback, fetches its segments (the
 * evidence), and beats every 2 s with the position real time allows. `fetchMedia: false` is a
 * script that beats without fetching anything.
 */
export async function watch(url: string, cookie: string, lectureId: string, from: number, to: number, opts: { fetchMedia?: boolean; end?: boolean } = {}) {
  const pb = await post(url, `/api/lectures/${lectureId}/playback`, cookie);
  if (pb.status !== 200) throw new Error(`playback: ${pb.status} ${JSON.stringify(pb.body)}`);
  if (opts.fetchMedia !== false) await fetchAllSegments(url, pb.body.masterUrl);
  const playbackId = pb.body.playbackId as string;
  let seq = 0;
  const beat = (position: number, event = 'tick', playing = true) => post(url, '/api/study/heartbeats', cookie, { beats: [{ playbackId, seq: ++seq, position, rate: 1, playing, visible: true, event, clientAt: Date.now() }] });
  await beat(from, 'play');
  const t0 = Date.now();
  let last: any;
  // A player's cadence: a beat every BEAT_MS of real time (the server credits only the time that
  // passes on its clock), the last one as soon as `to` is reached.
  for (let n = 1; ; n++) {
    await sleep(Math.max(0, Math.min(t0 + n * BEAT_MS, t0 + (to - from) * 1000 + 50) - Date.now()));
    const pos = Math.min(to, from + (Date.now() - t0) / 1000 - 0.05);
    const done = pos >= to;
    last = await beat(pos, done && opts.end ? 'end' : 'tick', !(done && opts.end));
    if (done) break;
  }
  return last.body.sessions?.[playbackId];
}

/** Displayed positions of the key, from the lecturer's bank (with keys) and the options as shown. */
export function keyPositions(bank: { questions: { id: string; options: string[]; answer: number[] }[] }, shown: { id: string; options: string[] }, right: boolean): number[] {
  const q = bank.questions.find((x) => x.id === shown.id)!;
  const keyTexts = q.answer.map((i) => q.options[i]);
  const positions = shown.options.map((o, i) => (keyTexts.includes(o) ? i : -1)).filter((i) => i >= 0);
  if (right) return positions;
  return [shown.options.findIndex((_, i) => !positions.includes(i))];
}
