/**
 * After a live lecture ends (直播结束), its replay (回放) is joined from the recording and
 * transcoded, which takes minutes; the room links to it only once it can be watched. The server
 * says so with `live:state` (`replayReady`); this poll of GET /api/live/:id is the fallback for a
 * page that missed the event (a socket that was down, a room the server forgot). Pure helpers
 * beside it say what the page shows.
 */
import type { Question, LiveState } from './types.ts';

export interface ReplayAnswer {
  replayLectureId?: string;
  replayReady: boolean;
}

/** Where "观看回放" leads, or null while there is nothing to watch yet. */
export function replayHref(live: LiveState): string | null {
  return live.state === 'ended' && live.replayReady && live.replayLectureId ? `/lectures/${live.replayLectureId}` : null;
}

/** The Q&A tab's figures: every question listed (answered ones stay in the list), and those still open. */
export function questionCounts(questions: readonly Pick<Question, 'answered'>[]): { total: number; open: number } {
  return { total: questions.length, open: questions.filter((q) => !q.answered).length };
}

export class ReplayWatch {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    private readonly fetchState: () => Promise<ReplayAnswer>,
    private readonly onReady: (answer: ReplayAnswer & { replayLectureId: string }) => void,
    private readonly intervalMs = 15_000,
  ) {}

  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#check(), this.intervalMs);
  }

  async #check(): Promise<void> {
    try {
      const answer = await this.fetchState();
      if (this.#stopped) return;
      if (answer.replayReady && answer.replayLectureId) {
        this.stop();
        this.onReady({ ...answer, replayLectureId: answer.replayLectureId });
        return;
      }
    } catch {
      // A failed poll is tried again at the next interval.
    }
    if (!this.#stopped) this.#schedule();
  }
}
