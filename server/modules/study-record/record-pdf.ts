/**
 * Study records as PDF pages (pdfkit), for a unit's export: each cadre starts a new A4 page;
 * tables never cut a row: a row that does not fit goes to a new page, under the table's header
 * drawn again. The CJK font (config STUDY_RECORD_FONT, a face of a .ttc collection or a plain
 * .otf/.ttf) is embedded as a subset of the glyphs used. Drawing is synchronous; the caller
 * yields between cadres so a large unit does not hold the event loop.
 */
import { createWriteStream } from 'node:fs';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { Channel } from './record-rules';
import type { StudyRecord } from './study-record.service';
import { GRADE_ZH } from '../assessment/assessment-rules';

export const channelNames: Record<Channel, string> = { selfStudy: '自主选学', live: '直播论坛', airClassroom: '空中课堂', training: '培训班' };
export const rankNames = { township: '乡科级及以下', county: '县处级及以上' } as const;
export const resultNames = { met: '达标', behind: '未达标' } as const;

const MARGIN = 48;
const ROW_PAD = 4;
const FONT_SIZE = 9.5;
const INK = '#1f2328';
const LINE = '#9aa1a9';
const HEAD_BG = '#eef0f2';

interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

export interface FontChoice {
  path: string;
  /** The face inside a collection (.ttc); ignored for a single font file. */
  face: string;
}

const hours = (h: number) => (Math.round(h * 10) / 10).toFixed(1);

export class RecordPdf {
  private readonly doc: PDFKit.PDFDocument;
  private readonly written: Promise<void>;
  private pageCount = 1;
  private first = true;
  /** Printed atop a page a cadre's table runs on to. */
  private running = '';

  constructor(file: string, font: FontChoice, meta: { title: string }) {
    this.doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: meta.title, Creator: '干部远程教育与自主选学平台' } });
    const out = createWriteStream(file);
    this.written = new Promise((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
      this.doc.on('error', reject);
    });
    this.doc.pipe(out);
    this.doc.on('pageAdded', () => (this.pageCount += 1));
    const collection = /\.(ttc|otc)$/i.test(font.path);
    this.doc.registerFont('cjk', font.path, collection ? font.face : undefined);
    this.doc.font('cjk').fillColor(INK);
  }

  get pages() {
    return this.pageCount;
  }

  private get width() {
    return this.doc.page.width - MARGIN * 2;
  }

  private get bottom() {
    return this.doc.page.height - MARGIN;
  }

  /** Draws one cadre's record from a new page. */
  addRecord(r: StudyRecord) {
    const { doc } = this;
    if (!this.first) doc.addPage();
    this.first = false;
    const top = MARGIN;
    const qrSize = 92;
    this.qr(r.verification.url, MARGIN + this.width - qrSize, top, qrSize);
    doc.fontSize(18).text(`干部学习档案 · ${r.year} 年度`, MARGIN, top, { width: this.width - qrSize - 10 });
    doc.fontSize(9).fillColor('#57606a').text(`Study record ${r.year} · 学时按县里的日历计算(${r.timeZone})`, { width: this.width - qrSize - 10 }).fillColor(INK);
    doc.moveDown(0.6);
    const p = r.person;
    this.running = `${p.displayName} · ${r.year} 年度学习档案(续)`;
    const facts: [string, string][] = [
      ['姓名', p.displayName],
      ['账号', p.username],
      ['单位', p.unitPath.join(' / ') || '—'],
      ['职级', rankNames[p.rank]],
      ['签发日期', r.issuedOn],
    ];
    doc.fontSize(10.5);
    for (const [k, v] of facts) doc.text(`${k}:${v}`, MARGIN, doc.y, { width: this.width - qrSize - 10 });
    doc.y = Math.max(doc.y, top + qrSize + 6);
    doc.moveDown(0.5);

    const f = r.figures;
    this.heading('学时汇总');
    this.table(
      [
        { header: '要求学时', width: 0.18 },
        { header: '已获学时', width: 0.18 },
        { header: '必修', width: 0.16 },
        { header: '选修', width: 0.16 },
        { header: '完成课程', width: 0.16 },
        { header: '考核结果', width: 0.16 },
      ],
      [[hours(f.requiredHours), hours(f.earned.total), hours(f.earned.required), hours(f.earned.elective), String(f.lectures.length), resultNames[f.result]]],
    );
    if (r.assessment) {
      // 年度实效测评: each part with what was done and its points of the weight, then the grade.
      const { rule, result: a } = r.assessment;
      this.heading(`${r.year} 年度实效测评`);
      this.table(
        [
          { header: '学时', width: 0.26 },
          { header: '测验(通过/参加)', width: 0.22 },
          { header: '培训班结业', width: 0.18 },
          { header: '得分', width: 0.14 },
          { header: '等级', width: 0.2 },
        ],
        [[`${hours(a.hours.earned)}/${hours(a.hours.required)} · ${a.hours.points}/${rule.hoursWeight}分`, `${a.quizzes.passed}/${a.quizzes.taken} · ${a.quizzes.points}/${rule.quizWeight}分`, `${a.classes.completed} · ${a.classes.points}/${rule.classWeight}分`, String(a.score), GRADE_ZH[a.grade]]],
      );
    }
    this.heading('按学习渠道');
    this.table(
      [
        { header: '渠道', width: 0.28, align: 'left' },
        { header: '学时', width: 0.18 },
        { header: '必修', width: 0.18 },
        { header: '选修', width: 0.18 },
        { header: '课程数', width: 0.18 },
      ],
      f.channels.map((c) => [channelNames[c.channel], hours(c.hours), hours(c.required), hours(c.elective), String(c.lectures)]),
    );
    this.heading('学习明细');
    if (!f.lectures.length) {
      doc.fontSize(FONT_SIZE).text('本年度没有计入学时的课程。', MARGIN, doc.y);
    } else {
      this.table(
        [
          { header: '序号', width: 0.07 },
          { header: '日期', width: 0.15, align: 'left' },
          { header: '课程', width: 0.44, align: 'left' },
          { header: '渠道', width: 0.13, align: 'left' },
          { header: '类别', width: 0.09, align: 'left' },
          { header: '学时', width: 0.12 },
        ],
        f.lectures.map((l, i) => [String(i + 1), l.day, l.title || '(未命名课程)', channelNames[l.channel], l.required ? '必修' : '选修', hours(l.hours)]),
      );
    }
    doc.moveDown(0.8);
    const note = `验证:扫描二维码或访问 ${r.verification.url} 查看平台当前学时并核对本档案。验证码 ${r.verification.code}`;
    if (doc.y + doc.heightOfString(note, { width: this.width }) > this.bottom) doc.addPage();
    doc.fontSize(8.5).fillColor('#57606a').text(note, MARGIN, doc.y, { width: this.width }).fillColor(INK);
  }

  /** The one page of an export whose unit has no cadres. */
  addRecordless(unitName: string, year: number) {
    this.first = false;
    this.doc.fontSize(16).text(`${unitName} · ${year} 年度干部学习档案`, MARGIN, MARGIN, { width: this.width });
    this.doc.moveDown().fontSize(11).text('本单位及下属单位没有干部。', { width: this.width });
  }

  /** The QR code drawn as vector squares (sharp in print; no PNG to encode and decode per cadre). */
  private qr(text: string, x: number, y: number, box: number) {
    const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
    const cell = box / (size + 2); // one module of quiet zone each side
    for (let row = 0; row < size; row++) {
      // Runs of dark modules in a row become one rectangle each.
      for (let col = 0; col < size; ) {
        if (!data[row * size + col]) {
          col += 1;
          continue;
        }
        const start = col;
        while (col < size && data[row * size + col]) col += 1;
        this.doc.rect(x + (start + 1) * cell, y + (row + 1) * cell, (col - start) * cell, cell);
      }
    }
    this.doc.fill('#000').fillColor(INK);
  }

  private heading(text: string) {
    const { doc } = this;
    doc.fontSize(12);
    // A heading never ends a page: it needs room for itself, a header row and one row.
    if (doc.y + 70 > this.bottom) doc.addPage();
    doc.moveDown(0.4).text(text, MARGIN, doc.y).moveDown(0.2);
  }

  /** A table whose rows are never split; a page break repeats the header. */
  private table(columns: Column[], rows: string[][]) {
    const { doc } = this;
    const widths = columns.map((c) => c.width * this.width);
    doc.fontSize(FONT_SIZE);
    const rowHeight = (cells: string[]) => Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i]! - ROW_PAD * 2 }))) + ROW_PAD * 2;
    const draw = (cells: string[], head: boolean) => {
      const h = rowHeight(cells);
      const y = doc.y;
      let x = MARGIN;
      if (head) doc.rect(MARGIN, y, this.width, h).fill(HEAD_BG).fillColor(INK);
      cells.forEach((c, i) => {
        const w = widths[i]!;
        doc.rect(x, y, w, h).lineWidth(0.5).strokeColor(LINE).stroke();
        doc.fillColor(INK).text(c, x + ROW_PAD, y + ROW_PAD, { width: w - ROW_PAD * 2, align: head ? 'center' : (columns[i]!.align ?? 'right') });
        x += w;
      });
      doc.x = MARGIN;
      doc.y = y + h;
    };
    const header = columns.map((c) => c.header);
    draw(header, true);
    for (const cells of rows) {
      if (doc.y + rowHeight(cells) > this.bottom) {
        doc.addPage();
        doc.fontSize(8.5).fillColor('#57606a').text(this.running, MARGIN, MARGIN, { width: this.width }).fillColor(INK).moveDown(0.3);
        doc.fontSize(FONT_SIZE);
        draw(header, true);
      }
      draw(cells, false);
    }
  }

  /** Ends the document and waits until the file is written. */
  async finish(): Promise<number> {
    this.doc.end();
    await this.written;
    return this.pageCount;
  }
}
