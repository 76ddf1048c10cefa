// A screen share with the camera on is recorded as the room sees it: the screen is the picture,
// the camera a small inset at the bottom right (picture-in-picture), at the screen's size. Real
// mediasoup worker, ffmpeg sending a red camera and a blue screen over RTP, ffmpeg recording,
// frames decoded from the segments.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveRoomManager, reservedUdpPorts } from '../../media/live';
import type { LiveRecorder, LiveRoom } from '../../media/live';
import { parseMediaPlaylist } from '../../media/hls/playlist';
import type { WorkerPool } from '../../media/worker-pool';
import { NETWORK, createLivePool, feedRoom, waitUntil, type FedProducers } from '../helpers/live-rtp';
import { colourName, decodeFrame, feedColour, type FedVideo } from '../helpers/live-screen';
import { processesMatching } from '../helpers/process';

const run = promisify(execFile);

const SCREEN = { width: 1280, height: 720 };
const CAMERA = { width: 640, height: 360 };

/** Codecs, pixel format and the first frame's key flag of one segment. */
async function probeSegment(file: string) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-show_frames', '-read_intervals', '%+#1', '-select_streams', 'v:0', '-of', 'json', file]);
  const v = JSON.parse(stdout) as { streams: { codec_name: string; profile: string; pix_fmt: string }[]; frames: { key_frame: number }[] };
  const a = JSON.parse((await run('ffprobe', ['-v', 'error', '-show_streams', '-select_streams', 'a:0', '-of', 'json', file])).stdout) as { streams: { codec_name: string }[] };
  return { video: v.streams[0]!, firstKey: v.frames[0]?.key_frame === 1, audio: a.streams[0]?.codec_name };
}

describe('LiveRecorder with a screen share and the camera on', () => {
  let pool: WorkerPool;
  let manager: LiveRoomManager;
  let room: LiveRoom;
  let root: string;
  let mic: FedProducers;
  const feeds: FedVideo[] = [];
  let recorder: LiveRecorder | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'live-pip-test-'));
    pool = await createLivePool(1, 44600, 44699);
    manager = new LiveRoomManager(pool, { ...NETWORK, maxConsumersPerRouter: 100 });
    room = await manager.getOrCreate('lecture');
  });

  afterAll(async () => {
    await recorder?.stop();
    manager?.closeAll();
    await Promise.all(feeds.map((f) => f.source.stop()));
    await mic?.source.stop();
    await pool?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('records the screen as the picture at its size with the camera as an inset at the bottom right, H.264 + AAC in keyframe-aligned segments', async () => {
    const camera = await feedColour(room, 'lecturer', { source: 'camera', color: 'red', ...CAMERA });
    feeds.push(camera);
    const screen = await feedColour(room, 'lecturer', { source: 'screen', color: 'blue', ...SCREEN, fps: 15 });
    feeds.push(screen);
    mic = await feedRoom(room, 'lecturer', { audio: true });
    const outDir = join(root, 'pip');
    recorder = await room.startRecording({ videoProducerId: camera.producer.id, screenProducerId: screen.producer.id, audioProducerId: mic.audio!.id, outDir });
    expect(recorder.producerIds.sort()).toEqual([camera.producer.id, screen.producer.id, mic.audio!.id].sort());
    await recorder.waitForFirstSegment(20_000);
    await waitUntil(() => recorder!.segments.length >= 3, 20_000, 'three segments');
    const result = await recorder.stop();

    // The picture is the screen's size; the inset is a quarter of its width, at the bottom right.
    const frame = await decodeFrame(join(outDir, recorder.segments[1]!.name));
    expect(`${frame.width}x${frame.height}`).toBe(`${SCREEN.width}x${SCREEN.height}`);
    const insetW = SCREEN.width / 4;
    const insetH = (insetW * CAMERA.height) / CAMERA.width;
    const margin = { x: SCREEN.width / 32, y: SCREEN.height / 32 };
    const inset = { x: SCREEN.width - margin.x - insetW / 2, y: SCREEN.height - margin.y - insetH / 2 };
    expect(colourName(frame.rgb(inset.x, inset.y))).toBe('red');
    expect(colourName(frame.rgb(inset.x - insetW / 2 + 8, inset.y - insetH / 2 + 8))).toBe('red');
    for (const [x, y] of [[40, 40], [SCREEN.width / 2, SCREEN.height / 2], [SCREEN.width - 20, 20], [40, SCREEN.height - 20], [inset.x, SCREEN.height - margin.y / 2], [inset.x - insetW / 2 - 16, inset.y]] as const) {
      expect(colourName(frame.rgb(x, y)), `(${x}, ${y})`).toBe('blue');
    }

    // The live HLS rung: target duration, every segment starting on a keyframe, browser codecs.
    const playlist = parseMediaPlaylist(await readFile(result.playlistPath, 'utf8'));
    expect(playlist.ended).toBe(true);
    const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(await readFile(result.playlistPath, 'utf8'))?.[1]);
    expect(target).toBe(2);
    for (const s of playlist.segments) {
      expect(Math.round(s.durationSec)).toBeLessThanOrEqual(target);
      const probed = await probeSegment(join(outDir, s.uri));
      expect(probed.firstKey, s.uri).toBe(true);
      expect(probed.video).toMatchObject({ codec_name: 'h264', profile: 'High', pix_fmt: 'yuv420p' });
      expect(probed.audio).toBe('aac');
    }
    expect(processesMatching(outDir)).toEqual([]);
    expect(reservedUdpPorts()).toEqual([]);
  }, 60_000);
});
