/**
 * The studio's words for a lecture (讲授课程管理): one status per lecture (转码中 45%, 待发布,
 * 已发布, 转码失败 …) instead of the stored state, the ladder's rungs by name (标清 360p, 高清
 * 720p, 仅音频) instead of "ladder" and "360p,audio", and the search and status filter over the
 * lecturer's own lectures. Pure: everything returns message keys with their parameters, so the
 * page translates and the unit tests read both languages.
 */
import type { LectureAdmin, LectureCategory } from '../api/types.ts';
import type { MessageKey, Params } from '../i18n/index.ts';

export interface Words {
  key: MessageKey;
  params?: Params;
}

/** A lecture as /api/lectures/mine answers it (the rungs of a finished ladder came later). */
export type StudioLecture = LectureAdmin & { renditions?: string[] };

export type StudioStatus = 'upload' | 'queued' | 'running' | 'failed' | 'rejected' | 'ready' | 'published' | 'withdrawn';

/** What a lecturer needs to know first about one lecture. */
export function studioStatus(lecture: LectureAdmin): StudioStatus {
  if (lecture.state === 'published') return 'published';
  if (lecture.state === 'withdrawn') return 'withdrawn';
  if (lecture.kind === 'live') return 'ready';
  switch (lecture.processing.state) {
    case 'queued':
    case 'running':
    case 'failed':
    case 'rejected':
    case 'ready':
      return lecture.processing.state;
    default:
      return lecture.state === 'processing' ? 'queued' : 'upload';
  }
}

export function statusWords(lecture: LectureAdmin): Words {
  const status = studioStatus(lecture);
  if (status === 'running') return { key: 'finding.status.running', params: { percent: Math.round(Math.min(100, Math.max(0, lecture.processing.percent))) } };
  return { key: `finding.status.${status}` };
}

/** "720p" → 高清 720p, "audio" → 仅音频, "audio-128k" → 音频 128k; a name it does not know is shown as it is. */
export function rungWords(name: string): Words | string {
  if (name === '1080p' || name === '720p' || name === '480p' || name === '360p') return { key: `finding.rung.${name}` };
  if (name === 'audio') return { key: 'finding.rung.audio' };
  const video = /^(\d{2,4})p$/.exec(name);
  if (video) return { key: 'finding.rung.video', params: { height: video[1]! } };
  const audio = /^audio-(\d{1,4})k$/.exec(name);
  if (audio) return { key: 'finding.rung.audioKbps', params: { kbps: audio[1]! } };
  return name;
}

type Translate = (key: MessageKey, params?: Params) => string;

export function rungList(names: readonly string[], t: Translate): string {
  return names.map((n) => rungWords(n)).map((w) => (typeof w === 'string' ? w : t(w.key, w.params))).join(t('finding.rungSep'));
}

/**
 * The transcode stage in words: "ladder:720p,360p,audio" → 生成清晰度：高清 720p、标清 360p、仅音频;
 * "thumbnails" → 生成封面和预览图. Stages it does not know give '' (never a raw word).
 */
export function stageText(stage: string | undefined, t: Translate): string {
  if (!stage) return '';
  const [name, rest] = [stage.split(':')[0], stage.split(':').slice(1).join(':')];
  if (name === 'ladder') {
    const rungs = rest.split(',').filter(Boolean);
    return rungs.length ? t('finding.stage.ladder', { rungs: rungList(rungs, t) }) : t('finding.stage.ladderPlain');
  }
  if (name === 'thumbnails') return t('finding.stage.thumbnails');
  return '';
}

// ---- search and filter over the studio list ------------------------------------------------

export type StatusFilter = '' | 'active' | 'ready' | 'draft' | 'published' | 'withdrawn';
export const STATUS_FILTERS: readonly Exclude<StatusFilter, ''>[] = ['active', 'ready', 'draft', 'published', 'withdrawn'];
export const STATUS_FILTER_LABELS: Record<Exclude<StatusFilter, ''>, MessageKey> = {
  active: 'finding.studio.filterActive',
  ready: 'finding.studio.filterReady',
  draft: 'finding.studio.filterDraft',
  published: 'finding.studio.filterPublished',
  withdrawn: 'finding.studio.filterWithdrawn',
};

const FILTER_OF: Record<StudioStatus, Exclude<StatusFilter, ''>> = {
  upload: 'draft',
  failed: 'draft',
  rejected: 'draft',
  queued: 'active',
  running: 'active',
  ready: 'ready',
  published: 'published',
  withdrawn: 'withdrawn',
};

const norm = (s: string) => s.normalize('NFKC').toLowerCase();

/**
 * The lectures matching a search (every word, in the title, topic, category name, tags,
 * lecturer or institution) and a status; `categoryName` gives the category as the page shows it.
 * The list is at most 500 lectures (one answer of /api/lectures/mine), so this runs in the page.
 */
export function filterStudio<T extends LectureAdmin>(lectures: readonly T[], query: string, status: StatusFilter, categoryName: (c: LectureCategory) => string): T[] {
  const words = norm(query).split(/\s+/).filter(Boolean);
  return lectures.filter((l) => {
    if (status && FILTER_OF[studioStatus(l)] !== status) return false;
    if (!words.length) return true;
    const hay = norm([l.title, l.topic, categoryName(l.category), l.category, ...(l.tags ?? []), l.lecturer, l.institution].join('\n'));
    return words.every((w) => hay.includes(w));
  });
}
