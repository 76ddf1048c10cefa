/**
 * Credit policies per rank (学时政策) as the form edits them: the same checks the server makes
 * (server/modules/study/credit-rules.ts policyProblem and the route's ranges), so a wrong value is
 * named next to its field before anything is sent. Empty caps mean "no cap" (null).
 */
export type Rank = 'township' | 'county';

export interface CreditPolicy {
  rank: Rank;
  yearlyHours: number;
  windowYears: number;
  windowHours: number;
  requiredMinHours: number;
  maxPerTopicHours: number | null;
  dailyCapHours: number | null;
}

export type PolicyField = Exclude<keyof CreditPolicy, 'rank'>;
export const POLICY_FIELDS: readonly PolicyField[] = ['yearlyHours', 'requiredMinHours', 'windowYears', 'windowHours', 'maxPerTopicHours', 'dailyCapHours'];

/** Each field's range (as the API's schema), and whether it may be left empty. */
export const FIELD_RULES: Record<PolicyField, { min: number; max: number; integer?: boolean; optional?: boolean }> = {
  yearlyHours: { min: 0, max: 2000 },
  requiredMinHours: { min: 0, max: 2000 },
  windowYears: { min: 1, max: 10, integer: true },
  windowHours: { min: 0, max: 10000 },
  maxPerTopicHours: { min: 0, max: 2000, optional: true },
  dailyCapHours: { min: 0, max: 24, optional: true },
};

/** The form's text per field. */
export type PolicyDraft = Record<PolicyField, string>;

export type Problem =
  | { kind: 'required' | 'notNumber' | 'notInteger' }
  | { kind: 'range'; min: number; max: number }
  | { kind: 'requiredOverYearly' | 'oneYearWindow' | 'windowUnderYearly'; yearly: number };

export function draftOf(p: CreditPolicy): PolicyDraft {
  const out = {} as PolicyDraft;
  for (const f of POLICY_FIELDS) out[f] = p[f] === null ? '' : String(p[f]);
  return out;
}

/** The policy a draft stands for and the problem of each wrong field (none: `problems` is empty). */
export function checkDraft(rank: Rank, d: PolicyDraft): { policy: CreditPolicy | null; problems: Partial<Record<PolicyField, Problem>> } {
  const problems: Partial<Record<PolicyField, Problem>> = {};
  const values = {} as Record<PolicyField, number | null>;
  for (const f of POLICY_FIELDS) {
    const rule = FIELD_RULES[f];
    const text = d[f].trim();
    if (text === '') {
      if (rule.optional) values[f] = null;
      else problems[f] = { kind: 'required' };
      continue;
    }
    const n = Number(text);
    if (!Number.isFinite(n)) problems[f] = { kind: 'notNumber' };
    else if (rule.integer && !Number.isInteger(n)) problems[f] = { kind: 'notInteger' };
    else if (n < rule.min || n > rule.max) problems[f] = { kind: 'range', min: rule.min, max: rule.max };
    else values[f] = n;
  }
  if (Object.keys(problems).length) return { policy: null, problems };
  const p = { rank, ...values } as CreditPolicy;
  if (p.requiredMinHours > p.yearlyHours) problems.requiredMinHours = { kind: 'requiredOverYearly', yearly: p.yearlyHours };
  else if (p.windowYears === 1 && p.windowHours !== p.yearlyHours) problems.windowHours = { kind: 'oneYearWindow', yearly: p.yearlyHours };
  else if (p.windowHours < p.yearlyHours) problems.windowHours = { kind: 'windowUnderYearly', yearly: p.yearlyHours };
  return Object.keys(problems).length ? { policy: null, problems } : { policy: p, problems };
}
