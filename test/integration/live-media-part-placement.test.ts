/**
 * Where a recorded part sits on the live timeline when its picture's first keyframe comes
 * seconds after its start (a sender slow to answer the keyframe request): with sound, the file
 * begins at the first sound and the part is placed there; without sound, at the first keyframe.
 * Either way the part ends where the lecture ended, so the replay is as long as the timeline.
 * Real store, mediasoup worker and ffmpeg.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { liveHost, type LiveHost } from '../helpers/live-host';
import { feedRoom } from '../helpers/live-rtp';
import { feedColour } from '../helpers/live-screen';

// The sender ignores keyframe requests and sends one every 4 s: the first reaches the recorder
// up to 4 s after its start.
const KEYFRAME_SEC = 4;
let host: (LiveHost & { feeds: { source: { stop(): Promise<void> } }[] }) | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

async function recordOnePart(withSound: boolean) {
  host = await liveHost(withSound ? '关键帧迟到的直播（有声）' : '关键帧迟到的直播（无声）');
  const { app: a, socket: s, room, feeds } = host;
  if (withSound) feeds.push(await feedRoom(room, s.id!, { audio: true }));
  feeds.push(await feedColour(room, s.id!, { source: 'camera', color: 'red', width: 640, height: 360, keyframeSec: KEYFRAME_SEC }));
  // A quarter of a keyframe interval in: the recorder's first keyframe is ~3 s after it starts.
  await sleep((KEYFRAME_SEC * 1000) / 4);
  await host.start();
  const e = a.live.get(host.lectureId)!;
  await host.onAir(1);
  const recorder = e.parts.at(-1)!.recorder;
  await sleep(5_000);
  await host.end();
  const [part, ...more] = await host.parts(1);
  expect(more).toEqual([]);
  const live = (await a.store.models.Lecture.findById(host.lectureId).lean())!;
  const startedSec = (recorder.startedAt - e.state.startedAt!) / 1000;
  return { part: part!, startedSec, timelineSec: live.durationSec! };
}

describe('a live part whose first keyframe is late', () => {
  it('with sound: placed at its first sound, it ends where the lecture ended', async () => {
    const { part, startedSec, timelineSec } = await recordOnePart(true);
    const what = JSON.stringify({ part, startedSec, timelineSec });
    expect(part.offsetSec! - startedSec, what).toBeLessThan(0.5);
    expect(part.offsetSec!, what).toBeGreaterThanOrEqual(startedSec);
    expect(Math.abs(part.offsetSec! + part.durationSec! - timelineSec), what).toBeLessThanOrEqual(1);
  }, 90_000);

  it('without sound: placed at its first keyframe, it ends where the lecture ended', async () => {
    const { part, startedSec, timelineSec } = await recordOnePart(false);
    const what = JSON.stringify({ part, startedSec, timelineSec });
    expect(part.offsetSec! - startedSec, what).toBeGreaterThan(0.5);
    expect(Math.abs(part.offsetSec! + part.durationSec! - timelineSec), what).toBeLessThanOrEqual(1);
  }, 90_000);
});
