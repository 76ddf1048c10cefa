// Where a new recv transport goes. Pure.
//
// Rules:
// - Send transports (and so every producer) live on the room's origin router.
// - A recv transport goes to the first router, origin first and then the extra routers in the
//   order they were opened, whose consumers are fewer than maxConsumersPerRouter. Filling
//   routers in order keeps the number of routers, and so of piped copies of each producer, low.
// - When every router is full, a new router is opened (on the least loaded worker, see
//   WorkerPool.createRouter) and the producers the transport consumes are piped to it on demand.
// - Consumers counted per router include pipe consumers and recorder consumers: each one costs
//   the worker about the same.

export interface RouterLoad {
  routerId: string;
  consumers: number;
}

/**
 * Id of the router a new recv transport should use, or undefined when a new router must be
 * opened. `loads` is in placement order: origin first, then extra routers oldest first.
 */
export function pickRecvRouter(loads: readonly RouterLoad[], maxConsumersPerRouter: number): string | undefined {
  if (!(maxConsumersPerRouter >= 1)) {
    throw new RangeError(`maxConsumersPerRouter must be >= 1 (got ${maxConsumersPerRouter})`);
  }
  return loads.find((load) => load.consumers < maxConsumersPerRouter)?.routerId;
}
