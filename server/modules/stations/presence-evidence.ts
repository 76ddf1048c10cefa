/**
 * Evidence of presence at a station (在场凭据), pure functions. A presence (签到 to 签退, or to the
 * session's end) is a claim; only its evidenced part earns credit. Evidence, all in server ms:
 * - a QR scan (签到 or a re-scan) evidences [scan, first of: the next scan, the check-out,
 *   scan + N minutes, the end of its presence span);
 * - a QR check-out scan (签退) evidences its presence span from the span's first QR scan to it;
 * - the operator's roster confirmation (确认名单) evidences the presence from its check-in to the
 *   confirmation (at most the session's end: the span ends there);
 * - the operator's typed check-in and a station's offline check-in evidence their moment only.
 * Also the network rule of check-ins (the same /24 for IPv4, /64 for IPv6) and the burst rule
 * (one QR token used by many accounts within a few seconds).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { normalize, type Interval } from '../study/intervals';

export interface PresenceEvidence {
  /** Claimed presence spans, [check-in, check-out or session end). */
  spans: readonly Interval[];
  /** QR scan times (check-ins and re-scans). */
  scans: readonly number[];
  /** QR check-out scan times. */
  outs: readonly number[];
  /** Time of the operator's roster confirmation, if any. */
  confirmedAt?: number;
}

export function evidenceOf(p: PresenceEvidence, rescanMs: number): Interval[] {
  const out: Interval[] = [];
  const scans = [...p.scans].sort((x, y) => x - y);
  const outs = [...p.outs].sort((x, y) => x - y);
  for (const [a, b] of normalize(p.spans)) {
    const mine = scans.filter((s) => s >= a && s < b);
    const checkouts = outs.filter((o) => o > a && o <= b);
    mine.forEach((s, i) => {
      const nextOut = checkouts.find((o) => o > s) ?? Infinity;
      out.push([s, Math.min(mine[i + 1] ?? Infinity, nextOut, s + rescanMs, b)]);
    });
    const first = mine[0];
    const paired = first === undefined ? undefined : checkouts.find((o) => o > first);
    if (first !== undefined && paired !== undefined) out.push([first, paired]);
    if (p.confirmedAt !== undefined && p.confirmedAt > a) out.push([a, Math.min(b, p.confirmedAt)]);
  }
  return normalize(out);
}

/** The part of `a` not in `b`. */
export function minus(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  let rest = normalize(a);
  for (const [lo, hi] of normalize(b)) {
    const next: Interval[] = [];
    for (const [x, y] of rest) {
      if (hi <= x || lo >= y) next.push([x, y]);
      else {
        if (lo > x) next.push([x, lo]);
        if (hi < y) next.push([hi, y]);
      }
    }
    rest = next;
  }
  return normalize(rest);
}

export const seconds = (list: readonly Interval[]) => normalize(list).reduce((n, [a, b]) => n + (b - a), 0) / 1000;

// ---- networks ------------------------------------------------------------------------------

/** The network part of an address: the first three octets of IPv4, the first four groups of IPv6. */
export function networkOf(ip: string | undefined): string | null {
  if (!ip) return null;
  const addr = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(addr)) return addr.split('.').slice(0, 3).join('.');
  if (!isIPv6(addr)) return null;
  // Expand "::" so the first four groups are the /64 prefix.
  const [head, tail = ''] = addr.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = addr.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = addr.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}

/** Same network (/24 or /64)? Unknown when either address is missing or unreadable. */
export function sameNetwork(a: string | undefined, b: string | undefined): boolean | null {
  const x = networkOf(a);
  const y = networkOf(b);
  return x === null || y === null ? null : x === y;
}

// ---- bursts ------------------------------------------------------------------------------

export interface Use {
  userId: string;
  at: number;
  ip?: string;
}

/**
 * The accounts of a burst that `uses` (of one token) make at `now`: when at least `min` distinct
 * accounts used the token within `windowMs` up to now, all of them; else none.
 */
export function burstAt(uses: readonly Use[], now: number, min: number, windowMs: number): string[] {
  const recent = new Set(uses.filter((u) => u.at > now - windowMs && u.at <= now).map((u) => u.userId));
  return recent.size >= min ? [...recent] : [];
}

/**
 * When a late-delivered check-in (a station's offline batch) counts from. The station says when
 * (`at`, its own estimate of server time) and, when it sends them, its own clock at the check-in
 * (`clock`) and at sending (`sentClock`). Their difference is the check-in's age, which does not
 * depend on how wrong the station's clock is; the server's receipt time minus that age is the
 * latest the check-in can have been made (the upload took some time too). Credit starts at the
 * later of the claim and that bound, and never after the receipt: a station cannot claim more
 * than the server can corroborate. Without both clock readings (or with a clock that went
 * backwards) only the receipt bounds the claim.
 */
export function offlineCheckinAt(c: { at: number; clock?: number }, sentClock: number | undefined, receivedAt: number): number {
  const age = c.clock !== undefined && sentClock !== undefined ? sentClock - c.clock : undefined;
  const latest = age !== undefined && age >= 0 ? receivedAt - age : undefined;
  return Math.min(receivedAt, latest === undefined ? c.at : Math.max(c.at, latest));
}
