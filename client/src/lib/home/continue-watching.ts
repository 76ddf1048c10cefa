/** 继续学习: lectures started but not finished, the most recently watched first. */
import type { StudyLecture } from '../api/types.ts';

export function continueWatching(lectures: readonly StudyLecture[], n = 4): StudyLecture[] {
  return lectures
    .filter((l) => !l.completed && l.progress > 0)
    .sort((a, b) => (b.lastWatchedAt ?? '').localeCompare(a.lastWatchedAt ?? ''))
    .slice(0, n);
}
