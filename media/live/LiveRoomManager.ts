// The live rooms of this server process, keyed by room id (one per live lecture, 直播课堂).
//
// Rules:
// - getOrCreate() is the only way in: concurrent calls for one id share one room. A room
//   closed by close(), closeAll() or a failed rebuild is forgotten (`room-closed`).
// - The manager watches the pool for worker deaths while it has rooms, and asks every room to
//   check whether it had a router on the dead worker; such rooms rebuild themselves
//   (LiveRoom.onWorkerDied) and the manager re-emits their `rebuilt` as `room-rebuilt`.
// - Media objects never leave media/: callers get ids and plain info objects.
import { EventEmitter } from 'node:events';
import type { WorkerDiedEvent, WorkerPool } from '../worker-pool';
import { LiveRoomError } from './errors';
import { LiveRoom } from './LiveRoom';
import type { LiveRoomManagerOptions } from './types';

export interface LiveRoomManagerEvents {
  /** The room's routers were recreated after a worker death: clients must redo transports and media. */
  'room-rebuilt': [string];
  /** The room is gone (close(), closeAll(), or no worker came back for a rebuild). */
  'room-closed': [string];
}

export interface LiveRoomManagerStats {
  rooms: number;
  routers: number;
  consumers: number;
}

export class LiveRoomManager extends EventEmitter<LiveRoomManagerEvents> {
  readonly #pool: WorkerPool;
  readonly #opts: LiveRoomManagerOptions;
  readonly #rooms = new Map<string, LiveRoom>();
  readonly #pending = new Map<string, Promise<LiveRoom>>();
  /** Ids closed while their room was being created. */
  readonly #cancelled = new Set<string>();
  #watching = false;

  constructor(pool: WorkerPool, opts: LiveRoomManagerOptions) {
    super();
    if (!(Number.isInteger(opts.maxConsumersPerRouter) && opts.maxConsumersPerRouter >= 1)) {
      throw new RangeError(`Invalid live options: maxConsumersPerRouter must be an integer >= 1 (got ${opts.maxConsumersPerRouter})`);
    }
    if (!opts.listenIp) throw new RangeError('Invalid live options: listenIp is required');
    if (!opts.enableUdp && !opts.enableTcp) throw new RangeError('Invalid live options: enable UDP, TCP or both');
    this.#pool = pool;
    this.#opts = { ...opts };
  }

  getOrCreate(roomId: string): Promise<LiveRoom> {
    const existing = this.#rooms.get(roomId);
    if (existing) return Promise.resolve(existing);
    const pending = this.#pending.get(roomId);
    if (pending) return pending;
    this.#cancelled.delete(roomId);
    this.#watch();
    const creating = LiveRoom.create(roomId, this.#pool, this.#opts).then(
      (room) => {
        this.#pending.delete(roomId);
        if (this.#cancelled.delete(roomId)) {
          room.close();
          this.#unwatchIfIdle();
          throw new LiveRoomError('closed', `room ${roomId} was closed while it was being created`);
        }
        this.#register(room);
        return room;
      },
      (error: unknown) => {
        this.#pending.delete(roomId);
        this.#cancelled.delete(roomId);
        this.#unwatchIfIdle();
        throw error;
      },
    );
    this.#pending.set(roomId, creating);
    return creating;
  }

  get(roomId: string): LiveRoom | undefined {
    return this.#rooms.get(roomId);
  }

  /** Ids of the open rooms. */
  roomIds(): string[] {
    return [...this.#rooms.keys()];
  }

  close(roomId: string): void {
    if (this.#pending.has(roomId)) this.#cancelled.add(roomId);
    this.#rooms.get(roomId)?.close();
  }

  closeAll(): void {
    for (const roomId of this.#pending.keys()) this.#cancelled.add(roomId);
    for (const room of [...this.#rooms.values()]) room.close();
  }

  stats(): LiveRoomManagerStats {
    let routers = 0;
    let consumers = 0;
    for (const room of this.#rooms.values()) {
      for (const load of room.routerLoads()) {
        routers++;
        consumers += load.consumers;
      }
    }
    return { rooms: this.#rooms.size, routers, consumers };
  }

  #register(room: LiveRoom): void {
    this.#rooms.set(room.id, room);
    room.on('rebuilt', () => this.emit('room-rebuilt', room.id));
    room.once('close', () => {
      if (this.#rooms.get(room.id) === room) this.#rooms.delete(room.id);
      this.#unwatchIfIdle();
      this.emit('room-closed', room.id);
    });
    // A worker may have died between the room's router creation and now.
    room.onWorkerDied(-1);
  }

  readonly #onWorkerDied = ({ pid }: WorkerDiedEvent): void => {
    for (const room of [...this.#rooms.values()]) room.onWorkerDied(pid);
  };

  #watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    this.#pool.on('worker-died', this.#onWorkerDied);
  }

  #unwatchIfIdle(): void {
    if (!this.#watching || this.#rooms.size > 0 || this.#pending.size > 0) return;
    this.#watching = false;
    this.#pool.off('worker-died', this.#onWorkerDied);
  }
}
