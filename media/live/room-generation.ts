// A live room's lifecycle (LiveRoom.ts): open, rebuilding after a worker death, or closed, and
// the generation that counts rebuilds. Every room call enters with the current generation; a
// mediasoup call it awaits is guarded, so that a call that straddles a rebuild fails with
// 'rebuilt' (and what it made is disposed of) instead of leaving objects on a dead router.
import { LiveRoomError } from './errors';

export type RoomState = 'open' | 'rebuilding' | 'closed';

export class RoomGeneration {
  state: RoomState = 'open';
  /** Rebuilds so far; objects made in an older generation are gone. */
  generation = 0;
  readonly #roomId: string;
  #ready: Promise<void> = Promise.resolve();
  #resolveReady: (() => void) | null = null;

  constructor(roomId: string) {
    this.#roomId = roomId;
  }

  /** Waits out a rebuild in progress; throws when the room is closed. Returns the generation. */
  async enter(): Promise<number> {
    if (this.state === 'rebuilding') await this.#ready;
    this.open();
    return this.generation;
  }

  /** Throws when the room is closed. */
  open(): void {
    if (this.state === 'closed') throw new LiveRoomError('closed', `room ${this.#roomId} is closed`);
  }

  /** The error to throw when the room changed under a call begun in generation `gen`. */
  late(gen: number): LiveRoomError | undefined {
    if (this.state === 'closed') return new LiveRoomError('closed', `room ${this.#roomId} closed meanwhile`);
    if (gen !== this.generation || this.state === 'rebuilding') {
      return new LiveRoomError('rebuilt', `room ${this.#roomId} was rebuilt meanwhile: redo transports`);
    }
    return undefined;
  }

  check(gen: number): void {
    const late = this.late(gen);
    if (late) throw late;
  }

  /**
   * Awaits a mediasoup call begun in generation `gen`. When the room was rebuilt or closed
   * meanwhile, its result is disposed of and the call fails with 'rebuilt' / 'closed' (the
   * mediasoup error, if any, is only the symptom).
   */
  async guard<T>(gen: number, pending: Promise<T>, dispose?: (late: T) => void): Promise<T> {
    let value: T;
    try {
      value = await pending;
    } catch (error) {
      throw this.late(gen) ?? error;
    }
    const late = this.late(gen);
    if (late) {
      dispose?.(value);
      throw late;
    }
    return value;
  }

  /** A rebuild begins: calls entering from now on wait for endRebuild(). */
  beginRebuild(): void {
    this.state = 'rebuilding';
    this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
  }

  /** The rebuild is over (the room is open again, or closed): waiting calls go on. */
  endRebuild(): void {
    this.#resolveReady?.();
    this.#resolveReady = null;
  }
}
