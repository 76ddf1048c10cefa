/**
 * The interaction state of one live lecture (直播讲座) while it runs: who is in the room, chat,
 * questions (提问) with upvotes, raised hands (举手) and who is on stage (连麦). Pure data with no
 * I/O, so the rules are unit-tested; LiveService owns the media and the sockets around it.
 * Rules:
 * - only the host (the lecture's lecturer or an admin) promotes, mutes, removes, answers, ends;
 * - a question is upvoted at most once per user; the list is ordered unanswered first, then by
 *   votes, then oldest first;
 * - a removed user cannot come back into this session;
 * - chat keeps the newest MAX_CHAT messages (a page that joins late sees them).
 */
import { randomBytes } from 'node:crypto';

export const MAX_CHAT = 200;
export const MAX_TEXT = 500;

export type PeerRole = 'host' | 'viewer';

export interface PeerInfo {
  peerId: string;
  userId: string;
  name: string;
  role: PeerRole;
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

export class LiveSessionError extends Error {
  constructor(
    readonly code: 'FORBIDDEN' | 'NOT_FOUND' | 'VALIDATION_ERROR' | 'REMOVED',
    message: string,
    readonly messageEn: string,
  ) {
    super(message);
    this.name = 'LiveSessionError';
  }
}

const forbidden = () => new LiveSessionError('FORBIDDEN', '只有主讲人可以这样操作', 'Only the host can do that');

export class LiveSession {
  readonly peers = new Map<string, PeerInfo>();
  readonly chat: ChatMessage[] = [];
  private readonly questions = new Map<string, Question & { voters: Set<string> }>();
  private readonly removed = new Set<string>();
  /** Users on stage and with a raised hand, by user id: a page that rejoins keeps its place. */
  private readonly staged = new Set<string>();
  private readonly hands = new Set<string>();

  join(peer: Omit<PeerInfo, 'onStage' | 'handRaised'>): PeerInfo {
    if (this.removed.has(peer.userId)) throw new LiveSessionError('REMOVED', '您已被主讲人移出本场直播', 'The host removed you from this live lecture');
    const info: PeerInfo = { ...peer, onStage: peer.role === 'host' || this.staged.has(peer.userId), handRaised: this.hands.has(peer.userId) };
    this.peers.set(peer.peerId, info);
    return info;
  }

  leave(peerId: string): PeerInfo | undefined {
    const p = this.peers.get(peerId);
    this.peers.delete(peerId);
    return p;
  }

  peer(peerId: string): PeerInfo {
    const p = this.peers.get(peerId);
    if (!p) throw new LiveSessionError('NOT_FOUND', '您不在此直播间', 'You are not in this room');
    return p;
  }

  isHost(peerId: string): boolean {
    return this.peers.get(peerId)?.role === 'host';
  }

  /** Hosts, and viewers the host brought on stage, may publish media. */
  mayProduce(peerId: string): boolean {
    const p = this.peers.get(peerId);
    return Boolean(p && (p.role === 'host' || p.onStage));
  }

  list(): PeerInfo[] {
    return [...this.peers.values()].map((p) => ({ ...p }));
  }

  say(peerId: string, text: string, now: number): ChatMessage {
    const p = this.peer(peerId);
    const msg: ChatMessage = { id: randomBytes(6).toString('base64url'), peerId, userId: p.userId, name: p.name, text: clean(text), at: now };
    this.chat.push(msg);
    if (this.chat.length > MAX_CHAT) this.chat.splice(0, this.chat.length - MAX_CHAT);
    return msg;
  }

  ask(peerId: string, text: string, now: number): Question {
    const p = this.peer(peerId);
    const q = { id: randomBytes(6).toString('base64url'), userId: p.userId, name: p.name, text: clean(text), at: now, votes: 0, answered: false, voters: new Set<string>() };
    this.questions.set(q.id, q);
    return strip(q);
  }

  upvote(peerId: string, questionId: string): Question {
    const p = this.peer(peerId);
    const q = this.questions.get(questionId);
    if (!q) throw new LiveSessionError('NOT_FOUND', '问题不存在', 'No such question');
    if (!q.voters.has(p.userId)) {
      q.voters.add(p.userId);
      q.votes = q.voters.size;
    }
    return strip(q);
  }

  answer(peerId: string, questionId: string): Question {
    if (!this.isHost(peerId)) throw forbidden();
    const q = this.questions.get(questionId);
    if (!q) throw new LiveSessionError('NOT_FOUND', '问题不存在', 'No such question');
    q.answered = true;
    return strip(q);
  }

  questionList(): Question[] {
    return [...this.questions.values()].map(strip).sort((a, b) => Number(a.answered) - Number(b.answered) || b.votes - a.votes || a.at - b.at);
  }

  raiseHand(peerId: string, raised: boolean): PeerInfo {
    const p = this.peer(peerId);
    p.handRaised = raised;
    if (raised) this.hands.add(p.userId);
    else this.hands.delete(p.userId);
    return { ...p };
  }

  setStage(hostPeerId: string, peerId: string, onStage: boolean): PeerInfo {
    if (!this.isHost(hostPeerId)) throw forbidden();
    const p = this.peer(peerId);
    if (p.role === 'host') return { ...p };
    p.onStage = onStage;
    if (onStage) {
      this.staged.add(p.userId);
      p.handRaised = false;
      this.hands.delete(p.userId);
    } else {
      this.staged.delete(p.userId);
    }
    return { ...p };
  }

  /** The host removes a participant: they leave and cannot join this session again. */
  remove(hostPeerId: string, peerId: string): PeerInfo {
    if (!this.isHost(hostPeerId)) throw forbidden();
    const p = this.peer(peerId);
    if (p.role === 'host') throw forbidden();
    this.removed.add(p.userId);
    this.staged.delete(p.userId);
    this.hands.delete(p.userId);
    this.peers.delete(peerId);
    return p;
  }

  assertHost(peerId: string) {
    if (!this.isHost(peerId)) throw forbidden();
  }
}

function clean(text: string): string {
  const t = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (!t) throw new LiveSessionError('VALIDATION_ERROR', '内容不能为空', 'The text is empty');
  return t.slice(0, MAX_TEXT);
}

function strip(q: Question & { voters: Set<string> }): Question {
  return { id: q.id, userId: q.userId, name: q.name, text: q.text, at: q.at, votes: q.votes, answered: q.answered };
}
