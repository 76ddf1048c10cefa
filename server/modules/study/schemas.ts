/** Schemas of the study module that other modules share (terminal stations send the same beats). */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { StringEnum } from '../../schemas';

/** One watch-time heartbeat (学时心跳), as players and station kiosks send it. */
export const BeatSchema = Type.Object({
  playbackId: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  // Kiosks number their beats from a clock reading (about 1.8e10): any safe integer.
  seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  position: Type.Number({ minimum: 0, maximum: 1e7 }),
  rate: Type.Number({ minimum: 0, maximum: 16 }),
  playing: Type.Boolean(),
  visible: Type.Boolean(),
  event: StringEnum(['tick', 'play', 'pause', 'seek', 'end', 'hide', 'show', 'unload'] as const),
  clientAt: Type.Number({ minimum: 0, maximum: 1e13, description: 'ms since the epoch' }),
});

/**
 * A heartbeat batch as the route accepts it: up to 200 items, each checked on its own (checkBeats)
 * so one malformed beat is refused alone and the others are acknowledged.
 */
export const BeatBatchSchema = Type.Object({ beats: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 200 }) });

const beatValidator = Compile(BeatSchema);

export type ValidBeat = Static<typeof BeatSchema>;

/** Splits a batch into valid beats and refusals (with the first failing field named). */
export function checkBeats(items: unknown[]): { valid: ValidBeat[]; rejected: { playbackId: string; seq: number; code: string; message: string }[] } {
  const valid: ValidBeat[] = [];
  const rejected: { playbackId: string; seq: number; code: string; message: string }[] = [];
  for (const item of items) {
    if (beatValidator.Check(item)) {
      valid.push(item);
      continue;
    }
    const first = beatValidator.Errors(item)[0];
    const field = first?.instancePath || '/';
    const o = (typeof item === 'object' && item !== null ? item : {}) as { playbackId?: unknown; seq?: unknown };
    rejected.push({
      playbackId: typeof o.playbackId === 'string' ? o.playbackId.slice(0, 64) : '',
      seq: typeof o.seq === 'number' && Number.isFinite(o.seq) ? o.seq : 0,
      code: 'BEAT_INVALID',
      message: `心跳数据不正确(${field}) / Invalid heartbeat (${field}${first?.message ? `: ${first.message}` : ''})`,
    });
  }
  return { valid, rejected };
}

/** A flagged study record as the admins' list shows it (GET /api/study/flags; flag-review.ts). */
export const FlagSchema = Type.Object({
  id: Type.String(),
  /** The cadre, or the station for station-side flags. */
  userId: Type.Optional(Type.String()),
  userName: Type.Optional(Type.String()),
  lectureId: Type.Optional(Type.String()),
  playbackId: Type.Optional(Type.String()),
  kind: Type.String(),
  count: Type.Integer(),
  /** Seconds of credit refused. */
  seconds: Type.Number(),
  /** "中文 / English" */
  reason: Type.String(),
  at: Type.String({ format: 'date-time' }),
  /** Set once an admin marked the flag reviewed. */
  review: Type.Optional(Type.Object({ at: Type.String({ format: 'date-time' }), byName: Type.String(), note: Type.String() })),
});
export type FlagView = Static<typeof FlagSchema>;
