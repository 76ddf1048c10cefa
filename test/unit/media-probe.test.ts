import { describe, expect, it } from 'vitest';
import {
  ProbeError,
  classifyProbeFailure,
  parseBoxHeader,
  parseFrameRate,
  parseProbeOutput,
  sniffContainer,
} from '../../media/probe';

// Shaped like `ffprobe -v error -print_format json -show_format -show_streams` output
// (ffprobe 5.1), trimmed to the fields probe.ts reads.
const h264Stream = {
  index: 0,
  codec_name: 'h264',
  profile: 'High',
  codec_type: 'video',
  width: 1280,
  height: 720,
  pix_fmt: 'yuv420p',
  r_frame_rate: '25/1',
  avg_frame_rate: '25/1',
  duration: '5.000000',
  disposition: { default: 1, attached_pic: 0 },
};
const aacStream = {
  index: 1,
  codec_name: 'aac',
  profile: 'LC',
  codec_type: 'audio',
  sample_rate: '48000',
  channels: 2,
  r_frame_rate: '0/0',
  avg_frame_rate: '0/0',
  duration: '5.000000',
  disposition: { default: 1, attached_pic: 0 },
};
const mp4Format = {
  format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
  duration: '5.000000',
  size: '539000',
  bit_rate: '862400',
};

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProbeError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('parseProbeOutput', () => {
  it('reads duration, format, bit rate, video and audio from an H.264 + AAC mp4', () => {
    const result = parseProbeOutput({ streams: [h264Stream, aacStream], format: mp4Format }, 539000);
    expect(result).toEqual({
      durationSec: 5,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      sizeBytes: 539000,
      bitRate: 862400,
      video: { codec: 'h264', profile: 'High', width: 1280, height: 720, pixFmt: 'yuv420p', fps: 25 },
      audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
      streams: [
        { index: 0, type: 'video', codec: 'h264', durationSec: 5, attachedPic: false },
        { index: 1, type: 'audio', codec: 'aac', durationSec: 5, attachedPic: false },
      ],
    });
  });

  it('accepts the JSON text exactly as ffprobe prints it', () => {
    const text = JSON.stringify({ streams: [aacStream], format: mp4Format }, null, 4);
    expect(parseProbeOutput(text).durationSec).toBe(5);
  });

  it('takes the size from stat over the size ffprobe reports', () => {
    expect(parseProbeOutput({ streams: [aacStream], format: mp4Format }, 1234).sizeBytes).toBe(1234);
  });

  it('falls back to ffprobe size when no stat size is given', () => {
    expect(parseProbeOutput({ streams: [aacStream], format: mp4Format }).sizeBytes).toBe(539000);
  });

  it('leaves video out for an audio-only file', () => {
    const result = parseProbeOutput({ streams: [aacStream], format: mp4Format });
    expect(result.video).toBeUndefined();
    expect(result.audio).toEqual({ codec: 'aac', sampleRate: 48000, channels: 2 });
  });

  it('does not count cover art as video', () => {
    const cover = { index: 1, codec_name: 'mjpeg', codec_type: 'video', width: 600, height: 600, disposition: { attached_pic: 1 } };
    const mp3 = { index: 0, codec_name: 'mp3', codec_type: 'audio', sample_rate: '44100', channels: 2, duration: '180.0' };
    const result = parseProbeOutput({ streams: [mp3, cover], format: { format_name: 'mp3', duration: '180.0' } });
    expect(result.video).toBeUndefined();
    expect(result.streams[1]).toMatchObject({ type: 'video', attachedPic: true });
  });

  it('picks the default audio track when there are several', () => {
    const first = { ...aacStream, index: 1, codec_name: 'mp3', disposition: { default: 0 } };
    const second = { ...aacStream, index: 2, disposition: { default: 1 } };
    const result = parseProbeOutput({ streams: [h264Stream, first, second], format: mp4Format });
    expect(result.audio?.codec).toBe('aac');
  });

  it('reports NTSC frame rates as a decimal', () => {
    const ntsc = { ...h264Stream, avg_frame_rate: '30000/1001' };
    expect(parseProbeOutput({ streams: [ntsc], format: mp4Format }).video?.fps).toBe(29.97);
  });

  it('uses the longest stream duration when the container has none', () => {
    const format = { format_name: 'matroska,webm' };
    const result = parseProbeOutput({ streams: [{ ...h264Stream, duration: '4.2' }, { ...aacStream, duration: '4.5' }], format });
    expect(result.durationSec).toBe(4.5);
  });

  it('turns unknown values into null rather than NaN', () => {
    const vague = { index: 0, codec_name: 'aac', codec_type: 'audio', sample_rate: 'N/A' };
    const result = parseProbeOutput({ streams: [vague], format: { format_name: 'aac', duration: '3', bit_rate: 'N/A' } });
    expect(result.bitRate).toBeNull();
    expect(result.audio).toEqual({ codec: 'aac', sampleRate: null, channels: null });
  });

  it('rejects a file with only subtitle and data streams as no-streams', () => {
    const sub = { index: 0, codec_name: 'mov_text', codec_type: 'subtitle', duration: '4.0' };
    const data = { index: 1, codec_type: 'data', duration: '4.0' };
    expect(reasonOf(() => parseProbeOutput({ streams: [sub, data], format: mp4Format }))).toBe('no-streams');
  });

  it('rejects a container without any stream as no-streams', () => {
    expect(reasonOf(() => parseProbeOutput({ streams: [], format: { ...mp4Format, duration: '0.000000' } }))).toBe(
      'no-streams',
    );
  });

  it('rejects zero duration', () => {
    const format = { ...mp4Format, duration: '0.000000' };
    expect(reasonOf(() => parseProbeOutput({ streams: [h264Stream], format }))).toBe('zero-duration');
  });

  it('rejects a stream without any known duration as zero-duration', () => {
    const noDuration = { ...h264Stream, duration: undefined };
    expect(reasonOf(() => parseProbeOutput({ streams: [noDuration], format: { format_name: 'h264' } }))).toBe(
      'zero-duration',
    );
  });

  it('rejects a still image as not-media', () => {
    const png = { index: 0, codec_name: 'png', codec_type: 'video', width: 64, height: 64, pix_fmt: 'rgb24' };
    expect(reasonOf(() => parseProbeOutput({ streams: [png], format: { format_name: 'png_pipe' } }))).toBe('not-media');
  });

  it('rejects output that is not JSON as corrupt', () => {
    expect(reasonOf(() => parseProbeOutput('{ "streams": ['))).toBe('corrupt');
  });

  it('rejects JSON without a format section as not-media', () => {
    expect(reasonOf(() => parseProbeOutput('{\n\n}'))).toBe('not-media');
  });
});

describe('ProbeError', () => {
  it('carries a Chinese message, an English one and a stable reason', () => {
    const error = new ProbeError('corrupt', { detail: 'moov atom not found' });
    expect(error).toBeInstanceOf(Error);
    expect(error.reason).toBe('corrupt');
    expect(error.message).toMatch(/损坏/);
    expect(error.messageEn).toMatch(/corrupt/);
    expect(error.detail).toBe('moov atom not found');
  });

  it('tells the operator to install ffmpeg when ffprobe is missing', () => {
    expect(new ProbeError('ffprobe-missing').messageEn).toContain('apt-get install ffmpeg');
  });
});

describe('parseFrameRate', () => {
  it.each([
    ['25/1', 25],
    ['30000/1001', 29.97],
    ['24', 24],
    ['0/0', null],
    ['25/0', null],
    [undefined, null],
  ])('%s → %s', (input, expected) => {
    expect(parseFrameRate(input)).toBe(expected);
  });
});

function bytes(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') out.push(...Buffer.from(part, 'latin1'));
    else out.push(...part);
  }
  return new Uint8Array(out);
}

describe('sniffContainer', () => {
  it('recognises an MP4 by its ftyp box', () => {
    expect(sniffContainer(bytes([0, 0, 0, 0x20], 'ftypisom'))).toBe('iso-bmff');
  });

  it('recognises a QuickTime file that starts with mdat', () => {
    expect(sniffContainer(bytes([0, 0, 0, 8], 'mdat'))).toBe('iso-bmff');
  });

  it('recognises Matroska/WebM by its EBML magic', () => {
    expect(sniffContainer(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]))).toBe('matroska');
  });

  it('recognises MPEG-TS by sync bytes every 188 bytes', () => {
    const ts = new Uint8Array(512);
    ts[0] = ts[188] = ts[376] = 0x47;
    expect(sniffContainer(ts)).toBe('mpeg-ts');
  });

  it('does not take a lone "G" for MPEG-TS', () => {
    expect(sniffContainer(bytes('Good morning, comrades'))).toBeNull();
  });

  it.each([
    ['RIFF', 'riff'],
    ['FLV\x01', 'flv'],
    ['OggS', 'ogg'],
    ['fLaC', 'flac'],
    ['ID3\x04', 'mp3'],
  ])('recognises %s', (magic, kind) => {
    expect(sniffContainer(bytes(magic, [0, 0, 0, 0, 0, 0, 0, 0]))).toBe(kind);
  });

  it('recognises ADTS AAC and MP3 frame sync words', () => {
    expect(sniffContainer(bytes([0xff, 0xf1, 0x50, 0x80]))).toBe('adts');
    expect(sniffContainer(bytes([0xff, 0xfb, 0x90, 0x64]))).toBe('mp3');
  });

  it('finds nothing in plain text, UTF-8 Chinese or an empty head', () => {
    expect(sniffContainer(bytes('hello\n'))).toBeNull();
    expect(sniffContainer(new TextEncoder().encode('第一讲 讲稿'))).toBeNull();
    expect(sniffContainer(new Uint8Array())).toBeNull();
  });
});

describe('classifyProbeFailure', () => {
  const moovMissing =
    '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55633b90b1c0] moov atom not found\nfile:/tmp/x.mp4: Invalid data found when processing input\n';

  it('calls a recognised MP4 without moov corrupt', () => {
    expect(classifyProbeFailure(moovMissing, 'iso-bmff')).toBe('corrupt');
  });

  it('calls the same ffprobe error on a file with no media signature not-media', () => {
    expect(classifyProbeFailure(moovMissing, null)).toBe('not-media');
  });

  it('calls an unrecognised file that no demuxer accepts not-media', () => {
    expect(classifyProbeFailure('file:/tmp/a.bin: Invalid data found when processing input\n', null)).toBe('not-media');
  });

  it('calls a damaged Matroska file corrupt', () => {
    expect(classifyProbeFailure('[matroska,webm @ 0x1] EBML header parsing failed\n', 'matroska')).toBe('corrupt');
  });

  it('calls a file that vanished before ffprobe ran not-found', () => {
    expect(classifyProbeFailure('file:/tmp/gone.mp4: No such file or directory\n', null)).toBe('not-found');
  });
});

describe('parseBoxHeader', () => {
  it('reads a 32-bit box size', () => {
    expect(parseBoxHeader(bytes([0, 0, 0, 0x20], 'ftyp'))).toEqual({ type: 'ftyp', size: 32, headerSize: 8 });
  });

  it('reads a 64-bit largesize box', () => {
    const header = bytes([0, 0, 0, 1], 'mdat', [0, 0, 0, 1, 0, 0, 0, 0]);
    expect(parseBoxHeader(header)).toEqual({ type: 'mdat', size: 2 ** 32, headerSize: 16 });
  });

  it('reads size 0 as "to the end of the file"', () => {
    expect(parseBoxHeader(bytes([0, 0, 0, 0], 'mdat'))).toEqual({ type: 'mdat', size: null, headerSize: 8 });
  });

  it('rejects a size smaller than the header', () => {
    expect(parseBoxHeader(bytes([0, 0, 0, 4], 'free'))).toBeNull();
  });

  it('rejects a non-printable box type (junk after the last box)', () => {
    expect(parseBoxHeader(bytes([0, 0, 0, 0x10], [0, 1, 2, 3]))).toBeNull();
  });

  it('rejects fewer than 8 bytes', () => {
    expect(parseBoxHeader(bytes([0, 0, 0, 8]))).toBeNull();
  });
});
