/**
 * The page's one heartbeat sender for the signed-in user (outbox + sender), created on first use.
 * App.svelte flushes it after sign-in, so beats left by an earlier page (offline, closed tab) go
 * out on the next page load; the `online` event flushes it as soon as the network is back.
 *
 * Heartbeats go through the API client (so a 401 signs the user out like any request), each
 * request given up after REQUEST_TIMEOUT_MS: the sender sends one at a time, and a request hung
 * on a weak link would otherwise hold back every beat after it (a retry is harmless: the server
 * ignores seqs it has seen).
 *
 * As the page goes away (`pagehide`) an ordinary request dies with it, so the last beats go by
 * `navigator.sendBeacon`, else by `fetch(…, { keepalive: true })`; both carry the same cookie to
 * the same origin. The beats stay in the outbox until an answer acknowledges them (a beacon's is
 * never read: the next page sends them again and the server ignores the repeats).
 */
import { api, toApiError, type ApiClient, type FetchLike } from '../api/client.ts';
import type { Beat } from './beats.ts';
import { Outbox, beaconBody, leavingBatch } from './outbox.ts';
import { OutboxSender, type HeartbeatAnswer } from './sender.ts';

export const HEARTBEATS_PATH = '/api/study/heartbeats';
/** Long enough for a full batch (~30 KB) over a slow rural link, short enough not to stall. */
export const REQUEST_TIMEOUT_MS = 30_000;

let current: { userId: string; sender: OutboxSender } | null = null;
let listening = false;

/** Runs `request` with a signal that aborts it after `ms` (an aborted request is retried). */
export function withTimeout<T>(ms: number, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  return request(controller.signal).finally(() => clearTimeout(timer));
}

export function createSender(userId: string, client: ApiClient = api, storage?: Storage): OutboxSender {
  return new OutboxSender({
    outbox: new Outbox(userId, storage ?? globalThis.localStorage),
    transport: (beats) => withTimeout(REQUEST_TIMEOUT_MS, (signal) => client.post<HeartbeatAnswer>(HEARTBEATS_PATH, { beats }, signal)),
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

export interface LeaveDeps {
  sendBeacon?: (url: string, body: Blob) => boolean;
  fetch?: FetchLike;
}

const browserLeaveDeps = (): LeaveDeps => {
  const nav = globalThis.navigator;
  return {
    sendBeacon: nav && typeof nav.sendBeacon === 'function' ? (url, body) => nav.sendBeacon(url, body) : undefined,
    fetch: typeof globalThis.fetch === 'function' ? (input, init) => globalThis.fetch(input, init) : undefined,
  };
};

/**
 * Sends a leaving page's beats in one request that outlives the page: `playbackId`'s pending
 * beats (up to its `unload`), then the page's others while they fit. By sendBeacon when the
 * browser takes it, else by a keepalive fetch, whose answer (when the page lives to read it)
 * settles the beats like any other. Returns how they left, or null (they wait in the outbox).
 */
export function sendOnLeave(sender: OutboxSender, playbackId: string, deps: LeaveDeps = browserLeaveDeps()): 'beacon' | 'keepalive' | null {
  const own = (beat: Beat) => sender.own.has(beat.playbackId);
  const payload = beaconBody(leavingBatch(sender.outbox.all(), playbackId, own));
  if (!payload) return null;
  try {
    if (deps.sendBeacon?.(HEARTBEATS_PATH, new Blob([payload.body], { type: 'application/json' }))) return 'beacon';
  } catch {
    // Some browsers refuse a JSON Blob in a beacon: the keepalive fetch below carries it.
  }
  if (!deps.fetch) return null;
  let request: Promise<Response>;
  try {
    request = deps.fetch(HEARTBEATS_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      credentials: 'same-origin',
      body: payload.body,
      keepalive: true,
    });
  } catch {
    return null;
  }
  void request
    .then(async (response) => {
      if (!response.ok) throw await toApiError(response);
      sender.accept(payload.beats, (await response.json()) as HeartbeatAnswer);
    })
    .catch(() => {
      // The beats are still in the outbox; the sender (or the next page) sends them again.
    });
  return 'keepalive';
}
