// ffmpeg's `-progress pipe:1` output read back (the ladder's transcodes and their progress bars).
// No I/O here.

export interface ProgressSample {
  /** Output time reached, seconds. */
  outTimeSec: number;
  /** 0..100, 100 once ffmpeg reports progress=end. */
  percent: number;
  /** Encoding speed as a multiple of real time; null while ffmpeg says N/A. */
  speed: number | null;
  /** Seconds left at the current speed; null when the speed is unknown. */
  etaSec: number | null;
  done: boolean;
}

function parseClock(value: string): number | null {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/**
 * Reads ffmpeg `-progress` output (key=value lines, blocks ending in progress=continue|end)
 * and returns the latest position in `chunk`, or null when it holds none. The last value of
 * each key wins, so a chunk holding several blocks reports the newest one. out_time_ms is not
 * read: despite its name ffmpeg 5.1 writes microseconds there, as in out_time_us. Before the
 * first frame ffmpeg writes N/A (or a large negative time), which is ignored.
 */
export function parseProgress(chunk: string, durationSec: number): ProgressSample | null {
  let outTimeSec: number | null = null;
  let speed: number | null = null;
  let done = false;
  for (const line of chunk.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'out_time_us') {
      const us = Number(value);
      if (value !== '' && Number.isFinite(us) && us >= 0) outTimeSec = us / 1e6;
    } else if (key === 'out_time' && outTimeSec === null) {
      const sec = parseClock(value);
      if (sec !== null) outTimeSec = sec;
    } else if (key === 'speed') {
      const x = Number.parseFloat(value.replace(/x$/, ''));
      speed = Number.isFinite(x) && x > 0 ? x : null;
    } else if (key === 'progress') {
      done = value === 'end';
    }
  }
  if (outTimeSec === null && !done) return null;
  const reached = outTimeSec ?? durationSec;
  const percent = done
    ? 100
    : durationSec > 0
      ? Math.min(100, Math.max(0, (reached / durationSec) * 100))
      : 0;
  const left = Math.max(0, durationSec - reached);
  return {
    outTimeSec: reached,
    percent: Math.round(percent * 10) / 10,
    speed,
    etaSec: done ? 0 : speed ? Math.round(left / speed) : null,
    done,
  };
}
