import { describe, expect, it } from 'vitest';
import { pictureGrew, readLogLine, RecorderLog } from '../../media/live/recorder-log';

const size = (stream: number, w: number, h: number) => `[graph 0 input from stream 0:${stream} @ 0x55886cb2c800] [verbose] w:${w} h:${h} pixfmt:yuv420p tb:1/90000 fr:30/1 sar:1/1`;

describe('readLogLine', () => {
  it('reads the size a graph input is configured at', () => {
    expect(readLogLine(size(0, 1280, 720))).toEqual({ kind: 'input-size', stream: 0, size: { width: 1280, height: 720 } });
    expect(readLogLine(size(1, 640, 360))).toMatchObject({ kind: 'input-size', stream: 1 });
  });

  it('keeps warnings, errors and untagged lines without their level tag, drops the rest', () => {
    expect(readLogLine('[sdp @ 0x1] [error] bind failed: Address already in use')).toEqual({ kind: 'kept', text: '[sdp @ 0x1] bind failed: Address already in use' });
    expect(readLogLine('[warning] max delay reached')).toEqual({ kind: 'kept', text: 'max delay reached' });
    expect(readLogLine('sh: 1: ffmpeg: not found')).toEqual({ kind: 'kept', text: 'sh: 1: ffmpeg: not found' });
    expect(readLogLine("[hls @ 0x2] [info] Opening 'seg_00001.ts' for writing")).toEqual({ kind: 'dropped' });
    expect(readLogLine('[h264 @ 0x3] [verbose] Reinit context to 640x368, pix_fmt: yuv420p')).toEqual({ kind: 'dropped' });
  });
});

describe('pictureGrew', () => {
  it('is wider or taller, not smaller or the same', () => {
    expect(pictureGrew({ width: 640, height: 360 }, { width: 1280, height: 720 })).toBe(true);
    expect(pictureGrew({ width: 640, height: 360 }, { width: 640, height: 400 })).toBe(true);
    expect(pictureGrew({ width: 1280, height: 720 }, { width: 640, height: 360 })).toBe(false);
    expect(pictureGrew({ width: 1280, height: 720 }, { width: 1280, height: 720 })).toBe(false);
  });
});

describe('RecorderLog', () => {
  it('says once when the picture (stream 0:0) grows beyond its first size, across chunk boundaries', () => {
    const grown: unknown[] = [];
    const log = new RecorderLog(200, (from, to) => grown.push({ from, to }));
    const text = [size(0, 640, 360), size(1, 320, 240), size(0, 320, 180), size(1, 1920, 1080), size(0, 1280, 720), size(0, 1920, 1080)].join('\n') + '\n';
    for (let i = 0; i < text.length; i += 7) log.push(text.slice(i, i + 7));
    expect(log.firstSize).toEqual({ width: 640, height: 360 });
    expect(grown).toEqual([{ from: { width: 640, height: 360 }, to: { width: 1280, height: 720 } }]);
  });

  it('keeps a bounded tail of the kept lines and reads a last line without a newline at flush', () => {
    const log = new RecorderLog(60, () => undefined);
    for (let i = 0; i < 20; i++) log.push(`[warning] line ${i}\n[info] noise ${i}\n`);
    log.push('[error] the last words');
    expect(log.tail).not.toContain('noise');
    expect(log.tail.length).toBeLessThanOrEqual(60);
    log.flush();
    expect(log.tail.trim().split('\n').at(-1)).toBe('the last words');
  });
});
