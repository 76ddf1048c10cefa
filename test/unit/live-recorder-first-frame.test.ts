import { EventEmitter } from 'node:events';
import type { Consumer } from 'mediasoup/lib/types';
import { describe, expect, it, vi } from 'vitest';
import { FirstFrameWatch } from '../../media/live/recorder-first-frame';

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

describe('FirstFrameWatch', () => {
  it('resolves when every video has sent its first keyframe, with the later moment, and stops tracing', async () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const [screen, camera] = [new TracingConsumer(), new TracingConsumer()];
      const watch = new FirstFrameWatch(asConsumers([screen, camera]));
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

  it('gives null when no keyframe comes in time or the recording ends first, and at once for sound alone', async () => {
    vi.useFakeTimers();
    try {
      const camera = new TracingConsumer();
      const watch = new FirstFrameWatch(asConsumers([camera]));
      await watch.arm();
      const late = watch.when(2_000);
      vi.advanceTimersByTime(2_000);
      await expect(late).resolves.toBeNull();
      const ended = watch.when(10_000);
      watch.cancel();
      await expect(ended).resolves.toBeNull();
      await expect(new FirstFrameWatch([]).when(10_000)).resolves.toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
