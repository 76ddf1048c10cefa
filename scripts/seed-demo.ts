/** Seeds the demo county into the configured store (embedded FerretDB unless MONGODB_URI) and prints the logins. */
import pino from 'pino';
import { loadConfig } from '../config';
import { openStore } from '../server/store';
import { DEMO_PASSWORD, demoUsers, seedDemo } from '../server/seed/demo';

const config = loadConfig(process.env);
const store = await openStore(config, pino({ level: 'warn' }));
try {
  const res = await seedDemo(store.models);
  console.log(res.created.length ? `演示数据已写入 / demo data seeded (${res.created.length} accounts)` : '演示数据已存在 / demo data already present');
  console.log('\n演示账号 / demo accounts (密码 / password: %s)', DEMO_PASSWORD);
  for (const u of demoUsers) console.log(`  ${u.username.padEnd(10)} ${u.labelZh} / ${u.labelEn} — ${u.displayName}`);
} finally {
  await store.close();
}
