/**
 * The page's one heartbeat sender for the signed-in user (outbox + sender), created on first use.
 * App.svelte flushes it after sign-in, so beats left by an earlier page (offline, closed tab) go
 * out on the next page load; the `online` event flushes it as soon as the network is back.
 *
 * Heartbeats go through the API client (so a 401 signs the user out like any request), except on
 * `pagehide`, where only `navigator.sendBeacon` is sure to leave the page: it carries the same
 * cookie to the same origin, and its beats stay in the outbox until a later answer acknowledges
 * them (the server ignores the repeats).
 */
import { api, type ApiClient } from '../api/client.ts';
import type { Beat } from './beats.ts';
import { Outbox, beaconBody } from './outbox.ts';
import { OutboxSender, type HeartbeatAnswer } from './sender.ts';

export const HEARTBEATS_PATH = '/api/study/heartbeats';

let current: { userId: string; sender: OutboxSender } | null = null;
let listening = false;

export function createSender(userId: string, client: ApiClient = api, storage?: Storage): OutboxSender {
  return new OutboxSender({
    outbox: new Outbox(userId, storage ?? globalThis.localStorage),
    transport: (beats) => client.post<HeartbeatAnswer>(HEARTBEATS_PATH, { beats }),
  });
}

/** The sender for `userId` (another user's is retired: its outbox stays for their next sign-in). */
export function beatChannel(userId: string): OutboxSender {
  if (current?.userId === userId) return current.sender;
  current?.sender.dispose();
  current = { userId, sender: createSender(userId) };
  if (!listening && typeof window !== 'undefined') {
    listening = true;
    window.addEventListener('online', () => void current?.sender.online());
  }
  return current.sender;
}

/** Forgets the sender (sign-out); pending beats stay in storage. */
export function closeBeatChannel(): void {
  current?.sender.dispose();
  current = null;
}

/** Sends this page's pending beats with sendBeacon; true when the browser took them. */
export function beaconBeats(sender: OutboxSender, own: (beat: Beat) => boolean): boolean {
  const nav = globalThis.navigator;
  if (!nav || typeof nav.sendBeacon !== 'function') return false;
  const pending = sender.outbox.batch({ include: own });
  const payload = beaconBody(pending);
  if (!payload) return false;
  try {
    return nav.sendBeacon(HEARTBEATS_PATH, new Blob([payload.body], { type: 'application/json' }));
  } catch {
    return false;
  }
}
