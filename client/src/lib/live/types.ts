/** What the live-room signaling sends (server/modules/live). */
export type ProducerSource = 'camera' | 'mic' | 'screen';

export interface ProducerInfo {
  id: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: ProducerSource;
  paused: boolean;
}

export interface PeerInfo {
  peerId: string;
  userId: string;
  name: string;
  role: 'host' | 'viewer';
  onStage: boolean;
  handRaised: boolean;
}

export interface ChatMessage {
  id: string;
  peerId: string;
  userId: string;
  name: string;
  text: string;
  at: number;
}

export interface Question {
  id: string;
  userId: string;
  name: string;
  text: string;
  at: number;
  votes: number;
  answered: boolean;
}

export interface LiveState {
  state: 'scheduled' | 'live' | 'ended';
  startedAt?: number;
  hls?: { part: number; offsetSec: number; ready: boolean };
  replayLectureId?: string;
  /** The replay is published and can be watched (its transcode finished). */
  replayReady?: boolean;
}

export interface JoinAnswer {
  you: PeerInfo;
  state: LiveState;
  serverNow: number;
  rtpCapabilities: unknown;
  producers: ProducerInfo[];
  peers: PeerInfo[];
  chat: ChatMessage[];
  questions: Question[];
  title: string;
  lecturer: string;
  scheduledAt: string | null;
}

/** A track received from another participant. */
export interface RemoteTrack {
  producerId: string;
  consumerId: string;
  peerId: string;
  source: ProducerSource;
  kind: 'audio' | 'video';
  track: MediaStreamTrack;
  paused: boolean;
}
