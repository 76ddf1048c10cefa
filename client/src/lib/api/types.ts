/**
 * Shapes of the portal API as the client sees them (mirrors the server's response schemas).
 */

/** 干部 · 授课教师 · 单位管理员 · 组织部管理员 · 终端站点 */
export type Role = 'cadre' | 'lecturer' | 'unitAdmin' | 'orgAdmin' | 'station';

export const ROLES: readonly Role[] = ['cadre', 'lecturer', 'unitAdmin', 'orgAdmin', 'station'];

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** The grassroots party committee or unit (基层党委 / 单位) the user belongs to. */
  orgUnitId?: string;
  orgUnitName?: string;
}

/** 服务能力 · 落实能力 · 发展能力 · 党史党性 — the three capability needs plus party history. */
export type LectureCategory = 'service' | 'implementation' | 'development' | 'party-history';

export const LECTURE_CATEGORIES: readonly LectureCategory[] = ['service', 'implementation', 'development', 'party-history'];

/** A published lecture as the catalog shows it (LectureCard on the server). */
export interface Lecture {
  id: string;
  title: string;
  summary: string;
  lecturer: string;
  institution: string;
  category: LectureCategory;
  /** 专题 */
  topic: string;
  tags?: string[];
  /** 录播 (recorded, on demand) or 直播 (live, 空中课堂). */
  kind: 'recorded' | 'live';
  /** 必修 when true, 选修 otherwise. */
  required: boolean;
  durationSec: number;
  /** 学时 earned by completing it. */
  creditHours: number;
  coverUrl?: string;
  watchCount?: number;
  publishedAt?: string;
  /** A limited offering (限额选学): seats in all, seats taken / left. */
  seatLimit?: number;
  seatsTaken?: number;
  seatsLeft?: number;
  /** Whether the viewer has selected it (选学). */
  selected?: boolean;
  /** 随机签到 while it plays. */
  attentionChecks?: boolean;
  /** Live lectures: when it starts, whether it is on now, and the replay made from it. */
  live?: LiveInfo;
  /** A replay: the live lecture it was recorded from. */
  replayOf?: string;
  /** First rung first: playable now, higher qualities still being made (高清版本处理中). */
  higherRungsPending?: boolean;
  /** The lowest rung is still being made: watchable from the start up to what is made. */
  stillEncoding?: boolean;
}

export interface LiveInfo {
  scheduledAt?: string;
  state: 'scheduled' | 'live' | 'ended';
  startedAt?: string;
  endedAt?: string;
  replayLectureId?: string;
}

export type LectureCard = Lecture;

/** 草稿 · 处理中 · 已发布 · 已下架 */
export type LectureState = 'draft' | 'processing' | 'published' | 'withdrawn';
export const LECTURE_STATES: readonly LectureState[] = ['draft', 'processing', 'published', 'withdrawn'];

export type ProcessingState = 'none' | 'queued' | 'running' | 'ready' | 'failed' | 'rejected';

export interface ErrorInfo {
  code: string;
  message: string;
  messageEn?: string;
}

/** The transcode job as mirrored on the lecture (and pushed live as `lecture:processing`). */
export interface Processing {
  state: ProcessingState;
  percent: number;
  etaSec?: number;
  stage?: string;
  attempts?: number;
  error?: ErrorInfo;
}

/** A lecture as its lecturer and the admins see it (studio, 讲授课程管理). */
export interface LectureAdmin extends Lecture {
  state: LectureState;
  audienceUnitIds: string[];
  processing: Processing;
  createdAt: string;
  /** Rungs a player can use now, best first ("720p", "360p", "audio"). */
  renditions?: string[];
  /** Rungs still being made while the lecture plays at the lower ones (高清版本处理中). */
  pendingRungs?: string[];
  growingRungs?: string[];
}

/** Body of POST /api/lectures and PATCH /api/lectures/:id. */
export interface LectureInput {
  title: string;
  summary?: string;
  lecturer?: string;
  institution?: string;
  topic?: string;
  category: LectureCategory;
  tags?: string[];
  creditHours?: number;
  required?: boolean;
  audienceUnitIds?: string[];
  /** 选学名额: a limited offering; null removes the limit. */
  seatLimit?: number | null;
  attentionChecks?: boolean;
  /** Only when creating. */
  kind?: 'recorded' | 'live';
  /** Live lectures: the start time (ISO). */
  scheduledAt?: string;
}

export interface CatalogFacets {
  topics: string[];
  institutions: string[];
  lecturers: string[];
}

export interface CatalogPage {
  items: Lecture[];
  total: number;
  page: number;
  pageSize: number;
  facets?: CatalogFacets;
}

/** Server push while a lecture is transcoded. */
export interface ProcessingEvent {
  lectureId: string;
  state: Exclude<ProcessingState, 'none'>;
  percent: number;
  etaSec?: number;
  stage?: string;
  error?: ErrorInfo;
  /** The master gained rungs: the ones it lists now (the studio reloads the lecture). */
  rungs?: string[];
}

export interface SubtitleTrack {
  lang: string;
  label: string;
  url: string;
}

/** POST /api/lectures/:id/playback: a signed, expiring view of the HLS ladder. */
export interface Playback {
  playbackId: string;
  masterUrl: string;
  posterUrl?: string;
  thumbnailsUrl?: string;
  subtitles: SubtitleTrack[];
  durationSec: number;
  expiresAt: string;
  /** False when another tab or device of the same user is the one earning 学时 now. */
  counting?: boolean;
  reason?: 'other-session' | string;
  /** Where this user stopped last time (seconds); 0 = from the start. */
  resumeAt?: number;
  /** Send a heartbeat this often while playing (seconds). */
  heartbeatSec?: number;
  /** Ticks sent together (absent from older servers: 1). */
  beatsPerRequest?: number;
  required?: boolean;
  /** 0..1 of the lecture already covered by this user. */
  progress?: number;
  completed?: boolean;
}

export interface UploadConfig {
  maxBytes: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface UserResponse {
  user: User;
  /** The county's zone, year and day when the server answered (its TIME_ZONE, not this browser's). */
  county?: CountyToday;
}

export interface CountyToday {
  timeZone: string;
  year: number;
  /** YYYY-MM-DD */
  day: string;
}

/** 乡科级及以下 · 县处级及以上: the yearly requirement depends on it. */
export type CadreRank = 'township' | 'county';

/** GET /api/study/me?year= — 我的学习 / 学习档案. */
export interface MyStudy {
  year: number;
  rank: CadreRank;
  requirement: {
    yearlyHours: number;
    requiredMinHours: number;
    windowYears?: number;
    windowHours?: number;
    windowEarned?: number;
  };
  earned: {
    total: number;
    required: number;
    elective: number;
    /** 12 months, January first. */
    byMonth: number[];
    byCategory: Partial<Record<LectureCategory, number>>;
  };
  behind?: boolean;
  lectures: StudyLecture[];
  history: { year: number; total: number }[];
  selections: Selection[];
}

export interface StudyLecture {
  lectureId: string;
  title: string;
  category: LectureCategory;
  required: boolean;
  /** 0..1 */
  progress: number;
  completed: boolean;
  creditHours: number;
  earnedHours: number;
  /** Completed, but the lecture's hours wait for a passed end test (学时须测试合格后计入). */
  creditHeld?: boolean;
  lastWatchedAt?: string;
}

/** 选学: a lecture or a whole 专题 the cadre chose. */
export interface Selection {
  id: string;
  lectureId?: string;
  topic?: string;
  title: string;
  deadline?: string;
  required: boolean;
}

export type OrgKind = 'county' | 'committee' | 'unit';

export interface OrgNode {
  id: string;
  name: string;
  kind: OrgKind | string;
  parentId: string | null;
  children: OrgNode[];
}

/** A notice to the signed-in user (学时提醒 ...), GET /api/notices. */
export interface Notice {
  id: string;
  kind: string;
  at: string;
  title: string;
  titleEn: string;
  body: string;
  bodyEn: string;
  link?: string;
  read: boolean;
}
