// A live room's bookkeeping (LiveRoom.ts): the entries it keeps per router, transport, producer,
// consumer and peer, and the helpers that read or update them, open routers and pipe producers
// between them. Nothing here holds state of its own; LiveRoom owns every entry.
import type { Consumer, PlainTransport, Producer, Router, RtpCapabilities, WebRtcTransport } from 'mediasoup/lib/types';
import { WorkerPoolError, type WorkerPool } from '../worker-pool';
import { LiveRoomError } from './errors';
import type { ProducerInfo, ProducerSource, TransportDirection } from './types';

export interface RouterEntry {
  router: Router;
  workerPid: number;
  /** Every consumer on the router, pipe and recorder consumers included. */
  consumers: number;
  /** Transports the room placed here (ids). */
  transports: Set<string>;
  /** Placements whose transport is being created. */
  reservations: number;
  /** producerId -> its pipe from the origin (extra routers only). */
  piped: Map<string, Promise<void>>;
}

export interface TransportEntry {
  peerId: string;
  transport: WebRtcTransport | PlainTransport;
  type: 'webrtc' | 'plain';
  direction: TransportDirection;
  router: RouterEntry;
  /** Room consumers on this transport. */
  consumers: number;
  /** Last sampled RTP + RTX bytes sent. */
  bytesSent: number;
}

export interface ProducerEntry {
  producer: Producer;
  peerId: string;
  source: ProducerSource;
}

export interface ConsumerEntry {
  consumer: Consumer;
  transport: TransportEntry;
  source: ProducerSource;
  producerPeerId: string;
}

export interface PeerState {
  id: string;
  transports: Map<string, TransportEntry>;
  producers: Map<string, ProducerEntry>;
  consumers: Map<string, ConsumerEntry>;
}
// ---------------------------------------------------------------------------------------------

export function producerInfo(e: ProducerEntry): ProducerInfo {
  return { id: e.producer.id, peerId: e.peerId, kind: e.producer.kind, source: e.source, paused: e.producer.paused };
}

export function safeCanConsume(router: Router, producerId: string, rtpCapabilities: RtpCapabilities): boolean {
  try {
    return router.canConsume({ producerId, rtpCapabilities });
  } catch {
    // Malformed capabilities make mediasoup throw: they cannot consume anything either.
    return false;
  }
}

/** Consumers, plus one per placement in flight and per recv transport still without consumers. */
export function placementLoad(entry: RouterEntry, peers: { values(): Iterable<PeerState> }): number {
  let waiting = entry.reservations;
  for (const peer of peers.values()) {
    for (const t of peer.transports.values()) {
      if (t.router === entry && t.direction === 'recv' && t.consumers === 0) waiting++;
    }
  }
  return entry.consumers + waiting;
}

/**
 * A router on the least loaded live worker. While the pool has no live worker (it is replacing
 * a dead one) it retries with a short backoff, waking up early when a worker is replaced, until
 * `deadline` (ms epoch; a past deadline means one attempt).
 */
export async function openRouter(pool: WorkerPool, deadline: number): Promise<RouterEntry> {
  let delay = 50;
  for (;;) {
    let failure: unknown;
    try {
      const { router, workerIndex } = await pool.createRouter();
      const workerPid = pool.getWorker(workerIndex)?.pid;
      if (!router.closed && workerPid !== undefined) {
        return { router, workerPid, consumers: 0, transports: new Set(), reservations: 0, piped: new Map() };
      }
      router.close();
      failure = new Error('the worker died while the router was being created');
    } catch (error) {
      if (error instanceof WorkerPoolError && error.code === 'pool-closed') {
        throw new LiveRoomError('closed', 'the worker pool is closed', { cause: error });
      }
      failure = error;
    }
    if (Date.now() + delay > deadline) {
      throw new LiveRoomError('no-live-worker', `no mediasoup worker could open a router: ${errorMessage(failure)}`, {
        cause: failure,
      });
    }
    await waitForWorker(pool, delay);
    delay = Math.min(delay * 2, 1_000);
  }
}

function waitForWorker(pool: WorkerPool, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pool.off('worker-replaced', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    pool.once('worker-replaced', done);
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keeps `entry.consumers` equal to the consumers on its router (pipe and recorder ones included). */
export function countConsumers(entry: RouterEntry): void {
  entry.router.observer.on('newtransport', (transport) => {
    transport.observer.on('newconsumer', (consumer: Consumer) => {
      entry.consumers++;
      consumer.observer.once('close', () => entry.consumers--);
    });
  });
}

/** Pipes a producer from the origin router to `entry` once; concurrent callers share the pipe. */
export function pipeOnce(origin: Router, entry: RouterEntry, producerId: string): Promise<void> {
  let piping = entry.piped.get(producerId);
  if (piping) return piping;
  const forget = (): void => {
    if (entry.piped.get(producerId) === piping) entry.piped.delete(producerId);
  };
  piping = origin.pipeToRouter({ producerId, router: entry.router }).then(({ pipeProducer }) => {
    if (!pipeProducer || pipeProducer.closed) {
      forget();
      throw new LiveRoomError('no-producer', `producer ${producerId} closed while piping`);
    }
    pipeProducer.observer.once('close', forget);
  });
  piping.catch(forget);
  entry.piped.set(producerId, piping);
  return piping;
}

/** Refreshes each open recv transport's bytesSent (RTP + RTX) from its stats; never lowers it. */
export async function sampleRecvBytes(peers: Iterable<PeerState>): Promise<void> {
  const recv = [...peers].flatMap((peer) => [...peer.transports.values()].filter((t) => t.direction === 'recv' && !t.transport.closed));
  await Promise.all(
    recv.map(async (t) => {
      try {
        const [stat] = await t.transport.getStats();
        if (!stat) return;
        const bytes = (stat.rtpBytesSent ?? 0) + (stat.rtxBytesSent ?? 0) || stat.bytesSent || 0;
        if (bytes > t.bytesSent && !t.transport.closed) t.bytesSent = bytes;
      } catch {
        // Closed meanwhile: its last sample stands.
      }
    }),
  );
}
