/**
 * Seeds the demo county into the configured store (embedded FerretDB unless MONGODB_URI): the
 * accounts, then the demo catalog (recorded lectures with generated media, scheduled live
 * lectures), then the terminal stations with their timetable and past statistics. Prints the logins.
 */
import { mkdirSync } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../config';
import { LocalStorage } from '../media';
import { openStore } from '../server/store';
import { DEMO_PASSWORD, demoUsers, seedDemo } from '../server/seed/demo';
import { seedDemoLectures } from '../server/seed/demo-lectures';
import { seedDemoStations } from '../server/seed/demo-stations';
import { seedDemoTraining } from '../server/seed/demo-training';
import { seedDemoLedger } from '../server/seed/demo-ledger';
import { CountyCalendar } from '../server/calendar';

const config = loadConfig(process.env);
const store = await openStore(config, pino({ level: 'warn' }));
try {
  const res = await seedDemo(store.models);
  console.log(res.created.length ? `演示数据已写入 / demo data seeded (${res.created.length} accounts)` : '演示数据已存在 / demo data already present');
  mkdirSync(config.media.root, { recursive: true });
  const lectures = await seedDemoLectures(store.models, await LocalStorage.create({ root: config.media.root }), config);
  if (lectures.created.length) console.log(`演示课程已写入 / demo lectures seeded (${lectures.created.length})`);
  // Terminal stations, their timetable and a year of air-classroom statistics (server/modules/stations).
  const stations = await seedDemoStations(store.models, new CountyCalendar(config.timeZone));
  if (stations.stations) console.log(`终端站点已写入 / demo stations seeded (${stations.stations} stations, ${stations.sessions} sessions, ${stations.historicRuns} past runs)`);
  // The article's training classes (server/modules/training).
  const training = await seedDemoTraining(store.models, new CountyCalendar(config.timeZone));
  if (training.classes) console.log(`培训班已写入 / demo training classes seeded (${training.classes})`);
  // The credit ledger at the article's size, for the county dashboard (server/seed/demo-ledger.ts).
  const t0 = Date.now();
  const ledger = await seedDemoLedger(store.models, new CountyCalendar(config.timeZone));
  if (ledger.inserted) console.log(`学时台账已写入 / demo credit ledger seeded (${ledger.inserted} entries, ${ledger.summaries} yearly summaries, ${ledger.tallies} county tallies, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log('\n演示账号 / demo accounts (密码 / password: %s)', DEMO_PASSWORD);
  for (const u of demoUsers) console.log(`  ${u.username.padEnd(10)} ${u.labelZh} / ${u.labelEn} — ${u.displayName}`);
} finally {
  await store.close();
}
