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

export interface Lecture {
  id: string;
  title: string;
  summary: string;
  lecturer: string;
  institution: string;
  category: LectureCategory;
  /** 专题 */
  topic: string;
  /** 录播 (recorded, on demand) or 直播 (live, 空中课堂). */
  kind: 'recorded' | 'live';
  /** 必修 when true, 选修 otherwise. */
  required: boolean;
  durationSec: number;
  /** 学时 earned by completing it. */
  creditHours: number;
  coverUrl?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface UserResponse {
  user: User;
}
