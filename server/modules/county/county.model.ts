/**
 * County tallies (统计计数, issue 19): one document per county year and org unit, `_id`
 * `${year}:${unitId}` (tally.ts has the shape). Written whole, by `_id`, by one writer per
 * document at a time (county-tallies.ts); read all at start.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { TallyDoc } from './tally';

const countyTallySchema = new Schema(
  {
    _id: { type: String, required: true },
    year: { type: Number, required: true },
    unitId: { type: String, required: true },
    channels: { type: Schema.Types.Mixed, default: {} },
    months: { type: Schema.Types.Mixed, default: {} },
    topics: { type: Schema.Types.Mixed, default: [] },
    categories: { type: Schema.Types.Mixed, default: [] },
    cadres: { type: Schema.Types.Mixed, default: [] },
    updatedAt: { type: Date },
  },
  { minimize: false },
);

export type CountyTallyModel = Model<TallyDoc>;
export const defineCountyTallyModel = (conn: Connection): CountyTallyModel => conn.model<TallyDoc>('CountyTally', countyTallySchema);
