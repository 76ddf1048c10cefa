/**
 * The page's one socket.io connection for the signed-in user (notices, live rooms), opened on
 * first use and closed on sign-out. socket.io reconnects by itself; listeners added with `on`
 * survive reconnections.
 */
import type { Socket } from 'socket.io-client';

let socket: Promise<Socket> | null = null;

export function realtime(): Promise<Socket> {
  socket ??= import('socket.io-client').then(({ io }) => {
    const s = io({ path: '/socket.io', withCredentials: true, reconnectionDelayMax: 5_000 });
    // A server that disconnects a socket (rather than losing it) is not retried by socket.io:
    // try once more after a pause; a refused handshake (credential revoked) then stays closed.
    s.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') setTimeout(() => s.connect(), 2_000 + Math.random() * 3_000);
    });
    return s;
  });
  return socket;
}

export function closeRealtime(): void {
  const s = socket;
  socket = null;
  void s?.then((io) => io.disconnect());
}
