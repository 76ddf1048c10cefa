import { describe, expect, it } from 'vitest';
import { hasRequiredEncoders, parseEncoderList, parseVersion } from '../../media/tools';

// Trimmed `ffmpeg -hide_banner -encoders` output from Debian's ffmpeg 5.1.
const encoders = `Encoders:
 V..... = Video
 A..... = Audio
 S..... = Subtitle
 .F.... = Frame-level multithreading
 ..S... = Slice-level multithreading
 ...X.. = Codec is experimental
 ....B. = Supports draw_horiz_band
 .....D = Supports direct rendering method 1
 ------
 V....D a64multi             Multicolor charset for Commodore 64 (codec a64_multi)
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
 V....D libx264rgb           libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 RGB (codec h264)
 V....D h264_v4l2m2m         V4L2 mem2mem H.264 encoder wrapper (codec h264)
 A..... aac                  AAC (Advanced Audio Coding)
 S..... mov_text             3GPP Timed Text subtitle
`;

describe('parseEncoderList', () => {
  it('lists the encoder names from the table, not the legend', () => {
    const names = parseEncoderList(encoders);
    expect(names.has('libx264')).toBe(true);
    expect(names.has('aac')).toBe(true);
    expect(names.has('mov_text')).toBe(true);
    expect(names.has('=')).toBe(false);
    expect(names.size).toBe(6);
  });
});

describe('hasRequiredEncoders', () => {
  it('finds libx264 and aac in a full Debian build', () => {
    expect(hasRequiredEncoders(parseEncoderList(encoders))).toEqual({ h264: true, aac: true });
  });

  it('does not count a hardware-only H.264 encoder as H.264 support', () => {
    const hardwareOnly = encoders.replace(/^.*libx264.*$/gm, '');
    expect(hasRequiredEncoders(parseEncoderList(hardwareOnly)).h264).toBe(false);
  });
});

describe('parseVersion', () => {
  it('reads the version from the first line of -version', () => {
    const text = 'ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers\nbuilt with gcc 12\n';
    expect(parseVersion(text, 'ffmpeg')).toBe('5.1.9-0+deb12u1');
    expect(parseVersion(text, 'ffprobe')).toBeUndefined();
  });
});
