// UDP ports on 127.0.0.1 for ffmpeg to receive RTP on (live recording).
//
// Rules:
// - A stream takes a pair: an even RTP port and RTP + 1 for RTCP (the RTP convention, and
//   ffmpeg's default when it ignores `a=rtcp:`).
// - The kernel picks free ports (bind to port 0), so ports in use by anyone are skipped; pairs
//   handed out in this process are remembered until released, so concurrent recorders never
//   get the same pair even though the probe sockets are closed before ffmpeg binds.
// - ffmpeg binds some milliseconds after it starts; waitForUdpBound() watches /proc/net/udp so
//   that media is only sent once something listens (a lost first keyframe costs a second).
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';

const reserved = new Set<number>();

export interface PortPair {
  port: number;
  rtcpPort: number;
  /** Makes the pair available again; idempotent. */
  release(): void;
}

/** An RTP/RTCP pair can start at `port`: even, in range, neither port handed out already. */
export function isUsablePair(port: number, taken: ReadonlySet<number>): boolean {
  return (
    Number.isInteger(port) && port >= 1024 && port % 2 === 0 && port + 1 <= 65535 && !taken.has(port) && !taken.has(port + 1)
  );
}

function bindUdp(host: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind({ address: host, port, exclusive: true }, () => resolve(socket));
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** Reserves a free even/odd UDP pair on `host`. */
export async function allocateUdpPortPair(host = '127.0.0.1', attempts = 64): Promise<PortPair> {
  for (let i = 0; i < attempts; i++) {
    const first = await bindUdp(host, 0);
    if (!first) continue;
    const port = first.address().port;
    if (!isUsablePair(port, reserved)) {
      await closeSocket(first);
      continue;
    }
    const second = await bindUdp(host, port + 1);
    if (!second) {
      await closeSocket(first);
      continue;
    }
    // Re-check: another allocation in this process may have finished while we awaited.
    if (!isUsablePair(port, reserved)) {
      await Promise.all([closeSocket(first), closeSocket(second)]);
      continue;
    }
    reserved.add(port);
    reserved.add(port + 1);
    await Promise.all([closeSocket(first), closeSocket(second)]);
    let released = false;
    return {
      port,
      rtcpPort: port + 1,
      release() {
        if (released) return;
        released = true;
        reserved.delete(port);
        reserved.delete(port + 1);
      },
    };
  }
  throw new Error(`no free UDP port pair on ${host} after ${attempts} attempts`);
}

/** Ports handed out and not yet released (for tests and diagnostics). */
export function reservedUdpPorts(): number[] {
  return [...reserved].sort((a, b) => a - b);
}

/** Local ports bound in a /proc/net/udp (or udp6) table. */
export function parseProcNetUdp(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    // "  sl  local_address rem_address   st ..." -> "0: 0100007F:9C40 00000000:0000 07 ..."
    const local = line.trim().split(/\s+/)[1];
    const hex = local?.split(':').at(-1);
    if (hex && /^[0-9A-Fa-f]{4}$/.test(hex)) ports.add(Number.parseInt(hex, 16));
  }
  return ports;
}

async function boundUdpPorts(): Promise<Set<number> | null> {
  try {
    const texts = await Promise.all(
      ['/proc/net/udp', '/proc/net/udp6'].map((f) => readFile(f, 'utf8').catch(() => '')),
    );
    if (texts.every((t) => t === '')) return null;
    const ports = new Set<number>();
    for (const t of texts) for (const p of parseProcNetUdp(t)) ports.add(p);
    return ports;
  } catch {
    return null;
  }
}

/**
 * Resolves true once every port is bound by someone (the ffmpeg we just started), false after
 * timeoutMs. Without /proc it waits a short fixed time and resolves false.
 */
export async function waitForUdpBound(
  ports: readonly number[],
  timeoutMs: number,
  isCancelled: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bound = await boundUdpPorts();
    if (bound === null) {
      await new Promise((r) => setTimeout(r, Math.min(300, timeoutMs)));
      return false;
    }
    if (ports.every((p) => bound.has(p))) return true;
    if (Date.now() >= deadline || isCancelled()) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
