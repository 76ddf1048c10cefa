// What a live room (LiveRoom) is made with and reports: its options and their defaults, its events.
import type { LiveNetworkOptions, ProducerInfo } from './types';

export interface LiveRoomEvents {
  'producer-added': [ProducerInfo];
  'producer-closed': [{ id: string; peerId: string }];
  'producer-paused': [{ id: string; peerId: string }];
  'producer-resumed': [{ id: string; peerId: string }];
  'consumer-closed': [{ peerId: string; consumerId: string; producerId: string }];
  'consumer-layers': [{ peerId: string; consumerId: string; spatialLayer: number; temporalLayer?: number }];
  rebuilt: [];
  close: [];
}

export interface LiveRoomOptions extends LiveNetworkOptions {
  maxConsumersPerRouter: number;
  statsIntervalMs?: number;
  rebuildTimeoutMs?: number;
}

export const DEFAULT_OUTGOING_BITRATE = 1_000_000;
export const DEFAULT_STATS_INTERVAL_MS = 5_000;
export const DEFAULT_REBUILD_TIMEOUT_MS = 10_000;
