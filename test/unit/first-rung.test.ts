// First rung first (issue 20), the pure parts: which rungs each pass makes, the argv of a pass, and
// what the studio and the lecture page make of a lecture playable before its higher rungs.
import { describe, expect, it } from 'vitest';
import type { LectureAdmin } from '../../client/src/lib/api/types';
import { en } from '../../client/src/lib/i18n/en';
import { zhCN } from '../../client/src/lib/i18n/zh-CN';
import { applyProcessing, canPublish, hasHigherRungsPending, isProcessingEvent } from '../../client/src/lib/studio/processing';
import { planPasses } from '../../media/hls/ProgressiveTranscodeJob';
import { buildHlsArgs, fasterPreset, planLadder, scaleFilter, selectRungs } from '../../media/hls/ladder';
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
  it('makes the lowest video rung first, then the higher rungs together or lowest first, the audio-only rung with the next pass', () => {
    const plan = planLadder(source(1920, 1080));
    expect(planPasses(plan)).toEqual([['360p'], ['1080p', '720p', '480p', 'audio']]);
    expect(planPasses(plan, 'each')).toEqual([['360p'], ['480p', 'audio'], ['720p'], ['1080p']]);
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

describe('the first pass made cheaper', () => {
  it('scales a rung at most half the source with a box average, others with the default', () => {
    const plan = planLadder(source(1920, 1080));
    const args = buildHlsArgs('/in.mp4', '/out', plan, { source: { width: 1920, height: 1080 } });
    expect(arg(args, '-filter_complex')).toBe('[0:0]fps=25,split=4[s0][s1][s2][s3];[s0]scale=1920:1080[v0];[s1]scale=1280:720[v1];[s2]scale=854:480:flags=area[v2];[s3]scale=640:360:flags=area[v3]');
    // A portrait phone recording: the shorter sides are compared.
    expect(scaleFilter({ width: 360, height: 640 }, { width: 1080, height: 1920 })).toBe('scale=360:640:flags=area');
    expect(scaleFilter({ width: 640, height: 360 }, { width: 960, height: 540 })).toBe('scale=640:360');
    expect(scaleFilter({ width: 640, height: 360 })).toBe('scale=640:360');
  });

  it('takes the faster of two presets, an unknown one counting as the slowest', () => {
    expect(fasterPreset('veryfast', 'superfast')).toBe('superfast');
    expect(fasterPreset('ultrafast', 'superfast')).toBe('ultrafast');
    expect(fasterPreset('medium', 'medium')).toBe('medium');
    expect(fasterPreset('nonsense', 'slow')).toBe('slow');
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

describe('a pass followed while it is made', () => {
  const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
  it('writes a VOD playlist at the end by default, an EVENT playlist after every segment when asked', () => {
    const plan = planLadder(source(1920, 1080));
    expect(after(buildHlsArgs('/in.mp4', '/out', plan), '-hls_playlist_type')).toBe('vod');
    expect(after(buildHlsArgs('/in.mp4', '/out', plan, { playlistType: 'event' }), '-hls_playlist_type')).toBe('event');
  });
});
