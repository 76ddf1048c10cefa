/**
 * Study-hour (学时) rules. Defaults follow the national cadre-training regulation: township level
 * and below at least 90 hours a year; county level and above at least 550 hours over 5 years
 * (tracked per year and per 5-year window). Organisation admins may change them per rank.
 * A completed lecture earns its credit hours scaled by the real time spent (2x playback earns
 * half), then capped by the daily cap and the per-topic cap of the policy.
 */
export interface CreditPolicy {
  rank: 'township' | 'county';
  yearlyHours: number;
  windowYears: number;
  windowHours: number;
  requiredMinHours: number;
  maxPerTopicHours: number | null;
  dailyCapHours: number | null;
}

export const defaultPolicies: Record<'township' | 'county', CreditPolicy> = {
  township: { rank: 'township', yearlyHours: 90, windowYears: 1, windowHours: 90, requiredMinHours: 30, maxPerTopicHours: 30, dailyCapHours: 8 },
  county: { rank: 'county', yearlyHours: 110, windowYears: 5, windowHours: 550, requiredMinHours: 40, maxPerTopicHours: 50, dailyCapHours: 8 },
};

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Hours earned by completing a lecture: its credit hours x min(1, time spent / media covered). */
export function earnedHours(creditHours: number, wallSec: number, coveredSec: number): number {
  if (!(creditHours > 0) || !(coveredSec > 0)) return 0;
  return round1(creditHours * Math.min(1, wallSec / coveredSec));
}

/** Applies the daily and per-topic caps to a credit, given what was already earned today and in the topic this year. */
export function capCredit(hours: number, policy: Pick<CreditPolicy, 'dailyCapHours' | 'maxPerTopicHours'>, usedToday: number, usedTopic: number): number {
  let h = hours;
  if (policy.dailyCapHours !== null) h = Math.min(h, Math.max(0, policy.dailyCapHours - usedToday));
  if (policy.maxPerTopicHours !== null) h = Math.min(h, Math.max(0, policy.maxPerTopicHours - usedTopic));
  return round1(Math.max(0, h));
}

/** Is a cadre behind? From October on, anyone below the yearly requirement is reminded. `month` is the county's (0-11). */
export function isBehind(earned: number, policy: Pick<CreditPolicy, 'yearlyHours'>, month: number): boolean {
  return month >= 9 && earned < policy.yearlyHours;
}

/** Hours earned in the policy's window ending with `year` (county cadres: 5 years). */
export function windowEarned(byYear: Record<number, number>, year: number, windowYears: number): number {
  let sum = 0;
  for (let y = year - windowYears + 1; y <= year; y++) sum += byYear[y] ?? 0;
  return round1(sum);
}

/**
 * What makes a policy contradict itself, in both languages, or null when it holds together: the
 * required part cannot exceed the year, a one-year window is the year itself, and a window holds at
 * least one year's hours. (Each field's own range is checked by the route's schema.)
 */
export function policyProblem(p: Omit<CreditPolicy, 'rank'>): { field: keyof Omit<CreditPolicy, 'rank'>; zh: string; en: string } | null {
  if (p.requiredMinHours > p.yearlyHours) {
    return { field: 'requiredMinHours', zh: `必修最低学时 (${p.requiredMinHours}) 不能超过年度学时 (${p.yearlyHours})`, en: `Required hours (${p.requiredMinHours}) cannot exceed the yearly hours (${p.yearlyHours})` };
  }
  if (p.windowYears === 1 && p.windowHours !== p.yearlyHours) {
    return { field: 'windowHours', zh: `考核周期为 1 年时，周期学时应等于年度学时 (${p.yearlyHours})`, en: `With a one-year window, the window hours must equal the yearly hours (${p.yearlyHours})` };
  }
  if (p.windowHours < p.yearlyHours) {
    return { field: 'windowHours', zh: `周期学时 (${p.windowHours}) 不能少于年度学时 (${p.yearlyHours})`, en: `Window hours (${p.windowHours}) cannot be fewer than the yearly hours (${p.yearlyHours})` };
  }
  return null;
}
