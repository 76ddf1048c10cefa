/**
 * socket.io on the same HTTP server, authenticated by the session cookie (or, for a terminal
 * station's kiosk, the station cookie): a socket with neither is refused at the handshake.
 */
import fp from 'fastify-plugin';
import { Server } from 'socket.io';
import { SESSION_COOKIE } from '../app/auth';
import { toPublicUser } from '../../modules/users/public-user';

export default fp(
  async (app) => {
    const io = new Server(app.server, { serveClient: false, path: '/socket.io' });
    io.use((socket, next) => {
      const raw = app.parseCookie(socket.handshake.headers.cookie ?? '')[SESSION_COOKIE];
      const unsigned = raw ? app.unsignCookie(raw) : null;
      // Terminal stations (server/modules/stations): a kiosk without a user session may connect
      // with its `station` cookie; it then only joins live lectures scheduled to it (live/socket.ts).
      const asStation = () => {
        const station = app.stations.fromCookieHeader(socket.handshake.headers.cookie);
        if (!station) return next(new Error('UNAUTHENTICATED'));
        socket.data.station = { id: station.id, name: station.name };
        next();
      };
      if (!unsigned?.valid || !unsigned.value) return asStation();
      app.auth.resolve(unsigned.value).then(
        (user) => {
          if (!user) return asStation();
          // A handed-out password not changed yet opens nothing but the change (auth/password-gate.ts).
          if (user.mustChangePassword) return next(new Error('PASSWORD_CHANGE_REQUIRED'));
          socket.data.user = toPublicUser(user);
          next();
        },
        (err: unknown) => next(err as Error),
      );
    });
    io.on('connection', (socket) => {
      // Each user's sockets share a room, so notices reach every open page of theirs.
      if (socket.data.user?.id) void socket.join(`user:${socket.data.user.id}`);
      // A station's sockets share a room, so revoking its credential disconnects them.
      if (socket.data.station?.id) void socket.join(`station:${socket.data.station.id}`);
      app.log.debug({ socketId: socket.id, userId: socket.data.user?.id }, 'socket | connected');
    });
    app.decorate('io', io);
    // Sockets hold the HTTP server open: drop them first, then close socket.io with the app.
    // Their connections are closed, not the sockets disconnected: a client told "io server
    // disconnect" never reconnects by itself, whereas a closed transport reconnects to the next
    // process (a restart or a deploy mid-lecture: pages and kiosks come back on their own).
    app.addHook('preClose', async () => {
      io.engine.close();
    });
    app.addHook('onClose', async () => {
      await io.close();
    });
  },
  { name: 'socket', dependencies: ['auth'] },
);
