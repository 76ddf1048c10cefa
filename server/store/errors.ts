/** Store errors the modules act on. */

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
