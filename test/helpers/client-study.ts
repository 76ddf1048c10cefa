/**
 * Shared by the unit tests of the cadre page's heartbeats (client/src/lib/study): a fixed start
 * time, media snapshots and beats, an in-memory localStorage, timers run by hand, and an answer
 * that acknowledges every beat.
 */
import type { Beat, MediaSnapshot } from '../../client/src/lib/study/beats';
import type { KeyValueStorage } from '../../client/src/lib/study/outbox';
import type { HeartbeatAnswer } from '../../client/src/lib/study/sender';

export const T0 = 1_760_000_000_000;

export const snap = (position: number, extra: Partial<MediaSnapshot> = {}): MediaSnapshot => ({ position, rate: 1, playing: true, visible: true, ...extra });

export function beat(playbackId: string, seq: number, clientAt = T0 + seq * 1000, extra: Partial<Beat> = {}): Beat {
  return { playbackId, seq, position: seq, rate: 1, playing: true, visible: true, event: 'tick', clientAt, ...extra };
}

export class MemoryStorage implements KeyValueStorage {
  map = new Map<string, string>();
  failWrites = false;
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    if (this.failWrites) throw new DOMException('full', 'QuotaExceededError');
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

/** Timers run by hand. */
export class FakeTimers {
  now = T0;
  next = 1;
  pending = new Map<number, { at: number; fn: () => void }>();
  set = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  };
  clear = (id: unknown) => {
    this.pending.delete(id as number);
  };
  /** Delays of the timers now pending. */
  delays() {
    return [...this.pending.values()].map((p) => p.at - this.now);
  }
  async advance(ms: number) {
    this.now += ms;
    for (const [id, p] of [...this.pending]) {
      if (p.at <= this.now) {
        this.pending.delete(id);
        p.fn();
      }
    }
    await settle();
  }
}

export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

export const ackAll = (beats: Beat[]): HeartbeatAnswer => ({
  acks: beats.map((b) => ({ playbackId: b.playbackId, seq: b.seq })),
  sessions: Object.fromEntries(beats.map((b) => [b.playbackId, { counting: true, progress: 0.5, coveredSec: 6, completed: false }])),
});
