/**
 * The durable outbox of heartbeats (学时心跳发件箱). Every beat is written here before it is sent
 * and stays until the server acknowledges it, so a beat made offline, during a server restart or
 * just before the tab closed is sent later, in order: on the next heartbeat, when the browser is
 * back online, or on the next page load.
 *
 * Rules:
 * - one list per user, in localStorage (`study-outbox:<userId>`): synchronous, so it can still be
 *   written from `pagehide`; shared by the user's tabs, so every operation reads, changes and
 *   writes the list in one go instead of keeping a copy;
 * - a beat is identified by playbackId + seq; adding one that is already there changes nothing;
 * - order: the beats of one playback by seq, playbacks by their first beat's clientAt (the server
 *   ignores a seq lower than one it has seen, so a playback's beats must never overtake each
 *   other);
 * - batches hold at most 200 beats (the server's limit);
 * - the list is capped (MAX_OUTBOX_BEATS, days of playing time); past it the oldest go first;
 * - when storage refuses to write (quota, disabled) the list lives on in memory for this page;
 * - a beat the server refuses on its own (listed in an answer's `rejected`, or alone in a refused
 *   request) leaves the list, and a short record of it (MAX_REJECTIONS, newest last) is kept
 *   beside it (`study-rejected:<userId>`) so the page can show or log why; nothing else ever
 *   removes a beat before the server acknowledged it, except the cap above.
 */
import type { Beat } from './beats.ts';

export const MAX_BATCH = 200;
export const MAX_OUTBOX_BEATS = 10_000;
/** sendBeacon refuses bodies over 64 KiB; stay well under. */
export const MAX_BEACON_BYTES = 60_000;

export interface Ack {
  playbackId: string;
  seq: number;
}

/** A beat the server refused on its own, and why (its stable code, its message). */
export interface Rejection extends Ack {
  code: string;
  message: string;
  event?: Beat['event'];
  /** When this page learnt of it (ms, this PC's clock). */
  at: number;
}

export const MAX_REJECTIONS = 50;

export const rejectedKey = (userId: string) => `study-rejected:${userId}`;

export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export const outboxKey = (userId: string) => `study-outbox:${userId}`;

export const beatKey = (beat: Pick<Beat, 'playbackId' | 'seq'>) => `${beat.playbackId}#${beat.seq}`;

const EVENTS = new Set(['tick', 'play', 'pause', 'seek', 'end', 'hide', 'show', 'unload']);

/** A stored value that is really a beat (the list may have been written by an older version). */
export function isBeat(value: unknown): value is Beat {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Record<string, unknown>;
  return (
    typeof b.playbackId === 'string' &&
    b.playbackId.length > 0 &&
    Number.isInteger(b.seq) &&
    (b.seq as number) >= 1 &&
    typeof b.position === 'number' &&
    Number.isFinite(b.position) &&
    typeof b.rate === 'number' &&
    typeof b.playing === 'boolean' &&
    typeof b.visible === 'boolean' &&
    typeof b.event === 'string' &&
    EVENTS.has(b.event) &&
    typeof b.clientAt === 'number' &&
    Number.isFinite(b.clientAt)
  );
}

/** Sending order: playbacks by their first beat, each playback's beats by seq. */
export function orderBeats(beats: readonly Beat[]): Beat[] {
  const firstAt = new Map<string, number>();
  for (const b of beats) firstAt.set(b.playbackId, Math.min(firstAt.get(b.playbackId) ?? Number.POSITIVE_INFINITY, b.clientAt));
  return [...beats].sort(
    (a, b) =>
      firstAt.get(a.playbackId)! - firstAt.get(b.playbackId)! ||
      (a.playbackId < b.playbackId ? -1 : a.playbackId > b.playbackId ? 1 : 0) ||
      a.seq - b.seq,
  );
}

/** `existing` plus the beats of `incoming` it does not have yet (by playbackId + seq), in order. */
export function mergeBeats(existing: readonly Beat[], incoming: readonly Beat[]): Beat[] {
  const seen = new Set(existing.map(beatKey));
  const out = [...existing];
  for (const b of incoming) {
    const key = beatKey(b);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(b);
  }
  return orderBeats(out);
}

/** Keeps the newest `max` beats (the list is in sending order, oldest playbacks first). */
export function capBeats(beats: readonly Beat[], max = MAX_OUTBOX_BEATS): Beat[] {
  return beats.length > max ? beats.slice(beats.length - max) : [...beats];
}

export function withoutAcked(beats: readonly Beat[], acks: readonly Ack[]): Beat[] {
  if (acks.length === 0) return [...beats];
  const done = new Set(acks.map(beatKey));
  return beats.filter((b) => !done.has(beatKey(b)));
}

/**
 * The next batch: the first `max` beats (in order) that `include` accepts. A playback's beats are
 * taken from its first one on, never with a gap, so a skipped beat cannot be overtaken.
 */
export function nextBatch(beats: readonly Beat[], options: { max?: number; include?: (beat: Beat) => boolean } = {}): Beat[] {
  const max = Math.max(1, Math.min(options.max ?? MAX_BATCH, MAX_BATCH));
  const include = options.include ?? (() => true);
  const batch: Beat[] = [];
  const skipped = new Set<string>();
  for (const b of orderBeats(beats)) {
    if (batch.length >= max) break;
    if (skipped.has(b.playbackId)) continue;
    if (!include(b)) {
      skipped.add(b.playbackId);
      continue;
    }
    batch.push(b);
  }
  return batch;
}

/**
 * The beats a page sends as it goes away, for one request (sendBeacon or keepalive fetch): first
 * those of `playbackId` (the one closing with `unload`), then other beats `include` accepts, in
 * order, each playback from its first pending beat on. A playback's beats must arrive in one
 * request from its oldest pending one, never its `unload` alone: the server ignores a seq below
 * one it has seen, so an `unload` that overtook them would void the spans they close.
 */
export function leavingBatch(beats: readonly Beat[], playbackId: string, include: (beat: Beat) => boolean = () => true): Beat[] {
  const first = nextBatch(beats, { include: (b) => b.playbackId === playbackId });
  const rest = nextBatch(
    beats.filter((b) => b.playbackId !== playbackId),
    { max: MAX_BATCH - first.length, include },
  );
  return first.length >= MAX_BATCH ? first : [...first, ...rest];
}

/** The body of one beacon: the batch's beats from the start while the JSON stays under `maxBytes`. */
export function beaconBody(beats: readonly Beat[], maxBytes = MAX_BEACON_BYTES): { body: string; beats: Beat[] } | null {
  let take = Math.min(beats.length, MAX_BATCH);
  while (take > 0) {
    const slice = beats.slice(0, take);
    const body = JSON.stringify({ beats: slice });
    // UTF-8 length: the ids are ASCII, so characters are bytes.
    if (body.length <= maxBytes) return { body, beats: slice };
    take = Math.floor(take / 2);
  }
  return null;
}

export class Outbox {
  readonly key: string;
  readonly rejectedKey: string;
  readonly #storage: KeyValueStorage | undefined;
  /** Set once storage failed: the list then lives here for the rest of the page. */
  #memory: Beat[] | null = null;
  #rejected: Rejection[] | null = null;

  constructor(userId: string, storage: KeyValueStorage | undefined = globalThis.localStorage) {
    this.key = outboxKey(userId);
    this.rejectedKey = rejectedKey(userId);
    this.#storage = storage;
    if (!storage) this.#memory = [];
  }

  /** Every pending beat, in sending order. */
  all(): Beat[] {
    return this.#read();
  }

  get size(): number {
    return this.#read().length;
  }

  add(beats: readonly Beat[]): void {
    if (beats.length === 0) return;
    this.#write(capBeats(mergeBeats(this.#read(), beats.filter(isBeat))));
  }

  ack(acks: readonly Ack[]): void {
    if (acks.length === 0) return;
    const before = this.#read();
    const after = withoutAcked(before, acks);
    if (after.length !== before.length) this.#write(after);
  }

  /** Removes beats the server refused on their own, so they cannot block the rest, and records why. */
  reject(rejections: readonly Omit<Rejection, 'at'>[], at = Date.now()): void {
    if (rejections.length === 0) return;
    const pending = new Map(this.#read().map((b) => [beatKey(b), b]));
    this.ack(rejections);
    const records: Rejection[] = rejections.map((r) => ({
      playbackId: r.playbackId,
      seq: r.seq,
      code: r.code,
      message: r.message,
      event: r.event ?? pending.get(beatKey(r))?.event,
      at,
    }));
    this.#rejected = [...this.rejections(), ...records].slice(-MAX_REJECTIONS);
    try {
      this.#storage?.setItem(this.rejectedKey, JSON.stringify(this.#rejected));
    } catch {
      // the record is a courtesy: the in-memory copy serves this page
    }
  }

  /** The last beats refused on their own, oldest first. */
  rejections(): Rejection[] {
    if (this.#rejected) return [...this.#rejected];
    try {
      const parsed: unknown = JSON.parse(this.#storage?.getItem(this.rejectedKey) ?? '[]');
      this.#rejected = Array.isArray(parsed) ? (parsed as Rejection[]).filter((r) => typeof r?.playbackId === 'string' && typeof r.code === 'string') : [];
    } catch {
      this.#rejected = [];
    }
    return [...this.#rejected];
  }

  batch(options: { max?: number; include?: (beat: Beat) => boolean } = {}): Beat[] {
    return nextBatch(this.#read(), options);
  }

  #read(): Beat[] {
    if (this.#memory) return [...this.#memory];
    let raw: string | null;
    try {
      raw = this.#storage!.getItem(this.key);
    } catch {
      this.#memory = [];
      return [];
    }
    if (!raw) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? orderBeats(parsed.filter(isBeat)) : [];
    } catch {
      return []; // a corrupt list is dropped at the next write
    }
  }

  #write(beats: Beat[]): void {
    if (this.#memory) {
      this.#memory = beats;
      return;
    }
    try {
      if (beats.length === 0) this.#storage!.removeItem(this.key);
      else this.#storage!.setItem(this.key, JSON.stringify(beats));
    } catch (error) {
      console.warn('study outbox | storage refused the write, keeping beats in memory [key:%s beats:%d]', this.key, beats.length, error);
      this.#memory = beats;
    }
  }
}
