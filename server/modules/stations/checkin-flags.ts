/**
 * Flags on station check-ins, for admins to review (StudyFlag: `{ userId, lectureId, playbackId?,
 * kind, count, seconds?, detail, at }`, `seconds` = the credit at stake). Flags refuse nothing:
 * - `checkin-burst`: one QR token used by BURST_ACCOUNTS or more accounts within BURST_MS (a
 *   photo of the code sent round); every account of the burst is flagged once per token;
 * - `checkin-foreign-network`: a scan from another network than the station's own requests
 *   (/24, /64; a phone on mobile data is honest, so this is only a flag);
 * - `present-elsewhere`: a cadre checked in at a station while present at another one, or their
 *   own playback asked to count while they were present at a station (once per cadre and run).
 * The station's last-seen address and the token uses are kept in memory: a restart forgets them,
 * and the next kiosk request teaches the address again.
 */
import { Types } from 'mongoose';
import type { Models } from '../../store/models';
import { burstAt, sameNetwork, type Use } from './presence-evidence';
import type { Log } from './runs';

export const BURST_ACCOUNTS = 5;
export const BURST_MS = 3_000;

export type FlagKind = 'checkin-burst' | 'checkin-foreign-network' | 'present-elsewhere';

export interface FlagInput {
  userId: string;
  lectureId: string;
  playbackId?: string;
  kind: FlagKind;
  count?: number;
  seconds?: number;
  detail: Record<string, unknown>;
  at: number;
}

const oid = (id: string) => (Types.ObjectId.isValid(id) ? new Types.ObjectId(id) : id);

export class CheckinFlags {
  /** station -> the address its own (cookie) requests came from last. */
  private readonly addresses = new Map<string, string>();
  /** token key (`station:session:window`) -> uses, and the accounts already flagged for it. */
  private readonly uses = new Map<string, { window: number; list: Use[]; flagged: Set<string> }>();
  /** `user:run` present-elsewhere flags already written (one per cadre and run). */
  private readonly elsewhere = new Set<string>();

  constructor(
    private readonly models: Models,
    private readonly log: Log,
  ) {}

  noteStationAddress(stationId: string, ip: string | undefined) {
    if (ip) this.addresses.set(stationId, ip);
  }

  /** Is the scan on the station's network? null when either address is unknown. */
  network(stationId: string, ip: string | undefined): 'station' | 'other' | 'unknown' {
    const same = sameNetwork(ip, this.addresses.get(stationId));
    return same === null ? 'unknown' : same ? 'station' : 'other';
  }

  stationAddress(stationId: string) {
    return this.addresses.get(stationId);
  }

  /** Notes a use of a token; returns the accounts of a burst that were not flagged for it yet. */
  noteUse(key: string, window: number, use: Use): string[] {
    for (const [k, v] of this.uses) if (v.window < window - 2) this.uses.delete(k);
    let entry = this.uses.get(key);
    if (!entry) this.uses.set(key, (entry = { window, list: [], flagged: new Set() }));
    entry.list.push(use);
    const fresh = burstAt(entry.list, use.at, BURST_ACCOUNTS, BURST_MS).filter((u) => !entry.flagged.has(u));
    fresh.forEach((u) => entry.flagged.add(u));
    return fresh;
  }

  usesOf(key: string): Use[] {
    return this.uses.get(key)?.list ?? [];
  }

  /** First present-elsewhere flag of a cadre in a run? (then the caller writes it) */
  firstElsewhere(userId: string, runId: string): boolean {
    const key = `${userId}:${runId}`;
    if (this.elsewhere.has(key)) return false;
    if (this.elsewhere.size > 100_000) this.elsewhere.clear();
    this.elsewhere.add(key);
    return true;
  }

  /** Writes a flag; a failure is logged, never thrown (a flag must not cost the check-in). */
  async write(f: FlagInput): Promise<void> {
    try {
      await this.models.StudyFlag.collection.insertOne({
        userId: oid(f.userId) as never,
        lectureId: oid(f.lectureId) as never,
        ...(f.playbackId ? { playbackId: f.playbackId } : {}),
        kind: f.kind,
        count: f.count ?? 1,
        ...(f.seconds !== undefined ? { seconds: Math.round(f.seconds) } : {}),
        detail: f.detail,
        at: new Date(f.at),
      });
    } catch (err) {
      this.log.warn({ err, kind: f.kind, userId: f.userId }, 'stations.flags | could not write a flag');
    }
  }
}
