/**
 * The station kiosk (空中课堂终端): what plays now and next, on the station's own credential.
 *
 * - The timetable comes from GET /api/kiosk/state and is kept in localStorage, so a station that
 *   restarts (power cut) without network still knows what to play; the server's clock is used
 *   (offset measured on every answer).
 * - Every second the current session is worked out from the timetable; the page plays it.
 * - The state is refreshed every POLL_MS; failures (or the browser's `offline` event) mark the station offline, and it keeps
 *   playing. Check-ins made by the operator while offline are queued and sent with
 *   POST /api/kiosk/sync when the network is back (each has a key, so it counts once).
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
import { prefetchReplay, pruneCache, readManifest, type CachedReplay } from './media-cache.ts';
import type { CheckinCode, KioskSession, KioskState, PresentLearner, Roster, RosterConfirmed, StationInfo, StationPlayback } from './types.ts';

const POLL_MS = 10_000;
const CODE_REFRESH_MS = 20_000;
const PREFETCH_DAYS = 3;
const STATE_KEY = 'kiosk:state';
const PLAYBACK_PREFIX = 'kiosk:pb:';
const CHECKIN_QUEUE = 'kiosk:checkins';

/** When a booking stops holding the screen: never for a cancelled one, when it ended for an ended one. */
export function endOf(s: KioskSession): number {
  if (s.status === 'cancelled') return -Infinity;
  if (s.status === 'ended' && s.statusAt) return Math.min(Date.parse(s.endAt), Date.parse(s.statusAt));
  return Date.parse(s.endAt);
}

interface QueuedCheckin {
  key: string;
  username: string;
  at: number;
  sessionId: string;
}

export class KioskController {
  status = $state<'loading' | 'unpaired' | 'ready'>('loading');
  pairingError = $state<unknown>(null);
  station = $state<StationInfo | null>(null);
  sessions = $state<KioskSession[]>([]);
  present = $state<PresentLearner[]>([]);
  online = $state(true);
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

  get current(): KioskSession | null {
    const t = this.now;
    return this.sessions.find((s) => Date.parse(s.startAt) <= t && t < endOf(s)) ?? null;
  }

  get next(): KioskSession | null {
    const t = this.now;
    return this.sessions.find((s) => Date.parse(s.startAt) > t && (s.status ?? 'scheduled') === 'scheduled') ?? null;
  }

  /** The heartbeat sender of this station (its own outbox, kept across restarts). */
  get sender(): OutboxSender {
    this.#sender ??= new OutboxSender({
      outbox: new Outbox(`station:${this.station?.id ?? 'unknown'}`),
      transport: (beats) => api.post<HeartbeatAnswer>('/api/kiosk/heartbeats', { beats }),
    });
    return this.#sender;
  }

  async start(): Promise<void> {
    this.#restore();
    await this.refresh();
    this.#timers.push(setInterval(() => (this.now = Date.now() + this.#offset), 1000));
    this.#timers.push(setInterval(() => void this.refresh(), POLL_MS));
    this.#timers.push(setInterval(() => void this.refreshCode(), CODE_REFRESH_MS));
    window.addEventListener('online', this.#onOnline);
    window.addEventListener('offline', this.#onOffline);
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
    try {
      const sentAt = Date.now();
      const state = await api.get<KioskState>('/api/kiosk/state');
      const offset = state.serverNow - Math.round((sentAt + Date.now()) / 2);
      this.#apply(state, offset);
      this.online = true;
      this.lastContact = Date.now();
      try {
        localStorage.setItem(STATE_KEY, JSON.stringify({ state, offset }));
      } catch {
        // storage full
      }
      await this.#flushCheckins();
      if (!this.code || this.code.sessionId !== this.current?.id) void this.refreshCode();
      void this.#prefetch();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'STATION_UNPAIRED') {
        this.status = 'unpaired';
        this.station = null;
        localStorage.removeItem(STATE_KEY);
        return;
      }
      this.online = false;
      if (this.status === 'loading') this.status = this.station ? 'ready' : 'loading';
    }
  }

  async pair(code: string): Promise<void> {
    this.pairingError = null;
    try {
      await api.post('/api/stations/pair', { code: code.trim().toUpperCase() });
      this.status = 'loading';
      await this.refresh();
    } catch (error) {
      this.pairingError = error;
    }
  }

  async refreshCode(): Promise<void> {
    if (!this.current || !this.online) {
      if (!this.current) this.code = null;
      return;
    }
    try {
      this.code = await api.get<CheckinCode>('/api/kiosk/checkin-code');
    } catch {
      // shown again on the next refresh
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
    const pb = await api.post<StationPlayback>('/api/kiosk/playback', { sessionId: session.id });
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
    try {
      const r = await api.post<{ ok: boolean; user: { id: string; name: string } }>('/api/kiosk/checkin', { username });
      void this.refresh();
      return { ok: true, name: r.user.name };
    } catch (error) {
      if (error instanceof ApiError && error.status > 0) return { ok: false, error };
      // No network: queued, sent with the next sync.
      const queue = this.#queue();
      queue.push({ key: `${this.station?.id}:${session.id}:${username}:${Date.now()}`, username, at: this.now, sessionId: session.id });
      this.#saveQueue(queue);
      return { ok: true, queued: true };
    }
  }

  // ---- roster confirmation (确认名单) ------------------------------------------------------------

  /** Who checked in to the current session (or the last one, after it ended). */
  roster(sessionId?: string): Promise<Roster> {
    return api.get<Roster>(sessionId ? `/api/kiosk/roster?sessionId=${sessionId}` : '/api/kiosk/roster');
  }

  /** The operator ticks who stayed: their presence is credited from check-in to the end. */
  async confirmRoster(sessionId: string, userIds: string[]): Promise<RosterConfirmed> {
    const r = await api.post<RosterConfirmed>('/api/kiosk/roster', { sessionId, userIds });
    void this.refresh();
    return r;
  }

  #queue(): QueuedCheckin[] {
    try {
      return JSON.parse(localStorage.getItem(CHECKIN_QUEUE) ?? '[]') as QueuedCheckin[];
    } catch {
      return [];
    }
  }

  #saveQueue(queue: QueuedCheckin[]) {
    localStorage.setItem(CHECKIN_QUEUE, JSON.stringify(queue));
    this.queued = queue.length;
  }

  async #flushCheckins() {
    const queue = this.#queue();
    this.queued = queue.length;
    if (!queue.length) return;
    const r = await api.post<{ checkins: { key: string; ok: boolean }[] }>('/api/kiosk/sync', { beats: [], checkins: queue });
    const done = new Set(r.checkins.map((c) => c.key));
    this.#saveQueue(this.#queue().filter((c) => !done.has(c.key)));
  }

  close(): void {
    this.#closed = true;
    this.#timers.forEach((t) => clearInterval(t));
    window.removeEventListener('online', this.#onOnline);
    window.removeEventListener('offline', this.#onOffline);
    this.#sender?.dispose();
  }
}
