/**
 * Live transcode progress over socket.io (same origin, path /socket.io, the session cookie
 * authenticates the handshake). `watch(id)` subscribes with `lecture:watch` (ack `{ ok }` or
 * `{ error }`); the server then pushes `lecture:processing`. On every (re)connection the
 * subscriptions are sent again and `onResync` asks the caller to re-read those lectures over
 * HTTP, since events may have been missed while the link was down.
 */
import type { Socket } from 'socket.io-client';
import type { ProcessingEvent } from '../api/types.ts';
import { isProcessingEvent } from './processing.ts';

export interface ProcessingFeedHandlers {
  onEvent(event: ProcessingEvent): void;
  onResync(lectureIds: string[]): void;
  onConnection?(connected: boolean): void;
}

type WatchAck = { ok: true } | { error: { code: string; message?: string } };

const ACK_TIMEOUT_MS = 8000;

export class ProcessingFeed {
  readonly #handlers: ProcessingFeedHandlers;
  readonly #watched = new Set<string>();
  #socket: Socket | null = null;
  #connecting: Promise<Socket> | null = null;
  #closed = false;
  #everConnected = false;

  constructor(handlers: ProcessingFeedHandlers) {
    this.#handlers = handlers;
  }

  async watch(lectureId: string): Promise<void> {
    if (this.#closed || this.#watched.has(lectureId)) return;
    this.#watched.add(lectureId);
    const socket = await this.#connect();
    if (socket.connected) this.#emitWatch(socket, lectureId);
    // otherwise the 'connect' handler sends it
  }

  unwatch(lectureId: string): void {
    if (!this.#watched.delete(lectureId)) return;
    if (this.#socket?.connected) this.#socket.emit('lecture:unwatch', { lectureId });
  }

  close(): void {
    this.#closed = true;
    this.#watched.clear();
    this.#socket?.disconnect();
    this.#socket = null;
    this.#connecting = null;
  }

  #connect(): Promise<Socket> {
    if (this.#socket) return Promise.resolve(this.#socket);
    this.#connecting ??= import('socket.io-client').then(({ io }) => {
      const socket = io({ path: '/socket.io', withCredentials: true, reconnectionDelayMax: 10_000 });
      socket.on('connect', () => {
        if (this.#closed) return;
        this.#handlers.onConnection?.(true);
        for (const id of this.#watched) this.#emitWatch(socket, id);
        // The first connection follows a fresh HTTP load; later ones may have missed events.
        if (this.#everConnected && this.#watched.size > 0) this.#handlers.onResync([...this.#watched]);
        this.#everConnected = true;
      });
      socket.on('disconnect', () => this.#handlers.onConnection?.(false));
      socket.on('lecture:processing', (payload: unknown) => {
        if (this.#closed) return;
        if (!isProcessingEvent(payload)) {
          console.warn('processing-feed | dropped a malformed lecture:processing payload', payload);
          return;
        }
        if (this.#watched.has(payload.lectureId)) this.#handlers.onEvent(payload);
      });
      this.#socket = socket;
      return socket;
    });
    return this.#connecting;
  }

  #emitWatch(socket: Socket, lectureId: string): void {
    socket.timeout(ACK_TIMEOUT_MS).emit('lecture:watch', { lectureId }, (err: Error | null, ack?: WatchAck) => {
      if (err) {
        console.warn('processing-feed | lecture:watch not acknowledged [lectureId:%s]', lectureId, err.message);
      } else if (ack && 'error' in ack) {
        console.warn('processing-feed | lecture:watch refused [lectureId:%s code:%s]', lectureId, ack.error.code);
        this.#watched.delete(lectureId);
      }
    });
  }
}
