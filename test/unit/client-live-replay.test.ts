import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { questionCounts, replayHref, ReplayWatch, type ReplayAnswer } from '../../client/src/lib/live/replay-watch';

describe('live room: questions and replay', () => {
  it('counts every listed question, answered ones too, and says how many are open', () => {
    expect(questionCounts([])).toEqual({ total: 0, open: 0 });
    expect(questionCounts([{ answered: true }, { answered: false }, { answered: true }])).toEqual({ total: 3, open: 1 });
  });

  it('links to the replay only when it is ready', () => {
    expect(replayHref({ state: 'ended' })).toBeNull();
    expect(replayHref({ state: 'ended', replayLectureId: 'r1' })).toBeNull();
    expect(replayHref({ state: 'ended', replayLectureId: 'r1', replayReady: false })).toBeNull();
    expect(replayHref({ state: 'ended', replayLectureId: 'r1', replayReady: true })).toBe('/lectures/r1');
    expect(replayHref({ state: 'live', replayLectureId: 'r1', replayReady: true })).toBeNull();
  });
});

describe('live room: replay poll', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls until the replay is ready, then stops and reports it once', async () => {
    const answers: (ReplayAnswer | Error)[] = [{ replayReady: false }, new Error('offline'), { replayLectureId: 'r1', replayReady: false }, { replayLectureId: 'r1', replayReady: true }];
    const fetchState = vi.fn(async () => {
      const a = answers.shift()!;
      if (a instanceof Error) throw a;
      return a;
    });
    const onReady = vi.fn();
    const watch = new ReplayWatch(fetchState, onReady, 1000);
    watch.start();
    watch.start(); // a second start does not double the polling
    for (let i = 0; i < 6; i++) await vi.advanceTimersByTimeAsync(1000);
    expect(fetchState).toHaveBeenCalledTimes(4);
    expect(onReady).toHaveBeenCalledOnce();
    expect(onReady).toHaveBeenCalledWith({ replayLectureId: 'r1', replayReady: true });
  });

  it('stops polling when the page closes', async () => {
    const fetchState = vi.fn(async () => ({ replayReady: false }));
    const watch = new ReplayWatch(fetchState, () => {}, 1000);
    watch.start();
    await vi.advanceTimersByTimeAsync(1000);
    watch.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchState).toHaveBeenCalledTimes(1);
  });
});
