import { describe, expect, it } from 'vitest';
import { DEFAULT_HEARTBEAT_SEC, HeartbeatScheduler, deliveryFor, heartbeatIntervalSec, type Beat, type MediaSnapshot } from '../../client/src/lib/study/beats';
import {
  MAX_BATCH,
  MAX_BEACON_BYTES,
  Outbox,
  beaconBody,
  beatKey,
  capBeats,
  isBeat,
  leavingBatch,
  mergeBeats,
  nextBatch,
  orderBeats,
  outboxKey,
  withoutAcked,
  type KeyValueStorage,
} from '../../client/src/lib/study/outbox';
import { OutboxSender, backoffMs, classifyFailure, type HeartbeatAnswer } from '../../client/src/lib/study/sender';
import { sendOnLeave } from '../../client/src/lib/study/beat-channel';
import { StudySession } from '../../client/src/lib/study/study-session.svelte';
import { zhCN } from '../../client/src/lib/i18n/zh-CN';
import { en } from '../../client/src/lib/i18n/en';
import type { ApiClient } from '../../client/src/lib/api/client';
import type { Playback } from '../../client/src/lib/api/types';
import {
  notCountingText,
  creditRatio,
  deadlineState,
  hoursMissing,
  monthlyHours,
  parseYear,
  progressPercent,
  seatsLeft,
  withSeatChange,
  yearOptions,
} from '../../client/src/lib/study/credits';
import { completionHistogram, sortMembers, unitChoices } from '../../client/src/lib/study/report';
import { pickResumePosition } from '../../client/src/lib/player/resume';
import type { OrgNode } from '../../client/src/lib/api/types';

const T0 = 1_760_000_000_000;

const snap = (position: number, extra: Partial<MediaSnapshot> = {}): MediaSnapshot => ({ position, rate: 1, playing: true, visible: true, ...extra });

function beat(playbackId: string, seq: number, clientAt = T0 + seq * 1000, extra: Partial<Beat> = {}): Beat {
  return { playbackId, seq, position: seq, rate: 1, playing: true, visible: true, event: 'tick', clientAt, ...extra };
}

class MemoryStorage implements KeyValueStorage {
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
class FakeTimers {
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

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const ackAll = (beats: Beat[]): HeartbeatAnswer => ({
  acks: beats.map((b) => ({ playbackId: b.playbackId, seq: b.seq })),
  sessions: Object.fromEntries(beats.map((b) => [b.playbackId, { counting: true, progress: 0.5, coveredSec: 6, completed: false }])),
});

describe('heartbeat scheduling', () => {
  it('sends play at once, then a tick every heartbeatSec while playing, numbering from 1', () => {
    const s = new HeartbeatScheduler('pb-1', { heartbeatSec: 15 });
    expect(s.due(snap(0), T0)).toEqual([]); // nothing before play
    const [play] = s.event({ type: 'play' }, snap(0), T0);
    expect(play).toMatchObject({ playbackId: 'pb-1', seq: 1, event: 'play', playing: true, position: 0, clientAt: T0 });
    expect(s.due(snap(14), T0 + 14_999)).toEqual([]);
    const [tick] = s.due(snap(15), T0 + 15_000);
    expect(tick).toMatchObject({ seq: 2, event: 'tick', position: 15, playing: true });
    expect(s.due(snap(16), T0 + 16_000)).toEqual([]);
    expect(s.due(snap(30), T0 + 30_000)[0]).toMatchObject({ seq: 3, event: 'tick' });
    expect(s.msUntilDue(T0 + 31_000)).toBe(14_000);
  });

  it('stops ticking when paused and reports the pause at once', () => {
    const s = new HeartbeatScheduler('pb', { heartbeatSec: 5 });
    s.event({ type: 'play' }, snap(0), T0);
    const [pause] = s.event({ type: 'pause' }, snap(3, { playing: false }), T0 + 3000);
    expect(pause).toMatchObject({ seq: 2, event: 'pause', playing: false, position: 3 });
    expect(s.due(snap(3, { playing: false }), T0 + 60_000)).toEqual([]);
    expect(s.msUntilDue(T0 + 60_000)).toBe(Number.POSITIVE_INFINITY);
    expect(s.event({ type: 'pause' }, snap(3, { playing: false }), T0 + 61_000)).toEqual([]); // no repeat
  });

  it('closes the watched span before a seek with a tick at the old position, then reports the seek', () => {
    const s = new HeartbeatScheduler('pb', { heartbeatSec: 15 });
    s.event({ type: 'play' }, snap(0), T0);
    s.observe(8); // timeupdate before the jump
    const beats = s.event({ type: 'seeking' }, snap(40), T0 + 8000);
    expect(beats.map((b) => [b.event, b.position, b.seq])).toEqual([
      ['tick', 8, 2],
      ['seek', 40, 3],
    ]);
    // A second seek right after (scrubbing) has no watched span to close.
    const again = s.event({ type: 'seeking' }, snap(50), T0 + 8200);
    expect(again.map((b) => b.event)).toEqual(['seek']);
  });

  it('reports a seek while paused without a tick, and keeps it paused', () => {
    const s = new HeartbeatScheduler('pb');
    s.event({ type: 'play' }, snap(0), T0);
    s.event({ type: 'pause' }, snap(5, { playing: false }), T0 + 5000);
    s.observe(5);
    const beats = s.event({ type: 'seeking' }, snap(20, { playing: false }), T0 + 6000);
    expect(beats).toHaveLength(1);
    expect(beats[0]).toMatchObject({ event: 'seek', playing: false, position: 20 });
  });

  it('sends hide and show when the page visibility changes, once each', () => {
    const s = new HeartbeatScheduler('pb');
    expect(s.event({ type: 'visibility' }, snap(0, { visible: false }), T0)).toEqual([]); // not started
    s.event({ type: 'play' }, snap(0, { visible: false }), T0);
    const [show] = s.event({ type: 'visibility' }, snap(2, { visible: true }), T0 + 2000);
    expect(show).toMatchObject({ event: 'show', visible: true });
    const [hide] = s.event({ type: 'visibility' }, snap(4, { visible: false }), T0 + 4000);
    expect(hide).toMatchObject({ event: 'hide', visible: false, playing: true });
    expect(s.event({ type: 'visibility' }, snap(5, { visible: false }), T0 + 5000)).toEqual([]);
  });

  it('ends at the media duration and makes no beat after it until played again', () => {
    const s = new HeartbeatScheduler('pb', { heartbeatSec: 15 });
    s.event({ type: 'play' }, snap(0), T0);
    s.event({ type: 'pause' }, snap(11.96, { playing: false }), T0 + 12_000);
    const [end] = s.event({ type: 'ended', duration: 12 }, snap(11.96, { playing: false }), T0 + 12_001);
    expect(end).toMatchObject({ event: 'end', position: 12, playing: false, seq: 3 });
    expect(s.due(snap(12), T0 + 40_000)).toEqual([]);
    expect(s.event({ type: 'unload' }, snap(12, { playing: false }), T0 + 41_000)).toEqual([]);
    expect(s.event({ type: 'play' }, snap(0), T0 + 42_000)[0]).toMatchObject({ event: 'play', seq: 4 });
  });

  it('closes the span on a rate change while playing', () => {
    const s = new HeartbeatScheduler('pb');
    s.event({ type: 'play' }, snap(0), T0);
    const [tick] = s.event({ type: 'ratechange' }, snap(4, { rate: 1.5 }), T0 + 4000);
    expect(tick).toMatchObject({ event: 'tick', rate: 1.5, seq: 2 });
    expect(s.event({ type: 'ratechange' }, snap(5, { rate: 1.5 }), T0 + 5000)).toEqual([]);
  });

  it('sends unload (by beacon) when leaving, also before any play, and only once', () => {
    const idle = new HeartbeatScheduler('a');
    const [left] = idle.event({ type: 'unload' }, snap(0, { playing: false }), T0);
    expect(left).toMatchObject({ event: 'unload', seq: 1, playing: false });
    expect(idle.event({ type: 'unload' }, snap(0, { playing: false }), T0 + 1)).toEqual([]);
    const s = new HeartbeatScheduler('b');
    s.event({ type: 'play' }, snap(0), T0);
    const [unload] = s.event({ type: 'unload' }, snap(7), T0 + 7000);
    expect(unload).toMatchObject({ event: 'unload', playing: false, position: 7 });
    expect(deliveryFor(unload!.event)).toBe('beacon');
    expect(deliveryFor('pause')).toBe('send');
  });

  it('never reuses a sequence number', () => {
    const s = new HeartbeatScheduler('pb', { heartbeatSec: 5 });
    const seqs: number[] = [];
    let t = T0;
    for (let i = 0; i < 20; i++) {
      t += 1700;
      const kind = i % 4;
      const made =
        kind === 0 ? s.event({ type: 'play' }, snap(i), t) : kind === 1 ? s.due(snap(i), t + 5000) : kind === 2 ? s.event({ type: 'seeking' }, snap(i * 3), t) : s.event({ type: 'pause' }, snap(i, { playing: false }), t);
      seqs.push(...made.map((b) => b.seq));
    }
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('uses the server interval, 15 s when it gives none', () => {
    expect(heartbeatIntervalSec(5)).toBe(5);
    expect(heartbeatIntervalSec(undefined)).toBe(DEFAULT_HEARTBEAT_SEC);
    expect(heartbeatIntervalSec(0)).toBe(15);
    expect(heartbeatIntervalSec('10')).toBe(15);
    expect(new HeartbeatScheduler('x', { heartbeatSec: 10 }).intervalMs).toBe(10_000);
  });
});

describe('heartbeat outbox', () => {
  it('orders playbacks by their first beat and each playback by seq', () => {
    const beats = [beat('b', 2, T0 + 10), beat('a', 3, T0 + 30), beat('b', 1, T0 + 5), beat('a', 1, T0 + 20), beat('a', 2, T0 + 1)];
    expect(orderBeats(beats).map(beatKey)).toEqual(['a#1', 'a#2', 'a#3', 'b#1', 'b#2']);
  });

  it('drops duplicates by playbackId + seq', () => {
    const merged = mergeBeats([beat('a', 1), beat('a', 2)], [beat('a', 2, T0 + 99_000), beat('a', 3), beat('b', 1), beat('b', 1)]);
    expect(merged.map(beatKey)).toEqual(['a#1', 'a#2', 'a#3', 'b#1']);
    expect(merged.find((b) => b.seq === 2)!.clientAt).toBe(T0 + 2000); // the first copy stays
  });

  it('keeps beats in storage, per user, until acknowledged', () => {
    const storage = new MemoryStorage();
    const box = new Outbox('u1', storage);
    box.add([beat('p', 1), beat('p', 2), beat('p', 3)]);
    expect(storage.map.has(outboxKey('u1'))).toBe(true);
    // Another page (or the next page load) sees the same list.
    expect(new Outbox('u1', storage).all().map(beatKey)).toEqual(['p#1', 'p#2', 'p#3']);
    expect(new Outbox('u2', storage).size).toBe(0);
    box.ack([{ playbackId: 'p', seq: 1 }, { playbackId: 'p', seq: 3 }, { playbackId: 'zzz', seq: 1 }]);
    expect(box.all().map(beatKey)).toEqual(['p#2']);
    box.ack([{ playbackId: 'p', seq: 2 }]);
    expect(storage.map.has(outboxKey('u1'))).toBe(false);
  });

  it('batches at most 200 beats, oldest first', () => {
    const box = new Outbox('u', new MemoryStorage());
    box.add(Array.from({ length: 450 }, (_, i) => beat('p', i + 1)));
    const first = box.batch();
    expect(first).toHaveLength(MAX_BATCH);
    expect(first[0]!.seq).toBe(1);
    expect(first.at(-1)!.seq).toBe(200);
    box.ack(first);
    expect(box.batch()[0]!.seq).toBe(201);
    expect(box.batch({ max: 1000 })).toHaveLength(200);
  });

  it('never lets a playback skip ahead of one of its own beats that is held back', () => {
    const beats = [beat('mine', 1), beat('other', 1, T0 + 1500), beat('mine', 2), beat('other', 2, T0 + 2500)];
    const batch = nextBatch(beats, { include: (b) => b.playbackId === 'mine' });
    expect(batch.map(beatKey)).toEqual(['mine#1', 'mine#2']);
    const gap = nextBatch(beats, { include: (b) => !(b.playbackId === 'mine' && b.seq === 1) });
    expect(gap.map(beatKey)).toEqual(['other#1', 'other#2']);
  });

  it('ignores corrupt entries and a corrupt list', () => {
    const storage = new MemoryStorage();
    storage.setItem(outboxKey('u'), JSON.stringify([beat('p', 1), { playbackId: 'p', seq: 0 }, 'x', { ...beat('p', 2), event: 'nap' }]));
    expect(new Outbox('u', storage).all().map(beatKey)).toEqual(['p#1']);
    storage.setItem(outboxKey('u'), '{not json');
    expect(new Outbox('u', storage).all()).toEqual([]);
    expect(isBeat(beat('p', 1))).toBe(true);
  });

  it('keeps beats in memory when storage refuses to write', () => {
    const storage = new MemoryStorage();
    storage.failWrites = true;
    const box = new Outbox('u', storage);
    box.add([beat('p', 1), beat('p', 2)]);
    expect(box.all().map(beatKey)).toEqual(['p#1', 'p#2']);
    box.ack([{ playbackId: 'p', seq: 1 }]);
    expect(box.all().map(beatKey)).toEqual(['p#2']);
  });

  it('caps the list, dropping the oldest', () => {
    const beats = Array.from({ length: 12 }, (_, i) => beat('p', i + 1));
    expect(capBeats(beats, 10).map((b) => b.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(withoutAcked(beats, [{ playbackId: 'p', seq: 12 }])).toHaveLength(11);
  });

  it('fits a beacon body under the sendBeacon limit', () => {
    const beats = Array.from({ length: 200 }, (_, i) => beat('a-fairly-long-playback-id-0123456789', i + 1));
    const small = beaconBody(beats);
    expect(small!.beats).toHaveLength(200);
    expect(JSON.parse(small!.body).beats).toHaveLength(200);
    const tight = beaconBody(beats, 4000)!;
    expect(tight.body.length).toBeLessThanOrEqual(4000);
    expect(tight.beats[0]!.seq).toBe(1);
    expect(beaconBody([], MAX_BEACON_BYTES)).toBeNull();
  });
});

describe('heartbeat sender', () => {
  function setup(options: { online?: () => boolean; respond?: (beats: Beat[]) => Promise<HeartbeatAnswer>; orphanAfterMs?: number; storage?: MemoryStorage } = {}) {
    const timers = new FakeTimers();
    const storage = options.storage ?? new MemoryStorage();
    const outbox = new Outbox('u', storage);
    const sent: Beat[][] = [];
    const sender = new OutboxSender({
      outbox,
      transport: (beats) => {
        sent.push(beats);
        return (options.respond ?? ((b) => Promise.resolve(ackAll(b))))(beats);
      },
      isOnline: options.online ?? (() => true),
      now: () => timers.now,
      setTimer: timers.set,
      clearTimer: timers.clear,
      orphanAfterMs: options.orphanAfterMs,
    });
    return { timers, storage, outbox, sent, sender };
  }

  const networkError = () => Object.assign(new Error('offline'), { status: 0 });

  it('sends beats at once and removes them when acknowledged', async () => {
    const { sender, sent, outbox } = setup();
    const answers: HeartbeatAnswer[] = [];
    sender.subscribe((a) => answers.push(a));
    await sender.enqueue([beat('p', 1), beat('p', 2)]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map(beatKey)).toEqual(['p#1', 'p#2']);
    expect(outbox.size).toBe(0);
    expect(answers[0]!.sessions.p).toMatchObject({ counting: true, progress: 0.5 });
  });

  it('keeps beats while offline and sends them in order, in batches of 200, when back online', async () => {
    let online = false;
    const { sender, sent, outbox } = setup({ online: () => online });
    for (let i = 1; i <= 250; i++) await sender.enqueue([beat('p', i)]);
    expect(sent).toHaveLength(0);
    expect(outbox.size).toBe(250);
    online = true;
    await sender.online();
    expect(sent.map((b) => b.length)).toEqual([200, 50]);
    expect(sent.flat().map((b) => b.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(outbox.size).toBe(0);
  });

  it('retries a failed request after 1, 2, 4… s and keeps the beats meanwhile', async () => {
    let fail = 3;
    const { sender, sent, outbox, timers } = setup({
      respond: (b) => (fail-- > 0 ? Promise.reject(networkError()) : Promise.resolve(ackAll(b))),
    });
    await sender.enqueue([beat('p', 1)]);
    expect(sent).toHaveLength(1);
    expect(timers.delays()).toEqual([1000]);
    // A beat made during the backoff waits for it (no hammering).
    await sender.enqueue([beat('p', 2)]);
    expect(sent).toHaveLength(1);
    await timers.advance(1000);
    expect(sent).toHaveLength(2);
    expect(timers.delays()).toEqual([2000]);
    await timers.advance(2000);
    expect(timers.delays()).toEqual([4000]);
    expect(outbox.size).toBe(2);
    await timers.advance(4000);
    expect(sent).toHaveLength(4);
    expect(sent.at(-1)!.map(beatKey)).toEqual(['p#1', 'p#2']);
    expect(outbox.size).toBe(0);
    expect(sender.attempt).toBe(0);
  });

  it('backs off up to a minute, longer when the server says Retry-After', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffMs(a))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 60000, 60000, 60000]);
    expect(backoffMs(0, 20)).toBe(20_000);
    expect(backoffMs(6, 5)).toBe(60_000);
  });

  it('retries network and server errors and refusals of the request itself, waits on 401, splits what the server refuses', async () => {
    expect(classifyFailure(0)).toBe('retry');
    expect(classifyFailure(503)).toBe('retry');
    expect(classifyFailure(429)).toBe('retry');
    expect(classifyFailure(404)).toBe('retry');
    expect(classifyFailure(403)).toBe('retry'); // CSRF_REJECTED: the request, not its beats
    expect(classifyFailure(401)).toBe('stop');
    expect(classifyFailure(400)).toBe('split');
    expect(classifyFailure(413)).toBe('split');

    let status: number | null = 400;
    const { sender, sent, outbox, timers } = setup({
      respond: (b) => (status === null ? Promise.resolve(ackAll(b)) : Promise.reject(Object.assign(new Error('no'), { status }))),
    });
    await sender.enqueue([beat('bad', 1)]);
    expect(outbox.size).toBe(0); // refused alone, for good: it must not block the queue
    expect(sender.rejections).toMatchObject([{ playbackId: 'bad', seq: 1, code: 'HTTP_400' }]);
    status = 401;
    await sender.enqueue([beat('p', 1)]);
    expect(outbox.size).toBe(1); // kept for the next sign-in
    expect(timers.delays()).toEqual([]);
    status = 0;
    await sender.flush();
    expect(sent).toHaveLength(3);
    expect(timers.delays()).toEqual([1000]);
    status = null;
    await timers.advance(1000);
    expect(outbox.size).toBe(0);
  });

  it('sends one request at a time; beats added meanwhile go in the next one', async () => {
    const releases: (() => void)[] = [];
    const { sender, sent } = setup({
      respond: (b) => new Promise((resolve) => releases.push(() => resolve(ackAll(b)))),
    });
    const first = sender.enqueue([beat('p', 1)]);
    void sender.enqueue([beat('p', 2)]);
    void sender.enqueue([beat('p', 3)]);
    expect(sent).toHaveLength(1);
    releases.shift()!();
    await settle();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.map(beatKey)).toEqual(['p#2', 'p#3']);
    releases.shift()!();
    await first;
    await settle();
    expect(sent).toHaveLength(2);
  });

  it('does not spin when the server answers without acknowledging anything', async () => {
    const { sender, sent, timers } = setup({ respond: () => Promise.resolve({ acks: [], sessions: {} }) });
    await sender.enqueue([beat('p', 1)]);
    expect(sent).toHaveLength(1);
    expect(timers.delays()).toEqual([1000]);
  });

  it('sends beats left by an earlier page on load, and leaves a live tab its fresh beats until they are orphaned', async () => {
    const storage = new MemoryStorage();
    new Outbox('u', storage).add([beat('old', 1, T0 - 3_600_000), beat('old', 2, T0 - 3_590_000)]);
    const { sender, sent, outbox, timers } = setup({ storage, orphanAfterMs: 30_000 });
    // After this page started, another tab writes its own fresh beats.
    outbox.add([beat('tab2', 1, T0)]);
    await sender.flush();
    expect(sent.flat().map(beatKey)).toEqual(['old#1', 'old#2']);
    expect(outbox.all().map(beatKey)).toEqual(['tab2#1']);
    expect(timers.delays()).toEqual([30_000]);
    await timers.advance(30_000); // that tab died: its beats are sent by this one
    expect(sent.flat().map(beatKey)).toEqual(['old#1', 'old#2', 'tab2#1']);
    expect(outbox.size).toBe(0);
  });

  const refuse = (status: number, extra: Record<string, unknown> = {}) => Promise.reject(Object.assign(new Error(`HTTP ${status}`), { status, ...extra }));

  it('acknowledges the good beats of a batch and drops only the one the server rejects, recording why', async () => {
    const { sender, outbox } = setup({
      respond: (b) =>
        Promise.resolve({
          acks: b.filter((x) => x.seq !== 2).map((x) => ({ playbackId: x.playbackId, seq: x.seq })),
          rejected: [{ playbackId: 'p', seq: 2, code: 'BEAT_INVALID', message: '心跳数据不正确' }],
          sessions: {},
        }),
    });
    await sender.enqueue([beat('p', 1), beat('p', 2, T0 + 2000, { event: 'seek' }), beat('p', 3)]);
    expect(outbox.size).toBe(0);
    expect(sender.rejections).toEqual([{ playbackId: 'p', seq: 2, code: 'BEAT_INVALID', message: '心跳数据不正确', event: 'seek', at: T0 }]);
  });

  it('keeps a beat the answer neither acknowledges nor rejects', async () => {
    const { sender, outbox, timers } = setup({
      respond: () => Promise.resolve({ acks: [{ playbackId: 'p', seq: 1 }], rejected: [], sessions: {} }),
    });
    await sender.enqueue([beat('p', 1), beat('p', 2)]);
    expect(outbox.all().map(beatKey)).toEqual(['p#2']);
    expect(timers.delays()).toEqual([1000]); // sent again, without spinning
  });

  it('splits a batch refused as a whole until the bad beat is alone, and acknowledges all the others', async () => {
    const { sender, sent, outbox } = setup({
      respond: (b) => (b.some((x) => x.seq === 6) ? refuse(400, { code: 'VALIDATION_ERROR', message: 'body.beats.5.rate must be <= 16' }) : Promise.resolve(ackAll(b))),
    });
    const beats = Array.from({ length: 8 }, (_, i) => beat('p', i + 1));
    await sender.enqueue(beats);
    expect(sent.map((b) => b.map((x) => x.seq))).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [5, 6],
      [5],
      [6],
      [7, 8],
    ]);
    expect(outbox.size).toBe(0);
    expect(sender.rejections).toMatchObject([{ playbackId: 'p', seq: 6, code: 'VALIDATION_ERROR' }]);
  });

  it('keeps every beat on 503 and sends the same ones again after Retry-After', async () => {
    let down = true;
    const { sender, sent, outbox, timers } = setup({
      respond: (b) => (down ? refuse(503, { code: 'STORE_UNAVAILABLE', retryAfter: 20 }) : Promise.resolve(ackAll(b))),
    });
    await sender.enqueue([beat('p', 1), beat('p', 2)]);
    expect(outbox.size).toBe(2);
    expect(timers.delays()).toEqual([20_000]);
    down = false;
    await timers.advance(19_999);
    expect(sent).toHaveLength(1);
    await timers.advance(1);
    expect(sent.map((b) => b.map(beatKey))).toEqual([
      ['p#1', 'p#2'],
      ['p#1', 'p#2'],
    ]);
    expect(outbox.size).toBe(0);
  });

  it('resumes a split where it was when a part meets a 503', async () => {
    let down = false;
    const { sender, sent, outbox, timers } = setup({
      respond: (b) => (down ? refuse(503) : b.some((x) => x.seq === 2) ? refuse(400) : Promise.resolve(ackAll(b))),
    });
    const sending = sender.enqueue([beat('p', 1), beat('p', 2), beat('p', 3), beat('p', 4)]);
    down = true; // the first half goes to a server that just went down
    await sending;
    expect(sent.map((b) => b.length)).toEqual([4, 2]);
    down = false;
    await timers.advance(1000);
    expect(sent.slice(2).map((b) => b.map((x) => x.seq))).toEqual([[1, 2], [1], [2], [3, 4]]);
    expect(outbox.size).toBe(0);
    expect(sender.rejections.map(beatKey)).toEqual(['p#2']);
  });

  it('sends the time a beat was made, not the time it was sent, after hours offline', async () => {
    let online = false;
    const { sender, sent, timers } = setup({ online: () => online });
    const s = new HeartbeatScheduler('p', { heartbeatSec: 15 });
    await sender.enqueue(s.event({ type: 'play' }, snap(0), timers.now));
    await sender.enqueue(s.due(snap(15), timers.now + 15_000));
    timers.now += 3 * 3_600_000;
    online = true;
    await sender.online();
    expect(sent[0]!.map((b) => b.clientAt)).toEqual([T0, T0 + 15_000]);
  });

  it('takes over beats stamped far ahead of its clock (a PC clock put back), leaves fresh ones to their tab', async () => {
    const { sender, sent, outbox } = setup({ orphanAfterMs: 30_000 });
    outbox.add([beat('ahead', 1, T0 + 3_600_000), beat('live', 1, T0 + 5000)]);
    await sender.flush();
    expect(sent.flat().map(beatKey)).toEqual(['ahead#1']);
  });
});

describe('leaving the page and the counting reason', () => {
  function leaving() {
    const timers = new FakeTimers();
    const outbox = new Outbox('u', new MemoryStorage());
    const sent: Beat[][] = [];
    // The ordinary request never answers: the page dies with it in flight.
    const sender = new OutboxSender({
      outbox,
      transport: (b) => {
        sent.push(b);
        return new Promise<HeartbeatAnswer>(() => {});
      },
      now: () => timers.now,
      setTimer: timers.set,
      clearTimer: timers.clear,
    });
    const scheduler = new HeartbeatScheduler('pb-leaving');
    void sender.enqueue(scheduler.event({ type: 'play' }, snap(0), T0));
    const unload = scheduler.event({ type: 'unload' }, snap(9), T0 + 9000);
    sender.own.add('pb-leaving');
    outbox.add(unload);
    return { sender, outbox, sent };
  }

  it('sends the unload beat with a keepalive fetch, behind the beats still pending, and keeps them until acknowledged', async () => {
    const { sender, outbox, sent } = leaving();
    const calls: { url: string; init: RequestInit }[] = [];
    let answer!: (response: Response) => void;
    const how = sendOnLeave(sender, 'pb-leaving', {
      fetch: (url, init) => {
        calls.push({ url, init: init! });
        return new Promise((resolve) => (answer = resolve));
      },
    });
    expect(how).toBe('keepalive');
    expect(sent).toHaveLength(1); // the request in flight did not hold it back
    expect(calls[0]!.url).toBe('/api/study/heartbeats');
    expect(calls[0]!.init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'same-origin' });
    const body = JSON.parse(calls[0]!.init.body as string) as { beats: Beat[] };
    expect(body.beats.map((b) => `${beatKey(b)} ${b.event}`)).toEqual(['pb-leaving#1 play', 'pb-leaving#2 unload']);
    expect(outbox.size).toBe(2);
    answer(new Response(JSON.stringify(ackAll(body.beats)), { status: 200, headers: { 'content-type': 'application/json' } }));
    await settle();
    expect(outbox.size).toBe(0);
  });

  it('prefers sendBeacon, falls back to keepalive when the browser refuses the beacon, and keeps the beats when neither can go', async () => {
    const beacons: Blob[] = [];
    const { sender, outbox } = leaving();
    expect(sendOnLeave(sender, 'pb-leaving', { sendBeacon: (_url, body) => beacons.push(body) > 0 })).toBe('beacon');
    expect((JSON.parse(await beacons[0]!.text()) as { beats: Beat[] }).beats.map((b) => b.event)).toEqual(['play', 'unload']);
    let fetched = 0;
    const refused = { sendBeacon: () => false, fetch: () => (fetched++, new Promise<Response>(() => {})) };
    expect(sendOnLeave(sender, 'pb-leaving', refused)).toBe('keepalive');
    expect(fetched).toBe(1);
    expect(sendOnLeave(sender, 'pb-leaving', {})).toBeNull();
    expect(outbox.size).toBe(2); // a beacon's answer is never read: the next page sends them again
  });

  it('puts the leaving playback first and never sends its unload without the beats before it', () => {
    const other = [beat('other', 1, T0 - 60_000), beat('other', 2, T0 - 59_000)];
    const long = Array.from({ length: 250 }, (_, i) => beat('pb', i + 1, T0 + i * 1000));
    const mine = leavingBatch([...other, ...long.slice(0, 3)], 'pb');
    expect(mine.map(beatKey)).toEqual(['pb#1', 'pb#2', 'pb#3', 'other#1', 'other#2']);
    const capped = leavingBatch([...other, ...long], 'pb');
    expect(capped.map((b) => b.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('shows why a playback is not counting, in words, Chinese first', () => {
    const timers = new FakeTimers();
    const sender = new OutboxSender({ outbox: new Outbox('u', new MemoryStorage()), transport: () => new Promise(() => {}), now: () => timers.now, setTimer: timers.set, clearTimer: timers.clear });
    const study = new StudySession({ lectureId: 'l1', userId: 'u', creditHours: 2, sender, api: {} as ApiClient });
    study.setPlayback({ playbackId: 'pb-1', counting: true } as Playback);
    const view = (counting: boolean, reason?: string) => ({ acks: [], sessions: { 'pb-1': { counting, reason, progress: 0.2, coveredSec: 60, completed: false } } });
    const words = () => zhCN[notCountingText(study.reason).title];

    sender.accept([], view(false, 'at-station'));
    expect([study.counting, study.reason]).toEqual([false, 'at-station']);
    expect(words()).toContain('您正在终端站点集体学习');
    sender.accept([], view(false, 'other-session'));
    expect(words()).toContain('其他页面');
    sender.accept([], view(true));
    expect([study.counting, study.reason]).toEqual([true, undefined]);
    sender.accept([], { acks: [], rejected: [{ playbackId: 'pb-1', seq: 3, code: 'PLAYBACK_NOT_FOUND', message: '播放记录不存在' }], sessions: {} });
    expect([study.counting, study.reason]).toEqual([false, 'unknown-session']);
    expect(words()).toContain('本次播放已失效');
    expect(en[notCountingText('unknown-session').title]).toContain('no longer valid');
    expect(notCountingText('a-newer-word').title).toBe('studyPlayer.notCountingOther');
    study.destroy();
  });
});

describe('study credits and the unit report', () => {
  it('shows progress in whole percent, 100 only when completed', () => {
    expect(progressPercent(0.372)).toBe(37);
    expect(progressPercent(0.999)).toBe(99);
    expect(progressPercent(0.93, true)).toBe(100);
    expect(progressPercent(Number.NaN)).toBe(0);
  });

  it('compares the year’s hours with the requirement', () => {
    expect(creditRatio(12.5, 90)).toBeCloseTo(0.1389, 3);
    expect(creditRatio(120, 90)).toBe(1);
    expect(creditRatio(3, 0)).toBe(1);
    expect(hoursMissing(12.5, 90)).toBe(77.5);
    expect(hoursMissing(95, 90)).toBe(0);
    expect(monthlyHours([1.25, 2])).toEqual([1.3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('counts seats left in a limited offering and follows the viewer’s own choice', () => {
    expect(seatsLeft({})).toBeNull();
    expect(seatsLeft({ seatLimit: 30, seatsTaken: 28 })).toBe(2);
    expect(seatsLeft({ seatLimit: 30, seatsLeft: 0, seatsTaken: 3 })).toBe(0);
    expect(seatsLeft(withSeatChange({ seatLimit: 30, seatsTaken: 28 }, 1))).toBe(1);
    expect(seatsLeft(withSeatChange({ seatLimit: 30, seatsLeft: 1 }, 1))).toBe(0);
    expect(seatsLeft(withSeatChange({ seatLimit: 30, seatsLeft: 0 }, -1))).toBe(1);
  });

  it('builds the year menu and reads the year from the URL', () => {
    expect(yearOptions([{ year: 2024, total: 80 }, { year: 2026, total: 3 }], 2026, 2023)).toEqual([2026, 2024, 2023]);
    expect(parseYear('2025', 2026)).toBe(2025);
    expect(parseYear('abc', 2026)).toBe(2026);
    expect(parseYear('1850', 2026)).toBe(2026);
  });

  it('says how close a selection’s deadline is', () => {
    const now = new Date('2026-05-01T00:00:00Z');
    expect(deadlineState(undefined, now)).toBe('none');
    expect(deadlineState('2026-04-30T00:00:00Z', now)).toBe('overdue');
    expect(deadlineState('2026-05-10T00:00:00Z', now)).toBe('soon');
    expect(deadlineState('2026-07-01T00:00:00Z', now)).toBe('open');
  });

  const member = (username: string, percent: number) => ({ username, displayName: username.toUpperCase(), earned: (percent / 100) * 90, percent });

  it('sorts members by any column, ties by username', () => {
    const items = [member('c', 50), member('a', 100), member('b', 50)];
    expect(sortMembers(items, 'percent', 'asc').map((m) => m.username)).toEqual(['b', 'c', 'a']);
    expect(sortMembers(items, 'percent', 'desc').map((m) => m.username)).toEqual(['a', 'b', 'c']);
    expect(sortMembers(items, 'username', 'desc').map((m) => m.username)).toEqual(['c', 'b', 'a']);
  });

  it('counts members per completion bucket', () => {
    const items = [member('a', 0), member('b', 19.9), member('c', 20), member('d', 99.9), member('e', 100), member('f', 100)];
    expect(completionHistogram(items)).toEqual([2, 1, 0, 0, 1, 2]);
  });

  it('lists the units an admin may pick', () => {
    const tree: OrgNode[] = [
      {
        id: 'county',
        name: '通榆县',
        kind: 'county',
        parentId: null,
        children: [{ id: 'c1', name: '苏公坨乡党委', kind: 'committee', parentId: 'county', children: [{ id: 'u1', name: '苏公坨村党支部', kind: 'unit', parentId: 'c1', children: [] }] }],
      },
    ];
    expect(unitChoices(tree).map((c) => [c.id, c.depth])).toEqual([
      ['county', 0],
      ['c1', 1],
      ['u1', 2],
    ]);
    expect(unitChoices(tree, 'c1').map((c) => [c.id, c.depth])).toEqual([
      ['c1', 0],
      ['u1', 1],
    ]);
  });

  it('resumes from the server’s position first, the browser’s otherwise', () => {
    expect(pickResumePosition(42, 10)).toBe(42);
    expect(pickResumePosition(0, 10)).toBe(10);
    expect(pickResumePosition(undefined, null)).toBeNull();
  });
});
