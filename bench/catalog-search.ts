/**
 * Catalog search over 5,000 published lectures (target: p95 under 50 ms), over real HTTP on
 * loopback with a logged-in cadre. Baseline in the same run: the same search as a store query
 * (`searchGrams: { $all }`, sorted, first page) straight against FerretDB, which is what the
 * in-memory index replaces. Also timed: the same searches on the in-memory index alone, in
 * process, so the HTTP/auth/serialisation share of the portal figure is visible. Before timing,
 * each query's first page from the portal is checked against the store query's (same search).
 * Human-readable lines go to stderr, one JSON line to stdout.
 * Run: node --import tsx bench/catalog-search.ts [--lectures 5000] [--queries 400]
 */
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { DEMO_PASSWORD, seedDemo } from '../server/seed/demo';
import { lectureGrams, matchRank, queryGrams, queryTerms, searchTexts } from '../server/modules/catalog/search';
import { benchApp, stats } from './lib';

const { values } = parseArgs({ options: { lectures: { type: 'string', default: '5000' }, queries: { type: 'string', default: '400' } } });
const nLectures = Number(values.lectures);
const nQueries = Number(values.queries);

const topics = ['乡村振兴', '基层治理', '突发事件预防与应对', '维稳信访知识', '财务知识管理', '县情县策', '新农村建设', '招商引资', '工业经济', '公共管理', '廉洁从政警示教育', '党史党性教育', '群众观念与宗旨意识', '关键在于落实', '学习型党组织建设'];
const lecturers = ['刘玉瑛', '吴慧君', '陆连国', '王教授', '李研究员', '张讲师', '赵博士', '陈教授'];
const institutions = ['清华大学', '吉林大学', '中央党校', '省委党校', '县委党校'];
const words = ['专题讲座', '研讨班', '论坛', '大讲堂', '案例分析', '政策解读', '实务', '能力提升', '经验交流', '形势报告'];
const categories = ['service', 'implementation', 'development', 'party-history'] as const;

const b = await benchApp();
try {
  const { models } = b.app.store;
  await seedDemo(models);
  const docs = [];
  for (let i = 0; i < nLectures; i++) {
    const topic = topics[i % topics.length]!;
    const title = `${topic}${words[(i * 7) % words.length]}(第${(i % 40) + 1}讲)`;
    const lecturer = lecturers[(i * 3) % lecturers.length]!;
    const summary = `${institutions[i % institutions.length]}${lecturer}主讲,围绕${topic}与${topics[(i + 5) % topics.length]}展开。`;
    const tags = [topic, words[i % words.length]!];
    const fields = { title, summary, lecturer, institution: institutions[i % institutions.length]!, topic, category: categories[i % 4], tags };
    docs.push({
      ...fields,
      state: 'published', kind: 'recorded', publishedAt: new Date(Date.now() - i * 60_000), durationSec: 3600, creditHours: 1,
      watchCount: (i * 37) % 500, searchGrams: lectureGrams(fields),
    });
  }
  for (let i = 0; i < docs.length; i += 1000) await models.Lecture.insertMany(docs.slice(i, i + 1000));
  await b.app.catalog.reloadIndex();

  const login = await fetch(`${b.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'cadre', password: DEMO_PASSWORD }) });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const queries = ['乡村振兴', '基层', '清华', '刘玉瑛', '落实', '招商引资 论坛', '财务', '党性', '第12讲', '研讨'];

  const search = async (q: string) => {
    const res = await fetch(`${b.url}/api/lectures?q=${encodeURIComponent(q)}&pageSize=24`, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`search ${q} answered ${res.status}`);
    return (await res.json()) as { total: number; items: { id: string }[] };
  };
  const storeSearch = (q: string) =>
    models.Lecture.find({ state: 'published', searchGrams: { $all: queryGrams(q) } }, { title: 1, summary: 1, lecturer: 1, tags: 1, topic: 1 })
      .sort({ publishedAt: -1 })
      .limit(24)
      .lean();

  // Same search on both sides: the portal's first page must be the store's first page (after the
  // substring check and the ranking, title matches first, that the portal adds on top of the
  // grams; every match is read from the store for that). Also warms up the JIT and the store.
  let agree = 0;
  for (const q of queries) {
    const portal = await search(q);
    const all = await models.Lecture.find({ state: 'published', searchGrams: { $all: queryGrams(q) } }, { title: 1, summary: 1, lecturer: 1, institution: 1, tags: 1, topic: 1, category: 1 })
      .sort({ publishedAt: -1 })
      .lean();
    const terms = queryTerms(q);
    const store = all
      .map((l) => ({ l, rank: matchRank(terms, searchTexts(l)) }))
      .filter((r) => r.rank >= 0)
      .sort((a, b) => a.rank - b.rank) // stable: newest first within a tier
      .slice(0, 24)
      .map((r) => r.l);
    if (portal.items.length > 0 && JSON.stringify(portal.items.map((i) => i.id)) === JSON.stringify(store.map((l) => String(l._id)))) agree++;
  }
  if (agree !== queries.length) throw new Error(`portal and store disagree on ${queries.length - agree} of ${queries.length} first pages`);
  for (let i = 0; i < 20; i++) await search(queries[i % queries.length]!);

  const ours: number[] = [];
  let hits = 0;
  for (let i = 0; i < nQueries; i++) {
    const q = queries[i % queries.length]!;
    const t0 = performance.now();
    const body = await search(q);
    ours.push(performance.now() - t0);
    hits += body.total;
  }
  const indexOnly: number[] = [];
  for (let i = 0; i < nQueries; i++) {
    const q = queries[i % queries.length]!;
    const t0 = performance.now();
    b.app.catalog.index.query({ q, page: 1, pageSize: 24, viewerUnits: [] });
    indexOnly.push(performance.now() - t0);
  }
  const baseline: number[] = [];
  for (let i = 0; i < Math.min(40, nQueries); i++) {
    const q = queries[i % queries.length]!;
    const t0 = performance.now();
    await storeSearch(q);
    baseline.push(performance.now() - t0);
  }
  const o = stats(ours);
  const x = stats(indexOnly);
  const s = stats(baseline);
  const log = (line: string) => void process.stderr.write(`${line}\n`);
  log(`catalog search, ${nLectures} lectures, ${cpus().length} cores, first pages agree with the store for ${agree}/${queries.length} queries`);
  log(`  portal (HTTP, in-memory index): p50 ${o.p50} ms  p95 ${o.p95} ms  p99 ${o.p99} ms  (${o.n} queries, avg ${Math.round(hits / nQueries)} hits)`);
  log(`    of which index alone (in process): p50 ${x.p50} ms  p95 ${x.p95} ms`);
  log(`  baseline (store $all query):     p50 ${s.p50} ms  p95 ${s.p95} ms  (${s.n} queries)`);
  log(`  ratio p95 portal/baseline: ${(o.p95 / s.p95).toFixed(4)}; target p95 < 50 ms: ${o.p95 < 50 ? 'met' : 'NOT met'}`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'catalog-search', lectures: nLectures, cpus: cpus().length, portal: o, indexOnly: x, baseline: s,
      ratioP95: Math.round((o.p95 / s.p95) * 10000) / 10000, loadAvg1m: Math.round(loadavg()[0]! * 100) / 100, target: 50, pass: o.p95 < 50,
    })}\n`,
  );
} finally {
  await b.close();
}
