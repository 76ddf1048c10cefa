// The cadre page's heartbeats (client/src/lib/study): when beats are made, and the outbox that keeps them until the server acknowledges them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEARTBEAT_SEC, HeartbeatScheduler, deliveryFor, heartbeatIntervalSec } from '../../client/src/lib/study/beats';
import { MAX_BATCH, MAX_BEACON_BYTES, Outbox, beaconBody, beatKey, capBeats, isBeat, mergeBeats, nextBatch, orderBeats, outboxKey, withoutAcked } from '../../client/src/lib/study/outbox';
import { MemoryStorage, T0, beat, snap } from '../helpers/client-study';

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
