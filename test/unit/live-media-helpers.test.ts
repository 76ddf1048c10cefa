import { describe, expect, it } from 'vitest';
import type { RtpCapabilities } from 'mediasoup/lib/types';
import {
  buildRecorderArgs,
  buildRecorderSdp,
  isUsablePair,
  parseProcNetUdp,
  pickRecvRouter,
  recorderRtpCapabilities,
} from '../../media/live';

describe('pickRecvRouter', () => {
  const loads = (...consumers: number[]) => consumers.map((c, i) => ({ routerId: `r${i}`, consumers: c }));

  it('keeps viewers on the origin router while it has room', () => {
    expect(pickRecvRouter(loads(0), 100)).toBe('r0');
    expect(pickRecvRouter(loads(99, 0), 100)).toBe('r0');
  });

  it('moves to the first extra router with room once the origin is full', () => {
    expect(pickRecvRouter(loads(100, 40, 0), 100)).toBe('r1');
    expect(pickRecvRouter(loads(100, 100, 3), 100)).toBe('r2');
  });

  it('asks for a new router when every router is full', () => {
    expect(pickRecvRouter(loads(1), 1)).toBeUndefined();
    expect(pickRecvRouter(loads(5, 7), 5)).toBeUndefined();
    expect(pickRecvRouter([], 5)).toBeUndefined();
  });

  it('refuses a limit below one consumer', () => {
    expect(() => pickRecvRouter(loads(0), 0)).toThrow(/maxConsumersPerRouter/);
  });
});

const routerCaps: RtpCapabilities = {
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100, rtcpFeedback: [{ type: 'transport-cc' }] },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] },
    { kind: 'video', mimeType: 'video/rtx', clockRate: 90000, preferredPayloadType: 102, parameters: { apt: 101 } },
    {
      kind: 'video',
      mimeType: 'video/H264',
      clockRate: 90000,
      preferredPayloadType: 103,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
      rtcpFeedback: [{ type: 'nack' }],
    },
  ],
  headerExtensions: [{ kind: 'video', uri: 'urn:3gpp:video-orientation', preferredId: 4 }],
};

describe('recorderRtpCapabilities', () => {
  it('keeps only the producer’s codec, without feedback, RTX or header extensions', () => {
    const caps = recorderRtpCapabilities(routerCaps, { mimeType: 'video/VP8' })!;
    expect(caps.codecs).toHaveLength(1);
    expect(caps.codecs![0]).toMatchObject({ mimeType: 'video/VP8', preferredPayloadType: 101, rtcpFeedback: [] });
    expect(caps.headerExtensions).toEqual([]);
  });

  it('matches mime types case-insensitively and H.264 by packetization mode', () => {
    expect(recorderRtpCapabilities(routerCaps, { mimeType: 'audio/OPUS' })!.codecs![0]!.mimeType).toBe('audio/opus');
    expect(recorderRtpCapabilities(routerCaps, { mimeType: 'video/H264', parameters: { 'packetization-mode': 1 } })).toBeDefined();
    expect(recorderRtpCapabilities(routerCaps, { mimeType: 'video/H264', parameters: { 'packetization-mode': 0 } })).toBeUndefined();
  });

  it('returns undefined for a codec the router does not offer', () => {
    expect(recorderRtpCapabilities(routerCaps, { mimeType: 'video/VP9' })).toBeUndefined();
  });

  it('does not modify the router capabilities', () => {
    recorderRtpCapabilities(routerCaps, { mimeType: 'video/VP8' });
    expect(routerCaps.codecs![1]!.rtcpFeedback).toHaveLength(2);
  });
});

describe('buildRecorderSdp', () => {
  const sdp = buildRecorderSdp([
    { kind: 'video', port: 40000, rtcpPort: 40001, payloadType: 101, mimeType: 'video/VP8', clockRate: 90000 },
    { kind: 'audio', port: 40002, rtcpPort: 40003, payloadType: 100, mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } },
  ]);
  const lines = sdp.trimEnd().split('\r\n');

  it('gives each stream its RTP port and an explicit RTCP port', () => {
    expect(lines).toContain('m=video 40000 RTP/AVP 101');
    expect(lines).toContain('a=rtcp:40001');
    expect(lines).toContain('m=audio 40002 RTP/AVP 100');
    expect(lines).toContain('a=rtcp:40003');
    expect(lines.indexOf('a=rtcp:40001')).toBeGreaterThan(lines.indexOf('m=video 40000 RTP/AVP 101'));
  });

  it('maps codecs as ffmpeg expects (channels for audio only) with fmtp from the consumer', () => {
    expect(lines).toContain('a=rtpmap:101 VP8/90000');
    expect(lines).toContain('a=rtpmap:100 opus/48000/2');
    expect(lines).toContain('a=fmtp:100 useinbandfec=1');
    expect(lines.some((l) => l.startsWith('a=fmtp:101'))).toBe(false);
  });

  it('is a session on 127.0.0.1 with CRLF line ends', () => {
    expect(lines.slice(0, 5)).toEqual(['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=cadre-live-recording', 'c=IN IP4 127.0.0.1', 't=0 0']);
    expect(sdp.endsWith('\r\n')).toBe(true);
  });

  it('writes H.264 parameters into fmtp', () => {
    const h264 = buildRecorderSdp([
      { kind: 'video', port: 5000, rtcpPort: 5001, payloadType: 103, mimeType: 'video/H264', clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } },
    ]);
    expect(h264).toContain('a=fmtp:103 packetization-mode=1;profile-level-id=42e01f');
  });

  it('refuses an empty stream list', () => {
    expect(() => buildRecorderSdp([])).toThrow(/no stream/);
  });
});

describe('buildRecorderArgs', () => {
  const args = buildRecorderArgs({ sdpPath: '/tmp/x/input.sdp', outDir: '/srv/live/r1/', hasVideo: true, hasAudio: true });
  const value = (flag: string) => args[args.indexOf(flag) + 1];

  it('reads the SDP with only the file, udp and rtp protocols allowed', () => {
    expect(value('-protocol_whitelist')).toBe('file,udp,rtp');
    expect(value('-i')).toBe('/tmp/x/input.sdp');
    expect(args.indexOf('-protocol_whitelist')).toBeLessThan(args.indexOf('-i'));
  });

  it('reports its progress on stdout four times a second (a recorder being stopped waits for it to stand still)', () => {
    expect(value('-progress')).toBe('pipe:1');
    expect(value('-stats_period')).toBe('0.25');
    expect(args.indexOf('-progress')).toBeLessThan(args.indexOf('-i'));
  });

  it('encodes browser-playable H.264 with a keyframe at every segment boundary, and AAC', () => {
    expect(value('-c:v')).toBe('libx264');
    expect(value('-preset')).toBe('veryfast');
    expect(value('-tune')).toBe('zerolatency');
    expect(value('-pix_fmt')).toBe('yuv420p');
    expect(value('-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(value('-c:a')).toBe('aac');
  });

  it('fixes the output frame rate (a 90k fps guess from the RTP clock starved x264 into grey frames)', () => {
    expect(value('-r')).toBe('30');
    expect(args.indexOf('-r')).toBeGreaterThan(args.indexOf('-i'));
  });

  it('writes an EVENT playlist of ~2 s independent segments into outDir', () => {
    expect(value('-f')).toBe('hls');
    expect(value('-hls_time')).toBe('2');
    expect(value('-hls_playlist_type')).toBe('event');
    expect(value('-hls_flags')).toBe('independent_segments');
    expect(value('-hls_segment_filename')).toBe('/srv/live/r1/seg_%05d.ts');
    expect(args.at(-1)).toBe('/srv/live/r1/index.m3u8');
  });

  it('records audio alone without any video option', () => {
    const audio = buildRecorderArgs({ sdpPath: '/a.sdp', outDir: '/o', hasVideo: false, hasAudio: true, segmentSec: 4 });
    expect(audio).not.toContain('libx264');
    expect(audio).not.toContain('0:v:0');
    expect(audio).toContain('0:a:0');
    expect(audio[audio.indexOf('-hls_time') + 1]).toBe('4');
  });

  it('refuses an outDir with % and a recording of nothing', () => {
    expect(() => buildRecorderArgs({ sdpPath: '/a.sdp', outDir: '/o/100%', hasVideo: true, hasAudio: false })).toThrow(/%/);
    expect(() => buildRecorderArgs({ sdpPath: '/a.sdp', outDir: '/o', hasVideo: false, hasAudio: false })).toThrow(/audio or video/);
    expect(() => buildRecorderArgs({ sdpPath: '/a.sdp', outDir: '/o', hasVideo: true, hasAudio: false, segmentSec: 0 })).toThrow(/segmentSec/);
  });
});

describe('UDP port pairs', () => {
  it('takes an even RTP port whose RTCP port (RTP + 1) is free too', () => {
    expect(isUsablePair(40000, new Set())).toBe(true);
    expect(isUsablePair(40001, new Set())).toBe(false);
    expect(isUsablePair(40000, new Set([40001]))).toBe(false);
    expect(isUsablePair(40000, new Set([40000]))).toBe(false);
    expect(isUsablePair(65535, new Set())).toBe(false);
    expect(isUsablePair(1000, new Set())).toBe(false);
  });

  it('reads bound local ports from /proc/net/udp', () => {
    const table = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  120: 0100007F:9C40 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 123 2 0000000000000000 0',
      '  121: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 456 2 0000000000000000 0',
      '',
    ].join('\n');
    expect(parseProcNetUdp(table)).toEqual(new Set([40000, 68]));
  });

  it('reads IPv6 tables too', () => {
    const table = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  5: 00000000000000000000000001000000:9C41 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 789 2 0000000000000000 0',
    ].join('\n');
    expect(parseProcNetUdp(table)).toEqual(new Set([40001]));
  });
});
