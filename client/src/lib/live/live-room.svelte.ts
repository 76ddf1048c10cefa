/**
 * One page's place in a live lecture (直播间): signaling over the shared socket, media over
 * WebRTC with mediasoup-client, and the room's chat, questions and participants as reactive
 * state.
 *
 * - Joining loads the router's capabilities into a Device, opens a receive transport and
 *   consumes every producer except this page's own; new producers are consumed as they come.
 * - The host (and a viewer brought on stage) publishes camera, microphone and screen share through
 *   live-publisher.svelte.ts, which the room forwards `local`, `publish`, `unpublish` and
 *   `setPaused` to.
 * - Recovery: a transport whose ICE fails or disconnects restarts ICE; a socket that reconnects,
 *   or a room rebuilt after a media worker died (`live:rebuild`), sets everything up again,
 *   publishing this page's tracks anew. Nothing needs a page reload.
 * - Fallback (viewers): once a second the receive transport's counters, its state and the
 *   socket's go to the path health (path-health.ts). When frames stop or the transport fails at
 *   any time, the page shows the live HLS output (`mode = 'hls'`) while WebRTC keeps running or
 *   is set up again in the background with a backoff; it shows WebRTC again once frames have
 *   flowed for a few seconds. `path` says where that stands. A page without WebRTC (no Device)
 *   stays on HLS. The user can pick the mode by hand either way (no automatic switching then).
 * - Beside it: room-transports.ts opens and wires the transports, asks for consumers and reads
 *   decoded frames; quality-meter.ts gives the header's connection quality.
 */
import { Device } from 'mediasoup-client';
import { debugHookEnabled } from '../debug.ts';
import type { Consumer, Transport } from 'mediasoup-client/types';
import type { Socket } from 'socket.io-client';
import { realtime } from '../realtime.ts';
import { request } from './signaling.ts';
import type { Quality } from './inbound-stats.ts';
import { shownPath, type PathState } from './path-health.ts';
import { PathMonitor } from './path-monitor.ts';
import { meterQuality, type QualityProbe } from './quality-meter.ts';
import { decodedFrames, openRecvTransport, requestConsumer, wireTransport, type VideoFrames } from './room-transports.ts';
import { LivePublisher, type LocalTracks } from './live-publisher.svelte.ts';
import type { ChatMessage, JoinAnswer, LiveState, PeerInfo, ProducerInfo, ProducerSource, Question, RemoteTrack } from './types.ts';

export type { Quality } from './inbound-stats.ts';

declare global {
  interface Window {
    /** Tests and support staff: the page's live room (set when localStorage.e2e = '1'). */
    __live?: LiveRoomClient;
  }
}

export class LiveRoomClient {
  status = $state<'idle' | 'joining' | 'joined' | 'error' | 'removed'>('idle');
  error = $state<unknown>(null);
  mode = $state<'webrtc' | 'hls'>('webrtc');
  /** The user chose the mode by hand (no automatic switching then). */
  manualMode = $state(false);
  you = $state<PeerInfo | null>(null);
  live = $state<LiveState>({ state: 'scheduled' });
  title = $state('');
  lecturer = $state('');
  scheduledAt = $state<string | null>(null);
  peers = $state<PeerInfo[]>([]);
  chat = $state<ChatMessage[]>([]);
  questions = $state<Question[]>([]);
  remote = $state<RemoteTrack[]>([]);
  quality = $state<Quality>('unknown');
  /** Health of this viewer's WebRTC path (path-health.ts): what the header says. */
  path = $state<PathState>('connecting');
  /** Rebuilds and reconnections so far (shown, and used by tests). */
  setups = $state(0);
  /** Server clock minus this page's clock, ms. */
  clockOffset = 0;

  readonly lectureId: string;
  #socket: Socket | null = null;
  #device: Device | null = null;
  #recv: Transport | null = null;
  #publisher = new LivePublisher({
    socket: () => this.#socket,
    device: () => this.#device,
    mayPublish: () => this.mayPublish,
    wire: (t) => wireTransport(this.#socket!, t),
  });
  #consumers = new Map<string, Consumer>();
  /** Producers announced while the receive transport was still being opened. */
  #pending = new Map<string, ProducerInfo>();
  #offs: (() => void)[] = [];
  #stopQuality: (() => void) | undefined;
  /** The current attempt threw while setting WebRTC up; the device cannot do WebRTC at all. */
  #attemptFailed = false;
  #noWebRtc = false;
  /** Producers in the room (join answer + events), consumed or not: what this page should receive. */
  #known = new Map<string, ProducerInfo>();
  #setupRun = 0;
  #closed = false;
  #playbackId: string | null = null;

  constructor(lectureId: string) {
    this.lectureId = lectureId;
    if (debugHookEnabled() && typeof window !== 'undefined') window.__live = this;
  }

  /** Decoded video frames per received producer (WebRTC getStats), for diagnostics and tests. */
  async videoStats(): Promise<VideoFrames[]> {
    return decodedFrames(this.remote, this.#consumers);
  }

  get isHost(): boolean {
    return this.you?.role === 'host';
  }

  get mayPublish(): boolean {
    return Boolean(this.you && (this.you.role === 'host' || this.you.onStage));
  }

  /** Seconds on the live timeline now. */
  timeline(): number {
    const started = this.live.startedAt;
    return started ? Math.max(0, (Date.now() + this.clockOffset - started) / 1000) : 0;
  }

  async join(): Promise<void> {
    this.status = 'joining';
    const socket = await realtime();
    this.#socket = socket;
    this.#listen(socket);
    if (socket.connected) await this.#setup();
    // else: the 'connect' listener sets up
    this.#stopQuality = meterQuality(this.#qualityProbe);
    this.#monitor.start();
  }

  #listen(socket: Socket) {
    const on = <T>(event: string, fn: (payload: T) => void) => {
      socket.on(event, fn);
      this.#offs.push(() => socket.off(event, fn));
    };
    on('connect', () => void this.#setup());
    on('disconnect', () => (this.quality = 'offline'));
    on<PeerInfo[]>('live:peers', (peers) => {
      this.peers = peers;
      const me = peers.find((p) => p.peerId === this.you?.peerId);
      if (me) this.you = me;
    });
    on<ChatMessage>('live:chat', (m) => {
      if (!this.chat.some((c) => c.id === m.id)) this.chat = [...this.chat, m].slice(-200);
    });
    on<Question[]>('live:questions', (q) => (this.questions = q));
    on<LiveState>('live:state', (s) => {
      this.live = s;
      if (s.state === 'ended') this.#teardownMedia();
    });
    on<ProducerInfo>('live:producer-added', (p) => {
      this.#known.set(p.id, p);
      void this.#consume(p);
    });
    on<{ id: string }>('live:producer-closed', ({ id }) => {
      this.#known.delete(id);
      this.#dropRemote(id);
    });
    on<{ id: string }>('live:producer-paused', ({ id }) => this.#markRemote(id, true));
    on<{ id: string }>('live:producer-resumed', ({ id }) => this.#markRemote(id, false));
    on('live:rebuild', () => void this.#setup());
    on<{ onStage: boolean }>('live:stage', ({ onStage }) => void this.#onStage(onStage));
    on('live:muted', () => this.#publisher.mutedByHost());
    on('live:removed', () => {
      this.status = 'removed';
      this.#teardownMedia();
      this.#publisher.stopTracks();
    });
  }

  /** (Re)joins the room and sets media up from scratch. */
  async #setup(): Promise<void> {
    if (this.#closed || !this.#socket || this.status === 'removed') return;
    const run = ++this.#setupRun;
    this.#attemptFailed = false;
    this.#teardownMedia();
    try {
      const r = await request<JoinAnswer>(this.#socket, 'live:join', { lectureId: this.lectureId, ...(this.#playbackId ? { playbackId: this.#playbackId } : {}) });
      if (run !== this.#setupRun) return;
      this.clockOffset = r.serverNow - Date.now();
      this.you = r.you;
      this.live = r.state;
      this.title = r.title;
      this.lecturer = r.lecturer;
      this.scheduledAt = r.scheduledAt;
      this.peers = r.peers;
      this.chat = r.chat;
      this.questions = r.questions;
      this.#known = new Map(r.producers.map((p) => [p.id, p]));
      this.status = 'joined';
      this.error = null;
      this.setups++;
      if (r.state.state === 'ended' || !r.rtpCapabilities) return;
      if (this.#watchesHlsByHand() || this.#noWebRtc) return;
      await this.#startWebRtc(r, run);
    } catch (error) {
      if (run !== this.#setupRun) return;
      if (this.status !== 'joined') {
        this.status = 'error';
        this.error = error;
      } else if (this.mayPublish) {
        this.error = error;
      } else {
        // The path health falls back to the live HLS and schedules the next attempt.
        this.#attemptFailed = true;
        if ((error as Error | null)?.name === 'UnsupportedError') this.#noWebRtc = true;
      }
    }
  }

  async #startWebRtc(r: JoinAnswer, run: number) {
    this.#device ??= new Device();
    if (!this.#device.loaded) await this.#device.load({ routerRtpCapabilities: r.rtpCapabilities as never });
    if (run !== this.#setupRun) return;
    this.#recv = await openRecvTransport(this.#socket!, this.#device!);
    const announced = new Map(r.producers.map((p) => [p.id, p]));
    for (const p of this.#pending.values()) announced.set(p.id, p);
    this.#pending.clear();
    const others = [...announced.values()].filter((p) => p.peerId !== this.you?.peerId);
    await Promise.all(others.map((p) => this.#consume(p)));
    if (this.mayPublish) await this.#publisher.republish();
  }

  async #consume(p: ProducerInfo) {
    if (p.peerId === this.you?.peerId || this.#consumers.has(p.id)) return;
    if (!this.#recv || !this.#device) {
      // Set-up is under way: consumed once the receive transport is open.
      this.#pending.set(p.id, p);
      return;
    }
    if (this.#watchesHlsByHand()) return;
    const socket = this.#socket!;
    try {
      const info = await requestConsumer(socket, this.#recv, this.#device, p.id);
      const consumer = await this.#recv.consume({ id: info.id, producerId: info.producerId, kind: info.kind, rtpParameters: info.rtpParameters });
      this.#consumers.set(p.id, consumer);
      consumer.on('transportclose', () => this.#dropRemote(p.id));
      this.remote = [...this.remote.filter((x) => x.producerId !== p.id), { producerId: p.id, consumerId: consumer.id, peerId: p.peerId, source: p.source, kind: p.kind, track: consumer.track, paused: p.paused }];
      await request(socket, 'live:consumer:resume', { consumerId: consumer.id });
    } catch {
      // The producer went away meanwhile, or the room is being rebuilt: the next event sets it right.
    }
  }

  #dropRemote(producerId: string) {
    this.#pending.delete(producerId);
    this.#consumers.get(producerId)?.close();
    this.#consumers.delete(producerId);
    this.remote = this.remote.filter((x) => x.producerId !== producerId);
  }

  #markRemote(producerId: string, paused: boolean) {
    const known = this.#known.get(producerId);
    if (known) this.#known.set(producerId, { ...known, paused });
    this.remote = this.remote.map((x) => (x.producerId === producerId ? { ...x, paused } : x));
  }

  // ---- publishing (live-publisher.svelte.ts) ---------------------------------------------

  /** This page's published tracks by source. */
  get local(): LocalTracks {
    return this.#publisher.local;
  }

  /** Starts (or replaces) a source with a captured track. */
  publish = (source: ProducerSource, track: MediaStreamTrack): Promise<void> => this.#publisher.publish(source, track);
  unpublish = (source: ProducerSource): Promise<void> => this.#publisher.unpublish(source);
  setPaused = (source: ProducerSource, paused: boolean): Promise<void> => this.#publisher.setPaused(source, paused);

  async #onStage(onStage: boolean) {
    if (this.you) this.you = { ...this.you, onStage };
    if (onStage) await this.#publisher.joinStage().catch((error: unknown) => (this.error = error));
    else await this.#publisher.leaveStage();
  }

  // ---- room actions ----------------------------------------------------------------------

  #req<T = Record<string, never>>(event: string, payload: object = {}): Promise<T> {
    if (!this.#socket) return Promise.reject(new Error('not connected'));
    return request<T>(this.#socket, event, payload);
  }

  start = () => this.#req<{ state: LiveState }>('live:start').then((r) => (this.live = r.state));
  end = () => this.#req<{ state: LiveState }>('live:end').then((r) => (this.live = r.state));
  say = (text: string) => this.#req('live:chat', { text });
  ask = (text: string) => this.#req('live:question:ask', { text });
  upvote = (questionId: string) => this.#req('live:question:upvote', { questionId });
  markAnswered = (questionId: string) => this.#req('live:question:answer', { questionId });
  raiseHand = (raised: boolean) => this.#req('live:hand', { raised });
  setStage = (peerId: string, onStage: boolean) => this.#req('live:stage', { peerId, onStage });
  mute = (peerId: string) => this.#req('live:mute', { peerId });
  remove = (peerId: string) => this.#req('live:remove', { peerId });

  /** This page's study playback: the SFU's bytes to it are the evidence for its credits. */
  track(playbackId: string) {
    this.#playbackId = playbackId;
    return this.#req('live:track', { playbackId }).catch(() => {});
  }

  /** The user picks WebRTC or HLS by hand. */
  setMode(mode: 'webrtc' | 'hls') {
    this.manualMode = true;
    if (mode === this.mode) return;
    this.mode = mode;
    void this.#setup();
  }

  #watchesHlsByHand(): boolean {
    return this.manualMode && this.mode === 'hls' && !this.mayPublish;
  }

  // ---- path health (viewers) -------------------------------------------------------------

  #monitor = new PathMonitor({
    judged: () => !this.#closed && this.status === 'joined' && this.live.state === 'live' && !this.mayPublish && !this.manualMode,
    attempt: () => this.#setupRun,
    recv: () => this.#recv,
    expected: () => [...this.#known.values()].some((p) => p.peerId !== this.you?.peerId && !p.paused),
    failed: () => this.#attemptFailed || this.#noWebRtc,
    signalling: () => Boolean(this.#socket?.connected),
    idle: () => {
      this.path = 'connecting';
      if (this.mayPublish && !this.manualMode) this.mode = 'webrtc';
    },
    show: (state) => {
      this.path = state;
      if (!this.manualMode) this.mode = shownPath(state);
    },
    retry: () => {
      if (!this.#noWebRtc) void this.#setup();
    },
  });

  // ---- quality (quality-meter.ts) --------------------------------------------------------

  #qualityProbe: QualityProbe = {
    transport: () => this.#publisher.transport ?? this.#recv,
    signalling: () => Boolean(this.#socket?.connected),
    path: () => this.path,
    set: (quality) => (this.quality = quality),
  };

  // ---- teardown --------------------------------------------------------------------------

  #teardownMedia() {
    this.#pending.clear();
    for (const c of this.#consumers.values()) c.close();
    this.#consumers.clear();
    this.#publisher.closeMedia();
    this.#recv?.close();
    this.#recv = null;
    this.remote = [];
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopQuality?.();
    this.#monitor.stop();
    this.#teardownMedia();
    this.#publisher.stopTracks();
    if (this.#socket?.connected) this.#socket.emit('live:leave', {}, () => {});
    for (const off of this.#offs) off();
  }
}
