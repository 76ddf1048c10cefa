/**
 * A batch of heartbeats as the routes hand it to the engine (a cadre's pages, a station's kiosk),
 * and what its answer says. One batch may carry beats of several playbacks: it is judged playback
 * by playback (cadre-ingest.ts, group-ingest.ts), and each playback's view in the answer says
 * whether it counts and how far its content is.
 */
import type { AttentionView } from './attention';
import type { Beat } from './heartbeat-policy';

export interface IncomingBeat extends Beat {
  playbackId: string;
}

export interface SessionView {
  counting: boolean;
  reason?: 'other-session' | 'unknown-session' | 'at-station';
  progress: number;
  coveredSec: number;
  completed: boolean;
  creditHours?: number;
  attention?: AttentionView;
}

export interface RejectedBeat {
  playbackId: string;
  seq: number;
  code: string;
  message: string;
}

export function groupByPlayback(beats: IncomingBeat[]): Map<string, IncomingBeat[]> {
  const byPlayback = new Map<string, IncomingBeat[]>();
  for (const b of beats) {
    const list = byPlayback.get(b.playbackId);
    if (list) list.push(b);
    else byPlayback.set(b.playbackId, [b]);
  }
  return byPlayback;
}
