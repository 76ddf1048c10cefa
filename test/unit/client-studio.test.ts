import { describe, expect, it } from 'vitest';
import { ApiError } from '../../client/src/lib/api/client';
import type { LectureAdmin } from '../../client/src/lib/api/types';
import { applyProcessing, canPublish, canUpload, canWithdraw, isProcessingEvent, parseTags } from '../../client/src/lib/studio/processing';
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
