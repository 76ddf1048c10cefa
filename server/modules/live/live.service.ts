/**
 * Live lectures (直播讲座): the rooms behind the signaling, their recording and the replay.
 *
 * - A lecture's room (media/live LiveRoom) is created when its first participant joins and is
 *   closed when the lecture ends or nobody has been in it for a while.
 * - Starting (the host) sets the live timeline's zero and records the host's camera and
 *   microphone through ffmpeg into an HLS playlist under `live/<lecture>/<stamp>/part-N`: the
 *   lecture's media points at it, so viewers without WebRTC play it with hls.js through the
 *   ordinary playback tokens, and their segment fetches are the evidence for study credits.
 *   When the host's recorded producers change (camera off and on, a screen share started or
 *   stopped, a rebuilt room), a new part starts; each part knows its offset on the timeline.
 * - What is recorded is what the room sees: the camera, or the screen share with the camera as a
 *   small inset (picture-in-picture) while both are on; a paused one of the two is left out. The
 *   next part starts before the current one stops: a change of layout leaves no gap when the
 *   current part's tracks still flow, and less than a segment when one of them went away.
 * - WebRTC viewers' evidence is the bytes the SFU sent them: sampled every 2 s and recorded as
 *   delivered seconds of the live timeline for their playback session. Live HLS viewers' evidence
 *   is the segment bytes sent to them, placed on the timeline by their part's offset
 *   (`live.parts`, kept on the lecture as each part starts; playback/delivery.ts).
 * - The recording's state is in the store: its folder (`live.recordingPrefix`) and each part
 *   (`live.parts`: folder, offset; number, length and size once stopped). After a portal restart
 *   during a live lecture, the host's producers start the next part in the same folder; nothing
 *   recorded before is removed or overwritten.
 * - Ending stops the recording, fixes the lecture's duration (so live attendance completes by
 *   the same rules as a recording), and queues the `live-replay` job (replay-job.ts): the stored
 *   parts placed on the live timeline become a new recorded lecture (回放), transcoded by the
 *   job queue and published when ready; the room's state says `replayReady` only then (the
 *   catalog's `lecture-changed`), so pages never link to a replay that cannot be watched yet.
 * - The recording's parts are live-recording.ts's (LiveRecording); this service owns the rooms,
 *   the live state and the delivery evidence.
 * - A worker that dies takes its rooms with it: the room manager rebuilds them and every
 *   participant is told to set up again (`live:rebuild`).
 */
import type { Server as IoServer } from 'socket.io';
import type { AppConfig } from '../../../config';
import { LiveRoomManager, type LiveRoom, type Storage, type WorkerPool } from '../../../media';
import type { Models } from '../../store/models';
import { writeLecture, type CatalogService } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';
import type { JobQueue } from '../jobs/job-queue';
import type { StudyEngine } from '../study/study-engine';
import { LiveSession } from './live-session';
import { LiveRecording, type LiveLog, type RecordedPart } from './live-recording';
import { nextPartIndex } from './recording-repository';
import { LIVE_REPLAY_JOB, liveReplayPayload, makeLiveReplayHandler } from './replay-job';

const IDLE_CLOSE_MS = 60_000;
const SAMPLE_MS = 2_000;

export interface LiveState {
  state: 'scheduled' | 'live' | 'ended';
  startedAt?: number;
  /** The HLS part now being written, for viewers without WebRTC. */
  hls?: { part: number; offsetSec: number; ready: boolean };
  replayLectureId?: string;
  /** The replay is published and playable (its transcode finished): only then do pages link to it. */
  replayReady?: boolean;
}

/** Whether a replay lecture can be watched now. */
export function isReplayReady(replay: Pick<LectureDoc, 'state' | 'media'> | null | undefined): boolean {
  return replay?.state === 'published' && Boolean(replay.media?.master);
}

export interface LiveEntry {
  lectureId: string;
  session: LiveSession;
  room: LiveRoom | null;
  roomPending: Promise<LiveRoom> | null;
  state: LiveState;
  /** `live/<lecture>/<stamp>`: the recording's folder, set at the start and kept in the store. */
  recordingPrefix?: string;
  /** The number of the next part (after the stored ones when the portal restarted mid-lecture). */
  nextPart: number;
  parts: RecordedPart[];
  recordingSync: Promise<void>;
  /** peerId -> the peer's study playback and the bytes seen at the last sample. */
  delivery: Map<string, { playbackId: string; bytes: number; atSec: number }>;
  idleTimer?: NodeJS.Timeout;
  /** The peer list's last broadcast, and the one scheduled after it (peersChanged()). */
  peersSentAt?: number;
  peersTimer?: NodeJS.Timeout;
}

/**
 * The peer list goes to the room at most this often: at a forum's start every join would
 * otherwise send the whole list (27 KB at 200 peers) to everyone, O(N²) messages
 * (bench/forum-start.ts: 200 joins in 30 s, p50 2.2 s → 0.14 s with one list per 500 ms).
 */
const PEERS_EVERY_MS = 500;

export class LiveService {
  readonly rooms: LiveRoomManager;
  private readonly entries = new Map<string, LiveEntry>();
  private readonly recording: LiveRecording;
  private readonly sampler: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly deps: {
      models: Models;
      pool: WorkerPool;
      storage: Storage;
      catalog: CatalogService;
      study: StudyEngine;
      jobs: JobQueue;
      config: AppConfig;
      io: () => IoServer | undefined;
      log: LiveLog;
    },
  ) {
    this.recording = new LiveRecording({
      models: deps.models,
      storage: deps.storage,
      config: deps.config,
      log: deps.log,
      timelineSec: (e, at) => this.timelineSec(e, at),
      emit: (e, event, payload) => this.emit(e, event, payload),
      closed: () => this.closed,
    });
    const ms = deps.config.mediasoup;
    this.rooms = new LiveRoomManager(deps.pool, {
      listenIp: ms.listenIp,
      announcedIp: ms.announcedIp,
      enableUdp: ms.enableUdp,
      enableTcp: ms.enableTcp,
      preferUdp: ms.preferUdp,
      maxConsumersPerRouter: ms.maxConsumersPerRouter,
      statsIntervalMs: SAMPLE_MS,
    });
    this.rooms.on('room-rebuilt', (roomId: string) => void this.onRebuilt(roomId));
    this.sampler = setInterval(() => this.sampleDelivery(), SAMPLE_MS);
    this.sampler.unref();
    deps.catalog.on('lecture-changed', this.onLectureChanged);
    deps.jobs.register(LIVE_REPLAY_JOB, makeLiveReplayHandler({ ...deps, onQueued: this.onReplayQueued }));
  }

  /** The replay lecture exists (the job made it) and is being transcoded. */
  private readonly onReplayQueued = (lectureId: string, replayLectureId: string) => {
    const e = this.entries.get(lectureId);
    this.deps.log.info({ lectureId, replayLectureId }, 'live.replay | recording queued for the replay');
    if (!e || e.state.replayLectureId === replayLectureId) return;
    e.state = { ...e.state, replayLectureId };
    this.emit(e, 'live:state', e.state);
  };

  /** A replay became watchable (its transcode finished and published it): the room is told at once. */
  private readonly onLectureChanged = (l: LectureDoc) => {
    if (!l.replayOf) return;
    const e = this.entries.get(String(l.replayOf));
    const ready = isReplayReady(l);
    if (!e || Boolean(e.state.replayReady) === ready) return;
    e.state = { ...e.state, replayLectureId: String(l._id), replayReady: ready };
    this.emit(e, 'live:state', e.state);
    this.deps.log.info({ lectureId: e.lectureId, replayLectureId: String(l._id), ready }, 'live.replay | the replay changed');
  };

  /** Whether the replay of a live lecture can be watched now (one read of the replay). */
  async replayReady(replayLectureId: string | undefined): Promise<boolean> {
    if (!replayLectureId) return false;
    return isReplayReady(await this.deps.models.Lecture.findById(replayLectureId, { state: 1, media: 1 }).lean<LectureDoc>());
  }

  /** The entry of a lecture, loading its persisted state on first use. */
  async entry(lecture: LectureDoc): Promise<LiveEntry> {
    const id = String(lecture._id);
    let e = this.entries.get(id);
    if (!e) {
      const replayLectureId = lecture.live?.replayLectureId ? String(lecture.live.replayLectureId) : undefined;
      const replayReady = await this.replayReady(replayLectureId);
      // Another join may have made the entry while the replay was read.
      const made = this.entries.get(id);
      if (made) return made;
      e = {
        lectureId: id,
        session: new LiveSession(),
        room: null,
        roomPending: null,
        state: {
          state: (lecture.live?.state as LiveState['state']) ?? 'scheduled',
          startedAt: lecture.live?.startedAt ? new Date(lecture.live.startedAt).getTime() : undefined,
          replayLectureId,
          replayReady,
        },
        recordingPrefix: lecture.live?.recordingPrefix ?? undefined,
        nextPart: nextPartIndex(lecture.live?.parts ?? []),
        parts: [],
        recordingSync: Promise.resolve(),
        delivery: new Map(),
      };
      this.entries.set(id, e);
    }
    return e;
  }

  get(lectureId: string): LiveEntry | undefined {
    return this.entries.get(lectureId);
  }

  async room(e: LiveEntry): Promise<LiveRoom> {
    if (e.room) return e.room;
    e.roomPending ??= this.rooms.getOrCreate(e.lectureId).then(
      (room) => {
        e.room = room;
        e.roomPending = null;
        room.once('close', () => {
          if (e.room === room) e.room = null;
        });
        room.on('producer-added', (p) => {
          this.emit(e, 'live:producer-added', p);
          this.recording.sync(e);
        });
        room.on('producer-closed', (p) => {
          this.emit(e, 'live:producer-closed', p);
          this.recording.sync(e);
        });
        // A paused camera or screen leaves the picture-in-picture (recordedSources).
        room.on('producer-paused', (p) => {
          this.emit(e, 'live:producer-paused', p);
          this.recording.sync(e);
        });
        room.on('producer-resumed', (p) => {
          this.emit(e, 'live:producer-resumed', p);
          this.recording.sync(e);
        });
        return room;
      },
      (err: unknown) => {
        e.roomPending = null;
        throw err;
      },
    );
    return e.roomPending;
  }

  emit(e: LiveEntry, event: string, payload: unknown) {
    this.deps.io()?.to(`live:${e.lectureId}`).emit(event, payload);
  }

  peersChanged(e: LiveEntry) {
    // The first change after a quiet spell goes out at once; those that follow within
    // PEERS_EVERY_MS are sent together, as the list at the end of it.
    if (!e.peersTimer) {
      const wait = (e.peersSentAt ?? 0) + PEERS_EVERY_MS - Date.now();
      const send = () => {
        e.peersTimer = undefined;
        e.peersSentAt = Date.now();
        this.emit(e, 'live:peers', e.session.list());
      };
      if (wait <= 0) send();
      else {
        e.peersTimer = setTimeout(send, wait);
        e.peersTimer.unref();
      }
    }
    clearTimeout(e.idleTimer);
    if (e.session.peers.size === 0 && e.state.state !== 'live') {
      e.idleTimer = setTimeout(() => {
        if (e.session.peers.size === 0 && e.state.state !== 'live') {
          e.room?.close();
          e.room = null;
          this.entries.delete(e.lectureId);
        }
      }, IDLE_CLOSE_MS);
      e.idleTimer.unref();
    }
  }

  /** Seconds on the live timeline now (0 before the start). */
  timelineSec(e: LiveEntry, now = Date.now()): number {
    return e.state.startedAt ? Math.max(0, (now - e.state.startedAt) / 1000) : 0;
  }

  /** A viewer's study playback: their received bytes count as delivered timeline. */
  trackDelivery(e: LiveEntry, peerId: string, playbackId: string) {
    e.delivery.set(peerId, { playbackId, bytes: e.room?.peerBytesReceived(peerId) ?? 0, atSec: this.timelineSec(e) });
  }

  /**
   * Bytes the SFU sent a viewer since the last sample deliver that stretch of the timeline, and
   * the media flowing now up to the next sample: a beat made between two samples is judged
   * before the next one, so without it every span would lose its last (up to 2) seconds. A
   * viewer whose bytes stop gets at most that one sample interval more.
   */
  private sampleDelivery() {
    const ahead = SAMPLE_MS / 1000;
    for (const e of this.entries.values()) {
      if (e.state.state !== 'live' || !e.room) continue;
      const nowSec = this.timelineSec(e);
      for (const [peerId, d] of e.delivery) {
        const bytes = e.room.peerBytesReceived(peerId);
        if (bytes > d.bytes) this.deps.study.recordDeliveredSpan(d.playbackId, d.atSec, nowSec + ahead);
        d.bytes = bytes;
        d.atSec = nowSec;
      }
    }
  }

  // ---- start, recording, end -------------------------------------------------------------

  async start(e: LiveEntry, hostPeerId: string) {
    e.session.assertHost(hostPeerId);
    if (e.state.state === 'ended') return e.state;
    if (e.state.state !== 'live') {
      const now = Date.now();
      e.state = { ...e.state, state: 'live', startedAt: now };
      e.recordingPrefix = `live/${e.lectureId}/${now}`;
      await writeLecture(this.deps.models, e.lectureId, () => this.deps.models.Lecture.updateOne({ _id: e.lectureId }, { $set: { 'live.state': 'live', 'live.startedAt': new Date(now), 'live.recordingPrefix': e.recordingPrefix } }));
      this.deps.catalog.changed((await this.deps.models.Lecture.findById(e.lectureId).lean<LectureDoc>())!);
      this.deps.log.info({ lectureId: e.lectureId }, 'live.start() | the live lecture started');
    }
    this.recording.sync(e);
    this.emit(e, 'live:state', e.state);
    return e.state;
  }

  async end(e: LiveEntry, hostPeerId: string | null): Promise<LiveState> {
    if (hostPeerId !== null) e.session.assertHost(hostPeerId);
    if (e.state.state !== 'live') return e.state;
    const endedAt = Date.now();
    const durationSec = Math.max(1, Math.round(this.timelineSec(e, endedAt)));
    e.state = { ...e.state, state: 'ended' };
    await e.recordingSync;
    // Each lets its ffmpeg write what it received first (LiveRecorder.stop): side by side.
    await this.recording.stopAll(e);
    await writeLecture(this.deps.models, e.lectureId, () => this.deps.models.Lecture.updateOne({ _id: e.lectureId }, { $set: { 'live.state': 'ended', 'live.endedAt': new Date(endedAt), durationSec } }));
    this.deps.catalog.changed((await this.deps.models.Lecture.findById(e.lectureId).lean<LectureDoc>())!);
    await this.deps.study.lectureChanged(e.lectureId);
    this.emit(e, 'live:state', e.state);
    e.room?.close();
    e.room = null;
    e.delivery.clear();
    this.deps.log.info({ lectureId: e.lectureId, durationSec, parts: e.parts.length }, 'live.end() | the live lecture ended');
    // The stored parts, also those recorded before a portal restart.
    if (e.parts.length || e.nextPart > 1) {
      const job = await this.deps.jobs.enqueue(LIVE_REPLAY_JOB, { ...liveReplayPayload(e.lectureId) });
      this.deps.log.info({ lectureId: e.lectureId, jobId: String(job._id) }, 'live.end() | the replay was queued');
    }
    return e.state;
  }

  private async onRebuilt(roomId: string) {
    const e = this.entries.get(roomId);
    if (!e) return;
    this.deps.log.warn({ lectureId: roomId }, 'live | the room was rebuilt after a worker died; participants set up again');
    e.delivery.clear();
    this.emit(e, 'live:rebuild', { at: Date.now() });
  }

  async close() {
    this.closed = true;
    this.deps.catalog.off('lecture-changed', this.onLectureChanged);
    clearInterval(this.sampler);
    for (const e of this.entries.values()) {
      clearTimeout(e.idleTimer);
      clearTimeout(e.peersTimer);
    }
    // Each lets its ffmpeg write what it received first (LiveRecorder.stop): side by side.
    await Promise.all([...this.entries.values()].map((e) => this.recording.stopAll(e)));
    await this.recording.drain();
    this.rooms.closeAll();
  }
}
