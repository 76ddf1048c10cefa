/**
 * Attention checks (随机签到), for lectures that enable them: while a counting session plays, a
 * check is issued at a random moment (0.5-1.5 x the configured interval) and shown in the
 * heartbeat answer; spans that end after it is overdue earn nothing, and after a late answer the
 * next span earns nothing either (it covered the unattended time). State is in memory: a restart
 * just issues a new check.
 */
import { randomBytes } from 'node:crypto';
import type { PlaybackSession } from './records';
import { addFlag } from './records';

export interface AttentionView {
  id: string;
  /** Seconds left to answer (0 once overdue). */
  expiresInSec: number;
  /** Counting is paused until it is answered. */
  overdue: boolean;
}

export class AttentionChecks {
  constructor(
    private readonly cfg: { attentionIntervalSec: number; attentionAnswerSec: number },
    private readonly random: () => number,
  ) {}

  paused(s: PlaybackSession, now: number): boolean {
    const a = s.attention;
    return Boolean(a && ((a.pending && now > a.pending.expiresAt) || a.skipNext));
  }

  /** A span was judged while paused by a late answer: that one was the unattended span. */
  consumed(s: PlaybackSession) {
    if (s.attention?.skipNext) s.attention.skipNext = false;
  }

  /** Issues a check when one is due on a counting, playing session (called after its beats). */
  schedule(s: PlaybackSession, now: number, counting: boolean) {
    if (s.ended || !s.state.playing || !counting) return;
    const a = (s.attention ??= {});
    if (a.pending) return;
    if (a.nextAt === undefined) {
      a.nextAt = now + this.delayMs();
      return;
    }
    if (now < a.nextAt) return;
    a.pending = { id: randomBytes(6).toString('base64url'), issuedAt: now, expiresAt: now + this.cfg.attentionAnswerSec * 1000 };
  }

  /** On time: counting goes on. Late: counting resumes, but the span that covered it earns nothing. */
  answer(s: PlaybackSession, checkId: string, now: number): { accepted: boolean; late: boolean } {
    const pending = s.attention?.pending;
    if (!pending || pending.id !== checkId) return { accepted: false, late: false };
    const late = now > pending.expiresAt;
    s.attention = { nextAt: now + this.delayMs(), skipNext: late };
    if (late) {
      addFlag(s, 'attention-missed', Math.max(0, (now - pending.expiresAt) / 1000));
      s.dirty = true;
    }
    return { accepted: true, late };
  }

  view(s: PlaybackSession, now: number): AttentionView | undefined {
    const pending = s.attention?.pending;
    return pending ? { id: pending.id, expiresInSec: Math.max(0, Math.ceil((pending.expiresAt - now) / 1000)), overdue: now > pending.expiresAt } : undefined;
  }

  private delayMs(): number {
    return Math.round((0.5 + this.random()) * this.cfg.attentionIntervalSec * 1000);
  }
}
