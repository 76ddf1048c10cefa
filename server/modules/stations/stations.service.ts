/**
 * The station registry (终端站点) and station credentials.
 * - The 206 stations are few: they are loaded at start and kept in memory, and every write goes
 *   through this service, so looking a station up (on every kiosk request) costs no store read.
 * - Pairing: an admin makes a one-time code (8 characters, 15 minutes); one live code per
 *   station, a new one replaces it. Entering it consumes it (one at a time per code) and issues a
 *   new credential: a random secret of which only the SHA-256 is stored; the cookie holds
 *   `<stationId>.<secret>`. Pairing again replaces the old credential; revoking clears it; a
 *   disabled station's credential is refused too. The station's next request answers 401.
 * - Last contact: every authenticated station request notes the time in memory; it is written
 *   to the store at most every 30 s per station (a flush timer), and "online" means a contact
 *   within STATION_ONLINE_SECONDS.
 * - Admins: the organisation department sees every station; a unit admin the stations of units
 *   in their subtree.
 * - Every write of a station's document runs under its `station:<id>` lock: FerretDB rewrites the
 *   whole document on any update, so the last-contact flush racing a pairing would otherwise put
 *   back the old credential.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { AppConfig } from '../../../config';
import { errors } from '../../errors';
import type { Models } from '../../store/models';
import type { UserDoc } from '../users/user.model';
import { KeyedLock } from './keyed-lock';
import { stationErrors } from './station-errors';
import type { StationDoc } from './station.model';
import { newPairingCode, normalizePairingCode, sameKey, type StationType } from './station-rules';
import { isDuplicateKey } from '../../store/errors';

export const STATION_COOKIE = 'station';

export interface StationEntry {
  id: string;
  name: string;
  type: StationType;
  unitId: string;
  address: string;
  contact: { name: string; phone: string };
  disabled: boolean;
  credentialHash?: string;
  pairedAt?: number;
  pairingCode?: string;
  lastSeenAt?: number;
}

export interface StationInput {
  name?: string;
  type?: StationType;
  unitId?: string;
  address?: string;
  contact?: { name?: string; phone?: string };
  disabled?: boolean;
}

interface UnitInfo {
  name: string;
  parentId: string | null;
  ancestors: string[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const SEEN_WRITE_MS = 30_000;

function toEntry(d: StationDoc): StationEntry {
  return {
    id: String(d._id),
    name: d.name,
    type: d.type as StationType,
    unitId: String(d.unitId),
    address: d.address ?? '',
    contact: { name: d.contact?.name ?? '', phone: d.contact?.phone ?? '' },
    disabled: d.disabled ?? false,
    credentialHash: d.credentialHash ?? undefined,
    pairedAt: d.pairedAt ? new Date(d.pairedAt).getTime() : undefined,
    pairingCode: d.pairingCode ?? undefined,
    lastSeenAt: d.lastSeenAt ? new Date(d.lastSeenAt).getTime() : undefined,
  };
}

export class StationService {
  private readonly byId = new Map<string, StationEntry>();
  /** Last contact not yet written: station id -> ms. */
  private readonly seen = new Map<string, number>();
  private readonly written = new Map<string, number>();
  private unitCache: { at: number; units: Map<string, UnitInfo> } | null = null;
  private readonly lock = new KeyedLock();
  /** Called when a station's credential stops being valid (revoked, disabled, re-paired). */
  onRevoked: (stationId: string) => void = () => {};

  constructor(
    private readonly models: Models,
    readonly cfg: AppConfig['stations'],
    private readonly now: () => number = Date.now,
  ) {}

  async load() {
    const rows = await this.models.Station.find({}).lean<StationDoc[]>();
    this.byId.clear();
    for (const r of rows) this.byId.set(String(r._id), toEntry(r));
  }

  get(id: string): StationEntry | undefined {
    return this.byId.get(id);
  }

  all(): StationEntry[] {
    return [...this.byId.values()].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  }

  // ---- units and scope -----------------------------------------------------------------

  async units(): Promise<Map<string, UnitInfo>> {
    if (this.unitCache && this.now() - this.unitCache.at < 60_000) return this.unitCache.units;
    const rows = await this.models.OrgUnit.find({}, { name: 1, parentId: 1, ancestors: 1 }).lean();
    const units = new Map<string, UnitInfo>(rows.map((r) => [String(r._id), { name: r.name, parentId: r.parentId ? String(r.parentId) : null, ancestors: (r.ancestors ?? []).map(String) }]));
    this.unitCache = { at: this.now(), units };
    return units;
  }

  async unitName(id: string): Promise<string> {
    return (await this.units()).get(id)?.name ?? '';
  }

  /** Units under `unitId` (itself included), from the cached tree. */
  async subtree(unitId: string): Promise<Set<string>> {
    const out = new Set<string>([unitId]);
    for (const [id, u] of await this.units()) if (u.ancestors.includes(unitId)) out.add(id);
    return out;
  }

  /** The unit and the units above it. */
  async upward(unitId: string): Promise<Set<string>> {
    const u = (await this.units()).get(unitId);
    return new Set(u ? [unitId, ...u.ancestors] : []);
  }

  /** Stations an admin may manage: all for the organisation department, their subtree's for a unit admin. */
  async scopeOf(actor: UserDoc): Promise<{ all: true } | { all: false; units: Set<string> }> {
    if (actor.role === 'orgAdmin') return { all: true };
    if (actor.role === 'unitAdmin' && actor.orgUnitId) return { all: false, units: await this.subtree(String(actor.orgUnitId)) };
    throw errors.forbidden();
  }

  async visibleTo(actor: UserDoc): Promise<StationEntry[]> {
    const scope = await this.scopeOf(actor);
    return this.all().filter((s) => scope.all || scope.units.has(s.unitId));
  }

  async manageable(actor: UserDoc, id: string): Promise<StationEntry> {
    const s = this.byId.get(id);
    if (!s) throw stationErrors.stationNotFound();
    const scope = await this.scopeOf(actor);
    if (!scope.all && !scope.units.has(s.unitId)) throw errors.forbidden();
    return s;
  }

  private async checkUnit(actor: UserDoc, unitId: string) {
    if (!(await this.units()).has(unitId)) throw stationErrors.unitNotFound();
    const scope = await this.scopeOf(actor);
    if (!scope.all && !scope.units.has(unitId)) throw errors.forbidden();
  }

  // ---- registry ------------------------------------------------------------------------

  async create(actor: UserDoc, input: StationInput & { name: string; type: StationType; unitId: string }): Promise<StationEntry> {
    await this.checkUnit(actor, input.unitId);
    const doc = await this.models.Station.create({
      name: input.name,
      type: input.type,
      unitId: new Types.ObjectId(input.unitId),
      address: input.address ?? '',
      contact: { name: input.contact?.name ?? '', phone: input.contact?.phone ?? '' },
    });
    const entry = toEntry(doc.toObject() as unknown as StationDoc);
    this.byId.set(entry.id, entry);
    return entry;
  }

  async update(actor: UserDoc, id: string, input: StationInput): Promise<StationEntry> {
    const s = await this.manageable(actor, id);
    if (input.unitId !== undefined) await this.checkUnit(actor, input.unitId);
    return this.lock.run(`station:${id}`, async () => {
      const cur = this.byId.get(id) ?? s; // as the last write under this lock left it
      const set: Record<string, unknown> = {};
      if (input.name !== undefined) set.name = input.name;
      if (input.type !== undefined) set.type = input.type;
      if (input.unitId !== undefined) set.unitId = new Types.ObjectId(input.unitId);
      if (input.address !== undefined) set.address = input.address;
      if (input.contact !== undefined) set.contact = { name: input.contact.name ?? cur.contact.name, phone: input.contact.phone ?? cur.contact.phone };
      if (input.disabled !== undefined) set.disabled = input.disabled;
      const doc = await this.models.Station.findByIdAndUpdate(id, { $set: set }, { returnDocument: 'after' }).lean<StationDoc>();
      if (!doc) throw stationErrors.stationNotFound();
      const entry = toEntry(doc);
      this.byId.set(id, entry);
      if (entry.disabled && !cur.disabled) this.onRevoked(id);
      return entry;
    });
  }

  // ---- pairing and credentials ---------------------------------------------------------

  async createPairing(actor: UserDoc, id: string): Promise<{ code: string; expiresAt: number }> {
    const s = await this.manageable(actor, id);
    if (s.disabled) throw stationErrors.stationDisabled();
    const now = this.now();
    const expiresAt = now + this.cfg.pairingMinutes * 60_000;
    let code = '';
    for (let attempt = 0; ; attempt++) {
      code = newPairingCode();
      try {
        await this.models.PairingCode.collection.insertOne({ _id: code as never, stationId: new Types.ObjectId(id), expiresAt: new Date(expiresAt), createdAt: new Date(now) });
        break;
      } catch (err) {
        if (!isDuplicateKey(err) || attempt > 5) throw err;
      }
    }
    // One live code per station: the previous one stops working.
    if (s.pairingCode) await this.models.PairingCode.deleteOne({ _id: s.pairingCode });
    await this.lock.run(`station:${id}`, () => this.models.Station.updateOne({ _id: id }, { $set: { pairingCode: code } }));
    s.pairingCode = code;
    return { code, expiresAt };
  }

  /** Consumes a pairing code and issues the station's new credential (`<id>.<secret>`). */
  async pair(input: string): Promise<{ station: StationEntry; credential: string }> {
    const code = normalizePairingCode(input);
    if (!code) throw stationErrors.pairingInvalid();
    return this.lock.run(`pair:${code}`, async () => {
      const row = await this.models.PairingCode.findById(code).lean();
      if (!row || row.usedAt) throw stationErrors.pairingInvalid();
      const now = this.now();
      if (new Date(row.expiresAt).getTime() <= now) throw stationErrors.pairingExpired();
      const s = this.byId.get(String(row.stationId));
      if (!s || s.pairingCode !== code) throw stationErrors.pairingInvalid();
      if (s.disabled) throw stationErrors.stationDisabled();
      await this.models.PairingCode.updateOne({ _id: code }, { $set: { usedAt: new Date(now) } });
      const secret = randomBytes(32).toString('base64url');
      const hash = sha256(secret);
      await this.lock.run(`station:${s.id}`, () => this.models.Station.updateOne({ _id: s.id }, { $set: { credentialHash: hash, pairedAt: new Date(now), lastSeenAt: new Date(now) }, $unset: { pairingCode: 1 } }));
      const replaced = Boolean(s.credentialHash);
      Object.assign(s, { credentialHash: hash, pairedAt: now, lastSeenAt: now, pairingCode: undefined });
      if (replaced) this.onRevoked(s.id);
      return { station: s, credential: `${s.id}.${secret}` };
    });
  }

  async revoke(actor: UserDoc, id: string): Promise<StationEntry> {
    const s = await this.manageable(actor, id);
    await this.lock.run(`station:${id}`, () => this.models.Station.updateOne({ _id: id }, { $unset: { credentialHash: 1, pairedAt: 1, pairingCode: 1 } }));
    if (s.pairingCode) await this.models.PairingCode.deleteOne({ _id: s.pairingCode });
    Object.assign(s, { credentialHash: undefined, pairedAt: undefined, pairingCode: undefined });
    this.onRevoked(id);
    return s;
  }

  /** The station a cookie value (`<id>.<secret>`) stands for, or null; notes the contact. */
  resolveCredential(value: string | undefined | null): StationEntry | null {
    if (!value) return null;
    const dot = value.indexOf('.');
    if (dot !== 24) return null;
    const s = this.byId.get(value.slice(0, dot));
    if (!s || s.disabled || !s.credentialHash) return null;
    if (!sameKey(sha256(value.slice(dot + 1)), s.credentialHash)) return null;
    this.touch(s.id);
    return s;
  }

  touch(id: string) {
    const now = this.now();
    this.seen.set(id, now);
    const s = this.byId.get(id);
    if (s) s.lastSeenAt = now;
  }

  isOnline(s: StationEntry, now = this.now()): boolean {
    return s.lastSeenAt !== undefined && now - s.lastSeenAt <= this.cfg.onlineSec * 1000;
  }

  /** Writes last contacts that moved on by 30 s or more since they were last written. */
  async flushSeen() {
    for (const [id, at] of [...this.seen]) {
      // Kept until it can be written: a station that goes quiet still gets its last contact stored.
      if (at - (this.written.get(id) ?? 0) < SEEN_WRITE_MS) continue;
      this.seen.delete(id);
      this.written.set(id, at);
      await this.lock.run(`station:${id}`, () => this.models.Station.updateOne({ _id: id }, { $set: { lastSeenAt: new Date(at) } }));
    }
  }
}
