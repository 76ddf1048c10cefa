/**
 * The recording of a live lecture (the recording half of LiveService, live.service.ts): the host's
 * tracks recorded part after part, each part's place on the live timeline kept in the store.
 *
 * - sync() makes the recording follow the host's camera, screen share and microphone (debounced,
 *   one at a time per lecture): a change of what the room sees starts a new part, and the current
 *   part goes on until the new one has its first segment, so the live HLS has no gap.
 * - A part is stored as it starts (its offset), moved to where its media begins, and described
 *   (number, length, size, offset) once its recorder has exited, in the background: drain() waits
 *   for those descriptions at shutdown, the store still open.
 */
import { mkdir, stat } from 'node:fs/promises';
import type { AppConfig } from '../../../config';
import { probeRecordedPart, recordedSources, type LiveRecorder, type LiveRoom, type Storage } from '../../../media';
import type { Models } from '../../store/models';
import { writeLecture } from '../catalog/catalog.service';
import type { LiveEntry } from './live.service';
import { placeStoppedPart } from './part-placement';
import { LiveRecordingRepository } from './recording-repository';

/** How long a new part waits for the host's other track (camera and microphone come back one at a time). */
const SETTLE_MS = 1_500;
/** How long a new part's offset waits for its media to begin before it takes its start instead. */
const MEDIA_START_WAIT_MS = 10_000;

export interface LiveLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One part of a live lecture's recording: a recorder writing `prefix` from `offsetSec` of the timeline. */
export interface RecordedPart {
  index: number;
  prefix: string;
  offsetSec: number;
  recorder: LiveRecorder;
  audioProducerId?: string;
  videoProducerId?: string;
  screenProducerId?: string;
  ready: boolean;
  stopped: boolean;
  described?: boolean;
  /** Its entry in the lecture's stored parts (addPart), then placed where its media begins (placePart): described only after both. */
  added?: Promise<void>;
  /** The host's video rose above the layer this part started on. */
  raised?: boolean;
}

export class LiveRecording {
  private readonly repo: LiveRecordingRepository;
  private readonly describing = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      models: Models;
      storage: Storage;
      config: AppConfig;
      log: LiveLog;
      /** Seconds on the lecture's live timeline at `at` (now by default). */
      timelineSec: (e: LiveEntry, at?: number) => number;
      emit: (e: LiveEntry, event: string, payload: unknown) => void;
      /** The service is closing: no new part starts. */
      closed: () => boolean;
    },
  ) {
    this.repo = new LiveRecordingRepository(deps.models);
  }

  /** Makes the recording follow the host's camera and microphone (debounced, one at a time). */
  sync(e: LiveEntry) {
    e.recordingSync = e.recordingSync.then(() => this.doSync(e)).catch((err: unknown) => this.deps.log.error({ err, lectureId: e.lectureId }, 'live.recording | sync failed'));
  }

  private async doSync(e: LiveEntry) {
    if (e.state.state !== 'live' || !e.room || this.deps.closed()) return;
    const pick = (room: LiveRoom) => {
      const hostIds = new Set(e.session.list().filter((p) => p.role === 'host').map((p) => p.peerId));
      return recordedSources(room.producers().filter((p) => hostIds.has(p.peerId)));
    };
    let { video, screen, audio } = pick(e.room);
    const cur = e.parts.at(-1);
    // After a rebuild the host's tracks come back one at a time (all new, none of the part's): a
    // part that ended with both waits a moment for the other one. A track stopped by hand (the
    // others still the part's) is not waited for.
    const missing = () =>
      ((cur?.videoProducerId && !video) || (cur?.screenProducerId && !screen) || (cur?.audioProducerId && !audio)) &&
      ![video, screen, audio].some((p) => p && [cur?.videoProducerId, cur?.screenProducerId, cur?.audioProducerId].includes(p.id));
    for (const settleUntil = Date.now() + SETTLE_MS; cur && (video || screen || audio) && missing() && Date.now() < settleUntil && e.room; ) {
      await new Promise((r) => setTimeout(r, 100));
      if (e.room) ({ video, screen, audio } = pick(e.room));
    }
    if (!e.room || e.state.state !== 'live' || this.deps.closed()) return;
    if (cur && !cur.stopped && !cur.raised && cur.videoProducerId === video?.id && cur.screenProducerId === screen?.id && cur.audioProducerId === audio?.id) return;
    // The current part goes on until the next part has its first segment, so the live HLS and the
    // timeline switch without a gap. One that lost a track (a paused camera, a stopped share)
    // stands still from that moment (ffmpeg's overlay waits for both pictures), but ffmpeg runs
    // behind real time and what it received before is still being encoded: its recorder's stop()
    // lets it write that first (seconds at load 8). Not awaited: an ffmpeg slow to stop does not
    // hold up the next part.
    const stopCurrent = () => {
      if (cur && !cur.stopped) void this.stopPart(cur);
    };
    const handOver = cur && !cur.stopped;
    if (!video && !screen && !audio) return stopCurrent();
    // A lecture started before the folder was kept in the store records beside its start.
    e.recordingPrefix ??= `live/${e.lectureId}/${e.state.startedAt ?? Date.now()}`;
    // A folder already holding a recording (its part was not stored before the portal stopped) is skipped, never reused.
    let index = e.nextPart++;
    while (await stat(this.deps.storage.path(`${e.recordingPrefix}/part-${index}/index.m3u8`)).then(() => true, () => false)) index = e.nextPart++;
    const prefix = `${e.recordingPrefix}/part-${index}`;
    const outDir = this.deps.storage.path(prefix);
    await mkdir(outDir, { recursive: true });
    let recorder: LiveRecorder;
    try {
      recorder = await e.room.startRecording({ videoProducerId: video?.id, screenProducerId: screen?.id, audioProducerId: audio?.id, outDir, ffmpegPath: this.deps.config.ffmpeg.ffmpegPath, segmentSec: this.deps.config.mediasoup.liveSegmentSec });
    } catch (error) {
      stopCurrent();
      throw error;
    }
    if (handOver) void recorder.waitForFirstSegment(20_000).catch(() => undefined).finally(stopCurrent);
    else stopCurrent();
    const part: RecordedPart = { index, prefix, offsetSec: this.deps.timelineSec(e), recorder, videoProducerId: video?.id, screenProducerId: screen?.id, audioProducerId: audio?.id, ready: false, stopped: false };
    // Its size is pinned below the host's top layer, which came later: a new part records it.
    // Or the picture itself grew (a screen share's size climbs as the sender's bandwidth allows).
    const raise = () => {
      if (part.raised) return;
      part.raised = true;
      this.sync(e);
    };
    recorder.once('layers-raised', raise);
    recorder.once('picture-grown', raise);
    // A recorder also ends on its own (its room was rebuilt): the next sync starts a new part.
    recorder.once('exit', () => {
      part.stopped = true;
      const described = this.describePart(e, part).catch((err: unknown) => this.deps.log.warn({ err, lectureId: e.lectureId, prefix }, 'live.recording | the part was not described'));
      this.describing.add(described);
      void described.finally(() => this.describing.delete(described));
    });
    e.parts.push(part);
    e.state = { ...e.state, hls: { part: index, offsetSec: part.offsetSec, ready: false } };
    // Before the lecture's media points at the part: the media routes place its segments on the
    // timeline by its offset. Stored at once (the parts keep their order), then moved to where
    // its media begins (its first sound, or its picture's first keyframe when there is no sound:
    // up to seconds after the start on a busy machine or with a sender slow to answer the
    // keyframe request); the next change of sources need not wait for that.
    const stored = this.repo.addPart(e.lectureId, prefix, part.offsetSec).catch((err: unknown) => this.deps.log.error({ err, lectureId: e.lectureId, prefix }, 'live.recording | the part offset was not stored'));
    await stored;
    part.added = stored
      .then(() => recorder.mediaStartAt(MEDIA_START_WAIT_MS))
      .then(async (at) => {
        const offsetSec = this.deps.timelineSec(e, at);
        if (offsetSec <= part.offsetSec) return;
        part.offsetSec = offsetSec;
        await this.repo.placePart(e.lectureId, prefix, offsetSec);
      })
      .catch((err: unknown) => this.deps.log.warn({ err, lectureId: e.lectureId, prefix }, 'live.recording | the part was not placed where its media begins'));
    void recorder.waitForFirstSegment(20_000).then(
      async () => {
        await part.added;
        part.ready = true;
        await writeLecture(this.deps.models, e.lectureId, () => this.deps.models.Lecture.updateOne({ _id: e.lectureId }, { $set: { media: { prefix, master: 'index.m3u8', segmentSec: this.deps.config.mediasoup.liveSegmentSec, audioOnly: !video && !screen } } }));
        if (e.parts.at(-1) === part && e.state.state === 'live') {
          e.state = { ...e.state, hls: { part: index, offsetSec: part.offsetSec, ready: true } };
          this.deps.emit(e, 'live:state', e.state);
        }
      },
      (err: unknown) => this.deps.log.warn({ err, lectureId: e.lectureId }, 'live.recording | no first segment'),
    );
  }

  async stopPart(p: RecordedPart) {
    p.stopped = true;
    await p.recorder.stop().catch(() => {});
  }

  /**
   * A stopped part's number, length and size are kept with it (after its recorder's exit, in the
   * background: the next part need not wait; close() waits for them, the store still open).
   */
  private async describePart(e: LiveEntry, p: RecordedPart) {
    if (p.described) return;
    p.described = true;
    // A part that ends quickly (superseded, its ffmpeg gone) may exit while its entry is still
    // queued behind other writes of the lecture on a busy store: seen at load 8.
    await p.added;
    const probed = await probeRecordedPart(this.deps.storage.path(p.prefix), this.deps.config.ffmpeg.ffprobePath);
    const durationSec = probed?.durationSec ?? 0;
    const stoppedAt = p.recorder.stoppedAt ?? Date.now();
    const offsetSec = placeStoppedPart({ offsetSec: p.offsetSec, durationSec, startedSec: this.deps.timelineSec(e, p.recorder.startedAt), stoppedSec: this.deps.timelineSec(e, stoppedAt) });
    if (offsetSec !== p.offsetSec) {
      this.deps.log.warn({ lectureId: e.lectureId, prefix: p.prefix, placedSec: p.offsetSec, offsetSec, durationSec }, 'live.recording | the part ran past its stop: moved back to end there');
      p.offsetSec = offsetSec;
    }
    await this.repo.describePart(e.lectureId, p.prefix, { index: p.index, durationSec, width: probed?.width, height: probed?.height, offsetSec });
  }

  /** Stops every part of the lecture, side by side (each lets its ffmpeg write what it received first). */
  async stopAll(e: LiveEntry): Promise<void> {
    await Promise.all(e.parts.map((p) => this.stopPart(p)));
  }

  /** Waits for the descriptions of stopped parts still being written. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.describing]);
  }
}
