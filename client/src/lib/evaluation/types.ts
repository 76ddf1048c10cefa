/** Shapes of /api/evaluations (server/modules/evaluation/routes.ts). */
export type SubjectKind = 'lecture' | 'class';
export const ratedItems = ['content', 'lecturer', 'usefulness'] as const;
export type RatedItem = (typeof ratedItems)[number];

export interface MyEvaluation {
  eligible: boolean;
  reason?: 'not-credited' | 'not-enrolled' | 'not-begun';
  answered: boolean;
}

export interface EvaluationSummary {
  title: string;
  count: number;
  minAnswers: number;
  missing: number;
  items: { item: RatedItem; mean: number; histogram: number[] }[];
  comments: string[];
}

export const evaluationApi = (kind: SubjectKind, id: string) => `/api/evaluations/${kind}/${encodeURIComponent(id)}`;
