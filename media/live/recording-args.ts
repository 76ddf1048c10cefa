// ffmpeg side of live recording: the SDP that tells ffmpeg where RTP arrives, and the one
// ffmpeg argv that turns it into an HLS EVENT playlist. Pure, no I/O.
//
// Rules (see /work/shared/notes/mediasoup-ffmpeg.md for what was observed):
// - mediasoup consumes for ffmpeg with the codec alone: no RTX, no NACK, no header extensions.
//   With the full router capabilities, bandwidth-probe padding reaches ffmpeg ("max delay
//   reached" floods).
// - One PlainTransport per stream, rtcpMux off: the SDP gives each stream its RTP port and an
//   explicit `a=rtcp:` port (always RTP + 1, ffmpeg's own default, so either reading agrees).
//   RTCP sender reports are what lets ffmpeg line audio up with video.
// - Output: H.264 (libx264 veryfast + zerolatency, High, yuv420p) + AAC-LC in MPEG-TS segments
//   of segmentSec, a keyframe forced at every segment boundary so segments start on one, an
//   EVENT playlist that keeps every segment and gets #EXT-X-ENDLIST when ffmpeg ends cleanly.
// - Live sources have gaps (muted mic, paused camera): audio gaps are filled with silence
//   (aresample async) so audio stays on the clock; video is resampled to a constant RECORDER_FPS (see the -r comment below).
// - The picture keeps the size of the first frame (ffmpeg's autoscale), within 1920x1080 (a
//   larger screen share is scaled down, keeping its shape) and with even sides (yuv420p).
// - Picture-in-picture (`inset`): the SDP's first video is the picture (the screen share), its
//   second the inset (the camera), scaled to a quarter of the picture's width, keeping its own
//   shape, at the bottom right with a margin of ~3% of the picture's width / height.
import type { RtpCapabilities, RtpCodecCapability } from 'mediasoup/lib/types';

export const RECORDER_PLAYLIST = 'index.m3u8';
export const RECORDER_SEGMENT_PATTERN = 'seg_%05d.ts';
export const RECORDER_FPS = 30;
export const DEFAULT_RECORDER_SEGMENT_SEC = 2;
export const RECORDER_MAX_WIDTH = 1920;
export const RECORDER_MAX_HEIGHT = 1080;

/** The picture's filter: within RECORDER_MAX_WIDTH x RECORDER_MAX_HEIGHT, even sides, square pixels. */
export function pictureFilter(): string {
  const width = `trunc(min(iw\\,min(${RECORDER_MAX_WIDTH}\\,${RECORDER_MAX_HEIGHT}*iw/ih))/2)*2`;
  return `scale=w=${width}:h=-2,setsar=1`;
}

/**
 * The picture-in-picture graph: [0:v:0] (the screen) is the picture, [0:v:1] (the camera) the
 * inset, out as [v]. In scale2ref, iw/ih are the reference's (the picture's) and main_w/main_h
 * the scaled input's (the camera's).
 */
export function pictureInPictureFilter(): string {
  return [
    `[0:v:0]${pictureFilter()}[picture]`,
    `[0:v:1][picture]scale2ref=w=trunc(iw/8)*2:h=trunc(ow*main_h/main_w/2)*2[inset][base]`,
    `[inset]setsar=1[inset1]`,
    `[base][inset1]overlay=x=main_w-overlay_w-trunc(main_w/64)*2:y=main_h-overlay_h-trunc(main_h/64)*2[v]`,
  ].join(';');
}

export interface RecorderStream {
  kind: 'audio' | 'video';
  port: number;
  rtcpPort: number;
  payloadType: number;
  /** 'video/VP8', 'video/H264', 'audio/opus' */
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, unknown>;
}

/**
 * Capabilities that let mediasoup consume `producerCodec` for ffmpeg: the router's matching
 * codec with its feedback stripped, no RTX, no header extensions. Undefined when the router
 * has no such codec.
 */
export function recorderRtpCapabilities(
  routerCaps: RtpCapabilities,
  producerCodec: { mimeType: string; parameters?: Record<string, unknown> },
): RtpCapabilities | undefined {
  const mime = producerCodec.mimeType.toLowerCase();
  const candidates = (routerCaps.codecs ?? []).filter((c) => c.mimeType.toLowerCase() === mime);
  // H.264 needs the same packetization mode; the router offers one profile (codecs.ts).
  const codec =
    candidates.find(
      (c) =>
        mime !== 'video/h264' ||
        Number(c.parameters?.['packetization-mode'] ?? 0) ===
          Number(producerCodec.parameters?.['packetization-mode'] ?? 0),
    ) ?? undefined;
  if (!codec) return undefined;
  const stripped: RtpCodecCapability = { ...codec, parameters: { ...codec.parameters }, rtcpFeedback: [] };
  return { codecs: [stripped], headerExtensions: [] };
}

function fmtpValue(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(';');
}

/** SDP for ffmpeg's `-i`: one m= section per stream, RTP and RTCP on separate ports. */
export function buildRecorderSdp(streams: readonly RecorderStream[], ip = '127.0.0.1'): string {
  if (streams.length === 0) throw new RangeError('buildRecorderSdp: no stream');
  const lines = ['v=0', `o=- 0 0 IN IP4 ${ip}`, 's=cadre-live-recording', `c=IN IP4 ${ip}`, 't=0 0'];
  for (const s of streams) {
    const codecName = s.mimeType.split('/')[1];
    if (!codecName) throw new RangeError(`buildRecorderSdp: bad mimeType ${s.mimeType}`);
    const channels = s.kind === 'audio' && (s.channels ?? 1) > 1 ? `/${s.channels}` : '';
    lines.push(
      `m=${s.kind} ${s.port} RTP/AVP ${s.payloadType}`,
      `a=rtcp:${s.rtcpPort}`,
      `a=rtpmap:${s.payloadType} ${codecName}/${s.clockRate}${channels}`,
    );
    const fmtp = fmtpValue(s.parameters ?? {});
    if (fmtp) lines.push(`a=fmtp:${s.payloadType} ${fmtp}`);
    lines.push('a=recvonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface RecorderArgsOptions {
  sdpPath: string;
  outDir: string;
  hasVideo: boolean;
  hasAudio: boolean;
  /** The SDP's second video is the camera inset on the first (picture-in-picture). */
  inset?: boolean;
  segmentSec?: number;
}

/** The ffmpeg argv (without the program) that records the SDP's streams into outDir/index.m3u8. */
export function buildRecorderArgs(o: RecorderArgsOptions): string[] {
  if (!o.hasVideo && !o.hasAudio) throw new RangeError('buildRecorderArgs: a recording needs audio or video');
  if (o.outDir.includes('%')) throw new RangeError(`outDir must not contain '%' (ffmpeg output pattern): ${o.outDir}`);
  const seg = o.segmentSec ?? DEFAULT_RECORDER_SEGMENT_SEC;
  if (!(seg >= 1)) throw new RangeError(`segmentSec must be >= 1 (got ${seg})`);
  if (o.inset && !o.hasVideo) throw new RangeError('buildRecorderArgs: an inset needs the video it is set on');
  const outDir = o.outDir.replace(/\/+$/, '');
  const args = [
    '-nostdin',
    '-hide_banner',
    // What it has written, four times a second: a recorder being stopped waits for it to stand
    // still (recorder-drain.ts).
    '-progress',
    'pipe:1',
    '-stats_period',
    '0.25',
    // Verbose, tagged: the picture's input size is read from it (recorder-log.ts), and only
    // warnings and errors are kept.
    '-loglevel',
    'level+verbose',
    '-protocol_whitelist',
    'file,udp,rtp',
    // RTP has no container to read sizes from: fill them in as packets arrive.
    '-fflags',
    '+genpts',
    '-i',
    o.sdpPath,
  ];
  if (o.hasVideo) {
    if (o.inset) args.push('-filter_complex', pictureInPictureFilter(), '-map', '[v]');
    else args.push('-map', '0:v:0', '-vf', pictureFilter());
    args.push(
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-profile:v',
      'high',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '23',
      '-maxrate',
      '2500k',
      '-bufsize',
      '5000k',
      '-force_key_frames',
      `expr:gte(t,n_forced*${seg})`,
      '-sc_threshold',
      '0',
      // A fixed output rate: ffmpeg's guess from the RTP input can be 90k fps (the RTP clock),
      // which makes x264 pick level 6.2 and starve its rate buffer (~28 bits a frame at 2.5 Mbit/s)
      // until every frame after ~550 is flat grey. 30 fps duplicates or drops frames to fit.
      '-r',
      String(RECORDER_FPS),
    );
  }
  if (o.hasAudio) {
    args.push('-map', '0:a:0', '-c:a', 'aac', '-b:a', '96k', '-ac', '2', '-ar', '48000', '-af', 'aresample=async=1000');
  }
  args.push(
    '-f',
    'hls',
    '-hls_time',
    String(seg),
    '-hls_playlist_type',
    'event',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_type',
    'mpegts',
    '-hls_segment_filename',
    `${outDir}/${RECORDER_SEGMENT_PATTERN}`,
    '-y',
    `${outDir}/${RECORDER_PLAYLIST}`,
  );
  return args;
}
