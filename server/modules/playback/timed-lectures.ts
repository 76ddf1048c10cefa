/**
 * The timing of lectures (segment length, duration, live parts: delivery.ts) for a media route
 * that does not read the lecture itself (stations). Read again after 30 s, or after 1 s while a
 * lecture is live: a new recording part is listed in `live.parts` seconds before its first
 * segment is served, so a read at most 1 s old already knows it.
 */
import { LRUCache } from 'lru-cache';
import type { Models } from '../../store/models';
import type { TimedLecture } from './delivery';

export function timedLectures(models: Pick<Models, 'Lecture'>): LRUCache<string, TimedLecture> {
  return new LRUCache<string, TimedLecture>({
    max: 5_000,
    ttl: 30_000,
    fetchMethod: async (id, _stale, { options }) => {
      const l = await models.Lecture.findById(id, { kind: 1, durationSec: 1, media: 1, live: 1 }).lean<TimedLecture>();
      if (l?.kind === 'live') options.ttl = 1_000;
      return l ?? undefined;
    },
  });
}
