/**
 * The facts of a lecture every heartbeat needs (duration, segment length, credit hours, whether it
 * is required, what content it is credited as), cached for a minute with lru-cache: past a minute
 * the cached facts still answer while one reload runs (a lecture watched by thousands must not
 * send each of their beats to the store at once); `forget()` drops them at once (a live lecture
 * ended and now has its duration). A replay is credited as its live lecture (`content()`).
 */
import { LRUCache } from 'lru-cache';
import type { LectureInfo } from './records';
import type { LectureFactsRepository } from './repositories';

export class LectureFacts {
  private readonly cache: LRUCache<string, LectureInfo>;

  constructor(
    private readonly repo: LectureFactsRepository,
    private readonly now: () => number,
  ) {
    this.cache = new LRUCache<string, LectureInfo>({
      max: 20_000,
      ttl: 60_000,
      allowStale: true,
      noDeleteOnFetchRejection: true,
      perf: { now },
      fetchMethod: async (id) => (await this.repo.find(id, this.now())) ?? undefined,
    });
  }

  async get(id: string): Promise<LectureInfo | null> {
    return (await this.cache.fetch(id)) ?? null;
  }

  /** What a lecture is credited as: its live lecture for a replay (with the replay's duration until the live one has its own). */
  async content(info: LectureInfo | null): Promise<LectureInfo | null> {
    if (!info || info.contentId === info.id) return info;
    const live = await this.get(info.contentId);
    if (!live) return info;
    return live.durationSec > 0 ? live : { ...live, durationSec: info.durationSec };
  }

  forget(id: string) {
    this.cache.delete(id);
  }
}
