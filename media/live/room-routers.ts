// A live room's routers (LiveRoom.ts): the origin, which holds every send transport and so every
// producer, and the extra routers that receive transports go to when the origin is full.
// - A recv transport goes to the first router with spare capacity (router-placement.ts); one
//   placement at a time, so that a burst of joins sees each other's reservations.
// - A router's load, for placement, is its consumers plus one for each recv transport placed on
//   it that has no consumer yet (a viewer who just joined is about to consume): a burst of joins
//   spreads out before anyone consumes. loads() reports real consumers only.
// - An extra router is closed when the last transport the room placed on it is gone (not while
//   the room is rebuilding or closed, and not one that died: the rebuild must still find it).
import type { WorkerPool } from '../worker-pool';
import { LiveRoomError } from './errors';
import type { RoomGeneration } from './room-generation';
import type { RoomPeers } from './room-peers';
import { countConsumers, openRouter, placementLoad, type RouterEntry } from './room-state';
import { pickRecvRouter } from './router-placement';
import type { RouterLoadInfo, TransportDirection } from './types';

export class RoomRouters {
  #entries: RouterEntry[];
  #placing: Promise<unknown> = Promise.resolve();
  readonly #roomId: string;
  readonly #pool: WorkerPool;
  readonly #maxConsumersPerRouter: number;
  readonly #gen: RoomGeneration;
  readonly #peers: RoomPeers;

  constructor(o: { roomId: string; pool: WorkerPool; maxConsumersPerRouter: number; gen: RoomGeneration; peers: RoomPeers; origin: RouterEntry }) {
    this.#roomId = o.roomId;
    this.#pool = o.pool;
    this.#maxConsumersPerRouter = o.maxConsumersPerRouter;
    this.#gen = o.gen;
    this.#peers = o.peers;
    this.#entries = [];
    this.reset(o.origin);
  }

  /** The origin router; 'closed' when the room has none (torn down). */
  origin(): RouterEntry {
    const origin = this.#entries[0];
    if (!origin) throw new LiveRoomError('closed', `room ${this.#roomId} has no router`);
    return origin;
  }

  /** A new origin (after a rebuild) and no other router. */
  reset(origin: RouterEntry): void {
    this.#entries = [origin];
    countConsumers(origin);
  }

  /** Closes every router (and with them every transport) and forgets them. */
  closeAll(): void {
    const entries = this.#entries;
    this.#entries = [];
    for (const e of entries) e.router.close();
  }

  /** True when one of the routers is on worker `pid` or closed (its worker died). */
  hit(pid: number): boolean {
    return this.#entries.some((e) => e.workerPid === pid || e.router.closed);
  }

  anyClosed(): boolean {
    return this.#entries.some((e) => e.router.closed);
  }

  loads(): RouterLoadInfo[] {
    return this.#entries.map((e) => ({ routerId: e.router.id, workerPid: e.workerPid, consumers: e.consumers }));
  }

  /** Router for a new transport; reserves a place on it (undone by unreserve(), or by the transport's adoption). */
  async place(direction: TransportDirection, gen: number): Promise<RouterEntry> {
    if (direction !== 'send' && direction !== 'recv') throw new TypeError(`unknown direction: ${String(direction)}`);
    if (direction === 'send') {
      const origin = this.origin();
      origin.reservations++;
      return origin;
    }
    const run = this.#placing.then(async () => {
      this.#gen.check(gen);
      const loads = this.#entries.map((e) => ({ routerId: e.router.id, consumers: placementLoad(e, this.#peers) }));
      const id = pickRecvRouter(loads, this.#maxConsumersPerRouter);
      let entry = this.#entries.find((e) => e.router.id === id);
      if (!entry) {
        let opened: RouterEntry;
        try {
          opened = await openRouter(this.#pool, Date.now());
        } catch (error) {
          throw this.#gen.late(gen) ?? error;
        }
        if (this.#gen.late(gen) || opened.router.closed) {
          opened.router.close();
          throw this.#gen.late(gen) ?? new LiveRoomError('no-live-worker', 'the new router closed at once');
        }
        this.#entries.push(opened);
        countConsumers(opened);
        entry = opened;
      }
      entry.reservations++;
      return entry;
    });
    this.#placing = run.catch(() => undefined);
    return run;
  }

  unreserve(entry: RouterEntry): void {
    entry.reservations--;
    this.closeIfIdle(entry);
  }

  closeIfIdle(entry: RouterEntry): void {
    if (this.#gen.state !== 'open') return;
    const index = this.#entries.indexOf(entry);
    if (index <= 0) return; // the origin stays, and entries already gone need nothing
    // A router that died is kept: onWorkerDied must still find it and rebuild the room.
    if (entry.router.closed) return;
    if (entry.transports.size > 0 || entry.reservations > 0) return;
    this.#entries.splice(index, 1);
    entry.router.close();
  }
}
