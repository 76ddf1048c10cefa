import { EventEmitter } from 'node:events';
import type { Consumer } from 'mediasoup/lib/types';
import { describe, expect, it, vi } from 'vitest';
import { MediaStartWatch } from '../../media/live/recorder-media-start';

/** The part of a mediasoup consumer the watch uses: trace events and enableTraceEvent. */
class TracingConsumer extends EventEmitter {
  traced: string[][] = [];
  async enableTraceEvent(types: string[]): Promise<void> {
    this.traced.push(types);
  }
  trace(type: string): void {
    this.emit('trace', { type, timestamp: 0, direction: 'out', info: {} });
  }
}

const asConsumers = (list: TracingConsumer[]) => list as unknown as Consumer[];

describe('MediaStartWatch', () => {
  it('without sound: resolves when every video has sent its first keyframe, with the later moment, and stops tracing', async () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const [screen, camera] = [new TracingConsumer(), new TracingConsumer()];
      const watch = new MediaStartWatch({ video: asConsumers([screen, camera]), audio: [] });
      await watch.arm();
      expect(screen.traced).toEqual([['keyframe']]);
      const when = watch.when(5_000);
      screen.trace('rtp');
      vi.setSystemTime(1_200);
      screen.trace('keyframe');
      vi.setSystemTime(1_700);
      screen.trace('keyframe');
      camera.trace('keyframe');
      await expect(when).resolves.toBe(1_700);
      expect(screen.traced.at(-1)).toEqual([]);
      expect(camera.traced.at(-1)).toEqual([]);
      expect(screen.listenerCount('trace')).toBe(0);
      await expect(watch.when(1)).resolves.toBe(1_700);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with sound: the first audio packet is the start when it comes before the picture (the file begins there), the picture when it comes first', async () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const [camera, mic] = [new TracingConsumer(), new TracingConsumer()];
      const watch = new MediaStartWatch({ video: asConsumers([camera]), audio: asConsumers([mic]) });
      await watch.arm();
      expect(mic.traced).toEqual([['rtp']]);
      const when = watch.when(5_000);
      vi.setSystemTime(1_100);
      mic.trace('keyframe');
      mic.trace('rtp');
      vi.setSystemTime(5_000);
      camera.trace('keyframe');
      await expect(when).resolves.toBe(1_100);
      expect(mic.traced.at(-1)).toEqual([]);
      expect(camera.traced.at(-1)).toEqual([]);
      expect(mic.listenerCount('trace') + camera.listenerCount('trace')).toBe(0);

      // A paused microphone: the picture comes first and is the start; the later sound changes nothing.
      const [camera2, mic2] = [new TracingConsumer(), new TracingConsumer()];
      const second = new MediaStartWatch({ video: asConsumers([camera2]), audio: asConsumers([mic2]) });
      await second.arm();
      vi.setSystemTime(6_000);
      camera2.trace('keyframe');
      vi.setSystemTime(9_000);
      mic2.trace('rtp');
      await expect(second.when(1)).resolves.toBe(6_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives null when nothing comes in time or the recording ends first, and at once with no consumer', async () => {
    vi.useFakeTimers();
    try {
      const camera = new TracingConsumer();
      const watch = new MediaStartWatch({ video: asConsumers([camera]), audio: [] });
      await watch.arm();
      const late = watch.when(2_000);
      vi.advanceTimersByTime(2_000);
      await expect(late).resolves.toBeNull();
      const ended = watch.when(10_000);
      watch.cancel();
      await expect(ended).resolves.toBeNull();
      await expect(new MediaStartWatch({ video: [], audio: [] }).when(10_000)).resolves.toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
