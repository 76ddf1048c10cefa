import { describe, expect, it } from 'vitest';
import { actionForKey, seekTarget, stepVolume, targetOwnsKey } from '../../client/src/lib/player/keyboard';
import { AUDIO_VALUE, findAudioOnlyVariant, isAudioOnly, levelLabel, qualityOptions, rebaseUrl } from '../../client/src/lib/player/levels';
import { decideRecovery, errorCodeFromBody, retryDelaySec } from '../../client/src/lib/player/recovery';
import { LocalResumeStore, positionToSave, resumeFrom, resumeKey } from '../../client/src/lib/player/resume';
import { parseThumbnailVtt, parseVttTime, thumbnailAt } from '../../client/src/lib/player/thumbnails';
import { formatClock } from '../../client/src/lib/player/time';

const VTT_URL = 'https://study.example.org/media/hls/TOKEN.sig/lectures/abc/thumbs/thumbnails.vtt';

const SPRITE_VTT = `WEBVTT

NOTE made by the transcoder

1
00:00:00.000 --> 00:00:05.000
sprite_0.jpg#xywh=0,0,160,90

2
00:00:05.000 --> 00:00:10.000
sprite_0.jpg#xywh=160,0,160,90

00:10.000 --> 00:12.040
sprite_1.jpg#xywh=0,90,160,90
`;

describe('player seek thumbnails (WebVTT sprite)', () => {
  it('reads hh:mm:ss.mmm and mm:ss.mmm timestamps', () => {
    expect(parseVttTime('00:00:05.000')).toBe(5);
    expect(parseVttTime('01:02:03.5')).toBeCloseTo(3723.5);
    expect(parseVttTime('02:03,250')).toBeCloseTo(123.25);
    expect(parseVttTime('soon')).toBeNaN();
  });

  it('parses cues into sprite URLs relative to the VTT and their tiles', () => {
    const cues = parseThumbnailVtt(SPRITE_VTT, VTT_URL);
    expect(cues).toHaveLength(3);
    expect(cues[0]).toEqual({
      start: 0,
      end: 5,
      url: 'https://study.example.org/media/hls/TOKEN.sig/lectures/abc/thumbs/sprite_0.jpg',
      x: 0,
      y: 0,
      w: 160,
      h: 90,
    });
    expect(cues[1]).toMatchObject({ start: 5, x: 160, y: 0 });
    expect(cues[2]).toMatchObject({ start: 10, end: 12.04, y: 90 });
    expect(cues[2]!.url.endsWith('/thumbs/sprite_1.jpg')).toBe(true);
  });

  it('tolerates CRLF, a BOM, cue settings and cues that point at a whole image', () => {
    const text = '\uFEFFWEBVTT\r\n\r\n00:00.000 --> 00:04.000 align:start\r\nframe_0.jpg\r\n';
    const [cue] = parseThumbnailVtt(text, VTT_URL);
    expect(cue).toMatchObject({ start: 0, end: 4, w: 0, h: 0 });
    expect(cue!.url.endsWith('/thumbs/frame_0.jpg')).toBe(true);
  });

  it('skips broken cues instead of failing', () => {
    const text = 'WEBVTT\n\n00:05.000 --> 00:01.000\nsprite_0.jpg#xywh=0,0,1,1\n\nnot a cue\n\n00:01.000 --> 00:02.000\n\n';
    expect(parseThumbnailVtt(text, VTT_URL)).toEqual([]);
  });

  it('finds the tile for a time, including the cue edges and the very end', () => {
    const cues = parseThumbnailVtt(SPRITE_VTT, VTT_URL);
    expect(thumbnailAt(cues, 0)?.x).toBe(0);
    expect(thumbnailAt(cues, 4.99)?.x).toBe(0);
    expect(thumbnailAt(cues, 5)?.x).toBe(160);
    expect(thumbnailAt(cues, 11)?.y).toBe(90);
    expect(thumbnailAt(cues, 12.5)?.y).toBe(90); // rounding past the last cue keeps the last picture
    expect(thumbnailAt(cues, 60)).toBeUndefined();
    expect(thumbnailAt([], 3)).toBeUndefined();
  });
});

describe('player quality levels', () => {
  const levels = [
    { height: 360, width: 640, bitrate: 900_000, videoCodec: 'avc1.4d401e' },
    { height: 720, width: 1280, bitrate: 3_000_000, videoCodec: 'avc1.64001f' },
    { height: 480, width: 854, bitrate: 1_500_000, videoCodec: 'avc1.4d401f' },
  ];

  it('labels a level by its height, else its name, else its bit rate', () => {
    expect(levelLabel({ height: 720 })).toBe('720p');
    expect(levelLabel({ name: '1080P' })).toBe('1080p');
    expect(levelLabel({ bitrate: 64_000 })).toBe('64 kbps');
  });

  it('offers 自动 first, then the levels tallest first with their hls.js index as value', () => {
    const options = qualityOptions(levels, false);
    expect(options.map((o) => o.value)).toEqual(['auto', '1', '2', '0']);
    expect(options.map((o) => (o.kind === 'level' ? o.label : o.kind))).toEqual(['auto', '720p', '480p', '360p']);
  });

  it('adds 仅音频 for a separate audio rung, or for an audio level hls.js kept', () => {
    expect(qualityOptions(levels, true).at(-1)).toEqual({ value: AUDIO_VALUE, kind: 'audio' });
    const withAudioLevel = [...levels, { bitrate: 64_000, audioCodec: 'mp4a.40.2' }];
    expect(isAudioOnly(withAudioLevel[3]!)).toBe(true);
    expect(qualityOptions(withAudioLevel, true).at(-1)).toEqual({ value: '3', kind: 'audio' });
  });

  it('finds the audio-only variant in a parsed master playlist', () => {
    const master = 'https://x.test/media/hls/T/l/master.m3u8';
    const variants = [
      { url: 'https://x.test/media/hls/T/l/720p/index.m3u8', width: 1280, height: 720, attrs: { CODECS: 'avc1.64001f,mp4a.40.2', RESOLUTION: '1280x720' } },
      { url: 'https://x.test/media/hls/T/l/audio/index.m3u8', attrs: { CODECS: 'mp4a.40.2' } },
    ];
    expect(findAudioOnlyVariant(variants)).toBe('https://x.test/media/hls/T/l/audio/index.m3u8');
    expect(findAudioOnlyVariant(variants.slice(0, 1))).toBeUndefined();
    // An audio-only lecture: nothing to switch to.
    expect(findAudioOnlyVariant([variants[1]!])).toBeUndefined();
    expect(rebaseUrl(variants[1]!.url, master, 'https://x.test/media/hls/NEW/l/master.m3u8')).toBe('https://x.test/media/hls/NEW/l/audio/index.m3u8');
  });
});

describe('player resume position', () => {
  it("does not resume in the first 5 s", () => {
    expect(resumeFrom(4.9, 600)).toBe(0);
    expect(resumeFrom(5, 600)).toBe(5);
  });

  it('does not resume in the last 5 % (the lecture was finished)', () => {
    expect(resumeFrom(569, 600)).toBe(569);
    expect(resumeFrom(570, 600)).toBe(0);
    expect(resumeFrom(700, 600)).toBe(0);
  });

  it('does not resume in the last 10 s of a short clip either', () => {
    expect(resumeFrom(8, 12)).toBe(0);
    expect(resumeFrom(30, 45)).toBe(30);
  });

  it('ignores nothing saved and nonsense', () => {
    expect(resumeFrom(null, 600)).toBe(0);
    expect(resumeFrom(undefined, 600)).toBe(0);
    expect(resumeFrom(Number.NaN, 600)).toBe(0);
  });

  it('saves whole seconds mid-lecture and forgets the position near either end', () => {
    expect(positionToSave(123.7, 600)).toBe(123);
    expect(positionToSave(3, 600)).toBeNull();
    expect(positionToSave(595, 600)).toBeNull();
  });

  it('keeps one localStorage key per lecture', async () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    const store = new LocalResumeStore(storage);
    await store.save('a1', 42);
    await store.save('b2', 7);
    expect(await store.load('a1')).toBe(42);
    expect(await store.load('b2')).toBe(7);
    expect([...data.keys()].sort()).toEqual([resumeKey('a1'), resumeKey('b2')]);
    await store.clear('a1');
    expect(await store.load('a1')).toBeNull();
    data.set(resumeKey('c3'), 'not json');
    expect(await store.load('c3')).toBeNull();
  });
});

describe('player keyboard shortcuts', () => {
  it('maps the usual keys to actions', () => {
    expect(actionForKey({ key: ' ' })).toEqual({ type: 'toggle-play' });
    expect(actionForKey({ key: 'k' })).toEqual({ type: 'toggle-play' });
    expect(actionForKey({ key: 'ArrowLeft' })).toEqual({ type: 'seek', delta: -10 });
    expect(actionForKey({ key: 'ArrowRight' })).toEqual({ type: 'seek', delta: 10 });
    expect(actionForKey({ key: 'ArrowUp' })).toEqual({ type: 'volume', delta: 0.1 });
    expect(actionForKey({ key: 'ArrowDown' })).toEqual({ type: 'volume', delta: -0.1 });
    expect(actionForKey({ key: 'F' })).toEqual({ type: 'fullscreen' });
    expect(actionForKey({ key: 'm' })).toEqual({ type: 'mute' });
    expect(actionForKey({ key: '?' })).toEqual({ type: 'help' });
    expect(actionForKey({ key: 'x' })).toBeNull();
  });

  it('leaves browser shortcuts with Ctrl, Alt or Cmd alone', () => {
    expect(actionForKey({ key: 'f', ctrlKey: true })).toBeNull();
    expect(actionForKey({ key: 'ArrowLeft', altKey: true })).toBeNull();
    expect(actionForKey({ key: 'k', metaKey: true })).toBeNull();
  });

  it('lets form fields and focused buttons keep their own keys', () => {
    expect(targetOwnsKey({ tagName: 'INPUT', type: 'search' }, 'k')).toBe(true);
    expect(targetOwnsKey({ tagName: 'TEXTAREA' }, ' ')).toBe(true);
    expect(targetOwnsKey({ tagName: 'SELECT' }, 'ArrowDown')).toBe(true);
    expect(targetOwnsKey({ tagName: 'DIV', isContentEditable: true }, 'm')).toBe(true);
    expect(targetOwnsKey({ tagName: 'BUTTON' }, ' ')).toBe(true);
    expect(targetOwnsKey({ tagName: 'BUTTON' }, 'ArrowLeft')).toBe(false);
    expect(targetOwnsKey({ tagName: 'INPUT', type: 'range' }, 'ArrowUp')).toBe(true);
    expect(targetOwnsKey({ tagName: 'INPUT', type: 'range' }, 'm')).toBe(false);
    expect(targetOwnsKey({ tagName: 'DIV' }, ' ')).toBe(false);
    expect(targetOwnsKey(null, ' ')).toBe(false);
  });

  it('keeps volume in 0…1 without drift and seeks inside the video', () => {
    expect(stepVolume(0.2, 0.1)).toBe(0.3);
    expect(stepVolume(0.95, 0.1)).toBe(1);
    expect(stepVolume(0.05, -0.1)).toBe(0);
    expect(seekTarget(5, -10, 600)).toBe(0);
    expect(seekTarget(595, 10, 600)).toBeCloseTo(599.9);
    expect(seekTarget(30, 10, Number.NaN)).toBe(40);
  });
});

describe('player error recovery', () => {
  const fresh = { mediaRecoveries: 0 };

  it('renews the playback when the token expired (403 PLAYBACK_EXPIRED), even on a non-fatal error', () => {
    expect(decideRecovery({ type: 'networkError', details: 'fragLoadError', fatal: false, status: 403, code: 'PLAYBACK_EXPIRED' }, fresh)).toBe('renew');
    expect(decideRecovery({ type: 'networkError', details: 'levelLoadError', fatal: true, status: 403 }, fresh)).toBe('renew');
    expect(decideRecovery({ type: 'networkError', details: 'fragLoadError', fatal: true, status: 403, code: 'PLAYBACK_INVALID' }, fresh)).toBe('renew');
  });

  it('gives up on a 403 that is not about the token, and on a missing file', () => {
    expect(decideRecovery({ type: 'networkError', details: 'fragLoadError', fatal: true, status: 403, code: 'FORBIDDEN' }, fresh)).toBe('fatal');
    expect(decideRecovery({ type: 'networkError', details: 'manifestLoadError', fatal: true, status: 404 }, fresh)).toBe('fatal');
  });

  it('retries a fatal network error (connection lost, 5xx) and ignores non-fatal ones', () => {
    expect(decideRecovery({ type: 'networkError', details: 'fragLoadError', fatal: true, status: 0 }, fresh)).toBe('retry-network');
    expect(decideRecovery({ type: 'networkError', details: 'fragLoadTimeOut', fatal: true }, fresh)).toBe('retry-network');
    expect(decideRecovery({ type: 'networkError', details: 'fragLoadError', fatal: true, status: 502 }, fresh)).toBe('retry-network');
    expect(decideRecovery({ type: 'networkError', details: 'fragLoadError', fatal: false, status: 0 }, fresh)).toBe('ignore');
  });

  it('recovers a media error, then swaps the audio codec, then stops', () => {
    const media = { type: 'mediaError', details: 'bufferAppendError', fatal: true };
    expect(decideRecovery(media, { mediaRecoveries: 0 })).toBe('recover-media');
    expect(decideRecovery(media, { mediaRecoveries: 1 })).toBe('swap-and-recover');
    expect(decideRecovery(media, { mediaRecoveries: 2 })).toBe('fatal');
    expect(decideRecovery({ ...media, fatal: false }, fresh)).toBe('ignore');
  });

  it('waits 1, 2, 4, 8, 15 and then 30 s between network retries', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(retryDelaySec)).toEqual([1, 2, 4, 8, 15, 30, 30, 30]);
  });

  it('reads the error code from a text or binary error body', () => {
    const body = JSON.stringify({ error: { code: 'PLAYBACK_EXPIRED', message: '播放授权已过期' } });
    expect(errorCodeFromBody(body)).toBe('PLAYBACK_EXPIRED');
    expect(errorCodeFromBody(new TextEncoder().encode(body).buffer)).toBe('PLAYBACK_EXPIRED');
    expect(errorCodeFromBody('<html>Forbidden</html>')).toBeUndefined();
    expect(errorCodeFromBody(undefined)).toBeUndefined();
  });
});

describe('player clock', () => {
  it('shows m:ss under an hour and h:mm:ss above', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(7.9)).toBe('0:07');
    expect(formatClock(754)).toBe('12:34');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(Number.NaN)).toBe('0:00');
  });
});
