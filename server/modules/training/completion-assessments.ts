/**
 * The class's assessments for completion (ClassAssessmentHook, completion.service.ts):
 * - evaluation (培训评估): when the class's rules ask for it, a cadre meets it once they answered the
 *   class's evaluation (server/modules/evaluation: one anonymous answer per cadre and subject, its
 *   `_id` an HMAC of `class:<id>` and the cadre under the key derived from the portal's secret,
 *   so the check is one `_id` read and says nothing of what they answered);
 * - quiz (结业测试): the quiz module tests lectures, not classes; a recorded lecture's quiz already
 *   holds back its credit until passed. A class quiz, once it exists, answers here (null = none).
 */
import type { Models } from '../../store/models';
import { EvaluationRepository } from '../evaluation/evaluation-repository';
import { answerId, evaluationKey, subjectKey } from '../evaluation/evaluation-rules';
import type { ClassAssessmentHook } from './completion.service';

export function classAssessments(models: Models, secret: string): ClassAssessmentHook {
  const key = evaluationKey(secret);
  const answers = new EvaluationRepository(models);
  return async (c, userIds) => {
    const out = new Map<string, { quiz?: boolean | null; evaluation?: boolean | null }>();
    if (!c.completionRules?.evaluationRequired) return out;
    const subject = subjectKey('class', String(c._id));
    for (const u of userIds) out.set(u, { evaluation: await answers.exists(answerId(key, subject, u)) });
    return out;
  };
}
