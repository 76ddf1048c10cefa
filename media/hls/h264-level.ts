// The H.264 level of a rung (ladder.ts): the lowest High-profile level that fits its frame size,
// frame rate and VBV settings, and the RFC 6381 CODECS string that names it. No I/O here.

interface LevelLimit {
  level: string;
  idc: number;
  maxMbps: number;
  maxFs: number;
  /** Main-profile limits in kbit/s; High allows 1.25x (H.264 Table ). */
  maxBrKbps: number;
  maxCpbKbit: number;
}

// Level 3 is the floor: every browser decodes it, and a lower number buys nothing.
const LEVELS: readonly LevelLimit[] = [
  { level: '3', idc: 30, maxMbps: 40_500, maxFs: 1_620, maxBrKbps: 10_000, maxCpbKbit: 10_000 },
  { level: '3.1', idc: 31, maxMbps: 108_000, maxFs: 3_600, maxBrKbps: 14_000, maxCpbKbit: 14_000 },
  { level: '3.2', idc: 32, maxMbps: 216_000, maxFs: 5_120, maxBrKbps: 20_000, maxCpbKbit: 20_000 },
  { level: '4', idc: 40, maxMbps: 245_760, maxFs: 8_192, maxBrKbps: 20_000, maxCpbKbit: 25_000 },
  { level: '4.1', idc: 41, maxMbps: 245_760, maxFs: 8_192, maxBrKbps: 50_000, maxCpbKbit: 62_500 },
  { level: '4.2', idc: 42, maxMbps: 522_240, maxFs: 8_704, maxBrKbps: 50_000, maxCpbKbit: 62_500 },
  { level: '5', idc: 50, maxMbps: 589_824, maxFs: 22_080, maxBrKbps: 135_000, maxCpbKbit: 135_000 },
  { level: '5.1', idc: 51, maxMbps: 983_040, maxFs: 36_864, maxBrKbps: 240_000, maxCpbKbit: 240_000 },
  { level: '5.2', idc: 52, maxMbps: 2_073_600, maxFs: 36_864, maxBrKbps: 240_000, maxCpbKbit: 240_000 },
];

/** The lowest H.264 High level (≥ 3) that fits the frame size, frame rate and VBV settings. */
export function h264Level(
  width: number,
  height: number,
  fps: number,
  maxrateKbps = 0,
  bufsizeKbps = 0,
): { level: string; idc: number } {
  const frameMbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = frameMbs * fps;
  const fit = LEVELS.find(
    (l) =>
      frameMbs <= l.maxFs &&
      mbps <= l.maxMbps &&
      maxrateKbps <= l.maxBrKbps * 1.25 &&
      bufsizeKbps <= l.maxCpbKbit * 1.25,
  );
  const chosen = fit ?? LEVELS[LEVELS.length - 1]!;
  return { level: chosen.level, idc: chosen.idc };
}

/** "avc1.64001f": High profile (0x64), no constraint flags (x264 sets none for High), level. */
export function avc1CodecString(levelIdc: number): string {
  return `avc1.6400${levelIdc.toString(16).padStart(2, '0')}`;
}
