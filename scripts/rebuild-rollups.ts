/**
 * Recomputes the county tallies (server/modules/county) from the credit ledger and the users'
 * units, prints where the stored tallies differed, and writes the repaired ones.
 *   npm run rollups:rebuild [-- --year 2026 [--year 2025]]
 * On the embedded store it takes DATA_DIR's lock like the portal: stop the portal first, or use
 * the admin's 重算 button (POST /api/county/rebuild), which does the same inside the portal.
 * Exit code 0 whether or not anything differed (the differences are repaired); 1 on failure.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../config';
import { CountyCalendar } from '../server/calendar';
import { openStore } from '../server/store';
import { CountyPeople } from '../server/modules/county/county-people';
import { CountyTallies } from '../server/modules/county/county-tallies';

const { values } = parseArgs({ options: { year: { type: 'string', multiple: true } } });
const years = (values.year ?? []).map(Number);
if (years.some((y) => !Number.isInteger(y) || y < 2000 || y > 2999)) {
  console.error(`年度不正确 / invalid --year: ${values.year?.join(', ')}`);
  process.exit(1);
}
const config = loadConfig(process.env);
const log = pino({ level: 'warn' });
const store = await openStore(config, log);
try {
  const calendar = new CountyCalendar(config.timeZone);
  const tallies = new CountyTallies(store.models, calendar, new CountyPeople(store.models), log);
  const started = performance.now();
  const r = await tallies.rebuild(years.length ? { years } : {});
  const ms = Math.round(performance.now() - started);
  console.log(`重算 ${r.years.join(', ') || '(无)'} 年度统计 / rebuilt years ${r.years.join(', ') || '(none)'}: ${r.tallies} tallies, ${r.differences.length} differences (${ms} ms)`);
  for (const d of r.differences.slice(0, 200)) console.log(`  ${d.key}  ${d.field}: stored ${d.stored}, computed ${d.computed}`);
  if (r.differences.length > 200) console.log(`  … ${r.differences.length - 200} more`);
  console.log(JSON.stringify({ years: r.years, tallies: r.tallies, differences: r.differences.length }));
} catch (err) {
  console.error('重算失败 / rebuild failed:', err);
  process.exitCode = 1;
} finally {
  await store.close();
}
