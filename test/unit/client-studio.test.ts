import { describe, expect, it } from 'vitest';
import { ApiError } from '../../client/src/lib/api/client';
import type { LectureAdmin } from '../../client/src/lib/api/types';
import { applyProcessing, canPublish, canUpload, canWithdraw, isProcessingEvent, parseTags } from '../../client/src/lib/studio/processing';
import { translate, type Lang, type Params } from '../../client/src/lib/i18n/translate';
import type { MessageKey } from '../../client/src/lib/i18n/zh-CN';
import { filterStudio, rungList, stageText, statusWords, studioStatus } from '../../client/src/lib/studio/status';
import { etaParts, formatBytes, isMediaFile, percentOf, progressText, rejectionReason, uploadError } from '../../client/src/lib/studio/upload-format';

const MB = 1024 * 1024;

function lecture(over: Partial<LectureAdmin> = {}): LectureAdmin {
  return {
    id: '65f000000000000000000001',
    title: '乡村振兴与基层治理专题讲座',
    summary: '',
    lecturer: '张伟',
    institution: '吉林大学',
    category: 'development',
    topic: '乡村振兴',
    tags: [],
    kind: 'recorded',
    required: false,
    durationSec: 0,
    creditHours: 1,
    state: 'draft',
    audienceUnitIds: [],
    processing: { state: 'none', percent: 0 },
    createdAt: '2026-03-01T00:00:00.000Z',
    ...over,
  };
}

describe('studio upload panel text', () => {
  it('shows sizes the way people read them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12.3 * MB)).toBe('12.3 MB');
    expect(formatBytes(4 * 1024 * MB)).toBe('4.0 GB');
  });

  it('writes the progress line as "37% · 12.3 MB / 33.1 MB" and never shows 100% early', () => {
    expect(progressText(12.3 * MB, 33.1 * MB)).toBe('37% · 12.3 MB / 33.1 MB');
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(1000, 1000)).toBe(100);
    expect(percentOf(5, 0)).toBe(0);
  });

  it('accepts video and audio by type, or by extension when the browser gives no type', () => {
    expect(isMediaFile({ name: 'a.mp4', type: 'video/mp4' })).toBe(true);
    expect(isMediaFile({ name: 'a.m4a', type: 'audio/mp4' })).toBe(true);
    expect(isMediaFile({ name: '讲稿.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' })).toBe(false);
    expect(isMediaFile({ name: 'lecture.MKV', type: '' })).toBe(true);
    expect(isMediaFile({ name: 'notes', type: '' })).toBe(false);
  });

  it('splits an estimate into hours, minutes and seconds', () => {
    expect(etaParts(80)).toEqual({ h: 0, m: 1, s: 20 });
    expect(etaParts(3725.2)).toEqual({ h: 1, m: 2, s: 6 });
  });
});

describe('studio upload errors', () => {
  const response = (status: number, body: string) => ({ getStatus: () => status, getBody: () => body });

  it("turns the server's 422 MEDIA_REJECTED into an ApiError with its message and reason", () => {
    const body = JSON.stringify({ error: { code: 'MEDIA_REJECTED', message: '文件不是可播放的音视频', messageEn: 'Not playable media', details: { reason: 'no audio or video stream' } } });
    const error = uploadError({ message: 'tus: unexpected response', originalResponse: response(422, body) });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'MEDIA_REJECTED', message: '文件不是可播放的音视频', messageEn: 'Not playable media' });
    expect(rejectionReason(error, error.message)).toBe('no audio or video stream');
    expect(rejectionReason(error, '文件不是可播放的音视频: no audio or video stream')).toBeUndefined();
    const coded = new ApiError(422, 'MEDIA_REJECTED', '文件不是可用的音视频', undefined, { reason: 'not-media' });
    expect(rejectionReason(coded, coded.message)).toBeUndefined();
  });

  it('reports a lost connection as NETWORK_ERROR and a bare status by its class', () => {
    expect(uploadError(new Error('tus: failed to upload chunk')).code).toBe('NETWORK_ERROR');
    expect(uploadError({ message: 'x', originalResponse: response(502, '<html>') }).code).toBe('SERVER_ERROR');
    expect(uploadError({ message: 'x', originalResponse: response(413, '') }).code).toBe('UPLOAD_TOO_LARGE');
  });
});

describe('studio processing feed', () => {
  it('accepts well-formed lecture:processing payloads only', () => {
    expect(isProcessingEvent({ lectureId: 'a', state: 'running', percent: 40, etaSec: 12, stage: 'transcode' })).toBe(true);
    expect(isProcessingEvent({ lectureId: 'a', state: 'running', percent: 40, etaSec: null })).toBe(true);
    expect(isProcessingEvent({ lectureId: 'a', state: 'exploded', percent: 40 })).toBe(false);
    expect(isProcessingEvent({ lectureId: 'a', state: 'running', percent: '40' })).toBe(false);
    expect(isProcessingEvent({ state: 'ready', percent: 100 })).toBe(false);
    expect(isProcessingEvent(null)).toBe(false);
  });

  it('folds progress into the lecture and clamps the percent', () => {
    const running = applyProcessing(lecture(), { lectureId: 'x', state: 'running', percent: 140, etaSec: 30, stage: 'transcode' });
    expect(running.processing).toMatchObject({ state: 'running', percent: 100, etaSec: 30, stage: 'transcode' });
    expect(running.state).toBe('processing');
    const ready = applyProcessing(running, { lectureId: 'x', state: 'ready', percent: 97 });
    expect(ready.processing).toMatchObject({ state: 'ready', percent: 100, etaSec: undefined });
  });

  it('allows publishing only finished media, withdrawing only published lectures, uploading when idle', () => {
    expect(canPublish(lecture())).toBe(false);
    expect(canPublish(lecture({ processing: { state: 'ready', percent: 100 } }))).toBe(true);
    expect(canPublish(lecture({ state: 'published', processing: { state: 'ready', percent: 100 } }))).toBe(false);
    expect(canWithdraw(lecture({ state: 'published' }))).toBe(true);
    expect(canWithdraw(lecture({ state: 'withdrawn' }))).toBe(false);
    expect(canUpload(lecture({ processing: { state: 'running', percent: 3 } }))).toBe(false);
    expect(canUpload(lecture({ state: 'withdrawn', processing: { state: 'ready', percent: 100 } }))).toBe(true);
  });

  it('splits tags on Chinese and Latin separators', () => {
    expect(parseTags('乡村振兴，基层治理、党建; 党建  数字乡村')).toEqual(['乡村振兴', '基层治理', '党建', '数字乡村']);
    expect(parseTags('  ')).toEqual([]);
  });
});

describe('studio status in words', () => {
  const tr = (lang: Lang) => (key: MessageKey, params?: Params) => translate(lang, key, params);
  const words = (l: LectureAdmin, lang: Lang = 'zh-CN') => {
    const w = statusWords(l);
    return translate(lang, w.key, w.params);
  };

  it('says 转码中 45% while transcoding, never 草稿 or 处理中', () => {
    expect(words(lecture({ state: 'processing', processing: { state: 'running', percent: 44.6 } }))).toBe('转码中 45%');
    expect(words(lecture({ state: 'draft', processing: { state: 'running', percent: 3 } }))).toBe('转码中 3%');
    expect(words(lecture({ state: 'processing', processing: { state: 'running', percent: 12 } }), 'en')).toBe('Transcoding 12%');
    expect(words(lecture({ state: 'processing', processing: { state: 'queued', percent: 0 } }))).toBe('排队转码');
  });

  it('says 待发布 for finished media, 已发布 when published, 转码失败 on failure, 待上传录像 before an upload', () => {
    expect(words(lecture({ processing: { state: 'ready', percent: 100 } }))).toBe('待发布');
    expect(words(lecture({ state: 'published', processing: { state: 'ready', percent: 100 } }))).toBe('已发布');
    expect(words(lecture({ processing: { state: 'failed', percent: 0, error: { code: 'TRANSCODE_FAILED', message: 'x', messageEn: 'x' } } }))).toBe('转码失败');
    expect(words(lecture())).toBe('待上传录像');
    expect(words(lecture({ state: 'withdrawn' }))).toBe('已下架');
    expect(studioStatus(lecture({ kind: 'live' }))).toBe('ready');
  });

  it('names the rungs in words: 标清 360p, 高清 720p, 仅音频', () => {
    expect(rungList(['720p', '360p', 'audio'], tr('zh-CN'))).toBe('高清 720p、标清 360p、仅音频');
    expect(rungList(['1080p', '240p', 'audio-128k'], tr('zh-CN'))).toBe('超清 1080p、240p、音频 128k');
    expect(rungList(['720p', 'audio'], tr('en'))).toBe('HD 720p, Audio only');
  });

  it('says the transcode stage in words and never shows the raw word "ladder"', () => {
    const zh = tr('zh-CN');
    expect(stageText('ladder:720p,360p,audio', zh)).toBe('生成清晰度：高清 720p、标清 360p、仅音频');
    expect(stageText('ladder', zh)).toBe('生成各档清晰度');
    expect(stageText('thumbnails', zh)).toBe('生成封面和预览图');
    expect(stageText('something-new', zh)).toBe('');
    expect(stageText(undefined, zh)).toBe('');
    for (const stage of ['ladder', 'ladder:360p,audio']) expect(stageText(stage, zh)).not.toMatch(/ladder/);
  });
});

describe('studio search and status filter', () => {
  const category = (c: string) => translate('zh-CN', `category.${c}` as MessageKey);
  const list = [
    lecture({ id: 'a', title: '关键在于落实', topic: '落实能力', category: 'implementation', processing: { state: 'ready', percent: 100 } }),
    lecture({ id: 'b', title: '财务知识管理专题', topic: '财务知识管理', category: 'implementation', state: 'published', processing: { state: 'ready', percent: 100 } }),
    lecture({ id: 'c', title: '招商引资专题', topic: '招商引资', category: 'development', lecturer: '陆连国', state: 'processing', processing: { state: 'running', percent: 40 } }),
  ];
  const ids = (q: string, status: Parameters<typeof filterStudio>[2] = '') => filterStudio(list, q, status, category).map((l) => l.id);

  it('finds lectures by title, topic, category name and lecturer, every word', () => {
    expect(ids('落实')).toEqual(['a', 'b']);
    expect(ids('发展能力')).toEqual(['c']);
    expect(ids('陆连国')).toEqual(['c']);
    expect(ids('专题 财务')).toEqual(['b']);
    expect(ids('')).toEqual(['a', 'b', 'c']);
  });

  it('filters by status', () => {
    expect(ids('', 'active')).toEqual(['c']);
    expect(ids('', 'ready')).toEqual(['a']);
    expect(ids('落实', 'published')).toEqual(['b']);
    expect(ids('', 'withdrawn')).toEqual([]);
  });
});
