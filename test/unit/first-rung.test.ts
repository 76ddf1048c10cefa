// First rung first (issue 20), the pure parts: which rungs each pass makes, the argv of a pass, and
// what the studio and the lecture page make of a lecture playable before its higher rungs.
import { describe, expect, it } from 'vitest';
import type { LectureAdmin } from '../../client/src/lib/api/types';
import { en } from '../../client/src/lib/i18n/en';
import { zhCN } from '../../client/src/lib/i18n/zh-CN';
import { applyProcessing, canPublish, hasHigherRungsPending, isProcessingEvent } from '../../client/src/lib/studio/processing';
import { planPasses } from '../../media/hls/ProgressiveTranscodeJob';
import { buildHlsArgs, planLadder, selectRungs } from '../../media/hls/ladder';
import type { ProbeResult } from '../../media/probe';

function source(width: number, height: number, audio = true): ProbeResult {
  return {
    durationSec: 3600,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1_000_000_000,
    bitRate: 4_000_000,
    video: { codec: 'h264', profile: 'High', width, height, pixFmt: 'yuv420p', fps: 25 },
    ...(audio ? { audio: { codec: 'aac', sampleRate: 48000, channels: 2 } } : {}),
    streams: [
      { index: 0, type: 'video', codec: 'h264', durationSec: 3600, attachedPic: false },
      ...(audio ? [{ index: 1, type: 'audio' as const, codec: 'aac', durationSec: 3600, attachedPic: false }] : []),
    ],
  };
}

const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('planPasses', () => {
  it('makes the lowest video rung with the audio first, then the higher rungs together or lowest first', () => {
    const plan = planLadder(source(1920, 1080));
    expect(planPasses(plan)).toEqual([['360p', 'audio'], ['1080p', '720p', '480p']]);
    expect(planPasses(plan, 'each')).toEqual([['360p', 'audio'], ['480p'], ['720p'], ['1080p']]);
  });

  it('has one pass when there is nothing higher (a small or an audio-only source)', () => {
    expect(planPasses(planLadder(source(480, 360)))).toEqual([['360p', 'audio']]);
    expect(planPasses(planLadder(source(1280, 720, false)))).toEqual([['360p'], ['720p', '480p']]);
  });
});

describe('selectRungs', () => {
  it('cuts the plan down in plan order and keeps frame rate, GOP and forced keyframes the same', () => {
    const plan = planLadder(source(1920, 1080));
    const first = buildHlsArgs('/in.mp4', '/out', selectRungs(plan, ['audio', '360p']));
    const higher = buildHlsArgs('/in.mp4', '/out', selectRungs(plan, ['1080p', '720p', '480p']));
    expect(arg(first, '-var_stream_map')).toBe('v:0,a:0,name:360p a:1,name:audio');
    expect(arg(higher, '-var_stream_map')).toBe('v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p');
    for (const flag of ['-g', '-keyint_min', '-force_key_frames', '-hls_time', '-sc_threshold', '-pix_fmt']) expect(arg(first, flag)).toBe(arg(higher, flag));
    expect(arg(first, '-filter_complex')).toBe('[0:0]fps=25,scale=640:360[v0]');
  });

  it('refuses names the plan does not have', () => {
    expect(() => selectRungs(planLadder(source(1280, 720)), ['1080p'])).toThrow(/not in the plan/);
    expect(() => selectRungs(planLadder(source(1280, 720)), [])).toThrow(/empty/);
  });
});

describe('the studio and the lecture page', () => {
  const lecture = (over: Partial<LectureAdmin> = {}): LectureAdmin => ({
    id: '65f000000000000000000001',
    title: '首档先行',
    summary: '',
    lecturer: '',
    institution: '',
    category: 'service',
    topic: '',
    tags: [],
    kind: 'recorded',
    required: false,
    durationSec: 3600,
    creditHours: 1,
    watchCount: 0,
    state: 'draft',
    audienceUnitIds: [],
    processing: { state: 'running', percent: 30 },
    createdAt: '2026-12-03T00:00:00.000Z',
    ...over,
  });

  it('lets an editor publish once the first rung is listed, and labels the higher rungs as processing', () => {
    const playable = lecture({ renditions: ['360p', 'audio'], pendingRungs: ['1080p', '720p', '480p'] });
    expect(hasHigherRungsPending(playable)).toBe(true);
    expect(canPublish(playable)).toBe(true);
    expect(canPublish(lecture())).toBe(false);
    expect(hasHigherRungsPending(lecture({ processing: { state: 'ready', percent: 100 }, pendingRungs: [] }))).toBe(false);
    expect(zhCN['firstRung.pending']).toBe('高清版本处理中');
    expect(en['firstRung.pending']).toBe('Higher quality still processing');
  });

  it('keeps a playable draft a draft while the higher rungs encode', () => {
    const playable = lecture({ renditions: ['360p', 'audio'], pendingRungs: ['720p', '480p'] });
    expect(applyProcessing(playable, { lectureId: playable.id, state: 'running', percent: 60 }).state).toBe('draft');
    expect(applyProcessing(lecture(), { lectureId: playable.id, state: 'running', percent: 10 }).state).toBe('processing');
    expect(isProcessingEvent({ lectureId: playable.id, state: 'running', percent: 40, rungs: ['360p', 'audio'] })).toBe(true);
    expect(isProcessingEvent({ lectureId: playable.id, state: 'running', percent: 40, rungs: [360] })).toBe(false);
  });
});
