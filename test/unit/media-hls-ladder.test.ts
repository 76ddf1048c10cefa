import { describe, expect, it } from 'vitest';
import {
  buildHlsArgs,
  buildMasterPlaylist,
  fpsRational,
  h264Level,
  outputFps,
  planLadder,
} from '../../media/hls/ladder';
import type { AudioRung, LadderPlan, VideoRung } from '../../media/hls/ladder';
import { parseProgress } from '../../media/hls/ffmpeg-progress';
import { measureBandwidth, parseMediaPlaylist, withoutLastSegment } from '../../media/hls/playlist';
import type { ProbeResult } from '../../media/probe';

function source(width: number, height: number, opts: { fps?: number | null; audio?: boolean } = {}): ProbeResult {
  const audio = opts.audio ?? true;
  return {
    durationSec: 600,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 100_000_000,
    bitRate: 4_000_000,
    video: { codec: 'h264', profile: 'High', width, height, pixFmt: 'yuv420p', fps: opts.fps === undefined ? 25 : opts.fps },
    ...(audio ? { audio: { codec: 'aac', sampleRate: 48000, channels: 2 } } : {}),
    streams: [
      { index: 0, type: 'video', codec: 'h264', durationSec: 600, attachedPic: false },
      ...(audio ? [{ index: 1, type: 'audio' as const, codec: 'aac', durationSec: 600, attachedPic: false }] : []),
    ],
  };
}

const audioOnlySource: ProbeResult = {
  durationSec: 1800,
  formatName: 'mp3',
  sizeBytes: 20_000_000,
  bitRate: 128_000,
  audio: { codec: 'mp3', sampleRate: 44100, channels: 2 },
  streams: [
    { index: 0, type: 'audio', codec: 'mp3', durationSec: 1800, attachedPic: false },
    // Album art: a video stream that is not video.
    { index: 1, type: 'video', codec: 'mjpeg', durationSec: null, attachedPic: true },
  ],
};

const names = (plan: LadderPlan): string[] => plan.rungs.map((r) => r.name);
const videoRungs = (plan: LadderPlan): VideoRung[] => plan.rungs.filter((r): r is VideoRung => r.kind === 'video');

/** The value following `flag` in argv. */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('planLadder', () => {
  it('gives a 1080p source 1080p/720p/480p/360p and a 64k audio rung', () => {
    const plan = planLadder(source(1920, 1080));
    expect(names(plan)).toEqual(['1080p', '720p', '480p', '360p', 'audio']);
    expect(videoRungs(plan).map((r) => [r.width, r.height, r.videoKbps])).toEqual([
      [1920, 1080, 5000],
      [1280, 720, 2800],
      [854, 480, 1400],
      [640, 360, 800],
    ]);
    expect(plan.rungs.at(-1)).toEqual({ kind: 'audio', name: 'audio', audioKbps: 64, codecs: 'mp4a.40.2' });
  });

  it('never upscales: a 720p source starts at 720p', () => {
    expect(names(planLadder(source(1280, 720)))).toEqual(['720p', '480p', '360p', 'audio']);
  });

  it('gives a 480p source 480p and 360p, widths even and in its 4:3 aspect', () => {
    const plan = planLadder(source(640, 480));
    expect(names(plan)).toEqual(['480p', '360p', 'audio']);
    expect(videoRungs(plan).map((r) => [r.width, r.height])).toEqual([
      [640, 480],
      [480, 360],
    ]);
  });

  it('gives a source below 360p one rung at its own height', () => {
    const plan = planLadder(source(426, 240));
    expect(names(plan)).toEqual(['240p', 'audio']);
    const [rung] = videoRungs(plan);
    expect([rung!.width, rung!.height]).toEqual([426, 240]);
    expect(rung!.videoKbps).toBeGreaterThanOrEqual(150);
    expect(rung!.videoKbps).toBeLessThan(800);
  });

  it('keeps every size even, also for odd sources', () => {
    const plan = planLadder(source(1279, 719));
    for (const r of videoRungs(plan)) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
    }
    const small = videoRungs(planLadder(source(321, 239)))[0]!;
    expect([small.width, small.height]).toEqual([320, 238]);
  });

  it('sizes a portrait phone recording by its short side', () => {
    const plan = planLadder(source(1080, 1920));
    expect(names(plan)).toEqual(['1080p', '720p', '480p', '360p', 'audio']);
    expect(videoRungs(plan)[1]).toMatchObject({ width: 720, height: 1280 });
  });

  it('gives an audio-only source only audio rungs (128k and 64k), ignoring cover art', () => {
    const plan = planLadder(audioOnlySource);
    expect(plan.rungs).toEqual<AudioRung[]>([
      { kind: 'audio', name: 'audio-128k', audioKbps: 128, codecs: 'mp4a.40.2' },
      { kind: 'audio', name: 'audio-64k', audioKbps: 64, codecs: 'mp4a.40.2' },
    ]);
    expect(plan.fps).toBeNull();
    expect(plan.videoStreamIndex).toBeNull();
    expect(plan.audioStreamIndex).toBe(0);
  });

  it('gives a silent source video rungs without audio and no audio rung', () => {
    const plan = planLadder(source(1280, 720, { audio: false }));
    expect(names(plan)).toEqual(['720p', '480p', '360p']);
    expect(videoRungs(plan).every((r) => r.audioKbps === null && !r.codecs.includes('mp4a'))).toBe(true);
  });

  it('sets the H.264 level per rung and derives CODECS from it', () => {
    const plan = planLadder(source(1920, 1080));
    expect(videoRungs(plan).map((r) => [r.level, r.codecs])).toEqual([
      ['4', 'avc1.640028,mp4a.40.2'],
      ['3.1', 'avc1.64001f,mp4a.40.2'],
      ['3', 'avc1.64001e,mp4a.40.2'],
      ['3', 'avc1.64001e,mp4a.40.2'],
    ]);
  });

  it('halves 50/60 fps sources and falls back to 25 fps when the rate is unknown', () => {
    expect(planLadder(source(1280, 720, { fps: 50 })).fps).toBe(25);
    expect(planLadder(source(1280, 720, { fps: 59.94 })).fps).toBe(29.97);
    expect(planLadder(source(1280, 720, { fps: null })).fps).toBe(25);
    expect(outputFps(24)).toBe(24);
  });
});

describe('h264Level', () => {
  it('picks the lowest level that holds the frame size and macroblock rate', () => {
    expect(h264Level(640, 360, 30).level).toBe('3');
    expect(h264Level(854, 480, 30).level).toBe('3.1');
    expect(h264Level(1280, 720, 60).level).toBe('3.2');
    expect(h264Level(1920, 1080, 30).level).toBe('4');
    expect(h264Level(1920, 1080, 60).level).toBe('4.2');
  });

  it('moves up a level when the VBV peak rate does not fit', () => {
    expect(h264Level(1920, 1080, 30, 30_000).level).toBe('4.1');
  });
});

describe('buildHlsArgs', () => {
  const plan = planLadder(source(1280, 720));
  const args = buildHlsArgs('/data/in put.mp4', '/data/out.partial', plan);

  it('reads the input through the file protocol only', () => {
    expect(flagValue(args, '-protocol_whitelist')).toBe('file');
    expect(flagValue(args, '-i')).toBe('file:/data/in put.mp4');
  });

  it('decodes once: one fps filter, split into one scaler per rung', () => {
    expect(flagValue(args, '-filter_complex')).toBe(
      '[0:0]fps=25,split=3[s0][s1][s2];[s0]scale=1280:720[v0];[s1]scale=854:480[v1];[s2]scale=640:360[v2]',
    );
    expect(args.filter((a, i) => args[i - 1] === '-map')).toEqual(['[v0]', '[v1]', '[v2]', '0:1', '0:1', '0:1', '0:1']);
  });

  it('aligns keyframes: fixed GOP of fps*segment, no scene cuts, forced at segment starts', () => {
    expect(flagValue(args, '-g')).toBe('100');
    expect(flagValue(args, '-keyint_min')).toBe('100');
    expect(flagValue(args, '-sc_threshold')).toBe('0');
    expect(flagValue(args, '-force_key_frames')).toBe('expr:gte(t,n_forced*4)');
    const six = buildHlsArgs('/in.mp4', '/out', plan, { segmentSec: 6, fps: 30 });
    expect(flagValue(six, '-g')).toBe('180');
    expect(flagValue(six, '-force_key_frames')).toBe('expr:gte(t,n_forced*6)');
    expect(flagValue(six, '-filter_complex')).toMatch(/^\[0:0\]fps=30,/);
  });

  it('encodes H.264 High yuv420p with per-rung bitrate, VBV cap and level', () => {
    expect(flagValue(args, '-c:v')).toBe('libx264');
    expect(flagValue(args, '-profile:v')).toBe('high');
    expect(flagValue(args, '-pix_fmt')).toBe('yuv420p');
    expect(flagValue(args, '-preset')).toBe('veryfast');
    expect(flagValue(args, '-b:v:0')).toBe('2800k');
    expect(flagValue(args, '-maxrate:v:0')).toBe('3080k');
    expect(flagValue(args, '-bufsize:v:0')).toBe('5600k');
    expect(flagValue(args, '-level:v:0')).toBe('3.1');
    expect(flagValue(args, '-b:v:2')).toBe('800k');
    expect(flagValue(buildHlsArgs('/in.mp4', '/out', plan, { preset: 'medium' }), '-preset')).toBe('medium');
  });

  it('encodes AAC 48 kHz stereo, one track per rung, 64k for the audio-only rung', () => {
    expect(flagValue(args, '-c:a')).toBe('aac');
    expect(flagValue(args, '-ar')).toBe('48000');
    expect(flagValue(args, '-ac')).toBe('2');
    expect([0, 1, 2, 3].map((i) => flagValue(args, `-b:a:${i}`))).toEqual(['128k', '96k', '64k', '64k']);
  });

  it('uses AAC\'s fast coder from 96k up (better and faster there), twoloop for the 64k tracks', () => {
    expect([0, 1, 2, 3].map((i) => flagValue(args, `-aac_coder:a:${i}`))).toEqual(['fast', 'fast', undefined, undefined]);
  });

  it('encodes the 1080p rung with the faster of superfast and the lecture\'s preset, the others with the lecture\'s', () => {
    const full = planLadder(source(1920, 1080));
    const a = buildHlsArgs('/in.mp4', '/out', full);
    expect(flagValue(a, '-preset')).toBe('veryfast');
    expect(flagValue(a, '-preset:v:0')).toBe('superfast');
    expect(a.filter((x) => x.startsWith('-preset:'))).toEqual(['-preset:v:0']);
    // Already as fast or faster: nothing per rung.
    expect(buildHlsArgs('/in.mp4', '/out', full, { preset: 'ultrafast' }).filter((x) => x.startsWith('-preset:'))).toEqual([]);
    // A 720p source has no top rung.
    expect(args.filter((x) => x.startsWith('-preset:'))).toEqual([]);
  });

  it('writes VOD HLS in MPEG-TS with named variants, a master and progress on stdout', () => {
    expect(flagValue(args, '-f')).toBe('hls');
    expect(flagValue(args, '-hls_time')).toBe('4');
    expect(flagValue(args, '-hls_playlist_type')).toBe('vod');
    expect(flagValue(args, '-hls_flags')).toBe('independent_segments');
    expect(flagValue(args, '-hls_segment_type')).toBe('mpegts');
    expect(flagValue(args, '-master_pl_name')).toBe('master.m3u8');
    expect(flagValue(args, '-var_stream_map')).toBe('v:0,a:0,name:720p v:1,a:1,name:480p v:2,a:2,name:360p a:3,name:audio');
    expect(flagValue(args, '-hls_segment_filename')).toBe('/data/out.partial/%v/seg_%05d.ts');
    expect(args.at(-1)).toBe('/data/out.partial/%v/index.m3u8');
    expect(flagValue(args, '-progress')).toBe('pipe:1');
    expect(flagValue(args, '-loglevel')).toBe('error');
    expect(args).toEqual(expect.arrayContaining(['-nostats', '-hide_banner', '-y']));
  });

  it('maps an audio-only source without any video options', () => {
    const audioArgs = buildHlsArgs('/in.mp3', '/out', planLadder(audioOnlySource));
    expect(audioArgs).not.toContain('-filter_complex');
    expect(audioArgs).not.toContain('-c:v');
    expect(flagValue(audioArgs, '-var_stream_map')).toBe('a:0,name:audio-128k a:1,name:audio-64k');
    expect(audioArgs.filter((a, i) => audioArgs[i - 1] === '-map')).toEqual(['0:0', '0:0']);
  });

  it('uses the exact NTSC rational for 29.97 fps and a plain scaler for a single rung', () => {
    expect(fpsRational(29.97)).toBe('30000/1001');
    expect(fpsRational(25)).toBe('25');
    const one = buildHlsArgs('/in.mp4', '/out', planLadder(source(426, 240, { fps: 29.97 })));
    expect(flagValue(one, '-filter_complex')).toBe('[0:0]fps=30000/1001,scale=426:240[v0]');
    expect(flagValue(one, '-g')).toBe('120');
  });
});

describe('buildMasterPlaylist', () => {
  const plan = planLadder(source(1280, 720));

  it('lists every rung with BANDWIDTH, RESOLUTION, FRAME-RATE and CODECS', () => {
    const master = buildMasterPlaylist(plan);
    const lines = master.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS']);
    expect(lines[3]).toBe(
      '#EXT-X-STREAM-INF:BANDWIDTH=3528800,RESOLUTION=1280x720,FRAME-RATE=25.000,CODECS="avc1.64001f,mp4a.40.2"',
    );
    expect(lines[4]).toBe('720p/index.m3u8');
    expect(lines.at(-2)).toBe('#EXT-X-STREAM-INF:BANDWIDTH=70400,CODECS="mp4a.40.2"');
    expect(lines.at(-1)).toBe('audio/index.m3u8');
    expect(lines.filter((l) => l.startsWith('#EXT-X-STREAM-INF'))).toHaveLength(4);
  });

  it('announces measured peak and average bit rates when given', () => {
    const master = buildMasterPlaylist(plan, { bandwidth: { '480p': { peak: 1_600_000, average: 1_500_000 } } });
    expect(master).toContain('#EXT-X-STREAM-INF:BANDWIDTH=1600000,AVERAGE-BANDWIDTH=1500000,RESOLUTION=854x480,');
  });

  it('writes an audio-only master that hls.js will not filter (no video variant in it)', () => {
    const audio = buildMasterPlaylist(plan, { rungs: 'audio' });
    expect(audio).not.toContain('RESOLUTION');
    expect(audio).not.toContain('avc1');
    expect(audio.match(/#EXT-X-STREAM-INF/g)).toHaveLength(1);
  });
});

describe('parseProgress', () => {
  const block = [
    'frame=150',
    'fps=61.20',
    'stream_0_0_q=28.0',
    'bitrate=N/A',
    'total_size=N/A',
    'out_time_us=6000000',
    'out_time_ms=6000000',
    'out_time=00:00:06.000000',
    'dup_frames=0',
    'drop_frames=0',
    'speed=2.5x',
    'progress=continue',
    '',
  ].join('\n');

  it('reads out_time_us and speed into percent and ETA', () => {
    expect(parseProgress(block, 12)).toEqual({ outTimeSec: 6, percent: 50, speed: 2.5, etaSec: 2, done: false });
  });

  it('reports the newest block when a chunk holds several', () => {
    const later = block.replace(/6000000/g, '9000000').replace('speed=2.5x', 'speed=3x');
    expect(parseProgress(block + later, 12)).toMatchObject({ outTimeSec: 9, percent: 75, speed: 3, etaSec: 1 });
  });

  it('ignores N/A times and speeds before the first frame', () => {
    expect(parseProgress('out_time_us=N/A\nout_time=N/A\nspeed=N/A\nprogress=continue\n', 12)).toBeNull();
    const sample = parseProgress('out_time_us=500000\nspeed=N/A\n', 12);
    expect(sample).toMatchObject({ outTimeSec: 0.5, speed: null, etaSec: null });
  });

  it('ignores the negative time some builds print at the start', () => {
    expect(parseProgress('out_time_us=-9223372036854775807\nprogress=continue\n', 12)).toBeNull();
  });

  it('falls back to out_time when out_time_us is missing', () => {
    expect(parseProgress('out_time=00:01:30.500000\n', 600)).toMatchObject({ outTimeSec: 90.5, percent: 15.1 });
  });

  it('says 100% at progress=end even when out_time stops short of the duration', () => {
    const end = parseProgress(block.replace('progress=continue', 'progress=end'), 12.04);
    expect(end).toMatchObject({ percent: 100, etaSec: 0, done: true });
  });

  it('never exceeds 100% when the output runs past the probed duration', () => {
    expect(parseProgress('out_time_us=12100000\n', 12)!.percent).toBe(100);
  });

  it('returns null for a chunk with no progress keys', () => {
    expect(parseProgress('frame=10\nfps=0.0\n', 12)).toBeNull();
    expect(parseProgress('', 12)).toBeNull();
  });
});

describe('media playlists and measured bandwidth', () => {
  const playlist = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    '#EXT-X-TARGETDURATION:4',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXTINF:4.010667,',
    'seg_00000.ts',
    '#EXTINF:3.989333,',
    'seg_00001.ts',
    '#EXTINF:0.021333,',
    'seg_00002.ts',
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');

  it('parses segments, target duration and end of list', () => {
    const parsed = parseMediaPlaylist(playlist);
    expect(parsed.targetDurationSec).toBe(4);
    expect(parsed.ended).toBe(true);
    expect(parsed.segments).toEqual([
      { uri: 'seg_00000.ts', durationSec: 4.010667 },
      { uri: 'seg_00001.ts', durationSec: 3.989333 },
      { uri: 'seg_00002.ts', durationSec: 0.021333 },
    ]);
  });

  it('rejects text that is not a playlist', () => {
    expect(() => parseMediaPlaylist('<html>')).toThrow(/EXTM3U/);
  });

  it('takes the peak from full segments only: a 21 ms tail would read as 200 kbit/s', () => {
    const measured = measureBandwidth(
      [
        { durationSec: 4, bytes: 36_000 },
        { durationSec: 4, bytes: 34_000 },
        { durationSec: 0.021333, bytes: 564 },
      ],
      4,
    );
    expect(measured).toEqual({ peak: 72_000, average: Math.round((70_564 * 8) / 8.021333) });
  });

  it('returns null when there is nothing to measure', () => {
    expect(measureBandwidth([], 4)).toBeNull();
  });
});

describe('withoutLastSegment', () => {
  const live = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-PLAYLIST-TYPE:EVENT', '#EXTINF:2.000000,', 'seg_00000.ts', '#EXTINF:2.000000,', 'seg_00001.ts', '#EXTINF:0.120000,', 'seg_00002.ts', '#EXT-X-ENDLIST', ''].join('\n');

  it('takes the last segment off and keeps every other line', () => {
    const trimmed = withoutLastSegment(live);
    const parsed = parseMediaPlaylist(trimmed);
    expect(parsed.segments.map((s) => s.uri)).toEqual(['seg_00000.ts', 'seg_00001.ts']);
    expect(parsed.ended).toBe(true);
    expect(parsed.targetDurationSec).toBe(2);
    expect(trimmed).toBe(live.replace('#EXTINF:0.120000,\nseg_00002.ts\n', ''));
  });

  it('also takes a tag between the duration and the URI, and leaves a playlist without segments alone', () => {
    const tagged = live.replace('#EXTINF:0.120000,\n', '#EXTINF:0.120000,\n#EXT-X-PROGRAM-DATE-TIME:2026-12-03T17:30:00Z\n');
    expect(parseMediaPlaylist(withoutLastSegment(tagged)).segments).toHaveLength(2);
    expect(withoutLastSegment(tagged)).not.toContain('PROGRAM-DATE-TIME');
    const empty = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n';
    expect(withoutLastSegment(empty)).toBe(empty);
  });
});
