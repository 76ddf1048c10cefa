// The replay (回放) of a live lecture keeps the live timeline. No I/O here.
//
// Rules:
// - Each recorded part is placed at its offset on the live timeline; the time between parts
//   (a camera off and on, a rebuilt room, a portal restart) and after the last part up to the
//   lecture's end is a slate: a plain dark frame and silence. A part that would run into the
//   next one is cut where the next one starts, so later parts never drift.
// - One picture size for the whole replay: the largest part's (by area), so the ladder is
//   planned from the best part; smaller parts are scaled up to it, keeping their aspect ratio
//   (padded). Sizes are even (yuv420p).
// - Audio and video are both present when any part has them; a part without one gets silence
//   or the slate. Every piece is cut to exactly its planned length, so the concatenation is as
//   long as the timeline.

export interface ReplayPartInput {
  offsetSec: number;
  durationSec: number;
  width?: number;
  height?: number;
  hasVideo: boolean;
  hasAudio: boolean;
}

export type ReplayPiece =
  | { kind: 'slate'; startSec: number; durationSec: number }
  | { kind: 'part'; part: number; startSec: number; durationSec: number };

export interface ReplayPlan {
  /** Output picture size; null for an audio-only replay. */
  video: { width: number; height: number } | null;
  audio: boolean;
  pieces: ReplayPiece[];
  durationSec: number;
}

/** Gaps shorter than this are not worth a slate (recorder start-up jitter). */
export const MIN_SLATE_SEC = 0.1;
export const REPLAY_FPS = 25;
export const SLATE_COLOR = '0x161b26';

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Places `parts` on a timeline of `totalSec` (the lecture's live duration). */
export function planReplay(parts: readonly ReplayPartInput[], totalSec: number): ReplayPlan {
  const order = parts
    .map((p, part) => ({ ...p, part }))
    .filter((p) => p.durationSec > 0 && (p.hasAudio || p.hasVideo))
    .sort((a, b) => a.offsetSec - b.offsetSec);
  let best: { width: number; height: number } | null = null;
  for (const p of order) {
    if (!p.hasVideo || !p.width || !p.height) continue;
    if (!best || p.width * p.height > best.width * best.height) best = { width: even(p.width), height: even(p.height) };
  }
  const pieces: ReplayPiece[] = [];
  let cursor = 0;
  const slate = (until: number) => {
    if (until - cursor >= MIN_SLATE_SEC) pieces.push({ kind: 'slate', startSec: round3(cursor), durationSec: round3(until - cursor) });
    cursor = Math.max(cursor, until);
  };
  order.forEach((p, i) => {
    slate(Math.max(0, p.offsetSec));
    const next = order[i + 1];
    const end = next ? Math.min(cursor + p.durationSec, Math.max(cursor, next.offsetSec)) : cursor + p.durationSec;
    const durationSec = round3(end - cursor);
    if (durationSec <= 0) return;
    pieces.push({ kind: 'part', part: p.part, startSec: round3(cursor), durationSec });
    cursor = end;
  });
  slate(totalSec);
  return {
    video: best,
    audio: order.some((p) => p.hasAudio),
    pieces,
    durationSec: round3(pieces.reduce((sum, p) => sum + p.durationSec, 0)),
  };
}

export interface ReplayArgsOptions {
  plan: ReplayPlan;
  /** Per part (same index as planReplay's input): an ffconcat list of its segments. */
  partLists: readonly string[];
  /** Which parts carry which streams (as probed). */
  parts: readonly Pick<ReplayPartInput, 'hasAudio' | 'hasVideo'>[];
  outPath: string;
  preset?: string;
}

/**
 * One ffmpeg run: each part's segments (concat demuxer), scaled and padded to the plan's size,
 * at a constant frame rate, cut to its planned length; slates from color/anullsrc sources; all
 * joined by the concat filter into one H.264 + AAC MP4.
 */
export function buildReplayArgs(o: ReplayArgsOptions): string[] {
  const { plan } = o;
  if (!plan.pieces.length) throw new Error('buildReplayArgs: nothing to join');
  const inputs: string[] = [];
  const inputOf = new Map<number, number>();
  for (const piece of plan.pieces) {
    if (piece.kind !== 'part' || inputOf.has(piece.part)) continue;
    inputOf.set(piece.part, inputOf.size);
    inputs.push('-f', 'concat', '-safe', '0', '-i', o.partLists[piece.part]!);
  }
  const v = plan.video;
  const slateVideo = (d: number) => `color=c=${SLATE_COLOR}:s=${v!.width}x${v!.height}:r=${REPLAY_FPS}:d=${d},format=yuv420p,setsar=1`;
  const silence = (d: number) => `anullsrc=r=48000:cl=stereo,atrim=duration=${d}`;
  const chains: string[] = [];
  const joined: string[] = [];
  plan.pieces.forEach((piece, i) => {
    const d = piece.durationSec;
    const input = piece.kind === 'part' ? inputOf.get(piece.part)! : -1;
    const streams = piece.kind === 'part' ? o.parts[piece.part]! : { hasVideo: false, hasAudio: false };
    if (v) {
      chains.push(
        streams.hasVideo
          ? `[${input}:v]scale=${v.width}:${v.height}:force_original_aspect_ratio=decrease,pad=${v.width}:${v.height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,` +
              `fps=${REPLAY_FPS}:start_time=0,format=yuv420p,tpad=stop_mode=clone:stop_duration=${d},trim=duration=${d},setpts=PTS-STARTPTS[v${i}]`
          : `${slateVideo(d)}[v${i}]`,
      );
      joined.push(`[v${i}]`);
    }
    if (plan.audio) {
      chains.push(
        streams.hasAudio
          ? `[${input}:a]aresample=48000:async=1:first_pts=0,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,apad,atrim=duration=${d},asetpts=PTS-STARTPTS[a${i}]`
          : `${silence(d)}[a${i}]`,
      );
      joined.push(`[a${i}]`);
    }
  });
  const outs = [v ? '[v]' : '', plan.audio ? '[a]' : ''].join('');
  chains.push(`${joined.join('')}concat=n=${plan.pieces.length}:v=${v ? 1 : 0}:a=${plan.audio ? 1 : 0}${outs}`);
  const encode: string[] = [];
  if (v) {
    encode.push('-map', '[v]', '-c:v', 'libx264', '-preset', o.preset ?? 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', '-g', String(REPLAY_FPS * 2));
  }
  if (plan.audio) encode.push('-map', '[a]', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2');
  return ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...inputs, '-filter_complex', chains.join(';'), ...encode, '-movflags', '+faststart', '-f', 'mp4', o.outPath];
}
