// Router media codecs: what every mediasoup router in the portal offers.
//
// Rules:
// - Browsers (Chromium via mediasoup-client) send Opus + VP8; H.264 is offered too so that
//   ffmpeg (recording / live HLS) and hardware encoders on station terminals (终端站点) can
//   send or receive it without transcoding.
// - H.264 is Constrained Baseline 3.1 with packetization-mode 1: the profile every WebRTC
//   stack is required to decode. level-asymmetry-allowed lets a sender use a higher level
//   than the receiver asked for, which browsers rely on.
// - No payload types are pinned: mediasoup assigns them, and consumers get what the router
//   negotiated.
// - The list is deeply frozen. mediasoup 3.8.4 writes into the codec objects it is given
//   (kind, channels, parameters), so pass `cloneCodecs(mediaCodecs)` to createRouter, never the
//   shared list itself (WorkerPool.createRouter does this).
import type { RtpCodecCapability } from 'mediasoup/lib/types';

export function cloneCodecs(codecs: readonly RtpCodecCapability[]): RtpCodecCapability[] {
  return structuredClone(codecs) as RtpCodecCapability[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export const mediaCodecs: readonly RtpCodecCapability[] = deepFreeze<RtpCodecCapability[]>([
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
      'x-google-start-bitrate': 1000,
    },
  },
]);
