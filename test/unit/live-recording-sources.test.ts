import { describe, expect, it } from 'vitest';
import { buildRecorderArgs, pictureFilter, pictureInPictureFilter, recordedSources } from '../../media/live';
import type { ProducerInfo } from '../../media/live';

const p = (id: string, source: ProducerInfo['source'], paused = false): ProducerInfo => ({
  id,
  peerId: 'host',
  kind: source === 'mic' ? 'audio' : 'video',
  source,
  paused,
});

describe('recordedSources', () => {
  it('records the camera and microphone when nothing is shared', () => {
    expect(recordedSources([p('c', 'camera'), p('m', 'mic')])).toEqual({ video: p('c', 'camera'), screen: undefined, audio: p('m', 'mic') });
  });

  it('records the screen with the camera as its inset while both are on', () => {
    const got = recordedSources([p('c', 'camera'), p('s', 'screen'), p('m', 'mic')]);
    expect([got.video?.id, got.screen?.id, got.audio?.id]).toEqual(['c', 's', 'm']);
  });

  it('leaves a paused camera or screen out of the picture-in-picture, and keeps a paused one that is alone', () => {
    expect(recordedSources([p('c', 'camera', true), p('s', 'screen')])).toMatchObject({ video: undefined, screen: { id: 's' } });
    expect(recordedSources([p('c', 'camera'), p('s', 'screen', true)])).toMatchObject({ video: { id: 'c' }, screen: undefined });
    expect(recordedSources([p('c', 'camera', true), p('s', 'screen', true)])).toMatchObject({ video: { id: 'c' }, screen: { id: 's' } });
    expect(recordedSources([p('c', 'camera', true)])).toMatchObject({ video: { id: 'c' } });
    expect(recordedSources([p('s', 'screen')])).toMatchObject({ video: undefined, screen: { id: 's' } });
  });
});

describe('buildRecorderArgs with a camera inset', () => {
  const args = buildRecorderArgs({ sdpPath: '/a.sdp', outDir: '/o', hasVideo: true, hasAudio: true, inset: true });
  const value = (flag: string) => args[args.indexOf(flag) + 1];

  it('composites the second video on the first and records the result with the microphone', () => {
    expect(value('-filter_complex')).toBe(pictureInPictureFilter());
    expect(args.filter((a, i) => args[i - 1] === '-map')).toEqual(['[v]', '0:a:0']);
    expect(value('-pix_fmt')).toBe('yuv420p');
    expect(value('-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
  });

  it('takes the screen as the picture (within 1920x1080, even sides) and the camera at a quarter of its width, bottom right', () => {
    const graph = pictureInPictureFilter();
    expect(graph.startsWith(`[0:v:0]${pictureFilter()}[picture]`)).toBe(true);
    expect(graph).toContain('[0:v:1][picture]scale2ref=w=trunc(iw/8)*2');
    expect(graph).toMatch(/overlay=x=main_w-overlay_w-[^:]+:y=main_h-overlay_h-/);
    expect(pictureFilter()).toContain('min(1920\\,1080*iw/ih)');
  });

  it('records one video through the picture filter alone, and refuses an inset without video', () => {
    const single = buildRecorderArgs({ sdpPath: '/a.sdp', outDir: '/o', hasVideo: true, hasAudio: false });
    expect(single[single.indexOf('-vf') + 1]).toBe(pictureFilter());
    expect(single).not.toContain('-filter_complex');
    expect(() => buildRecorderArgs({ sdpPath: '/a.sdp', outDir: '/o', hasVideo: false, hasAudio: true, inset: true })).toThrow(/inset/);
  });
});
