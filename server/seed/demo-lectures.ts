/**
 * Demo catalog (演示课程): lectures named after the county's training programmes in the article
 * the portal grew from (服务能力 / 落实能力 / 发展能力 / 党史党性, the 清华大学论坛 and 吉林大学
 * 学者讲坛), published with real HLS media, plus two scheduled live lectures. The media is one
 * generated clip (testsrc2 + a tone; nothing is downloaded) transcoded once by the same pipeline
 * as uploads and copied to each lecture. Idempotent: lectures that exist (by title) are kept.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Types } from 'mongoose';
import type { AppConfig } from '../../config';
import { probeMedia, TranscodeJob, type Storage } from '../../media';
import { indexGrams } from '../modules/catalog/search';
import type { LectureCategory } from '../modules/catalog/lecture.model';
import type { Models } from '../store/models';
import { CountyCalendar } from '../calendar';

const run = promisify(execFile);

interface DemoLecture {
  title: string;
  summary: string;
  lecturer: string;
  institution: string;
  topic: string;
  category: LectureCategory;
  tags: string[];
  creditHours: number;
  required?: boolean;
  watchCount: number;
}

export const demoLectures: DemoLecture[] = [
  { title: '关键在于落实', summary: '中央党校刘玉瑛教授《关键在于落实》导读：提升各级干部的执行力和落实力。', lecturer: '刘玉瑛', institution: '中央党校', topic: '落实能力', category: 'implementation', tags: ['执行力', '落实'], creditHours: 2, required: true, watchCount: 612 },
  { title: '突发事件预防与应对', summary: '面向基层一线党员干部的突发事件预防、处置与舆情应对。', lecturer: '县委党校', institution: '通榆县委党校', topic: '突发事件预防与应对', category: 'implementation', tags: ['应急管理'], creditHours: 1.5, required: true, watchCount: 488 },
  { title: '维稳信访知识专题', summary: '信访工作条例解读与基层矛盾纠纷化解案例。', lecturer: '县委党校', institution: '通榆县委党校', topic: '维稳信访', category: 'implementation', tags: ['信访', '基层治理'], creditHours: 1.5, watchCount: 355 },
  { title: '财务知识管理专题', summary: '为领导干部和财务审计人员讲解预算、内控与审计要点。', lecturer: '县财政局', institution: '通榆县委党校', topic: '财务知识管理', category: 'implementation', tags: ['财务', '审计'], creditHours: 1, watchCount: 230 },
  { title: '开设红色课堂：党史党性教育', summary: '寻访红色足迹、开辟红色阵地，党史党性教育专题培训。', lecturer: '县委党校', institution: '通榆县委党校', topic: '党史党性教育', category: 'party-history', tags: ['党史', '党性'], creditHours: 2, required: true, watchCount: 1289 },
  { title: '增强群众观念、树立宗旨意识', summary: '与农民同吃、同住、同劳动的主题教育经验分享。', lecturer: '县委组织部', institution: '通榆县委党校', topic: '宗旨意识', category: 'service', tags: ['群众路线'], creditHours: 1, watchCount: 503 },
  { title: '廉洁从政警示教育', summary: '廉洁从政“警示”教育：典型案例剖析与纪律规矩。', lecturer: '县纪委', institution: '通榆县委党校', topic: '廉洁从政', category: 'service', tags: ['廉政', '警示教育'], creditHours: 1, required: true, watchCount: 2800 },
  { title: '县情县策专题研讨', summary: '通榆县情、县策与贫困地区发展路径研讨。', lecturer: '县委政策研究室', institution: '通榆县委党校', topic: '县情县策', category: 'development', tags: ['县域经济'], creditHours: 2, watchCount: 1200 },
  { title: '新农村建设专题', summary: '华西村等地新农村建设的经验与启示。', lecturer: '吴慧君', institution: '名家大讲堂', topic: '新农村建设', category: 'development', tags: ['新农村', '乡村振兴'], creditHours: 1.5, watchCount: 145 },
  { title: '招商引资专题', summary: '招商引资政策、项目包装与营商环境建设。', lecturer: '陆连国', institution: '名家大讲堂', topic: '招商引资', category: 'development', tags: ['招商引资'], creditHours: 1, watchCount: 120 },
  { title: '清华大学论坛：县域经济高质量发展', summary: '清华大学资深教授来通榆讲授县域经济发展的新思路。', lecturer: '刘教授', institution: '清华大学', topic: '县域经济', category: 'development', tags: ['清华大学论坛', '县域经济'], creditHours: 2, watchCount: 950 },
  { title: '吉林大学学者讲坛：基层治理现代化', summary: '吉林大学教授解读基层治理体系和治理能力现代化。', lecturer: '吉大教授', institution: '吉林大学', topic: '基层治理', category: 'service', tags: ['吉林大学学者讲坛', '基层治理'], creditHours: 2, watchCount: 860 },
];

export const demoLiveLectures = [
  { title: '清华大学论坛（直播）：乡村振兴与干部担当', summary: '清华大学远程教学站直播，课后自动生成回放。', lecturer: '刘教授', institution: '清华大学', topic: '乡村振兴', category: 'development' as const, tags: ['清华大学论坛', '直播'], creditHours: 2, dayOffset: 1 },
  { title: '吉林大学学者讲坛（直播）：基层党组织建设', summary: '吉林大学学者讲坛直播，支持互动提问。', lecturer: '吉大教授', institution: '吉林大学', topic: '基层党建', category: 'service' as const, tags: ['吉林大学学者讲坛', '直播'], creditHours: 1.5, dayOffset: 3 },
];

/** Generates and transcodes the demo clip; returns the HLS folder and the ladder facts. */
async function makeDemoMedia(config: AppConfig, work: string) {
  const clip = join(work, 'demo.mp4');
  await run(config.ffmpeg.ffmpegPath, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000',
    '-t', '40', '-c:v', 'libx264', '-preset', 'superfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', clip,
  ]);
  const probe = await probeMedia(clip, { ffprobePath: config.ffmpeg.ffprobePath });
  const outDir = join(work, 'hls');
  const job = await TranscodeJob.create({ input: clip, outDir, probe, ffmpegPath: config.ffmpeg.ffmpegPath, preset: 'superfast', segmentSec: config.media.segmentSec });
  return { outDir, result: await job.wait(), audioOnly: !probe.video };
}

export async function seedDemoLectures(models: Models, storage: Storage, config: AppConfig): Promise<{ created: string[] }> {
  const { Lecture, User } = models;
  const calendar = new CountyCalendar(config.timeZone);
  const lecturer = await User.findOne({ username: 'lecturer' }).lean();
  const created: string[] = [];
  const missing = [];
  for (const d of demoLectures) if (!(await Lecture.exists({ title: d.title }))) missing.push(d);
  if (missing.length) {
    const work = await mkdtemp(join(tmpdir(), 'demo-media-'));
    try {
      const { outDir, result, audioOnly } = await makeDemoMedia(config, work);
      const day = 24 * 3600_000;
      for (const [i, d] of missing.entries()) {
        const doc = await Lecture.create({
          ...d,
          required: d.required ?? false,
          kind: 'recorded',
          state: 'published',
          publishedAt: new Date(Date.now() - (missing.length - i) * day),
          createdBy: lecturer?._id,
          durationSec: Math.round(result.durationSec),
          searchGrams: indexGrams(d.title, d.summary, d.lecturer, d.tags, d.topic),
          processing: { state: 'ready', percent: 100, attempts: 1 },
        });
        const prefix = `lectures/${String(doc._id as Types.ObjectId)}/hls-demo`;
        await storage.putDir(outDir, prefix, { copy: true });
        await Lecture.updateOne(
          { _id: doc._id },
          { $set: { media: { prefix, master: result.masterPath, renditions: result.renditions, poster: result.posterPath ?? undefined, thumbnails: result.thumbnailsVtt ?? undefined, segmentSec: result.segmentSec, audioOnly } } },
        );
        created.push(d.title);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  for (const d of demoLiveLectures) {
    if (await Lecture.exists({ title: d.title })) continue;
    // 09:00 county time, `dayOffset` county days from today (not the host's 09:00).
    const start = new Date(calendar.dayAt(calendar.addDays(calendar.day(Date.now()), d.dayOffset), 9));
    const { dayOffset: _skip, ...fields } = d;
    await Lecture.create({
      ...fields,
      kind: 'live',
      state: 'published',
      publishedAt: new Date(),
      createdBy: lecturer?._id,
      live: { scheduledAt: start, state: 'scheduled' },
      searchGrams: indexGrams(d.title, d.summary, d.lecturer, d.tags, d.topic),
    });
    created.push(d.title);
  }
  return { created };
}
