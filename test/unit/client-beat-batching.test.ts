/**
 * Ticks sent together (STUDY_BEATS_PER_REQUEST): a playing page holds its ticks in the outbox
 * until beatsPerRequest of them are there; any other beat goes at once and takes them along.
 * StudySession runs here on a stand-in <video> and the page's timers, faked.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { beatsPerRequestOf, type Beat } from '../../client/src/lib/study/beats';
import { Outbox } from '../../client/src/lib/study/outbox';
import { OutboxSender } from '../../client/src/lib/study/sender';
import { StudySession } from '../../client/src/lib/study/study-session.svelte';
import type { ApiClient } from '../../client/src/lib/api/client';
import type { Playback } from '../../client/src/lib/api/types';
import { loadConfig } from '../../config';
import { defaultWatchPolicy, staleSessionSecFor } from '../../server/modules/study/heartbeat-policy';
import { MemoryStorage, T0, ackAll } from '../helpers/client-study';

/** What a <video> shows StudySession: its state and its events. */
class StandInVideo extends EventTarget {
  paused = true;
  ended = false;
  seeking = false;
  currentTime = 0;
  playbackRate = 1;
  duration = 600;
}

const page = { addEventListener() {}, removeEventListener() {} };

function watching(beatsPerRequest: number | undefined, storage = new MemoryStorage()) {
  const sent: Beat[][] = [];
  const outbox = new Outbox('u', storage);
  const sender = new OutboxSender({
    outbox,
    transport: async (beats) => {
      sent.push(beats);
      return ackAll(beats);
    },
    isOnline: () => true,
  });
  const study = new StudySession({ lectureId: 'l1', userId: 'u', creditHours: 1, sender, api: {} as ApiClient });
  const video = new StandInVideo();
  study.attach(video as unknown as HTMLVideoElement);
  study.setPlayback({ playbackId: 'pb', heartbeatSec: 5, beatsPerRequest } as Playback);
  /** Plays on for `sec` seconds, the position following the clock. */
  const play = async (sec: number) => {
    for (let i = 0; i < sec; i++) {
      video.currentTime += 1;
      video.dispatchEvent(new Event('timeupdate'));
      await vi.advanceTimersByTimeAsync(1000);
    }
  };
  const events = () => sent.map((batch) => batch.map((b) => b.event).join(','));
  return { sent, outbox, study, video, play, events, storage };
}

describe('ticks sent together', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    Object.assign(globalThis, { document: { visibilityState: 'visible', ...page }, window: page });
  });
  afterEach(() => {
    vi.useRealTimers();
    delete (globalThis as { document?: unknown }).document;
    delete (globalThis as { window?: unknown }).window;
  });

  it('holds ticks in the outbox until four are there, then sends them in one request', async () => {
    const w = watching(4);
    w.video.paused = false;
    w.video.dispatchEvent(new Event('play'));
    await vi.advanceTimersByTimeAsync(0);
    expect(w.events()).toEqual(['play']);
    await w.play(15);
    // Ticks at 5, 10 and 15 s wait, stored: a page that dies now leaves them for the next one.
    expect(w.events()).toEqual(['play']);
    expect(w.outbox.size).toBe(3);
    expect([...w.storage.map.values()].join('')).toContain('"seq":4');
    await w.play(5);
    expect(w.events()).toEqual(['play', 'tick,tick,tick,tick']);
    expect(w.sent[1]!.map((b) => b.seq)).toEqual([2, 3, 4, 5]);
    // Each tick keeps the moment and the position it was made at, not when it was sent.
    expect(w.sent[1]!.map((b) => b.clientAt - T0)).toEqual([5000, 10_000, 15_000, 20_000]);
    expect(w.sent[1]!.map((b) => b.position)).toEqual([5, 10, 15, 20]);
    expect(w.outbox.size).toBe(0);
    expect(w.study.confirmEverySec).toBe(20);
    w.study.destroy();
  });

  it('sends a pause, a seek or a hidden page at once, with the ticks waiting before it', async () => {
    const w = watching(4);
    w.video.paused = false;
    w.video.dispatchEvent(new Event('play'));
    await w.play(10);
    expect(w.outbox.size).toBe(2);
    w.video.paused = true;
    w.video.dispatchEvent(new Event('pause'));
    await vi.advanceTimersByTimeAsync(0);
    expect(w.events()).toEqual(['play', 'tick,tick,pause']);
    // The count starts again after every request.
    w.video.paused = false;
    w.video.dispatchEvent(new Event('play'));
    await w.play(15);
    expect(w.events()).toEqual(['play', 'tick,tick,pause', 'play']);
    w.video.currentTime = 300;
    w.video.dispatchEvent(new Event('seeking'));
    await vi.advanceTimersByTimeAsync(0);
    expect(w.events().at(-1)).toBe('tick,tick,tick,seek');
    w.study.destroy();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.events().at(-1)).toBe('unload');
    expect(w.outbox.size).toBe(0);
  });

  it('sends every tick at once for a server that does not say (older servers) or says 1', async () => {
    for (const n of [undefined, 1]) {
      const w = watching(n);
      w.video.paused = false;
      w.video.dispatchEvent(new Event('play'));
      await w.play(10);
      expect(w.events()).toEqual(['play', 'tick', 'tick']);
      expect(w.study.confirmEverySec).toBe(5);
      w.study.destroy();
    }
  });

  it('leaves the ticks another tab holds to it until they are older than its hold plus half a minute', async () => {
    const storage = new MemoryStorage();
    const first = watching(4, storage);
    first.video.paused = false;
    first.video.dispatchEvent(new Event('play'));
    await first.play(15);
    expect(first.outbox.size).toBe(3);
    // A second tab of the same cadre flushes 20 s later (no timer of the first tab runs meanwhile):
    // the first tab's oldest tick is 30 s old, past the default orphan age, within 20 + 30 s.
    vi.setSystemTime(T0 + 35_000);
    const secondTab = (holds?: number) => {
      const sent: Beat[][] = [];
      const sender = new OutboxSender({ outbox: new Outbox('u', storage), transport: async (b) => (sent.push(b), ackAll(b)), isOnline: () => true });
      sender.inherited.clear(); // started while the first tab lives: its beats are not left-overs
      if (holds !== undefined) sender.holdsUpTo(holds);
      return { sender, sent };
    };
    const holding = secondTab(20_000);
    await holding.sender.flush();
    expect(holding.sent).toEqual([]);
    // Without knowing the hold, it would take them over.
    const unaware = secondTab();
    await unaware.sender.flush();
    expect(unaware.sent.flat().map((b) => b.seq)).toEqual([2]);
    first.study.destroy();
  });

  it('keeps the server value within 1..8', () => {
    expect(beatsPerRequestOf(4)).toBe(4);
    expect(beatsPerRequestOf(undefined)).toBe(1);
    expect(beatsPerRequestOf(0)).toBe(1);
    expect(beatsPerRequestOf(2.7)).toBe(2);
    expect(beatsPerRequestOf(50)).toBe(8);
    expect(beatsPerRequestOf('4')).toBe(1);
  });
});

describe('the server side of ticks sent together', () => {
  it('defaults to four ticks a request and names the key when the value is out of range', () => {
    expect(loadConfig({}).study.beatsPerRequest).toBe(4);
    expect(loadConfig({ STUDY_BEATS_PER_REQUEST: '1' }).study.beatsPerRequest).toBe(1);
    expect(() => loadConfig({ STUDY_BEATS_PER_REQUEST: '9' })).toThrow(/STUDY_BEATS_PER_REQUEST/);
    expect(() => loadConfig({ STUDY_BEATS_PER_REQUEST: 'many' })).toThrow(/STUDY_BEATS_PER_REQUEST/);
  });

  it('lets a page keep its counting place for a request interval plus half a minute', () => {
    expect(staleSessionSecFor(15, 4)).toBe(90);
    expect(staleSessionSecFor(15, 1)).toBe(defaultWatchPolicy.staleSessionSec);
    expect(staleSessionSecFor(60, 8)).toBe(510);
  });
});
