/**
 * The station kiosk (空中课堂终端): what plays now and next, on the station's own credential.
 *
 * - The timetable comes from GET /api/kiosk/state and is kept in localStorage, so a station that
 *   restarts (power cut) without network still knows what to play; the server's clock is used
 *   (offset measured on every answer).
 * - It renders from that saved state at once: the clock, the timetable and playback run from it
 *   without waiting for any request, and resync when answers come back.
 * - Every second the current session is worked out from the timetable; the page plays it.
 * - The state is refreshed every POLL_MS. Every request has a deadline (REQUEST_MS): the station
 *   is online only while answers keep coming (the last one less than STALE_MS ago), and offline
 *   as soon as a request fails or times out (a black-holed link) or the browser says so; it keeps
 *   playing. While offline the expired QR code is hidden, and the operator's check-ins are queued
 *   at once (checkin-queue.ts, with the station's clock reading) and sent with POST /api/kiosk/sync
 *   when answers come back (each has a key, so it counts once).
 * - Replays of the next PREFETCH_DAYS days are fetched into the cache (media-cache.ts), one at
 *   a time, at the best rung the time before each session allows, with their station playback
 *   kept for the session (the server recorded the delivery to that playback, which is the
 *   evidence its heartbeats need).
 * - A booking the timetable marks cancelled (lecture withdrawn) or ended (the live lecture ended
 *   early) is not waited for: it is neither current nor next, and the list says why.
 */
import { ApiError, api } from '../api/client.ts';
import { OutboxSender, type HeartbeatAnswer } from '../study/sender.ts';
import { Outbox } from '../study/outbox.ts';
import { CheckinQueue, checkinKey } from './checkin-queue.ts';
import { prefetchReplay, pruneCache, readManifest, type CachedReplay } from './media-cache.ts';
import type { CheckinCode, KioskSession, KioskState, PresentLearner, Roster, RosterConfirmed, StationInfo, StationPlayback } from './types.ts';

const POLL_MS = 5_000;
const CODE_REFRESH_MS = 20_000;
const PREFETCH_DAYS = 3;
const STATE_KEY = 'kiosk:state';
const PLAYBACK_PREFIX = 'kiosk:pb:';
const CHECKIN_QUEUE = 'kiosk:checkins';
/** The deadline of the kiosk's requests: a black-holed link shows as offline within it. */
const REQUEST_MS = 5_000;
/** Uploads (queued check-ins, heartbeat batches) may take longer. */
const UPLOAD_MS = 15_000;
/** Online only after a recent answer: none for this long (two polls missed) is offline. */
const STALE_MS = 2 * POLL_MS + REQUEST_MS;

/** When a booking stops holding the screen: never for a cancelled one, when it ended for an ended one. */
export function endOf(s: KioskSession): number {
  if (s.status === 'cancelled') return -Infinity;
  if (s.status === 'ended' && s.statusAt) return Math.min(Date.parse(s.endAt), Date.parse(s.statusAt));
  return Date.parse(s.endAt);
}

export class KioskController {
  status = $state<'loading' | 'unpaired' | 'ready'>('loading');
  pairingError = $state<unknown>(null);
  station = $state<StationInfo | null>(null);
  sessions = $state<KioskSession[]>([]);
  present = $state<PresentLearner[]>([]);
  /** True only after a recent answer from the portal (see STALE_MS). */
  online = $state(false);
  lastContact = $state<number | null>(null);
  /** Server time now (ms), updated every second. */
  now = $state(Date.now());
  code = $state<CheckinCode | null>(null);
  cached = $state<Record<string, CachedReplay>>({});
  queued = $state(0);
  /** A QR scan evidences presence this long; learners re-scan or check out (签退). */
  rescanMinutes = $state(30);

  #offset = 0;
  #timers: ReturnType<typeof setInterval>[] = [];
  #prefetching = false;
  #sender: OutboxSender | null = null;
  #closed = false;
  #refreshing = false;
  #flushing = false;
  #codeLoading = false;
  #codeTriedAt = 0;
  /** Server time until which the shown check-in code is valid. */
  #codeUntil = 0;
  readonly #checkins = new CheckinQueue(CHECKIN_QUEUE);

  get current(): KioskSession | null {
    const t = this.now;
    return this.sessions.find((s) => Date.parse(s.startAt) <= t && t < endOf(s)) ?? null;
  }

  get next(): KioskSession | null {
    const t = this.now;
    return this.sessions.find((s) => Date.parse(s.startAt) > t && (s.status ?? 'scheduled') === 'scheduled') ?? null;
  }

  /** The check-in QR to show: a code of the current session, and while offline only an unexpired one. */
  get qr(): CheckinCode | null {
    const code = this.code;
    if (!code || code.sessionId !== this.current?.id) return null;
    return this.online || this.now < this.#codeUntil ? code : null;
  }

  /** The heartbeat sender of this station (its own outbox, kept across restarts). */
  get sender(): OutboxSender {
    this.#sender ??= new OutboxSender({
      outbox: new Outbox(`station:${this.station?.id ?? 'unknown'}`),
      transport: (beats) => this.#call(() => api.post<HeartbeatAnswer>('/api/kiosk/heartbeats', { beats }, { timeoutMs: UPLOAD_MS })),
    });
    return this.#sender;
  }

  /** Shows the saved state at once and runs the clock from it; the first refresh follows. */
  async start(): Promise<void> {
    this.#restore();
    this.queued = this.#checkins.list().length;
    this.#timers.push(setInterval(() => this.#tick(), 1000));
    this.#timers.push(setInterval(() => void this.refresh(), POLL_MS));
    this.#timers.push(setInterval(() => void this.refreshCode(), CODE_REFRESH_MS));
    window.addEventListener('online', this.#onOnline);
    window.addEventListener('offline', this.#onOffline);
    await this.refresh();
  }

  #tick() {
    this.now = Date.now() + this.#offset;
    if (this.online && (this.lastContact === null || Date.now() - this.lastContact > STALE_MS)) this.online = false;
    // A session just started (or the code is of another one): its QR at once, not at the next poll.
    if (this.online && this.current && this.code?.sessionId !== this.current.id && Date.now() - this.#codeTriedAt > 3000) void this.refreshCode();
  }

  /** Any answer from the portal (even a refusal) shows the link works; no answer in time shows it does not. */
  async #call<T>(request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      this.#answered();
      return result;
    } catch (error) {
      // A gateway's 502/504 says the portal behind it did not answer.
      if (error instanceof ApiError && error.status > 0 && error.status !== 502 && error.status !== 504) this.#answered();
      else if (!(error instanceof DOMException && error.name === 'AbortError')) this.online = false;
      throw error;
    }
  }

  #answered() {
    this.online = true;
    this.lastContact = Date.now();
  }

  #onOffline = () => {
    this.online = false;
  };

  #onOnline = () => {
    void this.refresh();
    void this.#sender?.online();
  };

  #restore() {
    try {
      const raw = localStorage.getItem(STATE_KEY);
      if (!raw) return;
      const saved = JSON.parse(raw) as { state: KioskState; offset: number };
      this.#apply(saved.state, saved.offset);
    } catch {
      // nothing saved
    }
  }

  #apply(state: KioskState, offset: number) {
    this.#offset = offset;
    this.now = Date.now() + offset;
    this.station = state.station;
    this.sessions = [...state.sessions].sort((a, b) => Date.parse(a.startAt) - Date.parse(b.startAt));
    if (state.present) this.present = state.present;
    if (state.rescanMinutes) this.rescanMinutes = state.rescanMinutes;
    this.status = 'ready';
    const cached: Record<string, CachedReplay> = {};
    for (const s of this.sessions) {
      const m = readManifest(s.lectureId);
      if (m) cached[s.lectureId] = m;
    }
    this.cached = cached;
  }

  async refresh(): Promise<void> {
    if (this.#refreshing) return;
    this.#refreshing = true;
    try {
      const sentAt = Date.now();
      const state = await this.#call(() => api.get<KioskState>('/api/kiosk/state', { timeoutMs: REQUEST_MS }));
      const offset = state.serverNow - Math.round((sentAt + Date.now()) / 2);
      this.#apply(state, offset);
      try {
        localStorage.setItem(STATE_KEY, JSON.stringify({ state, offset }));
      } catch {
        // storage full
      }
      await this.#flushCheckins();
      // Beats left by a closed page or a restart go out now, not at the next playback.
      if (this.sender.outbox.all().length) void this.sender.online();
      if (!this.code || this.code.sessionId !== this.current?.id) void this.refreshCode();
      void this.#prefetch();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'STATION_UNPAIRED') {
        this.status = 'unpaired';
        this.station = null;
        localStorage.removeItem(STATE_KEY);
        return;
      }
      if (this.status === 'loading') this.status = this.station ? 'ready' : 'loading';
    } finally {
      this.#refreshing = false;
    }
  }

  /** Pairs this browser with a station by its one-time code; true when paired. */
  async pair(code: string): Promise<boolean> {
    this.pairingError = null;
    try {
      await this.#call(() => api.post('/api/stations/pair', { code: code.trim().toUpperCase() }, { timeoutMs: REQUEST_MS }));
      this.status = 'loading';
      await this.refresh();
      return true;
    } catch (error) {
      this.pairingError = error;
      return false;
    }
  }

  async refreshCode(): Promise<void> {
    if (!this.current || !this.online) {
      if (!this.current) this.code = null;
      return;
    }
    if (this.#codeLoading) return;
    this.#codeLoading = true;
    this.#codeTriedAt = Date.now();
    try {
      const code = await this.#call(() => api.get<CheckinCode>('/api/kiosk/checkin-code', { timeoutMs: REQUEST_MS }));
      this.code = code;
      this.#codeUntil = this.now + code.expiresInSec * 1000;
    } catch {
      // shown again on the next refresh
    } finally {
      this.#codeLoading = false;
    }
  }

  /** The station playback of a session: kept, so prefetch and play share one (and its evidence). */
  async playback(session: KioskSession): Promise<StationPlayback> {
    const key = PLAYBACK_PREFIX + session.id;
    const saved = localStorage.getItem(key);
    if (saved) {
      const pb = JSON.parse(saved) as StationPlayback & { expiresAt?: string };
      const fresh = !pb.expiresAt || Date.parse(pb.expiresAt) > Date.now() + 60_000;
      if (fresh || readManifest(session.lectureId)?.complete) return pb;
    }
    const pb = await this.#call(() => api.post<StationPlayback>('/api/kiosk/playback', { sessionId: session.id }, { timeoutMs: REQUEST_MS }));
    try {
      localStorage.setItem(key, JSON.stringify(pb));
    } catch {
      // storage full
    }
    return pb;
  }

  async #prefetch(): Promise<void> {
    if (this.#prefetching || typeof caches === 'undefined') return;
    this.#prefetching = true;
    try {
      const horizon = this.now + PREFETCH_DAYS * 86_400_000;
      const upcoming = this.sessions.filter((s) => s.kind === 'replay' && endOf(s) > this.now && Date.parse(s.startAt) < horizon);
      await pruneCache(new Set(this.sessions.map((s) => s.lectureId)));
      for (const s of upcoming) {
        if (this.#closed) return;
        if (readManifest(s.lectureId)?.complete) continue;
        const pb = await this.playback(s);
        if (!pb.masterUrl) continue;
        const plan = { durationSec: s.durationSec, secondsLeft: () => (Date.parse(s.startAt) - this.now) / 1000 };
        await prefetchReplay(s.lectureId, pb.masterUrl, plan, (m) => (this.cached = { ...this.cached, [s.lectureId]: m }));
      }
    } catch {
      // offline or a server error: the next refresh resumes
    } finally {
      this.#prefetching = false;
    }
  }

  // ---- check-in by the operator (by ID) ----------------------------------------------------

  async checkIn(username: string): Promise<{ ok: boolean; queued?: boolean; name?: string; error?: unknown }> {
    const session = this.current;
    if (!session) return { ok: false, error: new ApiError(409, 'NO_SESSION', '现在没有进行中的课程', 'No session is on now') };
    // Read now, not when the request gives up: the check-in counts from this moment.
    const clock = Date.now();
    const queued = { key: checkinKey(session.id, clock), username, at: this.now, clock, sessionId: session.id };
    if (this.online) {
      try {
        const r = await this.#call(() => api.post<{ ok: boolean; user: { id: string; name: string } }>('/api/kiosk/checkin', { username }, { timeoutMs: REQUEST_MS }));
        void this.refresh();
        return { ok: true, name: r.user.name };
      } catch (error) {
        if (error instanceof ApiError && this.online) return { ok: false, error };
      }
    }
    // No answer (offline, refused or black-holed): queued at once, sent with the next sync.
    this.queued = this.#checkins.add(queued);
    return { ok: true, queued: true };
  }

  // ---- roster confirmation (确认名单) ------------------------------------------------------------

  /** Who checked in to the current session (or the last one, after it ended). */
  roster(sessionId?: string): Promise<Roster> {
    return this.#call(() => api.get<Roster>(sessionId ? `/api/kiosk/roster?sessionId=${sessionId}` : '/api/kiosk/roster', { timeoutMs: REQUEST_MS }));
  }

  /** The operator ticks who stayed: their presence is credited from check-in to the end. */
  async confirmRoster(sessionId: string, userIds: string[]): Promise<RosterConfirmed> {
    const r = await this.#call(() => api.post<RosterConfirmed>('/api/kiosk/roster', { sessionId, userIds }, { timeoutMs: UPLOAD_MS }));
    void this.refresh();
    return r;
  }

  /** Sends the queued check-ins (one batch at a time; the keys make a resend harmless). */
  async #flushCheckins() {
    const queue = this.#checkins.list();
    this.queued = queue.length;
    if (!queue.length || this.#flushing) return;
    this.#flushing = true;
    try {
      const body = { beats: [], checkins: queue, sentClock: Date.now() };
      const r = await this.#call(() => api.post<{ checkins: { key: string; ok: boolean }[] }>('/api/kiosk/sync', body, { timeoutMs: UPLOAD_MS }));
      this.queued = this.#checkins.remove(new Set(r.checkins.map((c) => c.key)));
    } finally {
      this.#flushing = false;
    }
  }

  close(): void {
    this.#closed = true;
    this.#timers.forEach((t) => clearInterval(t));
    window.removeEventListener('online', this.#onOnline);
    window.removeEventListener('offline', this.#onOffline);
    this.#sender?.dispose();
  }
}
