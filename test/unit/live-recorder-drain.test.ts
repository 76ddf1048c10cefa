import { describe, expect, it } from 'vitest';
import { OutputWatch } from '../../media/live/recorder-drain';

describe('OutputWatch (ffmpeg -progress output standing still)', () => {
  it('moves on a changed frame, output time or size, not on repeated blocks or other keys', () => {
    let now = 1_000;
    const watch = new OutputWatch(() => now);
    expect(watch.movedAt).toBe(1_000);
    now = 1_250;
    watch.push('frame=10\nfps=30.0\nout_time_us=333000\ntotal_size=4096\nprogress=continue\n');
    expect(watch.movedAt).toBe(1_250);
    now = 1_500;
    watch.push('frame=10\nfps=29.0\nspeed=0.9x\nout_time_us=333000\ntotal_size=4096\nprogress=continue\n');
    expect(watch.movedAt).toBe(1_250);
    now = 1_750;
    watch.push('frame=10\nout_time_us=333000\ntotal_size=8192\n');
    expect(watch.movedAt).toBe(1_750);
  });

  it('reads lines cut anywhere between chunks', () => {
    let now = 0;
    const watch = new OutputWatch(() => now);
    watch.push('frame=1\nout_ti');
    now = 100;
    watch.push('me_us=5');
    expect(watch.movedAt).toBe(0);
    watch.push('00\n');
    expect(watch.movedAt).toBe(100);
    now = 200;
    watch.push('out_time_us=500\n');
    expect(watch.movedAt).toBe(100);
  });

  it('still() waits for the output to stand still, gives up at its deadline or when aborted', async () => {
    const watch = new OutputWatch();
    const started = Date.now();
    expect(await watch.still(60, 2_000, () => false, 5)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);

    let frame = 0;
    const timer = setInterval(() => watch.push(`frame=${++frame}\n`), 5);
    try {
      expect(await watch.still(100, 150, () => false, 5)).toBe(false);
      expect(await watch.still(100, 2_000, () => frame > 5, 5)).toBe(false);
    } finally {
      clearInterval(timer);
    }
    expect(await watch.still(40, 2_000, () => false, 5)).toBe(true);
  });
});
