/**
 * A recorded part whose last segment is a frame or two (1,128 bytes: too short for ffmpeg to
 * recognise as MPEG-TS without being told) is still probed and joined: the replay is as long as
 * the timeline and its sound is AAC silence, not a misread segment. Real ffmpeg and ffprobe.
 */
import { execFile } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PROBEABLE_TS_BYTES } from '../../media/hls/playlist';
import { probeRecordedPart, renderReplay } from '../../media/live/replay';
import { makeMediaTmpDir, removeDir } from '../helpers/media-fixtures';

const run = promisify(execFile);
let dir = '';

beforeAll(async () => {
  dir = await makeMediaTmpDir('replay-short-segment-');
  await mkdir(join(dir, 'part-1'));
  // 8.08 s cut every 4 s, as the recorder cuts: the third segment is two frames of a dark picture.
  await run('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x161b26:size=640x360:rate=25', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo'],
    ...['-t', '8.08', '-c:v', 'libx264', '-preset', 'superfast', '-pix_fmt', 'yuv420p', '-g', '100', '-keyint_min', '100', '-sc_threshold', '0', '-force_key_frames', 'expr:gte(t,n_forced*4)'],
    ...['-c:a', 'aac', '-ar', '48000', '-ac', '2', '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'event'],
    ...['-hls_segment_filename', join(dir, 'part-1', 'seg_%05d.ts'), join(dir, 'part-1', 'index.m3u8')],
  ]);
}, 60_000);

afterAll(() => dir && removeDir(dir));

describe('a recorded part with a very short last segment', () => {
  it('is probed without it and joined into a replay as long as the timeline', async () => {
    const tail = await stat(join(dir, 'part-1', 'seg_00002.ts'));
    expect(tail.size).toBeLessThan(MIN_PROBEABLE_TS_BYTES);
    // ffprobe alone refuses it: what the replay used to trip over.
    await expect(run('ffprobe', ['-v', 'error', join(dir, 'part-1', 'seg_00002.ts')])).rejects.toThrow(/Invalid data/);

    const part = await probeRecordedPart(join(dir, 'part-1'));
    expect(part).toMatchObject({ hasVideo: true, hasAudio: true, width: 640, height: 360, durationSec: 8 });
    expect(part!.segments.map((s) => s.split('/').at(-1))).toEqual(['seg_00000.ts', 'seg_00001.ts']);

    const out = join(dir, 'replay.mp4');
    const result = await renderReplay({ parts: [{ dir: join(dir, 'part-1'), offsetSec: 1 }], totalSec: 10, outPath: out, preset: 'ultrafast' });
    expect(result.durationSec).toBe(10);
    const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration', '-of', 'json', out])).stdout);
    expect(probe.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Math.abs(Number(probe.format.duration) - 10)).toBeLessThan(0.2);
  }, 90_000);
});
