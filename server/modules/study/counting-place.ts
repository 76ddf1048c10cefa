/**
 * The counting place (计时位置): which of a cadre's pages counts now, so each page can say in
 * words whether it does. One place per cadre: the page that most recently started playing takes
 * it (the cadre moved there), a page that ends or closes (`unload`) frees it at once, and one
 * silent for `staleSessionSec` loses it. While the stations module says the cadre is present at
 * a station, that presence is their place and their own pages do not count. The cadre's clock
 * (cadre-clock.ts), not this, is what makes double credit impossible.
 * Also notes many accounts studying from one device on one day (a flag for admins).
 */
import type { CountyCalendar } from '../../calendar';
import type { Beat } from './heartbeat-policy';
import type { PlaybackSession } from './records';
import type { FlagRepository } from './repositories';

export type NotCountingReason = 'other-session' | 'unknown-session' | 'at-station';

export class CountingPlace {
  private readonly places = new Map<string, { p: string; at: number }>();
  private readonly devices = new Map<string, { day: string; users: Set<string> }>();
  presenceProbe: (userId: string, atMs: number) => boolean = () => false;

  constructor(
    private readonly staleSessionSec: number,
    private readonly sessions: Map<string, PlaybackSession>,
    private readonly flags: FlagRepository,
    private readonly calendar: CountyCalendar,
    private readonly now: () => number,
  ) {}

  /** Why the session does not count now, or undefined when it does (or may: nobody else holds the place). */
  notCounting(s: PlaybackSession, now: number): NotCountingReason | undefined {
    if (!s.station && this.presenceProbe(s.userId, now)) return 'at-station';
    const cur = this.places.get(s.userId);
    if (!cur || cur.p === s.id || now - cur.at > this.staleSessionSec * 1000 || this.sessions.get(cur.p)?.ended) return undefined;
    return 'other-session';
  }

  /** Takes (or keeps) the place for this session when free or stale, or when this page starts playing. */
  claim(s: PlaybackSession, now: number, b: Beat): boolean {
    if (!s.station && this.presenceProbe(s.userId, now)) return false;
    const playing = b.playing || b.event === 'play';
    if (this.notCounting(s, now) === undefined || (b.event === 'play' && !s.station)) {
      if (playing || this.holds(s)) this.places.set(s.userId, { p: s.id, at: now });
      return true;
    }
    return false;
  }

  holds(s: PlaybackSession): boolean {
    return this.places.get(s.userId)?.p === s.id;
  }

  /** Frees the place of an ended session. */
  release(s: PlaybackSession) {
    if (this.holds(s)) this.places.delete(s.userId);
  }

  noteDevice(meta: { ip?: string; userAgent?: string }, userId: string, lectureId: string, playbackId: string) {
    if (!meta.ip) return;
    const key = `${meta.ip}|${meta.userAgent ?? ''}`;
    const day = this.calendar.day(this.now());
    let d = this.devices.get(key);
    if (!d || d.day !== day) {
      d = { day, users: new Set() };
      this.devices.set(key, d);
    }
    d.users.add(userId);
    if (d.users.size === 4) {
      void this.flags.insert({ userId, lectureId, playbackId, kind: 'many-accounts-one-device', count: 1, seconds: 0, detail: { ip: meta.ip, users: [...d.users] }, at: new Date(this.now()) }).catch(() => {});
    }
    if (this.devices.size > 50_000) this.devices.clear();
  }
}
