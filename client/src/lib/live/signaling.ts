/**
 * Requests over the live-room socket: every event has an ack, `{ ok: true, ... }` or
 * `{ error: { code, message, messageEn } }` (server/modules/live/socket.ts). A request that gets
 * no answer in time fails, so a page never waits forever on a dropped connection.
 */
import type { Socket } from 'socket.io-client';
import { ApiError } from '../api/client.ts';

const TIMEOUT_MS = 10_000;

export type Ack<T> = ({ ok: true } & T) | { error: { code: string; message: string; messageEn: string } };

export function request<T = Record<string, never>>(socket: Socket, event: string, payload: object = {}, timeoutMs = TIMEOUT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, res: Ack<T>) => {
      if (err) return reject(new ApiError(0, 'NO_ANSWER', '服务器没有响应，请检查网络', 'The server did not answer; check the network'));
      if ('error' in res) return reject(new ApiError(400, res.error.code, res.error.message, res.error.messageEn));
      resolve(res);
    });
  });
}
