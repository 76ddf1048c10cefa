/**
 * What the quizzes and the ledger's credit gate share, one per store's `Models` (so each app and
 * each test app has its own): the bank reads with their caches and the credit holds. The gate is
 * installed before the study engine replays its log at start (server/plugins/app/services.ts), so
 * a completion replayed after a crash is held like a live one.
 */
import type { CountyCalendar } from '../../calendar';
import type { Models } from '../../store/models';
import { BankReads } from './bank.service';
import { CreditHolds } from './credit-hold';
import { AttemptRepository, BankRepository, HoldRepository, QuestionRepository, ResultRepository } from './repositories';

interface Log {
  info(obj: object, msg: string): void;
}

export interface QuizCore {
  bank: BankReads;
  attempts: AttemptRepository;
  results: ResultRepository;
  holds: CreditHolds;
}

const cores = new WeakMap<object, QuizCore>();

export function quizCore(models: Models, calendar: CountyCalendar, log: Log): QuizCore {
  let core = cores.get(models);
  if (!core) {
    const bank = new BankReads(new BankRepository(models), new QuestionRepository(models));
    const attempts = new AttemptRepository(models);
    const results = new ResultRepository(models);
    core = { bank, attempts, results, holds: new CreditHolds({ bank, attempts, results, holds: new HoldRepository(models), calendar, log }) };
    cores.set(models, core);
  }
  return core;
}
