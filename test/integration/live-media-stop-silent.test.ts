// A recording stopped after its input went silent (the worker died, the producers are gone):
// ffmpeg heeds SIGINT only when its input yields a packet, so the recorder wakes it (nudgeLeg)
// and it ends cleanly — its last segment written, ENDLIST by ffmpeg itself — instead of waiting
// for SIGKILL and losing the 1–2 s it had not written yet. Real mediasoup worker and ffmpeg.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveRoomManager, reservedUdpPorts } from '../../media/live';
import type { LiveRoom } from '../../media/live';
import type { WorkerPool } from '../../media/worker-pool';
import { NETWORK, createLivePool, feedRoom, type FedProducers } from '../helpers/live-rtp';
import { processesMatching } from '../helpers/process';

const run = promisify(execFile);

describe('LiveRecorder stopped after its input went silent', () => {
  let pool: WorkerPool;
  let manager: LiveRoomManager;
  let room: LiveRoom;
  let root: string;
  let fed: FedProducers | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'live-silent-stop-'));
    pool = await createLivePool(1, 44900, 44999);
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 100 });
    room = await manager.getOrCreate('lecture');
  });

  afterAll(async () => {
    manager?.closeAll();
    await fed?.source.stop();
    await pool?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ends at once with its last segment and ENDLIST written by ffmpeg, keeping all but the last moments', async () => {
    fed = await feedRoom(room, 'lecturer');
    const outDir = join(root, 'part');
    const recorder = await room.startRecording({ videoProducerId: fed.video!.id, audioProducerId: fed.audio!.id, outDir, killTimeoutMs: 6_000 });
    // What the sender gets out from here on is what could be recorded: on a busy machine the
    // sender itself falls behind real time, so the wall clock is not the measure.
    const sentBefore = fed.source.sentSec!();
    await recorder.waitForFirstSegment(20_000);
    await sleep(5_000);
    const sentSec = fed.source.sentSec!() - sentBefore;
    await fed.source.stop(); // the input is gone, as with a dead worker
    const wallSec = (Date.now() - recorder.startedAt) / 1000;
    await sleep(500);
    const exit = new Promise((resolve) => recorder.once('exit', resolve));
    const stopAt = Date.now();
    const result = await recorder.stop();
    const stopMs = Date.now() - stopAt;
    console.info(`silent stop: ${stopMs} ms to stop, ${result.durationSec} s recorded of ${sentSec.toFixed(2)} s sent (${wallSec.toFixed(2)} s of wall time)`);
    // Not the kill timeout: ffmpeg exited on the SIGINT, by itself.
    expect(stopMs).toBeLessThan(3_000);
    expect((await exit as { signal: string | null }).signal, 'not SIGKILLed').toBeNull();
    expect(sentSec).toBeGreaterThan(3);
    expect(result.durationSec).toBeGreaterThan(sentSec - 1);
    const text = await readFile(result.playlistPath, 'utf8');
    expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    // The last segment holds video and audio of its listed length.
    const last = /([^\n]+\.ts)\s*\n#EXT-X-ENDLIST/.exec(text)![1]!;
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type:format=duration', '-of', 'json', join(outDir, last)]);
    const probed = JSON.parse(stdout) as { streams: { codec_type: string }[]; format: { duration: string } };
    expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(Number(probed.format.duration)).toBeLessThan(3);
    expect(processesMatching(outDir)).toEqual([]);
    expect(reservedUdpPorts()).toEqual([]);
  }, 60_000);
});
