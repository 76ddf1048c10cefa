/**
 * The recording state of a live lecture, kept on the lecture so that it outlives the portal
 * process: the folder (`live.recordingPrefix`, `live/<lecture>/<stamp>`) and the parts
 * (`live.parts`: folder and offset on the live timeline when a part starts, moved to where its
 * media begins once that has come; its number, length, picture size and final place once it has
 * stopped). Every write goes through the lecture's lock
 * (`writeLecture`): FerretDB rewrites the whole document on any update.
 */
import type { Models } from '../../store/models';
import { writeLecture } from '../catalog/catalog.service';
import type { LectureDoc } from '../catalog/lecture.model';

export interface PartFacts {
  index: number;
  durationSec: number;
  /** Where it sits on the live timeline once stopped (part-placement.ts). */
  offsetSec?: number;
  width?: number;
  height?: number;
}

/** The number after the highest stored part (`.../part-N`). */
export function nextPartIndex(parts: readonly { prefix?: string | null }[]): number {
  let max = 0;
  for (const p of parts) max = Math.max(max, Number(/\/part-(\d+)$/.exec(p.prefix ?? '')?.[1] ?? 0));
  return max + 1;
}

export class LiveRecordingRepository {
  constructor(private readonly models: Models) {}

  /** A part started: before the lecture's media points at it (the media routes place its segments by its offset). */
  async addPart(lectureId: string, prefix: string, offsetSec: number): Promise<void> {
    await writeLecture(this.models, lectureId, () => this.models.Lecture.updateOne({ _id: lectureId }, { $push: { 'live.parts': { prefix, offsetSec } } }));
  }

  /** Where on the live timeline the part's media begins (a moment after its start). */
  async placePart(lectureId: string, prefix: string, offsetSec: number): Promise<void> {
    await this.#updatePart(lectureId, prefix, { offsetSec });
  }

  async describePart(lectureId: string, prefix: string, facts: PartFacts): Promise<void> {
    await this.#updatePart(lectureId, prefix, facts);
  }

  async #updatePart(lectureId: string, prefix: string, change: Partial<PartFacts>): Promise<void> {
    await writeLecture(this.models, lectureId, async () => {
      const l = await this.models.Lecture.findById(lectureId, { live: 1 }).lean<LectureDoc>();
      const parts = (l?.live?.parts ?? []).map((s) => (s.prefix === prefix ? { ...s, ...change } : s));
      await this.models.Lecture.updateOne({ _id: lectureId }, { $set: { 'live.parts': parts } });
    });
  }
}
