// The cadre page's heartbeat sender (client/src/lib/study/sender.ts), and what leaving the page sends and shows (beat-channel.ts, study-session.svelte.ts).
import { describe, expect, it } from 'vitest';
import { HeartbeatScheduler, type Beat } from '../../client/src/lib/study/beats';
import { Outbox, beatKey, leavingBatch } from '../../client/src/lib/study/outbox';
import { OutboxSender, backoffMs, classifyFailure, type HeartbeatAnswer } from '../../client/src/lib/study/sender';
import { sendOnLeave } from '../../client/src/lib/study/beat-channel';
import { StudySession } from '../../client/src/lib/study/study-session.svelte';
import { zhCN } from '../../client/src/lib/i18n/zh-CN';
import { en } from '../../client/src/lib/i18n/en';
import type { ApiClient } from '../../client/src/lib/api/client';
import type { Playback } from '../../client/src/lib/api/types';
import { notCountingText } from '../../client/src/lib/study/credits';
import { FakeTimers, MemoryStorage, T0, ackAll, beat, settle, snap } from '../helpers/client-study';

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
