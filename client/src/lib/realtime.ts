/**
 * The page's one socket.io connection for the signed-in user (notices, live rooms), opened on
 * first use and closed on sign-out. socket.io reconnects by itself; listeners added with `on`
 * survive reconnections.
 */
import type { Socket } from 'socket.io-client';

let socket: Promise<Socket> | null = null;

export function realtime(): Promise<Socket> {
  socket ??= import('socket.io-client').then(({ io }) => io({ path: '/socket.io', withCredentials: true, reconnectionDelayMax: 5_000 }));
  return socket;
}

export function closeRealtime(): void {
  const s = socket;
  socket = null;
  void s?.then((io) => io.disconnect());
}
