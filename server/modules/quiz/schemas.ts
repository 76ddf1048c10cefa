/** Request and response schemas of /api/quiz (TypeBox). */
import { Type } from 'typebox';
import { StringEnum } from '../../schemas';
import { questionKinds } from './quiz-rules';

const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
export const LectureParam = Type.Object({ id: Id });
export const QuestionParam = Type.Object({ id: Id, questionId: Id });
export const AttemptParam = Type.Object({ attemptId: Type.String({ pattern: '^[0-9a-fA-F]{24}:[0-9a-fA-F]{24}:[0-9]{1,3}$' }) });

const Sec = Type.Union([Type.Number({ minimum: 0, maximum: 360_000 }), Type.Null()]);
export const QuestionBody = Type.Object(
  {
    kind: StringEnum(questionKinds),
    stem: Type.String({ minLength: 1, maxLength: 1000 }),
    options: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 8 }),
    answer: Type.Array(Type.Integer({ minimum: 0, maximum: 7 }), { minItems: 1, maxItems: 8 }),
    spanFrom: Type.Optional(Sec),
    spanTo: Type.Optional(Sec),
    explanation: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const EditorQuestion = Type.Object({
  id: Type.String(),
  kind: StringEnum(questionKinds),
  stem: Type.String(),
  options: Type.Array(Type.String()),
  answer: Type.Array(Type.Integer()),
  spanFrom: Type.Union([Type.Number(), Type.Null()]),
  spanTo: Type.Union([Type.Number(), Type.Null()]),
  explanation: Type.String(),
});

export const Settings = Type.Object(
  {
    needsPass: Type.Boolean(),
    drawCount: Type.Integer({ minimum: 1, maximum: 100 }),
    passPercent: Type.Integer({ minimum: 1, maximum: 100 }),
    mainAttempts: Type.Integer({ minimum: 1, maximum: 10 }),
    makeupAttempts: Type.Integer({ minimum: 0, maximum: 10 }),
  },
  { additionalProperties: false },
);

export const BankView = Type.Object({ lectureId: Type.String(), title: Type.String(), durationSec: Type.Number(), settings: Settings, questions: Type.Array(EditorQuestion) });

export const ImportBody = Type.Object(
  {
    fileName: Type.String({ minLength: 1, maxLength: 200 }),
    contentBase64: Type.String({ minLength: 1, maxLength: 4 * 1024 * 1024, pattern: '^[A-Za-z0-9+/=\\s]+$' }),
  },
  { additionalProperties: false },
);
export const ImportReply = Type.Object({
  imported: Type.Integer(),
  rows: Type.Integer(),
  rowErrors: Type.Array(Type.Object({ row: Type.Integer(), field: Type.String(), code: Type.String(), message: Type.String(), messageEn: Type.String() })),
});

const Phase = StringEnum(['main', 'makeup'] as const);
const Shown = Type.Object({ id: Type.String(), kind: StringEnum(questionKinds), stem: Type.String(), options: Type.Array(Type.String()) });
export const AttemptView = Type.Object({ id: Type.String(), n: Type.Integer(), phase: Phase, startedAt: Type.String(), questions: Type.Array(Shown) });

const Credit = Type.Object({ state: StringEnum(['none', 'held', 'granted'] as const), since: Type.Optional(Type.String()), hours: Type.Optional(Type.Union([Type.Number(), Type.Null()])), at: Type.Optional(Type.String()) });

export const MineView = Type.Object({
  lectureId: Type.String(),
  durationSec: Type.Number(),
  progress: Type.Number(),
  threshold: Type.Number(),
  spans: Type.Array(Type.Object({ id: Type.String(), from: Type.Number(), to: Type.Number(), unlocked: Type.Boolean(), question: Type.Optional(Shown), answered: Type.Optional(Type.Object({ correct: Type.Boolean() })) })),
  test: Type.Object({
    questionCount: Type.Integer(),
    drawCount: Type.Integer(),
    passPercent: Type.Integer(),
    mainAttempts: Type.Integer(),
    makeupAttempts: Type.Integer(),
    unlocked: Type.Boolean(),
    attemptsUsed: Type.Integer(),
    attemptsLeft: Type.Integer(),
    nextPhase: Type.Optional(Phase),
    passed: Type.Boolean(),
    history: Type.Array(Type.Object({ n: Type.Integer(), phase: Phase, score: Type.Number(), passed: Type.Boolean(), at: Type.String() })),
    open: Type.Optional(AttemptView),
  }),
  needsPass: Type.Boolean(),
  credit: Credit,
});

export const ChoiceBody = Type.Object({ choice: Type.Array(Type.Integer({ minimum: 0, maximum: 7 }), { maxItems: 8 }) }, { additionalProperties: false });
export const SubmitBody = Type.Object(
  { answers: Type.Array(Type.Object({ questionId: Id, choice: Type.Array(Type.Integer({ minimum: 0, maximum: 7 }), { maxItems: 8 }) }, { additionalProperties: false }), { maxItems: 100 }) },
  { additionalProperties: false },
);
export const SubmitReply = Type.Object({
  attemptId: Type.String(),
  n: Type.Integer(),
  phase: Phase,
  score: Type.Number(),
  right: Type.Integer(),
  total: Type.Integer(),
  passed: Type.Boolean(),
  passPercent: Type.Number(),
  attemptsLeft: Type.Integer(),
  credit: Credit,
});
