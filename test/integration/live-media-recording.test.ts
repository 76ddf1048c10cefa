// Recording a live room to HLS: real mediasoup worker, ffmpeg feeding it over RTP, ffmpeg
// recording from it, ffprobe reading the result.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LiveRoomManager, allocateUdpPortPair, reservedUdpPorts } from '../../media/live';
import type { LiveRecorder, LiveRecorderSegment, LiveRoom } from '../../media/live';
import type { WorkerPool } from '../../media/worker-pool';
import { writeFakeFfmpeg } from '../helpers/live-fake-ffmpeg';
import { NETWORK, createLivePool, feedRoom } from '../helpers/live-rtp';
import type { FedProducers } from '../helpers/live-rtp';
import { processesMatching } from '../helpers/process';

const run = promisify(execFile);

interface ProbedStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  pix_fmt?: string;
}

async function ffprobe(playlist: string): Promise<{ streams: ProbedStream[]; durationSec: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', playlist]);
  const out = JSON.parse(stdout) as { streams: ProbedStream[]; format: { duration: string } };
  return { streams: out.streams, durationSec: Number(out.format.duration) };
}

describe('LiveRecorder', () => {
  let pool: WorkerPool;
  let manager: LiveRoomManager;
  let room: LiveRoom;
  let fed: FedProducers;
  let root: string;
  /** Recorders a test started: stopped after it even when it failed half-way. */
  const started: LiveRecorder[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'live-rec-test-'));
    pool = await createLivePool(1, 44400, 44499);
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 100 });
    room = await manager.getOrCreate('lecture');
    fed = await feedRoom(room, 'presenter', { video: true, audio: true });
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    manager?.closeAll();
    await fed?.source.stop();
    await pool?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('records video and audio into an H.264 + AAC EVENT playlist of the recorded length, alongside an audio-only recording', async () => {
    const avDir = join(root, 'av');
    const audioDir = join(root, 'audio');
    const requestedAt = Date.now();
    // Two recorders at once from the same producers: their RTP ports must not collide.
    const [av, audioOnly] = await Promise.all([
      room.startRecording({ videoProducerId: fed.video!.id, audioProducerId: fed.audio!.id, outDir: avDir }),
      room.startRecording({ audioProducerId: fed.audio!.id, outDir: audioDir }),
    ]);
    started.push(av, audioOnly);
    expect(room.recorders()).toHaveLength(2);
    const segments: LiveRecorderSegment[] = [];
    av.on('segment', (s) => segments.push(s));
    let exits = 0;
    av.on('exit', () => exits++);

    await av.waitForFirstSegment(15_000);
    // ~2.3 s on an idle machine (ffmpeg probes ~1 s, then cuts the first 2 s segment); up to
    // ~6 s when both cores are saturated by other test runs.
    const firstSegmentMs = Date.now() - requestedAt;
    expect(firstSegmentMs).toBeLessThan(8_000);
    expect(av.startedAt).toBeGreaterThanOrEqual(requestedAt);

    await audioOnly.waitForFirstSegment(15_000);
    const audioResult = await audioOnly.stop();
    expect(audioResult.segments).toBeGreaterThanOrEqual(1);

    // Record ~6 s in all, then stop.
    await new Promise((r) => setTimeout(r, Math.max(0, av.startedAt + 6_000 - Date.now())));
    const stoppedAt = Date.now();
    const [result, again] = await Promise.all([av.stop(), av.stop()]);
    expect(again).toEqual(result);
    const recordedSec = (stoppedAt - av.startedAt) / 1000;

    expect(result.playlistPath).toBe(join(avDir, 'index.m3u8'));
    const playlist = await readFile(result.playlistPath, 'utf8');
    expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(playlist).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(playlist.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(segments.length).toBe(result.segments);
    expect(segments[0]!.name).toBe('seg_00000.ts');
    expect(Math.abs(result.durationSec - recordedSec)).toBeLessThanOrEqual(2.5);

    const probed = await ffprobe(result.playlistPath);
    const video = probed.streams.find((s) => s.codec_type === 'video');
    const audio = probed.streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p' });
    expect(['Main', 'High']).toContain(video!.profile);
    expect(audio).toMatchObject({ codec_name: 'aac', profile: 'LC' });
    expect(Math.abs(probed.durationSec - recordedSec)).toBeLessThanOrEqual(2.5);

    const audioProbe = await ffprobe(audioResult.playlistPath);
    expect(audioProbe.streams.map((s) => s.codec_name)).toEqual(['aac']);
    expect((await readFile(audioResult.playlistPath, 'utf8')).trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);

    // Everything released: ffmpeg reaped, consumers closed, ports given back, exit emitted once.
    expect(exits).toBe(1);
    expect(av.running).toBe(false);
    expect(processesMatching(avDir)).toEqual([]);
    expect(processesMatching(audioDir)).toEqual([]);
    expect(room.recorders()).toEqual([]);
    expect(room.routerLoads()[0]!.consumers).toBe(0);
    expect(reservedUdpPorts()).toEqual([]);
    expect((await readdir(avDir)).filter((f) => f.endsWith('.sdp'))).toEqual([]);
  });

  it('stops by itself once the recorded producer closes', async () => {
    const outDir = join(root, 'auto-stop');
    const extra = await feedRoom(room, 'guest', { audio: true });
    try {
      const recorder = await room.startRecording({ audioProducerId: extra.audio!.id, outDir });
      started.push(recorder);
      const exited = new Promise((resolve) => recorder.once('exit', resolve));
      room.closeProducer('guest', extra.audio!.id);
      await exited;
      expect(processesMatching(outDir)).toEqual([]);
    } finally {
      await extra.source.stop();
    }
  });

  it('SIGKILLs an ffmpeg that ignores SIGINT, reaps it and still ends the playlist', async () => {
    const outDir = join(root, 'stubborn');
    const ffmpegPath = await writeFakeFfmpeg(root, 'ignore-sigint');
    const recorder = await room.startRecording({ audioProducerId: fed.audio!.id, outDir, ffmpegPath, killTimeoutMs: 500 });
    started.push(recorder);
    await recorder.waitForFirstSegment(5_000);
    const exits: unknown[] = [];
    recorder.on('exit', (e) => exits.push(e));
    const stopAt = Date.now();
    const result = await recorder.stop();
    expect(Date.now() - stopAt).toBeGreaterThanOrEqual(450);
    expect(exits).toEqual([{ code: null, signal: 'SIGKILL' }]);
    expect(result).toMatchObject({ segments: 1, durationSec: 2 });
    expect((await readFile(result.playlistPath, 'utf8')).trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(processesMatching(outDir)).toEqual([]);
    expect(reservedUdpPorts()).toEqual([]);
  });

  it('reports an ffmpeg that dies during the recording as an error, then exit', async () => {
    const outDir = join(root, 'crash');
    const ffmpegPath = await writeFakeFfmpeg(root, 'crash');
    const recorder = await room.startRecording({ audioProducerId: fed.audio!.id, outDir, ffmpegPath });
    started.push(recorder);
    const events: string[] = [];
    const errors: Error[] = [];
    recorder.on('error', (e) => {
      events.push('error');
      errors.push(e);
    });
    const exited = new Promise<void>((resolve) => recorder.on('exit', () => (events.push('exit'), resolve())));
    await exited;
    expect(events).toEqual(['error', 'exit']);
    expect(errors[0]).toMatchObject({ code: 'ffmpeg-failed' });
    expect(errors[0]!.message).toContain('Conversion failed!');
    expect(room.recorders()).toEqual([]);
    expect(room.routerLoads()[0]!.consumers).toBe(0);
    // stop() after the fact resolves with what was written.
    expect(await recorder.stop()).toMatchObject({ segments: 1 });
  });

  it('refuses a recording without producers, with a wrong producer, a relative or used folder, or without ffmpeg', async () => {
    const outDir = join(root, 'refused');
    await expect(room.startRecording({ outDir })).rejects.toMatchObject({ code: 'no-producer' });
    await expect(room.startRecording({ videoProducerId: fed.audio!.id, outDir })).rejects.toMatchObject({ code: 'no-producer' });
    await expect(room.startRecording({ audioProducerId: 'nope', outDir })).rejects.toMatchObject({ code: 'no-producer' });
    await expect(room.startRecording({ audioProducerId: fed.audio!.id, outDir: 'relative/dir' })).rejects.toMatchObject({
      code: 'invalid-options',
    });
    await expect(
      room.startRecording({ audioProducerId: fed.audio!.id, outDir, ffmpegPath: '/nonexistent/ffmpeg' }),
    ).rejects.toMatchObject({ code: 'ffmpeg-missing' });
    // A folder that already holds a recording is never written over.
    const used = join(root, 'used');
    await mkdir(used, { recursive: true });
    await writeFile(join(used, 'index.m3u8'), '#EXTM3U\n');
    await expect(room.startRecording({ audioProducerId: fed.audio!.id, outDir: used })).rejects.toMatchObject({
      code: 'invalid-options',
      message: expect.stringContaining('already holds a recording'),
    });
    expect(room.routerLoads()[0]!.consumers).toBe(0);
    expect(reservedUdpPorts()).toEqual([]);
  });

  it('hands out distinct RTP/RTCP port pairs to concurrent allocations', async () => {
    const pairs = await Promise.all(Array.from({ length: 12 }, () => allocateUdpPortPair()));
    const ports = pairs.flatMap((p) => [p.port, p.rtcpPort]);
    expect(new Set(ports).size).toBe(24);
    for (const p of pairs) {
      expect(p.port % 2).toBe(0);
      expect(p.rtcpPort).toBe(p.port + 1);
    }
    for (const p of pairs) p.release();
    expect(reservedUdpPorts()).toEqual([]);
  });
});
