/** Store errors the modules and the error handler act on. */

/** The store refused a write because the `_id` or another unique key is taken (E11000). */
export const isDuplicateKey = (err: unknown): boolean => (err as { code?: number } | null)?.code === 11000;

/**
 * Awaits an insert: true if it stored the document, false if one with the same key was already
 * there (an insert the primary key makes atomic, where FerretDB would scan for an upsert).
 */
export async function insertIfAbsent(insert: Promise<unknown>): Promise<boolean> {
  try {
    await insert;
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Driver errors that mean "the store cannot be reached", not "this request is wrong". */
const UNAVAILABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoPoolClosedError',
  'MongoServerClosedError',
  'MongoTopologyClosedError',
  'MongoWaitQueueTimeoutError',
]);

/**
 * True for an error caused by the store being down or unreachable (checked by name: mongoose and
 * the driver may come in two copies, so `instanceof` is not reliable), including one wrapped as
 * another error's `cause`. The error handler answers these with 503 STORE_UNAVAILABLE.
 */
export function isStoreUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message } = e as { name?: string; message?: string };
    if (name && UNAVAILABLE.has(name)) return true;
    // mongoose's own timeout for a buffered command (only if buffering is turned back on).
    if (name === 'MongooseError' && /buffering timed out|Connection was force closed/.test(message ?? '')) return true;
  }
  return false;
}
