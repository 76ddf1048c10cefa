/** Moved to server/store/keyed-lock.ts (several modules serialise their read-modify-writes with it). */
export { KeyedLock } from '../../store/keyed-lock';
