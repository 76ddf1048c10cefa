/**
 * The county's picture (issue 19): the dashboard along the org tree, compliance, reminders and the
 * annual report, all read from the tallies kept on write (county-tallies.ts) and the users kept in
 * memory (county-people.ts); the org tree is read at most every 30 s. No answer reads the ledger.
 *
 * Scope: the organisation department sees the county and any node; a unit admin sees the subtree
 * of their own unit (本单位及下属单位) — without a node, that unit; a node outside it is 403.
 * The county node sums every tally of the year (county-rules.ts); any other node its subtree's.
 * A reminder is a bell notice whose id names the county day: a cadre is reminded at most once a
 * day, whoever presses the button and for whichever node.
 */
import { LRUCache } from 'lru-cache';
import type { CountyCalendar } from '../../calendar';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import type { NoticeService } from '../notices/notices.service';
import { buildTree, pathTo, subtreeIds, type FlatNode, type OrgKind, type TreeNode } from '../org/org-tree';
import type { UserDoc } from '../users/user.model';
import type { LedgerEntry } from '../study/credit-ledger';
import { aggregate, categoryRows, type Aggregate, elapsedShare, figures, round1, shareOf, standing, type RankPolicy, type Standing } from './county-rules';
import { CountyPeople, type Person } from './county-people';
import { CountyTallies, type RebuildResult } from './county-tallies';
import { channels, NO_UNIT, type Channel, type Tally } from './tally';

export interface CountyDeps {
  models: Models;
  calendar: CountyCalendar;
  /** Credit policies per rank (the ledger's, cached there). */
  policies: { creditPolicy(rank: string): Promise<RankPolicy> };
  notices: () => Pick<NoticeService, 'send'> | undefined;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  now?: () => number;
}

export const COUNTY_ROOT = 'county';
/** Names in Chinese order; one collator (String#localeCompare with a locale builds one per call). */
const byName = new Intl.Collator('zh-CN').compare;
export const REMIND_KIND = 'county-reminder';

interface OrgView {
  rows: FlatNode[];
  root: TreeNode;
  /** No single county node in the tree: `root` is made up (id `county`). */
  synthetic: boolean;
  byId: Map<string, TreeNode>;
}

interface Scope {
  year: number;
  node: TreeNode;
  path: FlatNode[];
  /** Units counted (null: every tally of the year, the county). */
  units: Set<string> | null;
}

export type Ranked = { person: Person; s: Standing }[];

/** Cadres and those on track, per unit. */
function countByUnit(all: Ranked) {
  const out = new Map<string, { cadres: number; onTrack: number }>();
  for (const { person, s } of all) {
    const u = person.unitId ?? NO_UNIT;
    const row = out.get(u) ?? { cadres: 0, onTrack: 0 };
    row.cadres += 1;
    row.onTrack += s.onTrack ? 1 : 0;
    out.set(u, row);
  }
  return out;
}

function countIn(count: Map<string, { cadres: number; onTrack: number }>, units: Set<string>) {
  let cadres = 0;
  let onTrack = 0;
  for (const u of units) {
    const r = count.get(u);
    if (r) {
      cadres += r.cadres;
      onTrack += r.onTrack;
    }
  }
  return { cadres, onTrack };
}

export class CountyService {
  readonly people: CountyPeople;
  readonly tallies: CountyTallies;
  private readonly now: () => number;
  private readonly orgCache: LRUCache<'org', OrgView>;
  private readonly stationCache: LRUCache<number, { stations: number; sessions: number }>;
  private readonly sumCache = new LRUCache<string, Aggregate>({ max: 500 });
  /** Every cadre's standing in a year, those furthest behind first: kept per tallies, users, policies and minute. */
  private readonly standingCache = new LRUCache<string, Ranked>({ max: 6 });

  constructor(private readonly deps: CountyDeps) {
    this.now = deps.now ?? Date.now;
    this.people = new CountyPeople(deps.models, undefined, this.now);
    this.tallies = new CountyTallies(deps.models, deps.calendar, this.people, deps.log, this.now);
    this.orgCache = new LRUCache({ max: 1, ttl: 30_000, allowStale: true, fetchMethod: () => this.readOrg() });
    this.stationCache = new LRUCache({ max: 10, ttl: 60_000, allowStale: true, fetchMethod: (y) => this.readStations(y) });
  }

  /** Resolves when the tallies and users are loaded. */
  ready(): Promise<void> {
    return this.tallies.ready();
  }

  /** A new ledger entry, from the study summaries' `entryAdded`. */
  onEntry(entry: LedgerEntry): void {
    this.tallies.onEntry(entry);
  }

  rebuild(opts?: { years?: number[] }): Promise<RebuildResult> {
    return this.tallies.rebuild(opts);
  }

  /** The org tree changed (tests and admin edits may call this rather than wait 30 s). */
  forgetOrg(): void {
    this.orgCache.clear();
  }

  /** The org tree, built once per read (sorting a thousand names in zh-CN is not free). */
  private async readOrg(): Promise<OrgView> {
    const docs = await this.deps.models.OrgUnit.find({}, { name: 1, kind: 1, parentId: 1 }).lean();
    const rows: FlatNode[] = docs.map((r) => ({ id: String(r._id), name: r.name, kind: r.kind as OrgKind, parentId: r.parentId ? String(r.parentId) : null }));
    const roots = buildTree(rows);
    const county = roots.length === 1 && roots[0]?.kind === 'county' ? roots[0] : null;
    const root: TreeNode = county ?? { id: COUNTY_ROOT, name: '全县', kind: 'county', parentId: null, children: roots };
    const byId = new Map<string, TreeNode>();
    const walk = (n: TreeNode) => {
      byId.set(n.id, n);
      n.children.forEach(walk);
    };
    walk(root);
    // A node's subtree may have changed: its kept sums with it.
    this.sumCache.clear();
    return { rows, root, synthetic: !county, byId };
  }

  private async org(): Promise<OrgView> {
    const view = await this.orgCache.fetch('org');
    if (!view) throw new Error('county | org tree not read');
    return view;
  }

  private async readStations(year: number) {
    const { Station, StationDay } = this.deps.models;
    const stations = await Station.countDocuments({});
    const days = await StationDay.find({}, { runs: 1 }).lean();
    const sessions = new Set<string>();
    for (const d of days) {
      if (!String(d._id).startsWith(`${year}-`)) continue;
      for (const runId of Object.keys((d.runs as Record<string, unknown>) ?? {})) sessions.add(runId.split(':')[0] ?? runId);
    }
    return { stations, sessions: sessions.size };
  }

  private checkYear(year: number) {
    const current = this.deps.calendar.year(this.now());
    if (!Number.isInteger(year) || year < 2000 || year > current + 1) {
      throw new AppError(400, 'BAD_YEAR', `年度不正确:应在 2000 至 ${current + 1} 之间`, `Invalid year: use 2000 to ${current + 1}`);
    }
  }

  /** The node asked for within the actor's scope (no node: the county, or the unit admin's unit). */
  private async scope(actor: UserDoc, year: number, nodeId?: string): Promise<Scope> {
    this.checkYear(year);
    await this.tallies.ready();
    const { rows, root, synthetic, byId } = await this.org();
    let id = nodeId ?? root.id;
    if (actor.role === 'unitAdmin') {
      const own = actor.orgUnitId ? String(actor.orgUnitId) : null;
      if (!own || !byId.has(own)) throw errors.forbidden();
      id = nodeId ?? own;
      if (byId.has(id) && !subtreeIds(rows, own).has(id)) throw errors.forbidden();
    } else if (actor.role !== 'orgAdmin') throw errors.forbidden();
    const node = byId.get(id);
    if (!node) throw new AppError(404, 'UNKNOWN_NODE', '组织节点不存在', 'No such org node');
    const path = node === root ? [root] : synthetic ? [root, ...pathTo(rows, node.id)] : pathTo(rows, node.id);
    return { year, node, path: path.map(({ id: i, name, kind, parentId }) => ({ id: i, name, kind, parentId })), units: node === root ? null : subtreeIds(rows, node.id) };
  }

  private talliesOf(year: number, units: Set<string> | null): Tally[] {
    const all = this.tallies.ofYear(year);
    return units ? all.filter((t) => units.has(t.unitId)) : all;
  }

  /** A node's sums, kept until the next credit of that year (the county's take ~30 ms at 700 units × 150 topics). */
  private sums(year: number, nodeId: string, units: Set<string> | null, withMaps = true): Aggregate {
    const key = `${this.tallies.yearVersion(year)}:${year}:${nodeId}:${withMaps}`;
    let hit = this.sumCache.get(key);
    if (!hit) this.sumCache.set(key, (hit = aggregate(this.talliesOf(year, units), withMaps)));
    return hit;
  }

  private async policies(): Promise<Record<'township' | 'county', RankPolicy>> {
    const [township, county] = await Promise.all([this.deps.policies.creditPolicy('township'), this.deps.policies.creditPolicy('county')]);
    return { township, county };
  }

  private share(year: number): number {
    const { calendar } = this.deps;
    return elapsedShare(this.now(), calendar.startOfYear(year), calendar.startOfYear(year + 1));
  }

  /**
   * Every enabled cadre counted under the units (null: every unit), with where they stand, those
   * furthest behind first (by share of what is expected by now, then name). The county's list is
   * worked out once per change of the tallies, the users or the policies (and each minute, as the
   * share of the year elapsed moves): a county of 11,000 cadres costs tens of ms to rank.
   */
  private async standings(year: number, units: Set<string> | null): Promise<Ranked> {
    await this.people.fresh();
    const policy = await this.policies();
    const key = [year, this.tallies.version, this.people.version, JSON.stringify(policy), Math.floor(this.now() / 60_000)].join('|');
    let ranked = this.standingCache.get(key);
    if (!ranked) {
      const share = this.share(year);
      const progress = (s: Standing) => (s.expectedByNow > 0 ? (s.windowEarned ?? s.hours) / s.expectedByNow : 0);
      ranked = [...this.people.all()]
        .filter((p) => p.cadre)
        .map((person) => ({ person, s: standing(policy[person.rank], (y) => this.tallies.hoursOf(person.userId, y), year, share) }))
        .sort((a, b) => progress(a.s) - progress(b.s) || byName(a.person.name, b.person.name));
      this.standingCache.set(key, ranked);
    }
    return units ? ranked.filter((x) => x.person.unitId !== undefined && x.person.unitId !== null && units.has(x.person.unitId)) : ranked;
  }

  async dashboard(actor: UserDoc, q: { year: number; node?: string }) {
    const { year, node, path, units } = await this.scope(actor, q.year, q.node);
    const fig = figures(this.sums(year, node.id, units), this.sums(year - 1, node.id, units));
    const all = await this.standings(year, units);
    const onTrack = all.filter((x) => x.s.onTrack).length;
    const { rows } = await this.org();
    const count = countByUnit(all);
    const children = node.children.map((c) => {
      const sub = subtreeIds(rows, c.id);
      const agg = this.sums(year, c.id, sub, false);
      const { cadres, onTrack: ok } = countIn(count, sub);
      return { id: c.id, name: c.name, kind: c.kind, cadres, personTimes: agg.personTimes, hours: round1(agg.hours), onTrack: ok, share: shareOf(ok, cadres) };
    });
    const leaf = node.kind === 'unit' && node.children.length === 0;
    return {
      year,
      node: { id: node.id, name: node.name, kind: node.kind, path: path.map(({ id, name, kind }) => ({ id, name, kind })) },
      cadres: all.length,
      ...fig,
      compliance: { cadres: all.length, onTrack, share: shareOf(onTrack, all.length) },
      children,
      ...(leaf
        ? {
            members: all
              .map(({ person, s }) => ({ userId: person.userId, name: person.name, rank: person.rank, hours: s.hours, required: s.required, expectedByNow: s.expectedByNow, onTrack: s.onTrack }))
              .sort((a, b) => Number(a.onTrack) - Number(b.onTrack) || a.hours - b.hours || byName(a.name, b.name)),
          }
        : {}),
    };
  }

  async compliance(actor: UserDoc, q: { year: number; node?: string; page?: number; pageSize?: number }) {
    const { year, node, path, units } = await this.scope(actor, q.year, q.node);
    const policy = await this.policies();
    const all = await this.standings(year, units);
    const { rows } = await this.org();
    const names = new Map(rows.map((r) => [r.id, r.name]));
    const byUnit = countByUnit(all);
    const unitRows = [...byUnit]
      .map(([id, r]) => ({ id, name: names.get(id) ?? '', cadres: r.cadres, onTrack: r.onTrack, share: shareOf(r.onTrack, r.cadres) }))
      .sort((a, b) => a.share - b.share || byName(a.name, b.name));
    const behind = this.behind(all, names);
    const page = q.page ?? 1;
    const pageSize = q.pageSize ?? 50;
    return {
      year,
      node: { id: node.id, name: node.name, kind: node.kind, path: path.map(({ id, name, kind }) => ({ id, name, kind })) },
      rule: (['township', 'county'] as const).map((rank) => ({ rank, yearlyHours: policy[rank].yearlyHours, windowYears: policy[rank].windowYears, windowHours: policy[rank].windowHours })),
      units: unitRows,
      behind: { total: behind.length, page, pageSize, items: behind.slice((page - 1) * pageSize, page * pageSize) },
    };
  }

  /** Those behind, furthest behind (by share of what is expected by now) first (standings' order). */
  private behind(all: Ranked, names: Map<string, string>) {
    return all
      .filter((x) => !x.s.onTrack)
      .map(({ person, s }) => ({
        userId: person.userId,
        name: person.name,
        unitId: person.unitId ?? '',
        unitName: names.get(person.unitId ?? '') ?? '',
        rank: person.rank,
        hours: s.hours,
        expectedByNow: s.expectedByNow,
        required: s.required,
        ...(s.windowRequired !== undefined ? { windowEarned: s.windowEarned, windowRequired: s.windowRequired } : {}),
      }));
  }

  /**
   * The enabled cadres (of `units`, or all) and their hours of `year`, from the users and tallies
   * kept in memory (学时提醒 reads them rather than scanning users and summaries: 4.3 s for the
   * county on the embedded store).
   */
  async cadreHours(year: number, units: ReadonlySet<string> | null): Promise<{ userId: string; name: string; unitId: string | null; rank: 'township' | 'county'; hours: number }[]> {
    await this.ready();
    await this.people.fresh({ complete: true });
    const out = [];
    for (const p of this.people.all()) {
      if (!p.cadre || (units && (p.unitId === null || !units.has(p.unitId)))) continue;
      out.push({ userId: p.userId, name: p.name, unitId: p.unitId, rank: p.rank, hours: this.tallies.hoursOf(p.userId, year) });
    }
    return out;
  }

  /** The cadres behind under a node, furthest behind first (scope checked for the actor). */
  async behindUnder(actor: UserDoc, q: { year: number; node: string }): Promise<{ year: number; nodeName: string; behind: Ranked }> {
    const { year, node, units } = await this.scope(actor, q.year, q.node);
    return { year, nodeName: node.name, behind: (await this.standings(year, units)).filter((x) => !x.s.onTrack) };
  }

  /**
   * A bell notice to one cadre behind (county-reminders.ts sends them, a few at a time); false when
   * they were already reminded that county day, whoever pressed the button for whichever node.
   */
  async remindOne(year: number, at: Date, { person, s }: Ranked[number]): Promise<boolean> {
    const notices = this.deps.notices();
    if (!notices) throw new AppError(503, 'NOTICES_UNAVAILABLE', '消息服务暂不可用', 'Notices are not available yet');
    const earned = s.windowEarned ?? s.hours;
    const left = round1(Math.max(0, s.expectedByNow - earned));
    return notices.send(person.userId, {
      id: `county-remind:${this.deps.calendar.day(at.getTime())}`,
      kind: REMIND_KIND,
      at,
      title: `${year} 年度学时进度提醒`,
      titleEn: `${year} study hours: progress reminder`,
      body: `您已获 ${earned} 学时,按进度此时应达 ${s.expectedByNow} 学时(要求 ${s.required} 学时),还差 ${left} 学时。请抓紧学习。`,
      bodyEn: `You have earned ${earned} study hours; by now ${s.expectedByNow} of the ${s.required} required are expected, ${left} to go.`,
      link: '/study',
    });
  }

  /** Throws the 403 or 404 the dashboard would for this actor and node. */
  async assertScope(actor: UserDoc, year: number, node: string): Promise<void> {
    await this.scope(actor, year, node);
  }

  /** The clock the reminders use (tests set it). */
  clock(): number {
    return this.now();
  }

  /** The annual report (年度干部教育培训统计): the organisation department's, the whole county. */
  async annual(actor: UserDoc, year: number) {
    const { node } = await this.scope(actor, year);
    const all = this.tallies.ofYear(year);
    const cur = aggregate(all);
    const fig = figures(cur, aggregate(this.tallies.ofYear(year - 1), false));
    const standings = await this.standings(year, null);
    const { rows } = await this.org();
    const count = countByUnit(standings);
    const committees = node.children.map((c) => {
      const sub = subtreeIds(rows, c.id);
      const agg = aggregate(all.filter((t) => sub.has(t.unitId)), false);
      const { cadres, onTrack: ok } = countIn(count, sub);
      const byChannel = Object.fromEntries(channels.map((ch) => [ch, { personTimes: agg.channels[ch].n, hours: round1(agg.channels[ch].h) }])) as Record<Channel, { personTimes: number; hours: number }>;
      return { id: c.id, name: c.name, cadres, personTimes: agg.personTimes, hours: round1(agg.hours), onTrack: ok, share: shareOf(ok, cadres), byChannel };
    });
    const stations = (await this.stationCache.fetch(year)) ?? { stations: 0, sessions: 0 };
    return {
      year,
      generatedAt: new Date(this.now()).toISOString(),
      totals: fig.totals,
      channels: fig.channels,
      committees,
      categories: categoryRows(cur.categories),
      topics: fig.topics,
      airClassroom: { stations: stations.stations, sessions: stations.sessions },
    };
  }
}

export type AnnualReport = Awaited<ReturnType<CountyService['annual']>>;
