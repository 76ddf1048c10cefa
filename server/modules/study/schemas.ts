/** Schemas of the study module that other modules share (terminal stations send the same beats). */
import { Type } from 'typebox';
import { StringEnum } from '../../schemas';

/** One watch-time heartbeat (学时心跳), as players and station kiosks send it. */
export const BeatSchema = Type.Object({
  playbackId: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  seq: Type.Integer({ minimum: 1 }),
  position: Type.Number({ minimum: 0, maximum: 1e7 }),
  rate: Type.Number({ minimum: 0, maximum: 16 }),
  playing: Type.Boolean(),
  visible: Type.Boolean(),
  event: StringEnum(['tick', 'play', 'pause', 'seek', 'end', 'hide', 'show', 'unload'] as const),
  clientAt: Type.Number({ minimum: 0 }),
});
