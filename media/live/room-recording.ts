// Which of a room's producers a recording takes. Pure.
//
// Rules:
// - What is recorded is what the room sees of the presenter: the microphone; the camera, or the
//   screen share with the camera as a small inset (picture-in-picture) while both are on. Of a
//   camera and a screen, a paused one is left out (a paused picture or inset would hold the
//   composition still); alone, it is kept (recordedSources).
// - LiveRoom.startRecording: every id given must name a producer of the room of the right kind;
//   a recording needs at least one. `screenProducerId` with `videoProducerId` is the
//   picture-in-picture layout (LiveRecorder); a screen alone is the picture (recordingSources).
import type { Producer } from 'mediasoup/lib/types';
import { LiveRoomError } from './errors';
import type { LiveRecorderSources } from './recorder-types';
import type { MediaKind, ProducerInfo, RecordingOptions } from './types';

export function recordingSources(
  roomId: string,
  opts: Pick<RecordingOptions, 'audioProducerId' | 'videoProducerId' | 'screenProducerId'>,
  find: (id: string) => Producer | undefined,
): LiveRecorderSources {
  const pick = (id: string | undefined, kind: MediaKind): Producer | undefined => {
    if (id === undefined) return undefined;
    const producer = find(id);
    if (!producer) throw new LiveRoomError('no-producer', `no producer ${id} in room ${roomId}`);
    if (producer.kind !== kind) throw new LiveRoomError('no-producer', `producer ${id} is not ${kind}`);
    return producer;
  };
  const audio = pick(opts.audioProducerId, 'audio');
  const video = pick(opts.videoProducerId, 'video');
  const screen = pick(opts.screenProducerId, 'video');
  if (!audio && !video && !screen) {
    throw new LiveRoomError('no-producer', 'a recording needs audioProducerId, videoProducerId or screenProducerId');
  }
  return { audio, video, screen };
}

type Recorded = Pick<ProducerInfo, 'id' | 'kind' | 'source' | 'paused'>;

/** Of one presenter's producers, what a recording takes: `video` the camera, `screen` the share. */
export function recordedSources<P extends Recorded>(mine: readonly P[]): { video?: P; screen?: P; audio?: P } {
  let video = mine.find((p) => p.source === 'camera');
  let screen = mine.find((p) => p.source === 'screen');
  const audio = mine.find((p) => p.source === 'mic');
  if (video && screen && video.paused !== screen.paused) {
    if (video.paused) video = undefined;
    else screen = undefined;
  }
  return { video, screen, audio };
}
