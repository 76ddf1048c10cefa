/**
 * Fills the yearly result's roll-ups (实效测评, server/modules/assessment/rebuild.ts) from the end
 * tests handed in and the classes completed that the store holds; only adds what is missing.
 *   npx tsx scripts/rebuild-yearly-results.ts
 * On the embedded store it takes DATA_DIR's lock like the portal: stop the portal first.
 */
import pino from 'pino';
import { loadConfig } from '../config';
import { CountyCalendar } from '../server/calendar';
import { openStore } from '../server/store';
import { assessmentOf } from '../server/modules/assessment/assessment.service';
import { rebuildRollups } from '../server/modules/assessment/rebuild';

const config = loadConfig(process.env);
const log = pino({ level: 'warn' });
const store = await openStore(config, log);
try {
  const calendar = new CountyCalendar(config.timeZone);
  const started = performance.now();
  const r = await rebuildRollups(store.models, calendar, assessmentOf(store.models, calendar, log));
  console.log(`实效测评汇总补记 / yearly-result roll-ups: ${r.tests} tests, ${r.classes} completions read, ${r.added} notes added (${Math.round(performance.now() - started)} ms)`);
} catch (err) {
  console.error('补记失败 / rebuild failed:', err);
  process.exitCode = 1;
} finally {
  await store.close();
}
