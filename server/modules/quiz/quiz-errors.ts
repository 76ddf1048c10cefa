/** The quiz module's domain errors, each with a stable code; bad input names its field. */
import { AppError, errors } from '../../errors';
import type { FieldProblem } from './quiz-rules';

export const quizErrors = {
  invalid: (p: FieldProblem) => new AppError(400, p.code, p.zh, p.en, { field: p.field }),
  questionNotFound: () => errors.notFound('试题', 'Question'),
  attemptNotFound: () => errors.notFound('测试记录', 'Attempt'),
  noQuestions: () => errors.conflict('QUIZ_NO_QUESTIONS', '本课程还没有试题', 'This lecture has no questions yet'),
  locked: () => errors.conflict('QUIZ_LOCKED', '尚未学到这里:请先观看相应内容', 'Not unlocked yet: watch the part it covers first'),
  endLocked: (percent: number) => errors.conflict('QUIZ_END_LOCKED', `学完课程(进度达到 ${percent}%)后才能参加结课测试`, `The end-of-lecture test opens once you have watched ${percent}% of the lecture`),
  alreadyAnswered: () => errors.conflict('QUIZ_ALREADY_ANSWERED', '这道题已经作答', 'You have already answered this question'),
  alreadySubmitted: () => errors.conflict('QUIZ_ALREADY_SUBMITTED', '本次测试已经交卷', 'This attempt has already been submitted'),
  alreadyPassed: () => errors.conflict('QUIZ_ALREADY_PASSED', '您已通过本课程的测试', 'You have already passed this test'),
  noAttemptsLeft: () => errors.conflict('QUIZ_NO_ATTEMPTS_LEFT', '正考和补考次数已用完', 'No attempts left (regular and make-up used up)'),
};
